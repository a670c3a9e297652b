// Package rollout decides every step of a fleet-wide progressive rollout:
// which clusters progress, what weight each canary gets, which gates must
// pass first, when a cluster is promoted and when the whole rollout rolls
// back. It is a pure state machine over (spec, persisted status, observed
// clusters, gate results, now): the controller observes, runs the gates the
// plan asks for, calls Step and writes what it returns. The same functions
// tell the binding controller how many replicas the workload itself (the
// canary) gets in each cluster.
package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// Defaults, as Flagger and Kurator document them.
const (
	DefaultInterval         = 60 * time.Second
	DefaultCheckFailedTimes = 1
	DefaultTimeout          = 600 * time.Second
	maxGates                = 50
	maxHistory              = 10
)

// Strategy is how the canary's traffic grows.
type Strategy string

// Strategies.
const (
	Canary    Strategy = "Canary"
	ABTest    Strategy = "ABTest"
	BlueGreen Strategy = "BlueGreen"
	// Update replaces what a cluster runs in place (an Application's
	// objects): the cluster's primary takes the new revision, must become
	// healthy with it, then passes Iterations checks. There is no canary
	// and no traffic split, and the stable revision may be "" (nothing
	// installed yet: rolling back removes the objects).
	Update Strategy = "Update"
)

// Config is a Rollout's spec with every default filled in.
type Config struct {
	Strategy            Strategy
	Steps               []int // canary weights, in order, ending at the max weight
	StepWeightPromotion int
	Iterations          int
	Interval            time.Duration
	Threshold           int
	Warmup              time.Duration
	Timeout             time.Duration
	SkipAnalysis        bool
	Suspend             bool
	Hooks               map[string]bool // hook types present
	Stages              []Stage
}

// Stage is a stage with its defaults; the last one may be the implicit
// stage of clusters no stage selects.
type Stage struct {
	Name           string
	MaxConcurrency int // 0 = all
	Bake           time.Duration
	MaxFailures    int
	// RequireApproval: the stage waits for a promote action once the
	// stages before it are done.
	RequireApproval bool
	Selects         func(name string, labels map[string]string) bool
}

// ConfigOf reads a spec. selects builds a stage's cluster test (the
// controller passes one built from label selectors).
func ConfigOf(spec *appsv1alpha1.RolloutSpec, selects func(appsv1alpha1.RolloutStage) func(string, map[string]string) bool) Config {
	c := Config{Strategy: Canary, Interval: DefaultInterval, Threshold: DefaultCheckFailedTimes, Timeout: DefaultTimeout, Hooks: map[string]bool{}}
	p := spec.RolloutPolicy
	c.SkipAnalysis, c.Suspend = p.SkipTrafficAnalysis, p.Suspend
	if p.RolloutTimeoutSeconds != nil {
		c.Timeout = time.Duration(*p.RolloutTimeoutSeconds) * time.Second
	}
	if a := p.TrafficAnalysis; a != nil {
		if a.CheckIntervalSeconds != nil && *a.CheckIntervalSeconds > 0 {
			c.Interval = time.Duration(*a.CheckIntervalSeconds) * time.Second
		}
		if a.CheckFailedTimes != nil && *a.CheckFailedTimes > 0 {
			c.Threshold = *a.CheckFailedTimes
		}
		for _, h := range a.Webhooks.Hooks {
			t := h.Type
			if t == "" {
				t = "rollout"
			}
			c.Hooks[t] = true
		}
		if len(a.Webhooks.Commands) > 0 {
			c.Hooks["rollout"] = true
		}
	}
	c.Warmup = c.Interval
	if a := p.TrafficAnalysis; a != nil && a.WarmupSeconds != nil {
		c.Warmup = time.Duration(*a.WarmupSeconds) * time.Second
	}
	c.Steps = []int{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	if r := p.TrafficRouting; r != nil {
		switch {
		case r.AnalysisTimes > 0 && len(r.Match) > 0:
			c.Strategy, c.Iterations = ABTest, r.AnalysisTimes
		case r.AnalysisTimes > 0:
			c.Strategy, c.Iterations = BlueGreen, r.AnalysisTimes
		case r.CanaryStrategy != nil:
			c.Steps = canarySteps(r.CanaryStrategy)
			c.StepWeightPromotion = r.CanaryStrategy.StepWeightPromotion
		}
	}
	for _, s := range spec.Stages {
		st := Stage{Name: s.Name, Bake: time.Duration(s.BakeSeconds) * time.Second, MaxFailures: int(s.MaxFailures), RequireApproval: s.RequireApproval, Selects: selects(s)}
		if s.MaxConcurrency != nil {
			st.MaxConcurrency = int(*s.MaxConcurrency)
		}
		c.Stages = append(c.Stages, st)
	}
	// Clusters no stage selects are released last, together.
	rest := Stage{Name: "rest", Selects: func(string, map[string]string) bool { return true }}
	if len(c.Stages) == 0 {
		rest.Name = "all"
	}
	c.Stages = append(c.Stages, rest)
	return c
}

// DeliveryConfig reads an Application's delivery (nil: one stage, no
// analysis) as an Update rollout: stages, timeout, suspend and the
// analysis mean what they mean for a Rollout; a cluster needs
// analysisTimes passing checks (default 1 when there is an analysis).
func DeliveryConfig(d *appsv1alpha1.Delivery, selects func(appsv1alpha1.RolloutStage) func(string, map[string]string) bool) Config {
	if d == nil {
		d = &appsv1alpha1.Delivery{}
	}
	spec := appsv1alpha1.RolloutSpec{
		RolloutPolicy: appsv1alpha1.RolloutPolicy{TrafficAnalysis: d.Analysis, RolloutTimeoutSeconds: d.TimeoutSeconds, Suspend: d.Suspend},
		Stages:        d.Stages,
	}
	c := ConfigOf(&spec, selects)
	c.Strategy, c.Steps = Update, nil
	if d.Analysis != nil {
		c.Iterations = max(d.AnalysisTimes, 1)
	}
	return c
}

// canarySteps are the weights a canary goes through: stepWeights as
// given (capped at 100), or stepWeight, 2×stepWeight, ... up to maxWeight
// (default 100), the last step landing exactly on maxWeight.
func canarySteps(s *appsv1alpha1.CanaryConfig) []int {
	if len(s.StepWeights) > 0 {
		var out []int
		for _, w := range s.StepWeights {
			out = append(out, min(w, 100))
		}
		return out
	}
	maxW := s.MaxWeight
	if maxW <= 0 || maxW > 100 {
		maxW = 100
	}
	step := s.StepWeight
	if step <= 0 {
		step = maxW // admission refuses 0; a missing step goes straight to the max
	}
	var out []int
	for w := step; w < maxW; w += step {
		out = append(out, w)
	}
	return append(out, maxW)
}

// StageOf is the index of the first stage selecting the cluster.
func (c Config) StageOf(name string, labels map[string]string) int {
	for i, s := range c.Stages {
		if s.Selects(name, labels) {
			return i
		}
	}
	return len(c.Stages) - 1
}

// Revision names a pod template: the first 10 hex digits of the SHA-256 of
// its JSON (encoding/json sorts map keys, so equal templates hash alike).
func Revision(podTemplate any) string {
	data, _ := json.Marshal(podTemplate)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:10]
}

// StageSelector is a stage's cluster test: listed by name, or matching a
// non-empty clusterSelector. Controllers pass it to ConfigOf and
// DeliveryConfig; the error names the stage.
func StageSelector(s appsv1alpha1.RolloutStage) (func(name string, l map[string]string) bool, error) {
	var sel labels.Selector
	if s.ClusterSelector != nil {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(s.ClusterSelector); err != nil {
			return func(string, map[string]string) bool { return false }, fmt.Errorf("stage %s: clusterSelector: %w", s.Name, err)
		}
	}
	return func(name string, l map[string]string) bool {
		return slices.Contains(s.ClusterNames, name) || sel != nil && !sel.Empty() && sel.Matches(labels.Set(l))
	}, nil
}

// EmptyStages names the spec's stages (the first n of c.Stages) that
// select none of the clusters.
func (c Config) EmptyStages(clusters []Observed, n int) []string {
	used := map[int]bool{}
	for _, o := range clusters {
		used[c.StageOf(o.Name, o.Labels)] = true
	}
	var out []string
	for i := 0; i < n; i++ {
		if !used[i] {
			out = append(out, c.Stages[i].Name)
		}
	}
	return out
}
