package autoscale

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

const seedPolicy = `{
"name": "promo-scale-policy",
"targetClusters": ["north-cluster", "south-cluster"],
"trigger": {"type": "resource", "metric": "cpu", "threshold": 70, "duration": "5m"},
"action": {"type": "scale",
  "nodePool": {"name": "worker-pool", "minNodes": 2, "maxNodes": 5},
  "deployment": {"name": "order-service", "replicas": 30}}
}`

// policy decodes a ScalePolicy from JSON (the console's form or with spec)
// in namespace shop.
func policy(t testing.TB, js string) *v1alpha1.ScalePolicy {
	t.Helper()
	p := &v1alpha1.ScalePolicy{}
	if err := json.Unmarshal([]byte(js), p); err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	p.Namespace = "shop"
	return p
}

func TestResolveSeedPolicy(t *testing.T) {
	s, errs := Resolve(policy(t, seedPolicy), 1)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	if got := strings.Join(s.Clusters, ","); got != "north-cluster,south-cluster" {
		t.Errorf("clusters %s", got)
	}
	if s.Threshold != 70 || s.ScaleInThreshold != 70 {
		t.Errorf("thresholds %v/%v, want 70/70 (scale-in defaults to the threshold)", s.Threshold, s.ScaleInThreshold)
	}
	if s.Duration != 5*time.Minute || s.Interval != 30*time.Second || s.Cooldown != 5*time.Minute || s.RateWindow != time.Minute {
		t.Errorf("durations %v %v %v %v, want 5m 30s 5m 1m", s.Duration, s.Interval, s.Cooldown, s.RateWindow)
	}
	if s.Scope != v1alpha1.ScopeWorkload {
		t.Errorf("scope %s, want Workload: the action names a deployment", s.Scope)
	}
	if len(s.Workloads) != 1 || s.Workloads[0].Key() != "Deployment shop/order-service" || s.Workloads[0].APIVersion != "apps/v1" || s.Workloads[0].Replicas.IntValue() != 30 {
		t.Errorf("workloads %+v", s.Workloads)
	}
	if s.Pool == nil || s.Pool.Name != "worker-pool" || *s.Pool.MaxNodes != 5 {
		t.Errorf("pool %+v", s.Pool)
	}
	if !s.ScaleIn || s.Suspend || s.Schedule != nil {
		t.Errorf("scaleIn %v suspend %v schedule %v", s.ScaleIn, s.Suspend, s.Schedule)
	}
	w := s.Window()
	if w.Step != 30*time.Second || w.Duration != 5*time.Minute {
		t.Errorf("window %+v, want a 30s step over 5m", w)
	}
}

func TestResolveDefaultsAndTimeScale(t *testing.T) {
	cases := []struct {
		name  string
		js    string
		scale float64
		check func(t *testing.T, s Settings)
	}{
		{"a divisor of 20 shortens 5m to 15s, 30s to 1.5s, the rate window to its floor of 10s", seedPolicy, 20, func(t *testing.T, s Settings) {
			if s.Duration != 15*time.Second || s.Cooldown != 15*time.Second || s.Interval != 1500*time.Millisecond || s.RateWindow != 10*time.Second {
				t.Errorf("got %v %v %v %v", s.Duration, s.Cooldown, s.Interval, s.RateWindow)
			}
		}},
		{"a divisor of 0 means 1", seedPolicy, 0, func(t *testing.T, s Settings) {
			if s.Duration != 5*time.Minute {
				t.Errorf("duration %v", s.Duration)
			}
		}},
		{"the divisor shortens a cron trigger's duration but not its schedule", `{"trigger": {"type": "cron", "schedule": "0 8 * * *", "timeZone": "Asia/Shanghai", "duration": "2h"}, "action": {"deployment": {"name": "web", "replicas": "+5"}}}`, 20, func(t *testing.T, s Settings) {
			if s.Duration != 6*time.Minute || s.Schedule == nil || s.Schedule.String() != "0 8 * * * (Asia/Shanghai)" {
				t.Errorf("duration %v schedule %v", s.Duration, s.Schedule)
			}
		}},
		{"a cron trigger without duration stays scaled out (duration 0)", `{"trigger": {"type": "cron", "schedule": "@daily"}, "action": {"deployment": {"name": "web", "replicas": 3}}}`, 1, func(t *testing.T, s Settings) {
			if s.Duration != 0 || s.Threshold != 0 {
				t.Errorf("duration %v threshold %v", s.Duration, s.Threshold)
			}
		}},
		{"predictive defaults to a 24h season and three seasons of history", `{"trigger": {"type": "predictive", "metric": "cpu", "threshold": 70, "leadTime": "10m"}, "action": {"deployment": {"name": "web", "replicas": "150%"}}}`, 1, func(t *testing.T, s Settings) {
			if s.Season != 24*time.Hour || s.History != 72*time.Hour || s.LeadTime != 10*time.Minute || s.Duration != 5*time.Minute {
				t.Errorf("season %v history %v lead %v duration %v", s.Season, s.History, s.LeadTime, s.Duration)
			}
		}},
		{"predictive durations are divided too", `{"trigger": {"type": "predictive", "metric": "cpu", "threshold": 70, "leadTime": "10m", "season": "1h"}, "action": {"deployment": {"name": "web", "replicas": "150%"}}}`, 20, func(t *testing.T, s Settings) {
			if s.Season != 3*time.Minute || s.History != 9*time.Minute || s.LeadTime != 30*time.Second {
				t.Errorf("season %v history %v lead %v", s.Season, s.History, s.LeadTime)
			}
		}},
		{"only a node pool: the scope is Cluster", `{"trigger": {"type": "resource", "metric": "memory", "threshold": 80}, "action": {"nodePool": {"name": "worker-pool", "maxNodes": 5}}}`, 1, func(t *testing.T, s Settings) {
			if s.Scope != v1alpha1.ScopeCluster || len(s.Workloads) != 0 {
				t.Errorf("scope %s workloads %v", s.Scope, s.Workloads)
			}
		}},
		{"the spec form with workloads in other namespaces and kinds", `{"spec": {"trigger": {"type": "resource", "metric": "cpu", "threshold": 70, "scaleInThreshold": 40}, "scaleIn": "Disabled", "suspend": true,
			"action": {"deployment": {"name": "web", "replicas": 4}, "workloads": [{"kind": "StatefulSet", "name": "db", "namespace": "data", "replicas": "+1", "minReplicas": 1}]}}}`, 1, func(t *testing.T, s Settings) {
			if len(s.Workloads) != 2 || s.Workloads[1].Key() != "StatefulSet data/db" || s.Workloads[1].APIVersion != "apps/v1" {
				t.Errorf("workloads %+v", s.Workloads)
			}
			if s.ScaleInThreshold != 40 || s.ScaleIn || !s.Suspend {
				t.Errorf("scaleInThreshold %v scaleIn %v suspend %v", s.ScaleInThreshold, s.ScaleIn, s.Suspend)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, errs := Resolve(policy(t, c.js), c.scale)
			if len(errs) > 0 {
				t.Fatal(errs.ToAggregate())
			}
			c.check(t, s)
		})
	}
}

func TestResolveRefusesBadInput(t *testing.T) {
	act := `"action": {"deployment": {"name": "web", "replicas": 30}}`
	res := func(extra string) string {
		return `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70` + extra + `}, ` + act + `}`
	}
	cases := []struct {
		name string
		js   string
		want string
	}{
		{"threshold 101 is refused", res(`, "threshold": 101`), "trigger.threshold: Invalid value: 101: must be from 1 to 100"},
		{"threshold 0 is refused", res(`, "threshold": 0`), "trigger.threshold: Invalid value: 0: must be from 1 to 100"},
		{"under spec the path starts with spec", `{"spec": {"trigger": {"type": "resource", "metric": "cpu", "threshold": 150}, ` + act + `}}`, "spec.trigger.threshold: Invalid value: 150"},
		{"a missing threshold is refused", `{"trigger": {"type": "resource", "metric": "cpu"}, ` + act + `}`, "trigger.threshold: Required value: give the utilisation in percent"},
		{"a scale-in threshold above the threshold is refused", res(`, "scaleInThreshold": 80`), "trigger.scaleInThreshold: Invalid value: 80: must not exceed threshold (70)"},
		{"a duration below the evaluation interval is refused", `{"evaluationInterval": "1m", "trigger": {"type": "resource", "metric": "cpu", "threshold": 70, "duration": "30s"}, ` + act + `}`, "trigger.duration: Invalid value: \"30s\": must be at least the evaluation interval (1m)"},
		{"a zero evaluation interval is refused", `{"evaluationInterval": "0s", "trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, ` + act + `}`, "evaluationInterval: Invalid value: \"0s\": must be positive"},
		{"a negative cooldown is refused", `{"cooldown": "-1m", "trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, ` + act + `}`, "cooldown: Invalid value: \"-1m\": must not be negative"},
		{"an unknown metric is refused", `{"trigger": {"type": "resource", "metric": "gpu", "threshold": 70}, ` + act + `}`, `trigger.metric: Unsupported value: "gpu": supported values: "cpu", "memory"`},
		{"an unknown trigger type is refused", `{"trigger": {"type": "webhook"}, ` + act + `}`, `trigger.type: Unsupported value: "webhook"`},
		{"minNodes above maxNodes is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"nodePool": {"name": "worker-pool", "minNodes": 6, "maxNodes": 5}}}`, "action.nodePool.minNodes: Invalid value: 6: must not exceed maxNodes (5)"},
		{"a pool without a name is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"nodePool": {"maxNodes": 5}}}`, "action.nodePool.name: Required value"},
		{"negative replicas are refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"deployment": {"name": "web", "replicas": -3}}}`, "action.deployment.replicas: Invalid value: \"-3\": replicas -3 is negative"},
		{"a percentage over 1000% is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"deployment": {"name": "web", "replicas": "2000%"}}}`, `action.deployment.replicas: Invalid value: "2000%": replicas "2000%" is over 1000%`},
		{"replicas in words are refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"workloads": [{"name": "web", "replicas": "lots"}]}}`, `action.workloads[0].replicas: Invalid value: "lots"`},
		{"negative minReplicas are refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"deployment": {"name": "web", "replicas": 3, "minReplicas": -1}}}`, "action.deployment.minReplicas: Invalid value: -1: must not be negative"},
		{"the same workload twice is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"deployment": {"name": "web", "replicas": 3}, "workloads": [{"name": "web", "replicas": 4}]}}`, `action.workloads[0]: Duplicate value: "Deployment shop/web"`},
		{"a DaemonSet is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"workloads": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "replicas": 3}]}}`, "action.workloads[0].kind: Invalid value: \"DaemonSet\": a DaemonSet runs one pod per node"},
		{"a custom kind without apiVersion is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"workloads": [{"kind": "CloneSet", "name": "web", "replicas": 3}]}}`, "action.workloads[0].apiVersion: Required value: give the apiVersion of kind CloneSet"},
		{"scope Workload without workloads is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70, "scope": "Workload"}, "action": {"nodePool": {"name": "p", "maxNodes": 3}}}`, "trigger.scope: Invalid value: \"Workload\": scope Workload reads the action's workloads' pods, but the action names none"},
		{"a cron expression that does not parse is refused", `{"trigger": {"type": "cron", "schedule": "every day at 8"}, ` + act + `}`, `trigger.schedule: Invalid value: "every day at 8": schedule "every day at 8" does not parse`},
		{"a time zone that does not exist is refused", `{"trigger": {"type": "cron", "schedule": "0 8 * * *", "timeZone": "Asia/Beijing"}, ` + act + `}`, `trigger.timeZone: Invalid value: "Asia/Beijing": time zone "Asia/Beijing" is not an IANA time zone name`},
		{"a cron trigger without schedule is refused", `{"trigger": {"type": "cron"}, ` + act + `}`, "trigger.schedule: Required value"},
		{"no trigger is refused with an example", `{` + act + `}`, `trigger: Required value: give when to scale, for example {"type": "resource"`},
		{"no action is refused with an example", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}}`, `action: Required value: give what to change`},
		{"an action that changes nothing is refused", `{"trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, "action": {"type": "scale"}}`, "action: Required value: an action changes something"},
		{"predictive without leadTime is refused", `{"trigger": {"type": "predictive", "metric": "cpu", "threshold": 70}, ` + act + `}`, "trigger.leadTime: Required value: give how long before the forecast crossing to scale out"},
		{"a history shorter than two seasons is refused", `{"trigger": {"type": "predictive", "metric": "cpu", "threshold": 70, "leadTime": "10m", "season": "1h", "history": "90m"}, ` + act + `}`, `trigger.history: Invalid value: "1h30m": must cover at least two seasons (2h)`},
		{"a lead time longer than the season is refused", `{"trigger": {"type": "predictive", "metric": "cpu", "threshold": 70, "leadTime": "2h", "season": "1h"}, ` + act + `}`, `trigger.leadTime: Invalid value: "2h": must not exceed the season (1h)`},
		{"an empty target cluster name is refused", `{"targetClusters": ["north", ""], "trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, ` + act + `}`, "targetClusters[1]: Invalid value: \"\": must name a member cluster"},
		{"a target cluster twice is refused", `{"targetClusters": ["north", "north"], "trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, ` + act + `}`, `targetClusters[1]: Duplicate value: "north"`},
		{"an unknown scaleIn is refused", `{"scaleIn": "Sometimes", "trigger": {"type": "resource", "metric": "cpu", "threshold": 70}, ` + act + `}`, `scaleIn: Unsupported value: "Sometimes"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := Resolve(policy(t, c.js), 1)
			if len(errs) == 0 {
				t.Fatal("accepted")
			}
			got := errs.ToAggregate().Error()
			if !strings.Contains(got, c.want) {
				t.Errorf("errors\n  %s\nwant one containing\n  %s", got, c.want)
			}
		})
	}
}

func FuzzResolve(f *testing.F) {
	f.Add(seedPolicy)
	f.Add(`{"spec": {"trigger": {"type": "cron", "schedule": "*/5 * * * *", "timeZone": "Asia/Shanghai", "duration": "1m"}, "action": {"deployment": {"name": "w", "replicas": "+30%"}}}}`)
	f.Add(`{"trigger": {"type": "predictive", "metric": "cpu", "threshold": 70, "leadTime": "10m", "season": "1h", "history": "3h"}, "action": {"nodePool": {"name": "p", "minNodes": 1, "maxNodes": 3}}}`)
	f.Fuzz(func(t *testing.T, js string) {
		p := &v1alpha1.ScalePolicy{}
		if json.Unmarshal([]byte(js), p) != nil {
			return
		}
		s, errs := Resolve(p, 20)
		if len(errs) > 0 {
			return
		}
		// Whatever is accepted is usable: thresholds in range, a window the
		// interval fits in, replicas that compute.
		if s.Trigger.Type != v1alpha1.TriggerCron {
			if s.Threshold < 1 || s.Threshold > 100 || s.ScaleInThreshold > s.Threshold || s.Duration < s.Interval {
				t.Fatalf("accepted %+v", s)
			}
		} else if s.Schedule == nil {
			t.Fatal("cron without schedule accepted")
		}
		for _, w := range s.Workloads {
			if _, err := ScaleOutReplicas(w.Replicas, 20); err != nil {
				t.Fatalf("accepted replicas %s: %v", w.Replicas.String(), err)
			}
		}
		if s.Pool != nil && s.Pool.MinNodes != nil && s.Pool.MaxNodes != nil && *s.Pool.MinNodes > *s.Pool.MaxNodes {
			t.Fatal("minNodes > maxNodes accepted")
		}
	})
}
