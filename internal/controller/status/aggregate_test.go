package status

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	kstatus "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

var (
	deployment  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	statefulSet = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	replicaSet  = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	daemonSet   = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	job         = schema.GroupKind{Group: "batch", Kind: "Job"}
	pod         = schema.GroupKind{Kind: "Pod"}

	now = metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
)

func item(cluster string, status map[string]any) workv1alpha1.AggregatedStatusItem {
	it := workv1alpha1.AggregatedStatusItem{ClusterName: cluster, Applied: true}
	if status != nil {
		raw, _ := json.Marshal(status)
		it.Status = &runtime.RawExtension{Raw: raw}
	}
	return it
}

func items(pairs ...any) []workv1alpha1.AggregatedStatusItem {
	var out []workv1alpha1.AggregatedStatusItem
	for i := 0; i < len(pairs); i += 2 {
		st, _ := pairs[i+1].(map[string]any)
		out = append(out, item(pairs[i].(string), st))
	}
	return out
}

func cond(typ, status, reason, message string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": message,
		"lastTransitionTime": "2026-12-01T09:00:00Z", "lastUpdateTime": "2026-12-01T09:00:00Z"}
}

var (
	availableTrue  = cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
	availableFalse = cond("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
	progressedTrue = cond("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "web-1" has successfully progressed.`)
	updatingTrue   = cond("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "web-2" is progressing.`)
	deadlineFalse  = cond("Progressing", "False", "ProgressDeadlineExceeded", `ReplicaSet "web-2" has timed out progressing.`)
	quotaFailure   = cond("ReplicaFailure", "True", "FailedCreate", `pods "web-2-x" is forbidden: exceeded quota`)
)

// deploy is a member Deployment's collected status: its generation, the
// generation its controller observed, its spec.replicas and counters.
func deploy(gen, observed, want, replicas, updated, ready, available int64, conds ...map[string]any) map[string]any {
	st := map[string]any{
		GenerationKey: gen, "observedGeneration": observed, SpecReplicasKey: want,
		"replicas": replicas, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
	}
	if u := replicas - available; u > 0 {
		st["unavailableReplicas"] = u
	}
	var cs []any
	for _, c := range conds {
		cs = append(cs, c)
	}
	if cs != nil {
		st["conditions"] = cs
	}
	return st
}

// stamped marks a collected status as collected after the apply of Work
// generation gen.
func stamped(st map[string]any, gen int64) map[string]any {
	st[AppliedGenerationKey] = gen
	return st
}

// done is a member Deployment rolled out at n replicas at generation gen.
func done(gen, n int64) map[string]any {
	return deploy(gen, gen, n, n, n, n, n, availableTrue, progressedTrue)
}

// hubObject is the hub template with status st, as the tools read it.
func hubObject(t Template, st map[string]any) *unstructured.Unstructured {
	apiVersion := "apps/v1"
	switch t.Kind.Group {
	case "batch":
		apiVersion = "batch/v1"
	case "":
		apiVersion = "v1"
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion, "kind": t.Kind.Kind,
		"metadata": map[string]any{"name": "web", "namespace": "default", "generation": t.Generation},
	}}
	if t.Spec != nil {
		u.Object["spec"] = runtime.DeepCopyJSON(t.Spec)
	}
	if st != nil {
		u.Object["status"] = st
	}
	return u
}

// rolloutStatus is kubectl rollout status's verdict on a hub object (the
// rules of k8s.io/kubectl/pkg/polymorphichelpers, restated), which Argo CD's
// health of Deployments, StatefulSets and DaemonSets follows too. err is
// set when kubectl gives up (a progress deadline passed).
func rolloutStatus(u *unstructured.Unstructured) (doneRolling bool, err error) {
	gen := u.GetGeneration()
	n := func(path ...string) int64 {
		v, _, _ := unstructured.NestedInt64(u.Object, path...)
		return v
	}
	spec := int64(1)
	if r, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); found {
		spec = r
	}
	og := n("status", "observedGeneration")
	switch u.GetKind() {
	case "Deployment":
		if gen > og {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m := c.(map[string]any); m["type"] == "Progressing" && m["reason"] == "ProgressDeadlineExceeded" {
				return false, fmt.Errorf("deployment exceeded its progress deadline")
			}
		}
		updated := n("status", "updatedReplicas")
		return updated >= spec && n("status", "replicas") <= updated && n("status", "availableReplicas") >= updated, nil
	case "StatefulSet":
		if og == 0 || gen > og || n("status", "readyReplicas") < spec {
			return false, nil
		}
		if partition, found, _ := unstructured.NestedInt64(u.Object, "spec", "updateStrategy", "rollingUpdate", "partition"); found {
			return n("status", "updatedReplicas") >= spec-partition, nil
		}
		cur, _, _ := unstructured.NestedString(u.Object, "status", "currentRevision")
		upd, _, _ := unstructured.NestedString(u.Object, "status", "updateRevision")
		return cur == upd, nil
	case "DaemonSet":
		desired := n("status", "desiredNumberScheduled")
		return gen <= og && n("status", "updatedNumberScheduled") >= desired && n("status", "numberAvailable") >= desired, nil
	}
	return false, fmt.Errorf("no rollout status for %s", u.GetKind())
}

// view picks from an aggregated status the fields a case names: counters
// and strings by name, a condition as "conditions.TYPE" -> "STATUS REASON".
func view(st map[string]any, keys map[string]any) map[string]any {
	out := map[string]any{}
	for k := range keys {
		if typ, isCond := strings.CutPrefix(k, "conditions."); isCond {
			out[k] = nil
			conds, _, _ := unstructured.NestedSlice(st, "conditions")
			for _, c := range conds {
				if m := c.(map[string]any); m["type"] == typ {
					out[k] = fmt.Sprintf("%s %s", m["status"], m["reason"])
				}
			}
			continue
		}
		out[k] = st[k]
	}
	return out
}

func conditionMessage(st map[string]any, typ string) string {
	conds, _, _ := unstructured.NestedSlice(st, "conditions")
	for _, c := range conds {
		if m := c.(map[string]any); m["type"] == typ {
			s, _ := m["message"].(string)
			return s
		}
	}
	return ""
}

type workloadCase struct {
	name string
	t    Template
	in   []workv1alpha1.AggregatedStatusItem
	// want lists fields of the result (see view); nil means absent.
	want map[string]any
	// kstatus is kstatus's verdict on the hub object (what Helm 4 --wait
	// and Flux wait for: Current).
	kstatus kstatus.Status
	// rolledOut is kubectl rollout status's (and Argo CD's) verdict.
	rolledOut bool
	// message, if set, is in the message of condition messageOf.
	messageOf, message string
}

func runWorkloadCases(t *testing.T, cases []workloadCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.t.Now.IsZero() {
				tc.t.Now = now
			}
			got, ok := Aggregate(tc.t, tc.in)
			if !ok {
				t.Fatalf("%s not aggregated", tc.t.Kind)
			}
			if v := view(got, tc.want); !reflect.DeepEqual(v, tc.want) {
				t.Errorf("fields\n got %v\nwant %v\nstatus %v", v, tc.want, got)
			}
			u := hubObject(tc.t, got)
			res, err := kstatus.Compute(u)
			if err != nil {
				t.Fatalf("kstatus: %v", err)
			}
			if res.Status != tc.kstatus {
				t.Errorf("kstatus says %s (%s), want %s", res.Status, res.Message, tc.kstatus)
			}
			if tc.t.Kind != job {
				rolled, _ := rolloutStatus(u)
				if rolled != tc.rolledOut {
					t.Errorf("kubectl rollout status done=%v, want %v", rolled, tc.rolledOut)
				}
			}
			if tc.message != "" && !strings.Contains(conditionMessage(got, tc.messageOf), tc.message) {
				t.Errorf("%s message %q does not say %q", tc.messageOf, conditionMessage(got, tc.messageOf), tc.message)
			}
			assertValidForAPI(t, tc.t.Kind, got)
			// The hub stores what was written; aggregating again from it
			// must change nothing, or every reconcile would write.
			again := tc.t
			again.Status = got
			again.Now = metav1.NewTime(now.Add(time.Hour))
			if next, _ := Aggregate(again, tc.in); !equality.Semantic.DeepEqual(next, got) {
				t.Errorf("aggregating again from the written status changes it:\n got %v\nthen %v", got, next)
			}
		})
	}
}

// assertValidForAPI checks the invariants the hub's API server enforces on
// status updates of these kinds (k8s apps validation), and that the status
// reads back as its typed form unchanged.
func assertValidForAPI(t *testing.T, gk schema.GroupKind, st map[string]any) {
	t.Helper()
	var typed any
	switch gk {
	case deployment:
		var s appsv1.DeploymentStatus
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(st, &s); err != nil {
			t.Fatal(err)
		}
		if s.UpdatedReplicas > s.Replicas || s.ReadyReplicas > s.Replicas || s.AvailableReplicas > s.ReadyReplicas {
			t.Errorf("the API refuses %+v", s)
		}
		typed = &s
	case statefulSet:
		var s appsv1.StatefulSetStatus
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(st, &s); err != nil {
			t.Fatal(err)
		}
		if s.UpdatedReplicas > s.Replicas || s.CurrentReplicas > s.Replicas || s.ReadyReplicas > s.Replicas || s.AvailableReplicas > s.ReadyReplicas {
			t.Errorf("the API refuses %+v", s)
		}
		typed = &s
	case replicaSet:
		var s appsv1.ReplicaSetStatus
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(st, &s); err != nil {
			t.Fatal(err)
		}
		if s.FullyLabeledReplicas > s.Replicas || s.ReadyReplicas > s.Replicas || s.AvailableReplicas > s.ReadyReplicas {
			t.Errorf("the API refuses %+v", s)
		}
		typed = &s
	default:
		return
	}
	back, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(back, st) {
		t.Errorf("the typed status reads back differently:\n wrote %v\n reads %v", st, back)
	}
}

func spec(replicas int64) map[string]any { return map[string]any{"replicas": replicas} }

// deploySpec is a Deployment spec as the hub's API server defaults it: a
// progress deadline, so kstatus reads the Progressing condition.
func deploySpec(replicas int64) map[string]any {
	return map[string]any{"replicas": replicas, "progressDeadlineSeconds": int64(600)}
}

func TestAggregateDeployment(t *testing.T) {
	divided := func(replicas int64) Template {
		return Template{Kind: deployment, Generation: 2, BindingGeneration: 2, Spec: deploySpec(replicas)}
	}
	duplicated := func(replicas int64) Template {
		t := divided(replicas)
		t.Duplicated = true
		return t
	}
	withStatus := func(t Template, st map[string]any) Template { t.Status = st; return t }
	withWorks := func(t Template, w map[string]WorkState) Template { t.Works = w; return t }
	runWorkloadCases(t, []workloadCase{
		{
			name: "divided 2+1 of 3 rolled out in both clusters: sums equal spec, Available and NewReplicaSetAvailable, every tool done",
			t:    divided(3),
			in:   items("hangzhou", done(2, 2), "shanghai", done(5, 1)),
			want: map[string]any{"replicas": int64(3), "updatedReplicas": int64(3), "readyReplicas": int64(3), "availableReplicas": int64(3),
				"observedGeneration": int64(2), "conditions.Available": "True MinimumReplicasAvailable", "conditions.Progressing": "True NewReplicaSetAvailable"},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
			messageOf: "Progressing", message: "all 2 target clusters (hangzhou, shanghai)",
		},
		{
			name: "divided, shanghai rolling 1 of 2 updated: Progressing names shanghai, every tool waits",
			t:    divided(4),
			in:   items("hangzhou", done(2, 2), "shanghai", deploy(2, 2, 2, 3, 1, 2, 2, availableTrue, updatingTrue)),
			want: map[string]any{"replicas": int64(5), "updatedReplicas": int64(3), "availableReplicas": int64(4),
				"conditions.Available": "True MinimumReplicasAvailable", "conditions.Progressing": "True ReplicaSetUpdated"},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "Progressing", message: "cluster shanghai",
		},
		{
			name: "divided, shanghai has not observed its new generation: observedGeneration stays at the old one",
			t:    withStatus(divided(3), map[string]any{"observedGeneration": int64(1)}),
			in:   items("hangzhou", done(2, 2), "shanghai", deploy(3, 2, 1, 1, 1, 1, 1, availableTrue, progressedTrue)),
			want: map[string]any{"observedGeneration": int64(1), "replicas": int64(3),
				"conditions.Progressing": "True " + ReasonMemberGenerationNotObserved},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "Progressing", message: "cluster shanghai: generation 3 not observed yet (observed 2)",
		},
		{
			name:    "divided on first install, shanghai not observed and no observedGeneration ever: conditions alone keep kstatus waiting",
			t:       divided(3),
			in:      items("hangzhou", done(1, 2), "shanghai", deploy(1, 0, 1, 1, 1, 1, 1, availableTrue, progressedTrue)),
			want:    map[string]any{"observedGeneration": nil, "conditions.Progressing": "True " + ReasonMemberGenerationNotObserved},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name: "duplicated 1 on two clusters, both rolled out: reads as one copy of 1 (not 2), every tool done",
			t:    duplicated(1),
			in:   items("hangzhou", done(2, 1), "shanghai", done(2, 1)),
			want: map[string]any{"replicas": int64(1), "updatedReplicas": int64(1), "readyReplicas": int64(1), "availableReplicas": int64(1),
				"unavailableReplicas": nil, "observedGeneration": int64(2), "conditions.Progressing": "True NewReplicaSetAvailable"},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name: "duplicated 3, shanghai rolling: the copy furthest behind (fewest updated and available), every tool waits",
			t:    duplicated(3),
			in:   items("hangzhou", done(2, 3), "shanghai", deploy(2, 2, 3, 4, 2, 3, 3, availableTrue, updatingTrue)),
			want: map[string]any{"replicas": int64(4), "updatedReplicas": int64(2), "readyReplicas": int64(3), "availableReplicas": int64(3), "unavailableReplicas": int64(1),
				"conditions.Progressing": "True ReplicaSetUpdated"},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "duplicated 3, shanghai has all 3 new pods but an old one still running: 4 replicas keep kubectl waiting for termination",
			t:       duplicated(3),
			in:      items("hangzhou", done(2, 3), "shanghai", deploy(2, 2, 3, 4, 3, 4, 4, availableTrue, updatingTrue)),
			want:    map[string]any{"replicas": int64(4), "updatedReplicas": int64(3), "readyReplicas": int64(3), "availableReplicas": int64(3)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name: "duplicated, shanghai not reported yet: zero copies ready, Available Unknown naming shanghai",
			t:    duplicated(2),
			in:   items("hangzhou", done(2, 2), "shanghai", nil),
			want: map[string]any{"replicas": int64(2), "availableReplicas": nil, "observedGeneration": nil,
				"conditions.Available": "Unknown " + ReasonMemberStatusUnknown, "conditions.Progressing": "Unknown " + ReasonMemberStatusUnknown},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "Available", message: "cluster shanghai has not reported status yet",
		},
		{
			name:    "duplicated, more replicas than spec in every cluster by an override: still reads as spec once all are rolled out",
			t:       duplicated(2),
			in:      items("hangzhou", done(2, 5), "shanghai", done(2, 5)),
			want:    map[string]any{"replicas": int64(2), "availableReplicas": int64(2)},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name:    "shanghai exceeded its progress deadline: Progressing False ProgressDeadlineExceeded, kstatus Failed, kubectl fails",
			t:       divided(4),
			in:      items("hangzhou", done(2, 2), "shanghai", deploy(2, 2, 2, 3, 1, 2, 2, availableTrue, deadlineFalse)),
			want:    map[string]any{"conditions.Progressing": "False ProgressDeadlineExceeded"},
			kstatus: kstatus.FailedStatus, rolledOut: false,
			messageOf: "Progressing", message: "cluster shanghai: ",
		},
		{
			name:    "quota refuses pods in shanghai: ReplicaFailure True naming shanghai, Available False from shanghai",
			t:       divided(4),
			in:      items("hangzhou", done(2, 2), "shanghai", deploy(2, 2, 2, 0, 0, 0, 0, availableFalse, updatingTrue, quotaFailure)),
			want:    map[string]any{"conditions.ReplicaFailure": "True FailedCreate", "conditions.Available": "False MinimumReplicasUnavailable"},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "ReplicaFailure", message: "cluster shanghai: pods",
		},
		{
			name:    "template changed and the binding not rebuilt yet: members done at the old spec, observedGeneration old, TemplateNotPropagated",
			t:       Template{Kind: deployment, Generation: 3, BindingGeneration: 2, Spec: deploySpec(3), Status: map[string]any{"observedGeneration": int64(2)}},
			in:      items("hangzhou", done(2, 2), "shanghai", done(2, 1)),
			want:    map[string]any{"observedGeneration": int64(2), "conditions.Progressing": "True " + ReasonTemplateNotPropagated},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "a scale in shanghai not done while its condition still says NewReplicaSetAvailable: ReplicaSetUpdated, kstatus waits",
			t:       divided(5),
			in:      items("hangzhou", done(2, 2), "shanghai", deploy(2, 2, 3, 3, 3, 2, 2, availableTrue, progressedTrue)),
			want:    map[string]any{"replicas": int64(5), "availableReplicas": int64(4), "conditions.Progressing": "True ReplicaSetUpdated"},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "Progressing", message: "cluster shanghai: 3 of 3 replicas updated, 2 ready, 2 available",
		},
		{
			name:    "both Works applied at their latest generation and collected since: done",
			t:       withWorks(divided(3), map[string]WorkState{"hangzhou": {7, 7}, "shanghai": {4, 4}}),
			in:      items("hangzhou", stamped(done(2, 2), 7), "shanghai", stamped(done(2, 1), 4)),
			want:    map[string]any{"observedGeneration": int64(2), "conditions.Progressing": "True NewReplicaSetAvailable"},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name:    "shanghai's Work has a new generation not applied yet: its old status is not taken for the new spec's",
			t:       withWorks(withStatus(divided(3), map[string]any{"observedGeneration": int64(1)}), map[string]WorkState{"hangzhou": {7, 7}, "shanghai": {5, 4}}),
			in:      items("hangzhou", stamped(done(2, 2), 7), "shanghai", stamped(done(2, 1), 4)),
			want:    map[string]any{"observedGeneration": int64(1), "conditions.Progressing": "True " + ReasonMemberSpecNotApplied},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "Progressing", message: "cluster shanghai: the latest spec (Work generation 5) is not applied yet",
		},
		{
			name:    "shanghai's new Work generation applied but its status collected before the apply: not current",
			t:       withWorks(withStatus(divided(3), map[string]any{"observedGeneration": int64(1)}), map[string]WorkState{"hangzhou": {7, 7}, "shanghai": {5, 5}}),
			in:      items("hangzhou", stamped(done(2, 2), 7), "shanghai", stamped(done(2, 1), 4)),
			want:    map[string]any{"observedGeneration": int64(1), "conditions.Progressing": "True " + ReasonMemberSpecNotApplied},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
			messageOf: "Progressing", message: "cluster shanghai: status not collected since the latest spec was applied",
		},
		{
			name: "the binding's Works are not rendered from its latest spec yet: TemplateNotPropagated",
			t: func() Template {
				t := withStatus(divided(3), map[string]any{"observedGeneration": int64(1)})
				t.WorksStale = true
				return t
			}(),
			in:      items("hangzhou", done(2, 2), "shanghai", done(2, 1)),
			want:    map[string]any{"observedGeneration": int64(1), "conditions.Progressing": "True " + ReasonTemplateNotPropagated},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "no target clusters yet: zero counters, conditions Unknown NoTargetClusters, nothing done",
			t:       divided(3),
			want:    map[string]any{"replicas": nil, "observedGeneration": nil, "conditions.Available": "Unknown " + ReasonNoTargetClusters},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "spec.replicas unset is 1: one cluster rolled out at 1 is done",
			t:       Template{Kind: deployment, Generation: 1, BindingGeneration: 1, Duplicated: true, Spec: map[string]any{"progressDeadlineSeconds": int64(600)}},
			in:      items("hangzhou", done(1, 1)),
			want:    map[string]any{"replicas": int64(1), "observedGeneration": int64(1)},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
	})
}

func sts(gen, observed, want, replicas, ready, current, updated int64, currentRev, updateRev string) map[string]any {
	return map[string]any{
		GenerationKey: gen, "observedGeneration": observed, SpecReplicasKey: want,
		"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "currentReplicas": current, "updatedReplicas": updated,
		"currentRevision": currentRev, "updateRevision": updateRev,
	}
}

func TestAggregateStatefulSet(t *testing.T) {
	rolling := map[string]any{"replicas": int64(2), "updateStrategy": map[string]any{"type": "RollingUpdate"}}
	partitioned := map[string]any{"replicas": int64(4), "updateStrategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"partition": int64(1)}}}
	runWorkloadCases(t, []workloadCase{
		{
			name:    "divided 1+1 rolled out: sums equal spec, one revision, every tool done",
			t:       Template{Kind: statefulSet, Generation: 1, BindingGeneration: 1, Spec: rolling},
			in:      items("a", sts(1, 1, 1, 1, 1, 1, 1, "db-1", "db-1"), "b", sts(1, 1, 1, 1, 1, 1, 1, "db-9", "db-9")),
			want:    map[string]any{"replicas": int64(2), "readyReplicas": int64(2), "currentReplicas": int64(2), "currentRevision": "db-1", "updateRevision": "db-1", "observedGeneration": int64(1)},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name:    "duplicated 2 on two clusters rolled out: reads as one copy of 2",
			t:       Template{Kind: statefulSet, Generation: 1, BindingGeneration: 1, Spec: rolling, Duplicated: true},
			in:      items("a", sts(1, 1, 2, 2, 2, 2, 2, "db-1", "db-1"), "b", sts(1, 1, 2, 2, 2, 2, 2, "db-1", "db-1")),
			want:    map[string]any{"replicas": int64(2), "readyReplicas": int64(2), "updatedReplicas": int64(2), "observedGeneration": int64(1)},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name:    "duplicated, b just started rolling (no pod updated, revisions differ): b's revisions and 0 updated keep every tool waiting",
			t:       Template{Kind: statefulSet, Generation: 2, BindingGeneration: 2, Spec: rolling, Duplicated: true},
			in:      items("a", sts(2, 2, 2, 2, 2, 2, 2, "db-2", "db-2"), "b", sts(2, 2, 2, 2, 2, 2, 0, "db-1", "db-2")),
			want:    map[string]any{"updatedReplicas": nil, "currentRevision": "db-1", "updateRevision": "db-2", "observedGeneration": int64(2)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "divided, b has one pod not ready: every tool waits",
			t:       Template{Kind: statefulSet, Generation: 1, BindingGeneration: 1, Spec: rolling},
			in:      items("a", sts(1, 1, 1, 1, 1, 1, 1, "db-1", "db-1"), "b", sts(1, 1, 1, 1, 0, 1, 1, "db-1", "db-1")),
			want:    map[string]any{"replicas": int64(2), "readyReplicas": int64(1)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "duplicated with partition 1: done once 3 of 4 are updated in every cluster",
			t:       Template{Kind: statefulSet, Generation: 2, BindingGeneration: 2, Spec: partitioned, Duplicated: true},
			in:      items("a", sts(2, 2, 4, 4, 4, 1, 3, "db-1", "db-2"), "b", sts(2, 2, 4, 4, 4, 1, 3, "db-1", "db-2")),
			want:    map[string]any{"replicas": int64(4), "updatedReplicas": int64(3)},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name:    "duplicated with partition 1, b has updated 2 of 3: every tool waits",
			t:       Template{Kind: statefulSet, Generation: 2, BindingGeneration: 2, Spec: partitioned, Duplicated: true},
			in:      items("a", sts(2, 2, 4, 4, 4, 1, 3, "db-1", "db-2"), "b", sts(2, 2, 4, 4, 4, 2, 2, "db-1", "db-2")),
			want:    map[string]any{"updatedReplicas": int64(2)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
	})
}

func ds(gen, observed, desired, updated, available int64) map[string]any {
	return map[string]any{GenerationKey: gen, "observedGeneration": observed, "desiredNumberScheduled": desired, "currentNumberScheduled": desired,
		"updatedNumberScheduled": updated, "numberAvailable": available, "numberReady": available, "numberMisscheduled": 0}
}

func TestAggregateDaemonSet(t *testing.T) {
	tmpl := Template{Kind: daemonSet, Generation: 2, BindingGeneration: 2, Spec: map[string]any{"updateStrategy": map[string]any{"type": "RollingUpdate"}}}
	old := tmpl
	old.Status = map[string]any{"observedGeneration": int64(1), "desiredNumberScheduled": int64(5)}
	runWorkloadCases(t, []workloadCase{
		{
			name:    "every node of both clusters updated and available: sums, every tool done",
			t:       tmpl,
			in:      items("a", ds(2, 2, 3, 3, 3), "b", ds(2, 2, 2, 2, 2)),
			want:    map[string]any{"desiredNumberScheduled": int64(5), "updatedNumberScheduled": int64(5), "numberAvailable": int64(5), "observedGeneration": int64(2)},
			kstatus: kstatus.CurrentStatus, rolledOut: true,
		},
		{
			name:    "b updating 1 of 2 nodes: every tool waits",
			t:       tmpl,
			in:      items("a", ds(2, 2, 3, 3, 3), "b", ds(2, 2, 2, 1, 2)),
			want:    map[string]any{"updatedNumberScheduled": int64(4)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "first install, b not observed yet: no observedGeneration, which kstatus requires of a DaemonSet",
			t:       tmpl,
			in:      items("a", ds(2, 2, 3, 3, 3), "b", ds(2, 0, 0, 0, 0)),
			want:    map[string]any{"observedGeneration": nil, "desiredNumberScheduled": int64(3)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
		{
			name:    "upgrade, b not observed yet: the old observedGeneration keeps every tool waiting",
			t:       old,
			in:      items("a", ds(2, 2, 3, 3, 3), "b", ds(2, 1, 2, 2, 2)),
			want:    map[string]any{"observedGeneration": int64(1)},
			kstatus: kstatus.InProgressStatus, rolledOut: false,
		},
	})
}

func TestAggregateReplicaSet(t *testing.T) {
	rs := func(want, replicas, ready int64, conds ...any) map[string]any {
		st := map[string]any{GenerationKey: int64(1), "observedGeneration": int64(1), SpecReplicasKey: want,
			"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": ready, "availableReplicas": ready}
		if conds != nil {
			st["conditions"] = conds
		}
		return st
	}
	runWorkloadCases(t, []workloadCase{
		{
			name:    "duplicated 2 on two clusters, all available: reads as 2",
			t:       Template{Kind: replicaSet, Generation: 1, BindingGeneration: 1, Spec: spec(2), Duplicated: true},
			in:      items("a", rs(2, 2, 2), "b", rs(2, 2, 2)),
			want:    map[string]any{"replicas": int64(2), "availableReplicas": int64(2), "conditions.ReplicaFailure": nil},
			kstatus: kstatus.CurrentStatus,
		},
		{
			name:    "divided 1+1, b refused a pod: ReplicaFailure from b, kstatus waits",
			t:       Template{Kind: replicaSet, Generation: 1, BindingGeneration: 1, Spec: spec(2)},
			in:      items("a", rs(1, 1, 1), "b", rs(1, 0, 0, cond("ReplicaFailure", "True", "FailedCreate", "exceeded quota"))),
			want:    map[string]any{"replicas": int64(1), "conditions.ReplicaFailure": "True FailedCreate"},
			kstatus: kstatus.InProgressStatus,
		},
	})
}

func jobStatus(active, succeeded, failed int64, start, completion string, conds ...any) map[string]any {
	st := map[string]any{}
	for k, v := range map[string]int64{"active": active, "succeeded": succeeded, "failed": failed} {
		if v > 0 {
			st[k] = v
		}
	}
	if start != "" {
		st["startTime"] = start
	}
	if completion != "" {
		st["completionTime"] = completion
	}
	if conds != nil {
		st["conditions"] = conds
	}
	return st
}

func jobCond(typ, reason string) map[string]any {
	return map[string]any{"type": typ, "status": "True", "reason": reason, "message": typ + " here",
		"lastProbeTime": "2026-12-01T09:00:00Z", "lastTransitionTime": "2026-12-01T09:00:00Z"}
}

func TestAggregateJob(t *testing.T) {
	tmpl := Template{Kind: job, Generation: 1, BindingGeneration: 1}
	completeIn := func(completion string) map[string]any {
		return jobStatus(0, 1, 0, "2026-12-01T09:00:05Z", completion, jobCond("SuccessCriteriaMet", "CompletionsReached"), jobCond("Complete", "CompletionsReached"))
	}
	finished := tmpl
	finished.Status = map[string]any{"succeeded": int64(2), "startTime": "2026-12-01T09:00:01Z", "completionTime": "2026-12-01T09:02:00Z",
		"conditions": []any{jobCond("SuccessCriteriaMet", "CompletionsReached"), jobCond("Complete", "CompletionsReached")}}
	counted := tmpl
	counted.Status = map[string]any{"succeeded": int64(3), "startTime": "2026-12-01T08:00:00Z"}
	runWorkloadCases(t, []workloadCase{
		{
			name: "running in both: summed, earliest start, no terminal condition",
			t:    tmpl,
			in:   items("a", jobStatus(1, 0, 0, "2026-12-01T09:00:05Z", ""), "b", jobStatus(1, 0, 1, "2026-12-01T09:00:01Z", "")),
			want: map[string]any{"active": int64(2), "failed": int64(1), "startTime": "2026-12-01T09:00:01Z", "completionTime": nil, "conditions.Complete": nil},
			// kstatus counts a started Job as Current; Helm's own Job
			// reader waits for Complete, which is absent here.
			kstatus: kstatus.CurrentStatus,
		},
		{
			name:    "complete in a, running in b: not Complete",
			t:       tmpl,
			in:      items("a", completeIn("2026-12-01T09:01:00Z"), "b", jobStatus(1, 0, 0, "2026-12-01T09:00:01Z", "")),
			want:    map[string]any{"active": int64(1), "succeeded": int64(1), "completionTime": nil, "conditions.Complete": nil, "conditions.SuccessCriteriaMet": nil},
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "complete in both: SuccessCriteriaMet and Complete, latest completion, as the API requires",
			t:    tmpl,
			in:   items("a", completeIn("2026-12-01T09:01:00Z"), "b", completeIn("2026-12-01T09:02:00Z")),
			want: map[string]any{"succeeded": int64(2), "active": nil, "completionTime": "2026-12-01T09:02:00Z",
				"conditions.SuccessCriteriaMet": "True CompletionsReached", "conditions.Complete": "True CompletionsReached"},
			kstatus: kstatus.CurrentStatus,
		},
		{
			name:      "failed in b while running in a: FailureTarget and Failed from b, no active pods counted, kstatus Failed",
			t:         tmpl,
			in:        items("a", jobStatus(1, 0, 0, "2026-12-01T09:00:01Z", ""), "b", jobStatus(0, 0, 6, "2026-12-01T09:00:02Z", "", jobCond("FailureTarget", "BackoffLimitExceeded"), jobCond("Failed", "BackoffLimitExceeded"))),
			want:      map[string]any{"active": nil, "failed": int64(6), "conditions.FailureTarget": "True BackoffLimitExceeded", "conditions.Failed": "True BackoffLimitExceeded"},
			kstatus:   kstatus.FailedStatus,
			messageOf: "Failed", message: "cluster b: Failed here",
		},
		{
			name:    "a finished Job stays as it was, whatever members report later (the API refuses undoing it)",
			t:       finished,
			in:      items("a", jobStatus(1, 0, 0, "2026-12-01T10:00:00Z", "")),
			want:    map[string]any{"succeeded": int64(2), "completionTime": "2026-12-01T09:02:00Z", "conditions.Complete": "True CompletionsReached"},
			kstatus: kstatus.CurrentStatus,
		},
		{
			name:    "a cluster left the targets: succeeded never decreases and startTime never changes",
			t:       counted,
			in:      items("a", jobStatus(1, 1, 0, "2026-12-01T09:00:00Z", "")),
			want:    map[string]any{"succeeded": int64(3), "startTime": "2026-12-01T08:00:00Z"},
			kstatus: kstatus.CurrentStatus,
		},
	})
}

func TestAggregatePodServiceAndOthers(t *testing.T) {
	cases := []struct {
		name string
		t    Template
		in   []workv1alpha1.AggregatedStatusItem
		want map[string]any
		ok   bool
	}{
		{
			name: "pod in one cluster: its status as is, without the keys the hub added",
			t:    Template{Kind: pod},
			in:   items("a", map[string]any{"phase": "Running", "podIP": "10.0.0.1", GenerationKey: 1}),
			want: map[string]any{"phase": "Running", "podIP": "10.0.0.1"},
			ok:   true,
		},
		{
			name: "pods in two clusters, one failed: Failed",
			t:    Template{Kind: pod},
			in:   items("a", map[string]any{"phase": "Running"}, "b", map[string]any{"phase": "Failed"}),
			want: map[string]any{"phase": "Failed"},
			ok:   true,
		},
		{
			name: "configmap: not aggregated",
			t:    Template{Kind: schema.GroupKind{Kind: "ConfigMap"}},
			ok:   false,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Aggregate(tc.t, tc.in)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v %v\nwant %v %v", got, ok, tc.want, tc.ok)
			}
			if ok != Aggregated(tc.t.Kind) {
				t.Errorf("Aggregated(%s) = %v, Aggregate ok = %v", tc.t.Kind, Aggregated(tc.t.Kind), ok)
			}
		})
	}
}

func TestAggregateService(t *testing.T) {
	got, ok := Aggregate(Template{Kind: schema.GroupKind{Kind: "Service"}}, []workv1alpha1.AggregatedStatusItem{
		item("a", map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "1.1.1.1"}}}}),
		item("b", map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "2.2.2.2"}}}}),
	})
	ing, _, _ := unstructured.NestedSlice(got, "loadBalancer", "ingress")
	if !ok || len(ing) != 2 {
		t.Errorf("want both ingress points, got %v", got)
	}
}

func TestConditionTimes(t *testing.T) {
	tmpl := Template{Kind: deployment, Generation: 2, BindingGeneration: 2, Spec: deploySpec(2), Now: now}
	first, _ := Aggregate(tmpl, items("a", done(2, 1), "b", deploy(2, 2, 1, 1, 0, 0, 0, availableFalse, updatingTrue)))
	later := metav1.NewTime(now.Add(time.Minute))
	tmpl.Status, tmpl.Now = first, later
	second, _ := Aggregate(tmpl, items("a", done(2, 1), "b", done(2, 1)))
	times := func(st map[string]any, typ string) (string, string) {
		conds, _, _ := unstructured.NestedSlice(st, "conditions")
		for _, c := range conds {
			if m := c.(map[string]any); m["type"] == typ {
				return m["lastTransitionTime"].(string), m["lastUpdateTime"].(string)
			}
		}
		return "", ""
	}
	stamp := func(tm metav1.Time) string { return tm.UTC().Format(time.RFC3339) }
	if tr, up := times(second, "Available"); tr != stamp(later) || up != stamp(later) {
		t.Errorf("Available turned True: want both times %s, got %s %s", stamp(later), tr, up)
	}
	if tr, up := times(second, "Progressing"); tr != stamp(now) || up != stamp(later) {
		t.Errorf("Progressing stayed True with a new reason: want transition %s update %s, got %s %s", stamp(now), stamp(later), tr, up)
	}
}

func TestDuplicated(t *testing.T) {
	cases := []struct {
		name string
		p    *policyv1alpha1.Placement
		want bool
	}{
		{"no placement is duplicated", nil, true},
		{"no replicaScheduling is duplicated (Karmada's default)", &policyv1alpha1.Placement{}, true},
		{"Duplicated is duplicated", &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated}}, true},
		{"Divided is divided", &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided}}, false},
		{"an empty type is divided (the CRD default)", &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Duplicated(tc.p); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCollectStatus(t *testing.T) {
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want map[string]any
	}{
		{"absent is nil", nil, nil},
		{"deployment: status plus generation and spec.replicas", obj("apps/v1", "Deployment", 3, map[string]any{"replicas": int64(2)}, map[string]any{"readyReplicas": int64(2)}),
			map[string]any{"readyReplicas": int64(2), GenerationKey: int64(3), SpecReplicasKey: int64(2)}},
		{"configmap: nothing to keep", obj("v1", "ConfigMap", 0, nil, nil), nil},
		{"daemonset: no spec.replicas", obj("apps/v1", "DaemonSet", 1, map[string]any{}, map[string]any{"numberReady": int64(1)}),
			map[string]any{"numberReady": int64(1), GenerationKey: int64(1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CollectStatus(tc.obj); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func obj(apiVersion, kind string, generation int64, spec, status map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": "x", "generation": generation}}}
	if spec != nil {
		o.Object["spec"] = spec
	}
	if status != nil {
		o.Object["status"] = status
	}
	return o
}

func TestHealth(t *testing.T) {
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want workv1alpha1.ResourceHealth
	}{
		{"absent is unknown", nil, workv1alpha1.ResourceUnknownHealth},
		{"deployment 6/6 observed", obj("apps/v1", "Deployment", 2, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(6), "availableReplicas": int64(6)}), workv1alpha1.ResourceHealthy},
		{"deployment not observed", obj("apps/v1", "Deployment", 3, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(6), "availableReplicas": int64(6)}), workv1alpha1.ResourceUnhealthy},
		{"deployment 4 of 6 updated", obj("apps/v1", "Deployment", 2, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(4), "availableReplicas": int64(4)}), workv1alpha1.ResourceUnhealthy},
		{"deployment updated but not available", obj("apps/v1", "Deployment", 2, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(6), "availableReplicas": int64(5)}), workv1alpha1.ResourceUnhealthy},
		{"deployment replicas defaulted to 1", obj("apps/v1", "Deployment", 1, map[string]any{}, map[string]any{"observedGeneration": int64(1), "updatedReplicas": int64(1), "availableReplicas": int64(1)}), workv1alpha1.ResourceHealthy},
		{"statefulset 3/3", obj("apps/v1", "StatefulSet", 1, map[string]any{"replicas": int64(3)}, map[string]any{"observedGeneration": int64(1), "updatedReplicas": int64(3), "availableReplicas": int64(3)}), workv1alpha1.ResourceHealthy},
		{"replicaset short", obj("apps/v1", "ReplicaSet", 1, map[string]any{"replicas": int64(3)}, map[string]any{"observedGeneration": int64(1), "availableReplicas": int64(2)}), workv1alpha1.ResourceUnhealthy},
		{"daemonset all nodes", obj("apps/v1", "DaemonSet", 1, nil, map[string]any{"observedGeneration": int64(1), "desiredNumberScheduled": int64(2), "updatedNumberScheduled": int64(2), "numberAvailable": int64(2)}), workv1alpha1.ResourceHealthy},
		{"job failed", obj("batch/v1", "Job", 1, nil, map[string]any{"conditions": []any{map[string]any{"type": "Failed", "status": "True"}}}), workv1alpha1.ResourceUnhealthy},
		{"job running", obj("batch/v1", "Job", 1, nil, map[string]any{"active": int64(1)}), workv1alpha1.ResourceHealthy},
		{"pod pending", obj("v1", "Pod", 0, nil, map[string]any{"phase": "Pending"}), workv1alpha1.ResourceUnhealthy},
		{"configmap present", obj("v1", "ConfigMap", 0, nil, nil), workv1alpha1.ResourceHealthy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Health(tc.obj); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestStampApplied(t *testing.T) {
	applied := func(status metav1.ConditionStatus, gen int64) *workv1alpha1.Work {
		w := &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Generation: 5}}
		w.Status.Conditions = []metav1.Condition{{Type: workv1alpha1.ConditionApplied, Status: status, ObservedGeneration: gen}}
		return w
	}
	cases := []struct {
		name  string
		st    map[string]any
		work  *workv1alpha1.Work
		want  map[string]any
		state WorkState
	}{
		{"applied at 4: stamped 4", map[string]any{"replicas": 1}, applied(metav1.ConditionTrue, 4), map[string]any{"replicas": 1, AppliedGenerationKey: int64(4)}, WorkState{5, 4}},
		{"apply failed: not stamped", map[string]any{"replicas": 1}, applied(metav1.ConditionFalse, 5), map[string]any{"replicas": 1}, WorkState{5, 0}},
		{"nothing collected: still nothing", nil, applied(metav1.ConditionTrue, 5), nil, WorkState{5, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := StampApplied(tc.st, tc.work); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("StampApplied: got %v, want %v", got, tc.want)
			}
			if got := WorkStateOf(tc.work); got != tc.state {
				t.Errorf("WorkStateOf: got %+v, want %+v", got, tc.state)
			}
		})
	}
}
