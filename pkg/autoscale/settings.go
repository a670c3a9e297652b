package autoscale

import (
	"fmt"
	"math"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// Defaults of a ScalePolicy's spec (before the time scale divides them).
const (
	DefaultCooldown   = 5 * time.Minute
	DefaultInterval   = 30 * time.Second
	DefaultDuration   = 5 * time.Minute
	DefaultSeason     = 24 * time.Hour
	DefaultSeasons    = 3 // history, in seasons
	MinHistorySeasons = 2
	// DefaultRateWindow is the range of rate() over the cpu counters.
	DefaultRateWindow = time.Minute
	// MinRateWindow bounds the rate window a time scale shortens: rate()
	// needs a few scrapes in its range.
	MinRateWindow = 10 * time.Second
)

// Settings is a policy's resolved spec: defaults filled in, durations
// divided by the time scale, the workloads listed once, the schedule parsed.
type Settings struct {
	// Trigger is the spec's trigger as written (Metric, Query, Prometheus,
	// Schedule, TimeZone are read from it).
	Trigger v1alpha1.ScaleTrigger
	// Threshold and ScaleInThreshold in percent; 0 for cron.
	Threshold, ScaleInThreshold float64
	// Duration: the window of a resource or predictive trigger; for cron how
	// long the scale-out lasts (0: until changed).
	Duration time.Duration
	// Interval is the evaluation interval, Cooldown the least time between
	// a scale-out and the scale-in.
	Interval, Cooldown time.Duration
	// LeadTime, Season and History: predictive only.
	LeadTime, Season, History time.Duration
	// RateWindow is the range of rate() in the built-in cpu queries.
	RateWindow time.Duration
	// Scope is whose utilisation is read (resource and predictive).
	Scope v1alpha1.MetricScope
	// Clusters are the target clusters as written, without duplicates.
	// Empty: the controller uses the clusters the workloads are placed in.
	Clusters []string
	// Workloads are action.deployment then action.workloads, defaulted.
	Workloads []Workload
	// Pool is the node pool action (nil: none).
	Pool *v1alpha1.NodePoolAction
	// ScaleIn is false when spec.scaleIn is Disabled.
	ScaleIn bool
	// Suspend is spec.suspend.
	Suspend bool
	// Schedule is the parsed schedule of a cron trigger (nil otherwise).
	Schedule *Schedule
}

// Window is the window Judge applies for these settings, with a step of a
// tenth of the duration (at least 1s) so a window holds about ten samples.
func (s Settings) Window() Window {
	step := s.Duration / 10
	if step < time.Second {
		step = min(time.Second, s.Duration)
	}
	return Window{Threshold: s.Threshold, ScaleInThreshold: s.ScaleInThreshold, Duration: s.Duration, Step: step}
}

// Workload is one workload an action scales, defaulted.
type Workload struct {
	APIVersion, Kind, Namespace, Name string
	Replicas                          intstr.IntOrString
	MinReplicas                       *int32
}

// Key names the workload in maps and messages: "Deployment default/order-service".
func (w Workload) Key() string { return w.Kind + " " + w.Namespace + "/" + w.Name }

// Resolve reads a policy's spec (under spec or at the top level, the
// console's form) into Settings, or says what is wrong. Errors name the
// field as the user wrote it (spec.trigger.threshold or trigger.threshold)
// and what to give instead. timeScale divides every duration of the spec
// (the manager's --scale-time-divisor; values <= 0 mean 1) but not the cron
// schedule, whose times are wall-clock times.
func Resolve(p *v1alpha1.ScalePolicy, timeScale float64) (Settings, field.ErrorList) {
	var errs field.ErrorList
	spec := p.Resolved()
	root := (*field.Path)(nil)
	if p.Spec != nil {
		root = field.NewPath("spec")
	}
	child := func(name string) *field.Path {
		if root == nil {
			return field.NewPath(name)
		}
		return root.Child(name)
	}
	if timeScale <= 0 || math.IsNaN(timeScale) || math.IsInf(timeScale, 0) {
		timeScale = 1
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) / timeScale) }

	s := Settings{Suspend: spec.Suspend, ScaleIn: true}

	// Interval and cooldown first: the trigger's duration is checked
	// against the interval.
	interval := DefaultInterval
	if spec.EvaluationInterval != nil {
		interval = spec.EvaluationInterval.Duration
		if interval <= 0 {
			errs = append(errs, field.Invalid(child("evaluationInterval"), formatDuration(spec.EvaluationInterval.Duration),
				"must be positive: how often the trigger is evaluated, for example 30s"))
			interval = DefaultInterval
		}
	}
	cooldown := DefaultCooldown
	if spec.Cooldown != nil {
		cooldown = spec.Cooldown.Duration
		if cooldown < 0 {
			errs = append(errs, field.Invalid(child("cooldown"), formatDuration(cooldown),
				"must not be negative: the least time between a scale-out and the scale-in, for example 5m (0 for none)"))
			cooldown = 0
		}
	}
	switch spec.ScaleIn {
	case "", "Enabled":
	case "Disabled":
		s.ScaleIn = false
	default:
		errs = append(errs, field.NotSupported(child("scaleIn"), spec.ScaleIn, []string{"Enabled", "Disabled"}))
	}

	// Targets.
	seen := map[string]bool{}
	for i, c := range spec.TargetClusters {
		switch {
		case c == "":
			errs = append(errs, field.Invalid(child("targetClusters").Index(i), c,
				"must name a member cluster (an AttachedCluster), for example north-cluster"))
		case seen[c]:
			errs = append(errs, field.Duplicate(child("targetClusters").Index(i), c))
		default:
			seen[c] = true
			s.Clusters = append(s.Clusters, c)
		}
	}

	// Action.
	if spec.Action == nil {
		errs = append(errs, field.Required(child("action"),
			`give what to change, for example {"type": "scale", "deployment": {"name": "order-service", "replicas": 30}, "nodePool": {"name": "worker-pool", "minNodes": 2, "maxNodes": 5}}`))
	} else {
		errs = append(errs, resolveAction(&s, spec.Action, child("action"), p.Namespace)...)
	}

	// Trigger.
	if spec.Trigger == nil {
		errs = append(errs, field.Required(child("trigger"),
			`give when to scale, for example {"type": "resource", "metric": "cpu", "threshold": 70, "duration": "5m"}`))
	} else {
		errs = append(errs, resolveTrigger(&s, *spec.Trigger, child("trigger"), interval)...)
	}

	s.Interval = scale(interval)
	s.Cooldown = scale(cooldown)
	s.Duration = scale(s.Duration)
	s.LeadTime = scale(s.LeadTime)
	s.Season = scale(s.Season)
	s.History = scale(s.History)
	s.RateWindow = max(scale(DefaultRateWindow), MinRateWindow)
	return s, errs
}

func resolveAction(s *Settings, a *v1alpha1.ScaleAction, path *field.Path, policyNamespace string) field.ErrorList {
	var errs field.ErrorList
	if a.Type != "" && a.Type != "scale" {
		errs = append(errs, field.NotSupported(path.Child("type"), a.Type, []string{"scale"}))
	}
	keys := map[string]bool{}
	add := func(w v1alpha1.WorkloadAction, p *field.Path) {
		wl, werrs := resolveWorkload(w, p, policyNamespace)
		errs = append(errs, werrs...)
		if len(werrs) > 0 {
			return
		}
		if keys[wl.Key()] {
			errs = append(errs, field.Duplicate(p, wl.Key()))
			return
		}
		keys[wl.Key()] = true
		s.Workloads = append(s.Workloads, wl)
	}
	if a.Deployment != nil {
		d := *a.Deployment
		p := path.Child("deployment")
		if d.Kind != "" && d.Kind != "Deployment" {
			errs = append(errs, field.Invalid(p.Child("kind"), d.Kind,
				"action.deployment scales a Deployment: leave kind out, or list the workload under workloads"))
		}
		d.Kind = "Deployment"
		add(d, p)
	}
	for i, w := range a.Workloads {
		add(w, path.Child("workloads").Index(i))
	}
	if a.NodePool != nil {
		np := *a.NodePool
		p := path.Child("nodePool")
		if np.Name == "" {
			errs = append(errs, field.Required(p.Child("name"),
				"name the node pool (a NodePool's spec.poolName in each target cluster), for example worker-pool"))
		}
		if np.MinNodes != nil && *np.MinNodes < 0 {
			errs = append(errs, field.Invalid(p.Child("minNodes"), *np.MinNodes, "must not be negative: the pool's size after the scale-in, for example 2"))
		}
		if np.MaxNodes != nil && (*np.MaxNodes < 0 || *np.MaxNodes > 1000) {
			errs = append(errs, field.Invalid(p.Child("maxNodes"), *np.MaxNodes, "must be from 0 to 1000: the pool's size on the scale-out, for example 5"))
		}
		if np.MinNodes != nil && np.MaxNodes != nil && *np.MinNodes > *np.MaxNodes {
			errs = append(errs, field.Invalid(p.Child("minNodes"), *np.MinNodes,
				fmt.Sprintf("must not exceed maxNodes (%d): the pool shrinks to minNodes and grows to maxNodes; lower minNodes or raise maxNodes", *np.MaxNodes)))
		}
		s.Pool = &np
	}
	if len(s.Workloads) == 0 && s.Pool == nil && len(errs) == 0 {
		errs = append(errs, field.Required(path,
			`an action changes something: give deployment {"name": "order-service", "replicas": 30}, workloads, or nodePool {"name": "worker-pool", "maxNodes": 5}`))
	}
	return errs
}

// scalableKinds default their apiVersion to apps/v1.
var scalableKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "ReplicaSet": true}

func resolveWorkload(w v1alpha1.WorkloadAction, p *field.Path, policyNamespace string) (Workload, field.ErrorList) {
	var errs field.ErrorList
	wl := Workload{APIVersion: w.APIVersion, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name,
		Replicas: w.Replicas, MinReplicas: w.MinReplicas}
	if wl.Kind == "" {
		wl.Kind = "Deployment"
	}
	if wl.APIVersion == "" {
		if scalableKinds[wl.Kind] {
			wl.APIVersion = "apps/v1"
		} else {
			errs = append(errs, field.Required(p.Child("apiVersion"),
				fmt.Sprintf("give the apiVersion of kind %s (apps/v1 is assumed only for Deployment, StatefulSet and ReplicaSet)", wl.Kind)))
		}
	}
	if wl.Kind == "DaemonSet" {
		errs = append(errs, field.Invalid(p.Child("kind"), wl.Kind, "a DaemonSet runs one pod per node and has no replicas to scale: scale a Deployment or StatefulSet, or grow the node pool"))
	}
	if wl.Namespace == "" {
		wl.Namespace = policyNamespace
	}
	if wl.Namespace == "" {
		wl.Namespace = metav1.NamespaceDefault
	}
	if wl.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "name the workload, for example order-service"))
	}
	if _, err := parseReplicas(w.Replicas); err != nil {
		errs = append(errs, field.Invalid(p.Child("replicas"), w.Replicas.String(), err.Error()))
	}
	if w.MinReplicas != nil && *w.MinReplicas < 0 {
		errs = append(errs, field.Invalid(p.Child("minReplicas"), *w.MinReplicas,
			"must not be negative: the replicas to scale in to, for example 20 (leave it out to go back to the size before the scale-out)"))
	}
	return wl, errs
}

func resolveTrigger(s *Settings, t v1alpha1.ScaleTrigger, path *field.Path, interval time.Duration) field.ErrorList {
	var errs field.ErrorList
	s.Trigger = t
	switch t.Type {
	case v1alpha1.TriggerResource, v1alpha1.TriggerPredictive, v1alpha1.TriggerCron:
	case "":
		return append(errs, field.Required(path.Child("type"), "give resource, cron or predictive"))
	default:
		return append(errs, field.NotSupported(path.Child("type"), string(t.Type),
			[]string{string(v1alpha1.TriggerResource), string(v1alpha1.TriggerCron), string(v1alpha1.TriggerPredictive)}))
	}

	if t.Duration != nil {
		d := t.Duration.Duration
		switch {
		case d <= 0:
			errs = append(errs, field.Invalid(path.Child("duration"), formatDuration(d), "must be positive, for example 5m"))
		case d < interval:
			errs = append(errs, field.Invalid(path.Child("duration"), formatDuration(d),
				fmt.Sprintf("must be at least the evaluation interval (%s): a shorter window is never judged whole; raise duration or lower evaluationInterval", formatDuration(interval))))
		default:
			s.Duration = d
		}
	} else if t.Type != v1alpha1.TriggerCron {
		s.Duration = DefaultDuration
		if s.Duration < interval {
			errs = append(errs, field.Invalid(path.Child("duration"), nil,
				fmt.Sprintf("the default duration (%s) is below the evaluation interval (%s): give a duration of at least %s", formatDuration(DefaultDuration), formatDuration(interval), formatDuration(interval))))
		}
	}

	if t.Type == v1alpha1.TriggerCron {
		if t.Schedule == "" {
			errs = append(errs, field.Required(path.Child("schedule"), `give a cron expression such as "0 8 * * 1-5" (08:00 Monday to Friday) or @daily`))
			return errs
		}
		sched, err := ParseSchedule(t.Schedule, "")
		if err != nil {
			errs = append(errs, field.Invalid(path.Child("schedule"), t.Schedule, err.Error()))
			return errs
		}
		if t.TimeZone != "" {
			sched, err = ParseSchedule(t.Schedule, t.TimeZone)
			if err != nil {
				errs = append(errs, field.Invalid(path.Child("timeZone"), t.TimeZone, err.Error()))
				return errs
			}
		}
		s.Schedule = sched
		return errs
	}

	// resource and predictive
	switch t.Metric {
	case "cpu", "memory":
	case "":
		errs = append(errs, field.Required(path.Child("metric"), "give cpu or memory"))
	default:
		errs = append(errs, field.NotSupported(path.Child("metric"), t.Metric, []string{"cpu", "memory"}))
	}
	if t.Threshold == nil {
		errs = append(errs, field.Required(path.Child("threshold"), "give the utilisation in percent above which to scale out, from 1 to 100, for example 70"))
	} else if *t.Threshold < 1 || *t.Threshold > 100 {
		errs = append(errs, field.Invalid(path.Child("threshold"), *t.Threshold,
			"must be from 1 to 100: a utilisation in percent of what the pods request (or the nodes can allocate), for example 70"))
	} else {
		s.Threshold = float64(*t.Threshold)
		s.ScaleInThreshold = s.Threshold
	}
	if t.ScaleInThreshold != nil {
		v := *t.ScaleInThreshold
		switch {
		case v < 0 || v > 100:
			errs = append(errs, field.Invalid(path.Child("scaleInThreshold"), v,
				"must be from 0 to 100: the utilisation in percent below which the condition has cleared, for example 50"))
		case t.Threshold != nil && v > *t.Threshold:
			errs = append(errs, field.Invalid(path.Child("scaleInThreshold"), v,
				fmt.Sprintf("must not exceed threshold (%d): a value between them would be both above and below; lower scaleInThreshold or leave it out", *t.Threshold)))
		default:
			s.ScaleInThreshold = float64(v)
		}
	}
	switch t.Scope {
	case "":
		s.Scope = v1alpha1.ScopeCluster
		if len(s.Workloads) > 0 {
			s.Scope = v1alpha1.ScopeWorkload
		}
	case v1alpha1.ScopeWorkload:
		s.Scope = t.Scope
		if len(s.Workloads) == 0 {
			errs = append(errs, field.Invalid(path.Child("scope"), string(t.Scope),
				"scope Workload reads the action's workloads' pods, but the action names none: give action.deployment or action.workloads, or use scope Cluster"))
		}
	case v1alpha1.ScopeCluster:
		s.Scope = t.Scope
	default:
		errs = append(errs, field.NotSupported(path.Child("scope"), string(t.Scope),
			[]string{string(v1alpha1.ScopeWorkload), string(v1alpha1.ScopeCluster)}))
	}

	if t.Type != v1alpha1.TriggerPredictive {
		return errs
	}
	s.Season = DefaultSeason
	if t.Season != nil {
		if t.Season.Duration <= 0 {
			errs = append(errs, field.Invalid(path.Child("season"), formatDuration(t.Season.Duration), "must be positive: the length of the metric's cycle, for example 24h"))
		} else {
			s.Season = t.Season.Duration
		}
	}
	s.History = DefaultSeasons * s.Season
	if t.History != nil {
		h := t.History.Duration
		if h < MinHistorySeasons*s.Season {
			errs = append(errs, field.Invalid(path.Child("history"), formatDuration(h),
				fmt.Sprintf("must cover at least two seasons (%s): the seasonal model learns the cycle from one season and checks it on the next; raise history or leave it out for three seasons", formatDuration(MinHistorySeasons*s.Season))))
		} else {
			s.History = h
		}
	}
	switch {
	case t.LeadTime == nil:
		errs = append(errs, field.Required(path.Child("leadTime"), "give how long before the forecast crossing to scale out, for example 10m"))
	case t.LeadTime.Duration <= 0:
		errs = append(errs, field.Invalid(path.Child("leadTime"), formatDuration(t.LeadTime.Duration), "must be positive, for example 10m"))
	case t.LeadTime.Duration > s.Season:
		errs = append(errs, field.Invalid(path.Child("leadTime"), formatDuration(t.LeadTime.Duration),
			fmt.Sprintf("must not exceed the season (%s): the forecast looks one season ahead", formatDuration(s.Season))))
	default:
		s.LeadTime = t.LeadTime.Duration
	}
	return errs
}

// TargetClusters is the clusters a cycle evaluates: the settings' clusters
// if the policy names any, else the clusters observed, sorted.
func (s Settings) TargetClusters(observed map[string]WindowResult) []string {
	if len(s.Clusters) > 0 {
		return s.Clusters
	}
	out := make([]string, 0, len(observed))
	for c := range observed {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
