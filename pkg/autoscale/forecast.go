package autoscale

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// ForecastResult is what ForecastCrossing predicts over its horizon.
type ForecastResult struct {
	// Crossing is the first time the forecast reaches the threshold,
	// interpolated between steps; the last sample's time when it is there
	// already; nil when it stays below over the horizon.
	Crossing *time.Time
	// Peak is the highest forecast value over the horizon, at PeakTime.
	Peak     float64
	PeakTime time.Time
	// Error is the mean absolute percentage error (in percent) of the
	// model's forecast of the last season of the history, made from the
	// history before it: how far off a forecast one season ahead was.
	Error float64
	// Model names the fitted model, e.g. "holt-winters a=0.3 b=0.01 g=0.2".
	Model string
	// Forecast is the forecast at every step of the horizon.
	Forecast []Sample
}

// holtWintersInitSeasons is how many of the first seasons start the model.
const holtWintersInitSeasons = 4

// forecastMaxGapShare is the largest share of missing steps in the history
// that interpolation may fill.
const forecastMaxGapShare = 0.25

// The grid the smoothing parameters are searched over: level, trend and
// season weights. Small trend weights dominate because a daily series'
// trend changes slowly; the search picks the combination with the least
// squared one-step error.
var (
	forecastAlphas = []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8}
	forecastBetas  = []float64{0, 0.01, 0.02, 0.05, 0.1, 0.2}
	forecastGammas = []float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.7}
)

// ForecastCrossing fits an additive Holt-Winters model (level, trend and a
// season of season/step steps) to samples spaced step apart and forecasts
// horizon past the last sample: when the metric reaches threshold, its
// peak, and the model's error on the last season held out. The smoothing
// weights come from a grid search minimising the squared one-step error.
//
// Samples need not be sorted or complete: they are put on a grid of step
// ending at the last sample, and up to a quarter of missing steps are
// filled by linear interpolation. At least two seasons of history are
// needed (one to start the seasonal pattern, one to learn from it).
func ForecastCrossing(samples []Sample, step, season time.Duration, threshold float64, horizon time.Duration) (ForecastResult, error) {
	if step <= 0 {
		return ForecastResult{}, fmt.Errorf("forecast step %s: give a positive step (the range query's resolution)", step)
	}
	if season < 2*step || season%step != 0 {
		return ForecastResult{}, fmt.Errorf("forecast season %s: give a whole number (at least 2) of %s steps", season, step)
	}
	if horizon <= 0 {
		return ForecastResult{}, fmt.Errorf("forecast horizon %s: give a positive horizon (how far ahead to look)", horizon)
	}
	m := int(season / step)
	series, start, err := forecastGrid(samples, step)
	if err != nil {
		return ForecastResult{}, err
	}
	if len(series) < 2*m {
		have := time.Duration(len(series)) * step
		return ForecastResult{}, fmt.Errorf("forecast needs at least 2 seasons of history (%s at %s steps, %d samples); it has %s (%d samples): wait %s more, or use a shorter season",
			2*season, step, 2*m, have, len(series), 2*season-have)
	}

	// The held-out error: fit on the history before the last season (its
	// weights chosen on it when it spans two seasons, else on all of it),
	// forecast that season, compare.
	train := series[:len(series)-m]
	params := forecastFit(series, m)
	testParams := params
	if len(train) >= 2*m {
		testParams = forecastFit(train, m)
	}
	testState := holtWintersRun(train, m, testParams, nil)
	var ape float64
	var counted int
	for h := 1; h <= m; h++ {
		actual := series[len(train)+h-1]
		if math.Abs(actual) < 1e-9 {
			continue
		}
		ape += math.Abs(actual-testState.forecast(h)) / math.Abs(actual)
		counted++
	}
	mape := 0.0
	if counted > 0 {
		mape = 100 * ape / float64(counted)
	}

	state := holtWintersRun(series, m, params, nil)
	last := start.Add(time.Duration(len(series)-1) * step)
	res := ForecastResult{Error: mape, Model: params.String(), Peak: math.Inf(-1)}
	steps := int((horizon + step - 1) / step)
	res.Forecast = make([]Sample, steps)
	prevT, prevV := last, series[len(series)-1]
	if prevV >= threshold {
		t := last
		res.Crossing = &t
	}
	for h := 1; h <= steps; h++ {
		t, v := last.Add(time.Duration(h)*step), state.forecast(h)
		res.Forecast[h-1] = Sample{T: t, V: v}
		if v > res.Peak {
			res.Peak, res.PeakTime = v, t
		}
		if res.Crossing == nil && v >= threshold {
			frac := (threshold - prevV) / (v - prevV)
			c := prevT.Add(time.Duration(frac * float64(step)))
			res.Crossing = &c
		}
		prevT, prevV = t, v
	}
	return res, nil
}

// forecastGrid puts samples on a grid of step ending at the latest one: a
// sample goes to the nearest grid time (a later sample for the same time
// wins), and missing times between samples are interpolated linearly.
func forecastGrid(samples []Sample, step time.Duration) ([]float64, time.Time, error) {
	var valid []Sample
	for _, s := range samples {
		if !math.IsNaN(s.V) && !math.IsInf(s.V, 0) {
			valid = append(valid, s)
		}
	}
	if len(valid) == 0 {
		return nil, time.Time{}, fmt.Errorf("forecast has no samples: check the query returns a series for the metric")
	}
	sort.SliceStable(valid, func(i, j int) bool { return valid[i].T.Before(valid[j].T) })
	last := valid[len(valid)-1].T
	slot := func(t time.Time) int {
		return int(math.Round(float64(last.Sub(t)) / float64(step)))
	}
	n := slot(valid[0].T) + 1
	vals := make([]float64, n)
	have := make([]bool, n)
	for _, s := range valid {
		i := n - 1 - slot(s.T)
		vals[i], have[i] = s.V, true
	}
	missing := 0
	for i := 0; i < n; i++ {
		if have[i] {
			continue
		}
		j := i
		for !have[j] {
			j++
		}
		// have[i-1] holds: slot 0 is the first sample's.
		for k := i; k < j; k++ {
			frac := float64(k-i+1) / float64(j-i+1)
			vals[k] = vals[i-1] + frac*(vals[j]-vals[i-1])
		}
		missing += j - i
		i = j
	}
	if float64(missing) > forecastMaxGapShare*float64(n) {
		return nil, time.Time{}, fmt.Errorf("forecast history misses %d of %d steps of %s: too many gaps to fill; check the metric was scraped throughout", missing, n, step)
	}
	return vals, last.Add(-time.Duration(n-1) * step), nil
}

// holtWintersParams are the smoothing weights of level, trend and season.
type holtWintersParams struct{ alpha, beta, gamma float64 }

func (p holtWintersParams) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return "holt-winters a=" + f(p.alpha) + " b=" + f(p.beta) + " g=" + f(p.gamma)
}

// holtWintersState is the model after the last sample it saw.
type holtWintersState struct {
	level, trend float64
	// season holds the seasonal terms; seasonAt(i) is that of series index i.
	season []float64
	// n is the number of samples seen.
	n int
	// sse is the sum of squared one-step errors after the first season.
	sse float64
}

// forecast is the value h steps after the last sample.
func (s holtWintersState) forecast(h int) float64 {
	m := len(s.season)
	return s.level + float64(h)*s.trend + s.season[(s.n-1+h)%m]
}

// holtWintersRun starts the model from the first full seasons (up to
// holtWintersInitSeasons) and updates it with every sample after the first
// season, summing the squared one-step errors. The start is a classical
// decomposition: the trend is the change of the seasons' means per step,
// the seasonal term of a step the average over those seasons of its value
// less its season's mean and the trend's ramp within the season, and the
// level the first season's mean carried to its last step.
// The seasonal terms are kept in buf when it holds m values (the grid
// search reuses one).
func holtWintersRun(x []float64, m int, p holtWintersParams, buf []float64) holtWintersState {
	k := min(len(x)/m, holtWintersInitSeasons)
	means := make([]float64, k)
	for j := range means {
		for _, v := range x[j*m : (j+1)*m] {
			means[j] += v
		}
		means[j] /= float64(m)
	}
	if len(buf) != m {
		buf = make([]float64, m)
	}
	st := holtWintersState{season: buf, n: m}
	if k >= 2 {
		st.trend = (means[k-1] - means[0]) / float64((k-1)*m)
	}
	mid := float64(m-1) / 2
	for i := 0; i < m; i++ {
		var dev float64
		for j := 0; j < k; j++ {
			dev += x[j*m+i] - means[j] - st.trend*(float64(i)-mid)
		}
		st.season[i] = dev / float64(k)
	}
	st.level = means[0] + st.trend*mid
	for t := m; t < len(x); t++ {
		i := t % m
		predicted := st.level + st.trend + st.season[i]
		e := x[t] - predicted
		st.sse += e * e
		prevLevel := st.level
		st.level = p.alpha*(x[t]-st.season[i]) + (1-p.alpha)*(st.level+st.trend)
		st.trend = p.beta*(st.level-prevLevel) + (1-p.beta)*st.trend
		st.season[i] = p.gamma*(x[t]-st.level) + (1-p.gamma)*st.season[i]
		st.n = t + 1
	}
	return st
}

// forecastFit searches the grid for the weights with the least squared
// one-step error over x (ties go to the first in grid order).
func forecastFit(x []float64, m int) holtWintersParams {
	best := holtWintersParams{alpha: forecastAlphas[0], beta: forecastBetas[0], gamma: forecastGammas[0]}
	bestSSE := math.Inf(1)
	buf := make([]float64, m)
	for _, a := range forecastAlphas {
		for _, b := range forecastBetas {
			for _, g := range forecastGammas {
				p := holtWintersParams{alpha: a, beta: b, gamma: g}
				if sse := holtWintersRun(x, m, p, buf).sse; sse < bestSSE {
					best, bestSSE = p, sse
				}
			}
		}
	}
	return best
}
