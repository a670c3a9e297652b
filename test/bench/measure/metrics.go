package measure

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// Requests reads an apiserver's apiserver_request_total and calls add for
// each series with its resource[/subresource], verb, code and value.
func Requests(ctx context.Context, cs kubernetes.Interface, add func(what, verb, code string, v float64)) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		what := LabelValue(line, "resource")
		if sub := LabelValue(line, "subresource"); sub != "" {
			what += "/" + sub
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		add(what, LabelValue(line, "verb"), LabelValue(line, "code"), v)
	}
}

// LabelValue is the value of label key in one line of the Prometheus text
// format ("" when absent).
func LabelValue(line, key string) string {
	i := strings.Index(line, key+"=\"")
	if i < 0 {
		return ""
	}
	rest := line[i+len(key)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// PrintControllerStats shows, per controller, reconciles and their mean time
// and mean queue wait, from the manager's /metrics: where the time went.
func PrintControllerStats(url string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Println("  (no manager metrics:", err, ")")
		return
	}
	defer resp.Body.Close()
	sums := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, metric := range []string{"controller_runtime_reconcile_time_seconds", "workqueue_queue_duration_seconds"} {
			for _, suffix := range []string{"_sum", "_count"} {
				prefix := metric + suffix + "{"
				if !strings.HasPrefix(line, prefix) {
					continue
				}
				name := LabelValue(line, "controller")
				if name == "" {
					name = LabelValue(line, "name")
				}
				f := strings.Fields(line)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				sums[metric+suffix+"/"+name] += v
			}
		}
	}
	fmt.Println("  controller              reconciles  mean reconcile  mean queue wait")
	for _, c := range []string{"detector", "scheduling", "binding", "execution", "work-status", "resourcebinding-status"} {
		n := sums["controller_runtime_reconcile_time_seconds_count/"+c]
		if n == 0 {
			continue
		}
		mean := time.Duration(sums["controller_runtime_reconcile_time_seconds_sum/"+c] / n * float64(time.Second))
		qn := sums["workqueue_queue_duration_seconds_count/"+c]
		var wait time.Duration
		if qn > 0 {
			wait = time.Duration(sums["workqueue_queue_duration_seconds_sum/"+c] / qn * float64(time.Second))
		}
		fmt.Printf("  %-22s  %10.0f  %14s  %15s\n", c, n, mean.Round(time.Microsecond), wait.Round(time.Microsecond))
	}
}

// Families fetches and parses a /metrics endpoint in the Prometheus text
// format. get does the request (nil: plain http.Get of url).
func Families(ctx context.Context, url string, get func(ctx context.Context, url string) (io.ReadCloser, error)) (map[string]*dto.MetricFamily, error) {
	if get == nil {
		get = httpGet
	}
	body, err := get(ctx, url)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(body)
}

func httpGet(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

// Label is the value of a sample's label ("" when absent).
func Label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// Value is a counter's, gauge's or untyped sample's value.
func Value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// Sum adds up every sample of a family whose labels match (nil: all).
func Sum(fams map[string]*dto.MetricFamily, name string, match func(*dto.Metric) bool) float64 {
	var s float64
	for _, m := range fams[name].GetMetric() {
		if match == nil || match(m) {
			s += Value(m)
		}
	}
	return s
}
