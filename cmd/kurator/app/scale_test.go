package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
)

// seedPromoJSON is seed 000's policy exactly as the seed prints it.
const seedPromoJSON = `{
"name": "promo-scale-policy",
"targetClusters": ["north-cluster", "south-cluster"],
"trigger": {
"type": "resource",
"metric": "cpu",
"threshold": 70,
"duration": "5m"
},
"action": {
"type": "scale",
"nodePool": {
"name": "worker-pool",
"minNodes": 2,
"maxNodes": 5
},
"deployment": {
"name": "order-service",
"replicas": 30
}
}
}
`

func readDocs(t *testing.T, text, ns string, explicit bool) ([]scaleDoc, error) {
	t.Helper()
	docs, err := readScaleDocs(strings.NewReader(text), "in.json")
	if err != nil {
		return nil, err
	}
	for i := range docs {
		if err := docs[i].normalize(ns, explicit); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

func TestScaleApplyReadsEveryForm(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		ns    string
		want  []string // kind namespace/name of each document
		check func(t *testing.T, docs []scaleDoc)
	}{
		{"the seed's bare JSON becomes a ScalePolicy named by its name, in the -n namespace", seedPromoJSON, "shop",
			[]string{"ScalePolicy shop/promo-scale-policy"}, func(t *testing.T, docs []scaleDoc) {
				o := docs[0].obj
				if o.GetAPIVersion() != "autoscaling.kurator.dev/v1alpha1" {
					t.Errorf("apiVersion %q", o.GetAPIVersion())
				}
				if th, _, _ := unstructured.NestedInt64(o.Object, "trigger", "threshold"); th != 70 {
					t.Errorf("trigger.threshold %v, want the integer 70 kept at the top level", o.Object["trigger"])
				}
				if n, _, _ := unstructured.NestedString(o.Object, "name"); n != "promo-scale-policy" {
					t.Errorf("the console's name field %q was not kept", n)
				}
			}},
		{"a wrapped object with spec keeps its namespace", `apiVersion: autoscaling.kurator.dev/v1alpha1
kind: ScalePolicy
metadata: {name: nightly, namespace: batch}
spec:
  trigger: {type: cron, schedule: "0 1 * * *"}
  action: {deployment: {name: etl, replicas: 10}}
`, "default", []string{"ScalePolicy batch/nightly"}, nil},
		{"spec.name names a wrapped object without metadata.name", `{"apiVersion": "autoscaling.kurator.dev/v1alpha1", "kind": "ScalePolicy", "spec": {"name": "p1", "trigger": {"type": "cron", "schedule": "@daily"}, "action": {"deployment": {"name": "a", "replicas": 1}}}}`,
			"default", []string{"ScalePolicy default/p1"}, nil},
		{"several YAML documents, a NodePool among them, and an empty one skipped", `name: a
trigger: {type: resource, metric: cpu, threshold: 70}
action: {deployment: {name: x, replicas: 3}}
---
---
apiVersion: autoscaling.kurator.dev/v1alpha1
kind: NodePool
metadata: {name: north-cluster-worker-pool, namespace: kurator-system}
spec: {cluster: north-cluster, poolName: worker-pool, replicas: 3, minNodes: 2, maxNodes: 5, provider: {kwok: {}}}
`, "default", []string{"ScalePolicy default/a", "NodePool kurator-system/north-cluster-worker-pool"}, nil},
		{"a stream of JSON objects", `{"name": "a", "trigger": {"type": "cron", "schedule": "@daily"}, "action": {"deployment": {"name": "x", "replicas": 1}}}
{"name": "b", "trigger": {"type": "cron", "schedule": "@daily"}, "action": {"deployment": {"name": "x", "replicas": 1}}}`,
			"default", []string{"ScalePolicy default/a", "ScalePolicy default/b"}, nil},
		{"a JSON array", `[{"name": "a"}, {"name": "b"}]`, "default", []string{"ScalePolicy default/a", "ScalePolicy default/b"}, nil},
		{"a kind List gives its items", `{"apiVersion": "v1", "kind": "List", "items": [{"name": "a", "trigger": {"type": "cron", "schedule": "@daily"}, "action": {"deployment": {"name": "x", "replicas": 1}}}]}`,
			"default", []string{"ScalePolicy default/a"}, nil},
		{"what the hub sets is dropped, so `kurator scale get -o yaml` output applies again", `apiVersion: autoscaling.kurator.dev/v1alpha1
kind: ScalePolicy
metadata: {name: a, namespace: default, resourceVersion: "12", uid: u1, managedFields: [{manager: x}]}
trigger: {type: cron, schedule: "@daily"}
action: {deployment: {name: x, replicas: 1}}
status: {phase: Watching}
`, "default", []string{"ScalePolicy default/a"}, func(t *testing.T, docs []scaleDoc) {
			o := docs[0].obj
			if _, ok := o.Object["status"]; ok || o.GetResourceVersion() != "" || o.GetUID() != "" || o.GetManagedFields() != nil {
				t.Errorf("server fields kept: %v", o.Object)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs, err := readDocs(t, c.in, c.ns, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, d.obj.GetKind()+" "+d.obj.GetNamespace()+"/"+d.obj.GetName())
			}
			if strings.Join(got, ", ") != strings.Join(c.want, ", ") {
				t.Fatalf("documents %v, want %v", got, c.want)
			}
			if c.check != nil {
				c.check(t, docs)
			}
		})
	}
}

func TestScaleApplyRefusesBeforeAskingTheHub(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		explicit bool
		want     string
	}{
		{"name and metadata.name that differ", `{"apiVersion": "autoscaling.kurator.dev/v1alpha1", "kind": "ScalePolicy", "metadata": {"name": "b"}, "name": "a"}`, false,
			`in.json: name "a" and metadata.name "b" differ: the hub requires them equal; drop name or make it "b"`},
		{"no name at all", `{"trigger": {"type": "cron", "schedule": "@daily"}}`, false,
			`in.json: a ScalePolicy needs a name: give "name" (the console's field) or metadata.name`},
		{"another kind, with the command that applies it", `{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}`, false,
			"in.json: kind Deployment: kurator scale apply takes ScalePolicy and NodePool objects; apply a Deployment with `kubectl apply -f in.json`"},
		{"a kind without apiVersion", `{"kind": "ScalePolicy", "name": "a"}`, false,
			"in.json: give both apiVersion and kind (autoscaling.kurator.dev/v1alpha1, ScalePolicy), or neither for the console's JSON"},
		{"a namespace in the document that -n contradicts", `{"apiVersion": "autoscaling.kurator.dev/v1alpha1", "kind": "ScalePolicy", "metadata": {"name": "a", "namespace": "batch"}}`, true,
			"in.json: ScalePolicy a names namespace batch but -n is shop: drop metadata.namespace, or run with -n batch"},
		{"something that is not an object", `[1, 2]`, false, "in.json: document 1 holds a number, not an object"},
		{"text that is not JSON", `{"name": `, false, "in.json: document 1 is neither JSON nor YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readDocs(t, c.in, "shop", c.explicit)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v\nwant %q", err, c.want)
			}
		})
	}
}

// fakePatcher is a hub of unstructured objects for apply, trigger and
// suspend: Get reads them, Patch records the patch and (unless a dry run)
// stores an applied object, bumping its resource version when it changed.
type fakePatcher struct {
	objects map[string]*unstructured.Unstructured
	typed   map[string]*autoscalingv1alpha1.ScalePolicy
	refuse  map[string]error // by name
	patches []string         // "dry-run NAME" or "apply NAME" or "merge NAME DATA"
	rv      int
}

func (f *fakePatcher) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	if p, ok := obj.(*autoscalingv1alpha1.ScalePolicy); ok {
		if t := f.typed[key.String()]; t != nil {
			t.DeepCopyInto(p)
			return nil
		}
		return apierrors.NewNotFound(schema.GroupResource{Group: "autoscaling.kurator.dev", Resource: "scalepolicies"}, key.Name)
	}
	u := obj.(*unstructured.Unstructured)
	if o := f.objects[key.String()]; o != nil {
		o.DeepCopyInto(u)
		return nil
	}
	return apierrors.NewNotFound(schema.GroupResource{Group: "autoscaling.kurator.dev", Resource: "scalepolicies"}, key.Name)
}

func (f *fakePatcher) Patch(_ context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	po := &client.PatchOptions{}
	po.ApplyOptions(opts)
	if patch.Type() != "application/apply-patch+yaml" {
		data, _ := patch.Data(obj)
		f.patches = append(f.patches, "merge "+obj.GetName()+" "+string(data))
		return nil
	}
	if po.FieldManager != scaleFieldManager || po.FieldValidation != "Strict" {
		return fmt.Errorf("apply as %q with validation %q, want %q Strict", po.FieldManager, po.FieldValidation, scaleFieldManager)
	}
	if len(po.DryRun) > 0 {
		f.patches = append(f.patches, "dry-run "+obj.GetName())
		return f.refuse[obj.GetName()]
	}
	f.patches = append(f.patches, "apply "+obj.GetName())
	u := obj.(*unstructured.Unstructured)
	key := client.ObjectKeyFromObject(u).String()
	stored := u.DeepCopy()
	if old := f.objects[key]; old != nil {
		stored.SetResourceVersion(old.GetResourceVersion())
		cmpOld := old.DeepCopy()
		if equality.Semantic.DeepEqual(cmpOld.Object, stored.Object) {
			u.SetResourceVersion(old.GetResourceVersion())
			return nil
		}
	}
	f.rv++
	stored.SetResourceVersion(fmt.Sprint(f.rv))
	f.objects[key] = stored
	u.SetResourceVersion(stored.GetResourceVersion())
	return nil
}

func invalid(name string, errs ...*field.Error) error {
	return apierrors.NewInvalid(schema.GroupKind{Group: "autoscaling.kurator.dev", Kind: "ScalePolicy"}, name, errs)
}

func TestScaleApplyCreatesConfiguresAndLeavesUnchanged(t *testing.T) {
	ctx := context.Background()
	hub := &fakePatcher{objects: map[string]*unstructured.Unstructured{}}
	apply := func(text string) (string, error) {
		docs, err := readDocs(t, text, "default", false)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = applyScaleDocs(ctx, hub, &out, docs, applyOptions{})
		return out.String(), err
	}
	if out, err := apply(seedPromoJSON); err != nil || out != "scalepolicy.autoscaling.kurator.dev/promo-scale-policy created\n" {
		t.Fatalf("first apply: %v %q", err, out)
	}
	if out, err := apply(seedPromoJSON); err != nil || out != "scalepolicy.autoscaling.kurator.dev/promo-scale-policy unchanged\n" {
		t.Fatalf("same again: %v %q", err, out)
	}
	if out, err := apply(strings.Replace(seedPromoJSON, `"threshold": 70`, `"threshold": 75`, 1)); err != nil || out != "scalepolicy.autoscaling.kurator.dev/promo-scale-policy configured\n" {
		t.Fatalf("changed threshold: %v %q", err, out)
	}
	if strings.Join(hub.patches, ",") != "dry-run promo-scale-policy,apply promo-scale-policy,dry-run promo-scale-policy,apply promo-scale-policy,dry-run promo-scale-policy,apply promo-scale-policy" {
		t.Fatalf("patches %v, want a dry run before each apply", hub.patches)
	}
}

func TestScaleApplyAppliesNothingWhenTheHubRefusesOneDocument(t *testing.T) {
	hub := &fakePatcher{objects: map[string]*unstructured.Unstructured{}, refuse: map[string]error{
		"bad": invalid("bad", field.Invalid(field.NewPath("trigger", "threshold"), 170, "trigger.threshold in body should be less than or equal to 100"),
			field.Invalid(field.NewPath("action", "nodePool", "minNodes"), 6, "minNodes must not exceed maxNodes")),
	}}
	docs, err := readDocs(t, `{"name": "good", "trigger": {"type": "cron", "schedule": "@daily"}, "action": {"deployment": {"name": "x", "replicas": 1}}}
{"name": "bad", "trigger": {"type": "resource", "metric": "cpu", "threshold": 170}, "action": {"nodePool": {"name": "p", "minNodes": 6, "maxNodes": 5}}}`, "default", false)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = applyScaleDocs(context.Background(), hub, &out, docs, applyOptions{})
	if err == nil {
		t.Fatal("applied although the hub refused a document")
	}
	for _, want := range []string{
		"1 of 2 documents were refused (by the hub, or by the controller's rules), so nothing was applied:",
		"ScalePolicy default/bad (in.json#2):\n  trigger.threshold: Invalid value: 170: trigger.threshold in body should be less than or equal to 100\n  action.nodePool.minNodes: Invalid value: 6: minNodes must not exceed maxNodes",
		"fix them and run the command again",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, p := range hub.patches {
		if strings.HasPrefix(p, "apply ") {
			t.Fatalf("patches %v: something was applied", hub.patches)
		}
	}
	if out.Len() != 0 {
		t.Fatalf("printed %q", out.String())
	}
}

func TestScaleApplyRefusesWhatTheControllerWouldRefuse(t *testing.T) {
	hub := &fakePatcher{objects: map[string]*unstructured.Unstructured{}}
	docs, err := readDocs(t, `{"name": "nightly", "trigger": {"type": "cron", "schedule": "0 25 * * *"}, "action": {"deployment": {"name": "etl", "replicas": 3}}}
{"name": "martian", "trigger": {"type": "cron", "schedule": "@daily", "timeZone": "Mars/Olympus"}, "action": {"deployment": {"name": "etl", "replicas": 3}}}`, "default", false)
	if err != nil {
		t.Fatal(err)
	}
	err = applyScaleDocs(context.Background(), hub, &bytes.Buffer{}, docs, applyOptions{})
	if err == nil {
		t.Fatal("applied a schedule the controller cannot parse")
	}
	for _, want := range []string{"2 of 2 documents were refused", "ScalePolicy default/nightly (in.json#1):\n  trigger.schedule: Invalid value: \"0 25 * * *\"",
		"ScalePolicy default/martian (in.json#2):\n  trigger.timeZone: Invalid value: \"Mars/Olympus\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(hub.objects) != 0 {
		t.Fatalf("stored %v", hub.objects)
	}
	// A field the hub names is not named again by the controller's check.
	hub.refuse = map[string]error{"nightly": invalid("nightly", field.Invalid(field.NewPath("trigger", "schedule"), "0 25 * * *", "the hub's words"))}
	err = applyScaleDocs(context.Background(), hub, &bytes.Buffer{}, docs, applyOptions{})
	if err == nil || strings.Count(err.Error(), "trigger.schedule:") != 1 || !strings.Contains(err.Error(), "the hub's words") {
		t.Fatalf("err %v, want trigger.schedule once, in the hub's words", err)
	}
}

func TestScaleApplyDryRunChangesNothing(t *testing.T) {
	hub := &fakePatcher{objects: map[string]*unstructured.Unstructured{}}
	docs, _ := readDocs(t, seedPromoJSON, "default", false)
	var out bytes.Buffer
	if err := applyScaleDocs(context.Background(), hub, &out, docs, applyOptions{dryRun: true}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "scalepolicy.autoscaling.kurator.dev/promo-scale-policy created (dry run)\n" || len(hub.objects) != 0 {
		t.Fatalf("output %q, stored %d objects", out.String(), len(hub.objects))
	}
}

func TestScaleApplyConflictSaysHowToTakeOver(t *testing.T) {
	hub := &fakePatcher{objects: map[string]*unstructured.Unstructured{}, refuse: map[string]error{
		"promo-scale-policy": apierrors.NewApplyConflict([]metav1.StatusCause{{Type: metav1.CauseTypeFieldManagerConflict, Field: ".trigger.threshold", Message: `conflict with "kubectl-edit"`}}, "Apply failed with 1 conflict"),
	}}
	docs, _ := readDocs(t, seedPromoJSON, "default", false)
	err := applyScaleDocs(context.Background(), hub, &bytes.Buffer{}, docs, applyOptions{})
	if err == nil || !strings.Contains(err.Error(), `.trigger.threshold: conflict with "kubectl-edit"`) || !strings.Contains(err.Error(), "run with --force-conflicts") {
		t.Fatalf("err %v", err)
	}
}

// promo is the seed's policy on the hub, with one execution before.
func promo() *autoscalingv1alpha1.ScalePolicy {
	var p autoscalingv1alpha1.ScalePolicy
	if err := json.Unmarshal([]byte(seedPromoJSON), &p); err != nil {
		panic(err)
	}
	p.Namespace, p.ObjectMeta.Name, p.ResourceVersion = "default", "promo-scale-policy", "1"
	p.CreationTimestamp = *at(120)
	p.Status = autoscalingv1alpha1.ScalePolicyStatus{Phase: autoscalingv1alpha1.PhaseWatching, Trigger: "resource", Value: "41.0%",
		LastEvaluationTime: at(0), NextEvaluationTime: &metav1.Time{Time: rolloutNow.Add(30 * time.Second)}, LastScaleTime: at(60),
		Clusters: []autoscalingv1alpha1.ClusterEvaluation{
			{Name: "north-cluster", Value: "41.0", Min: "38.5", Max: "44.0", Samples: 10, Verdict: "Below"},
			{Name: "south-cluster", Value: "39.0", Min: "36.0", Max: "72.5", Samples: 10, Verdict: "Mixed", Message: "crossed 70% within the window: no action"},
		},
		Executions: []autoscalingv1alpha1.ScaleExecution{{ID: 1, Time: *at(60), Trigger: "resource", Direction: "Out", Reason: "cpu 80.1% > 70% for 5m in north-cluster",
			Result: "Succeeded", CompletionTime: at(58), Changes: []autoscalingv1alpha1.ScaleChange{{Kind: "Deployment", Namespace: "default", Name: "order-service", From: 10, To: 20, Ready: 20}}}},
	}
	return &p
}

type fakeScales struct {
	gets    []*autoscalingv1alpha1.ScalePolicy
	watches []*watch.FakeWatcher
}

func (f *fakeScales) get(context.Context) (*autoscalingv1alpha1.ScalePolicy, error) {
	if len(f.gets) == 0 {
		return nil, errors.New("no more gets")
	}
	p := f.gets[0]
	if len(f.gets) > 1 {
		f.gets = f.gets[1:]
	}
	return p, nil
}

func (f *fakeScales) watch(context.Context, string) (watch.Interface, error) {
	if len(f.watches) == 0 {
		return watch.NewFake(), nil // open, and silent
	}
	w := f.watches[0]
	f.watches = f.watches[1:]
	return w, nil
}

func scaleStep(p *autoscalingv1alpha1.ScalePolicy, rv string, edit func(*autoscalingv1alpha1.ScalePolicy)) *autoscalingv1alpha1.ScalePolicy {
	p = p.DeepCopy()
	p.ResourceVersion = rv
	edit(p)
	return p
}

// triggered is promo after the controller took trigger value v: a new
// execution 2 with its changes at the given readiness.
func triggered(p *autoscalingv1alpha1.ScalePolicy, v string, nodesReady, podsReady int32, result autoscalingv1alpha1.ExecutionResult, failedPods ...string) {
	p.Status.HandledTrigger = v
	e := autoscalingv1alpha1.ScaleExecution{ID: 2, Time: *at(0), Trigger: "manual", Direction: "Out", Reason: "kurator scale trigger", Result: result,
		Changes: []autoscalingv1alpha1.ScaleChange{
			{Kind: "NodePool", Name: "worker-pool", Cluster: "north-cluster", From: 3, To: 5, Ready: nodesReady},
			{Kind: "Deployment", Namespace: "default", Name: "order-service", From: 20, To: 30, Ready: podsReady},
		}, FailedPods: failedPods}
	if result != autoscalingv1alpha1.ResultInProgress {
		e.CompletionTime = &metav1.Time{Time: rolloutNow.Add(90 * time.Second)}
		if result == autoscalingv1alpha1.ResultFailed {
			e.Message = "1 pod not running after 10m"
		}
	}
	p.Status.Executions = append([]autoscalingv1alpha1.ScaleExecution{e}, p.Status.Executions...)
}

func TestScaleTriggerFollowsTheNewExecution(t *testing.T) {
	value := rolloutNow.UTC().Format(time.RFC3339Nano)
	start := promo()
	cases := []struct {
		name    string
		events  []*autoscalingv1alpha1.ScalePolicy
		fails   string
		want    []string
		notWant []string
	}{
		{"a line per target as it moves, until Succeeded", []*autoscalingv1alpha1.ScalePolicy{
			scaleStep(start, "2", func(p *autoscalingv1alpha1.ScalePolicy) { triggered(p, value, 3, 20, "InProgress") }),
			scaleStep(start, "3", func(p *autoscalingv1alpha1.ScalePolicy) { triggered(p, value, 4, 27, "InProgress") }),
			scaleStep(start, "4", func(p *autoscalingv1alpha1.ScalePolicy) {
				triggered(p, value, 4, 27, "InProgress")
				p.Status.Value = "50%"
			}),
			scaleStep(start, "5", func(p *autoscalingv1alpha1.ScalePolicy) { triggered(p, value, 5, 30, "Succeeded") }),
		}, "", []string{
			`(?m)^10:30:00 execution 2 started \(manual, scale out\): kurator scale trigger$`,
			`(?m)^10:30:00   north-cluster worker-pool 3 → 5: 3/5 Ready$`,
			`(?m)^10:30:00   north-cluster worker-pool 3 → 5: 4/5 Ready$`,
			`(?m)^10:30:00   Deployment default/order-service 20 → 30: 27/30 ready$`,
			`(?m)^10:30:00   north-cluster worker-pool 3 → 5: 5/5 Ready ✓$`,
			`(?m)^10:30:00 execution 2 Succeeded in 1m30s$`,
		}, []string{`(?s)4/5 Ready.*4/5 Ready`, `FAILED`}},
		{"a failed pod is flagged once and Failed exits non-zero", []*autoscalingv1alpha1.ScalePolicy{
			scaleStep(start, "2", func(p *autoscalingv1alpha1.ScalePolicy) {
				triggered(p, value, 5, 29, "InProgress", "north-cluster/default/order-service-x: ImagePullBackOff")
			}),
			scaleStep(start, "3", func(p *autoscalingv1alpha1.ScalePolicy) {
				triggered(p, value, 5, 29, "Failed", "north-cluster/default/order-service-x: ImagePullBackOff")
			}),
		}, "ScalePolicy default/promo-scale-policy execution 2: 1 pod not running after 10m", []string{
			`(?m)^10:30:00   FAILED pod north-cluster/default/order-service-x: ImagePullBackOff$`,
			`(?m)^10:30:00 execution 2 Failed in 1m30s: 1 pod not running after 10m$`,
		}, []string{`(?s)FAILED pod.*FAILED pod`}},
		{"a trigger taken without an execution says why", []*autoscalingv1alpha1.ScalePolicy{
			scaleStep(start, "2", func(p *autoscalingv1alpha1.ScalePolicy) {
				p.Status.HandledTrigger = value
				p.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: "False", Message: "target cluster east not found"}}
			}),
		}, "the controller took the trigger but started no execution: target cluster east not found", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := watch.NewFakeWithChanSize(10, false)
			for _, p := range c.events {
				w.Modify(p)
			}
			src := &fakeScales{gets: []*autoscalingv1alpha1.ScalePolicy{start}, watches: []*watch.FakeWatcher{w}}
			hub := &fakePatcher{}
			var out bytes.Buffer
			err := runScaleTrigger(context.Background(), hub, src, &out, triggerOptions{wait: true, timeout: 10 * time.Second, now: func() time.Time { return rolloutNow }})
			switch {
			case c.fails == "" && err != nil:
				t.Fatalf("err %v\n%s", err, out.String())
			case c.fails != "" && (err == nil || !strings.Contains(err.Error(), c.fails)):
				t.Fatalf("err %v, want %q\n%s", err, c.fails, out.String())
			}
			want := append([]string{`(?m)^ScalePolicy default/promo-scale-policy triggered \(autoscaling\.kurator\.dev/trigger=` + value + `\)$`}, c.want...)
			matchAll(t, out.String(), want, c.notWant)
			if len(hub.patches) != 1 || !strings.Contains(hub.patches[0], `{"metadata":{"annotations":{"autoscaling.kurator.dev/trigger":"`+value+`"}}}`) {
				t.Fatalf("patches %v", hub.patches)
			}
		})
	}
}

func TestScaleTriggerWithoutWaitSaysHowToFollow(t *testing.T) {
	src := &fakeScales{gets: []*autoscalingv1alpha1.ScalePolicy{promo()}}
	var out bytes.Buffer
	if err := runScaleTrigger(context.Background(), &fakePatcher{}, src, &out, triggerOptions{now: func() time.Time { return rolloutNow }}); err != nil {
		t.Fatal(err)
	}
	matchAll(t, out.String(), []string{
		`(?m)^scales out in north-cluster, south-cluster:$`,
		`(?m)^  node pool worker-pool: up to 5 nodes \(2 after the scale-in\) in each target cluster$`,
		`(?m)^  Deployment default/order-service: 30 replicas$`,
		"follow it with `kurator scale status promo-scale-policy -n default -w`",
	}, nil)
}

func TestScaleTriggerSaysOnceWhenNoControllerAnswers(t *testing.T) {
	// Nothing changes on the hub: the follower reads the policy again every
	// poll, the clock moving 20 s per look, and after 30 s says so, once.
	clock := rolloutNow
	now := func() time.Time { clock = clock.Add(20 * time.Second); return clock }
	closed := watch.NewFake()
	closed.Stop()
	src := &fakeScales{gets: []*autoscalingv1alpha1.ScalePolicy{promo()}, watches: []*watch.FakeWatcher{closed}}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := followExecution(ctx, src, &out, executionFollower{after: 1, trigger: "t", now: now, quiet: 30 * time.Second, poll: time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	matchAll(t, out.String(), []string{
		`(?m)^10:30:20 waiting for the controller to start the execution$`,
		`(?m)^10:31:00 no execution yet after 40s: is kurator-manager running\? \(` + "`kurator status`" + `\)$`,
	}, []string{`(?s)no execution yet.*no execution yet`})
}

func TestScaleStatusPrint(t *testing.T) {
	p := promo()
	triggered(p, "v", 4, 27, "InProgress", "north-cluster/default/order-service-x: ImagePullBackOff")
	var out bytes.Buffer
	printScaleStatus(&out, p, rolloutNow)
	matchAll(t, out.String(), []string{
		`(?m)^ScalePolicy: default/promo-scale-policy$`,
		`(?m)^Trigger:     cpu above 70% for 5m in north-cluster, south-cluster$`,
		`(?m)^Action:      node pool worker-pool: up to 5 nodes \(2 after the scale-in\) in each target cluster$`,
		`(?m)^             Deployment default/order-service: 30 replicas$`,
		`(?m)^Phase:       Watching$`,
		`(?m)^Value:       41\.0% \(threshold 70%: below\)$`,
		`(?m)^CLUSTER\s+VALUE\s+MIN\s+MAX\s+SAMPLES\s+VERDICT\s+MESSAGE$`,
		`(?m)^south-cluster\s+39\.0%\s+36\.0%\s+72\.5%\s+10\s+Mixed\s+crossed 70% within the window: no action$`,
		`(?m)^Executions \(2 of 2, newest first\):$`,
		`(?s)#2 .*#1 `,
		`(?m)^      north-cluster worker-pool 3 → 5: 4/5 Ready$`,
		`(?m)^      Deployment default/order-service 10 → 20: 20/20 ready ✓$`,
		`(?m)^      FAILED pod north-cluster/default/order-service-x: ImagePullBackOff$`,
	}, []string{`Forecast`})
}

func TestScaleStatusShowsAForecast(t *testing.T) {
	p := promo()
	p.Trigger.Type, p.Trigger.LeadTime = "predictive", &metav1.Duration{Duration: 10 * time.Minute}
	p.Status.Forecast = &autoscalingv1alpha1.Forecast{Model: "holt-winters", Cluster: "north-cluster", CrossingTime: &metav1.Time{Time: rolloutNow.Add(time.Hour)}, Peak: "88", Error: "4.1%"}
	var out bytes.Buffer
	printScaleStatus(&out, p, rolloutNow)
	matchAll(t, out.String(), []string{`(?m)^Forecast:    north-cluster crosses the threshold at 11:30:00 \(scales out at 11:20:00, 10m ahead\); peak 88%; error 4\.1% on the last season \[holt-winters\]$`}, nil)
}

func TestDescribeScalePolicyListsEveryExecutionWithItsFailures(t *testing.T) {
	p := promo()
	triggered(p, "v", 5, 29, "Failed", "north-cluster/default/order-service-x: ImagePullBackOff")
	p.Status.Executions[0].FailedNodes = []string{"north-cluster/north-cluster-worker-pool-5: NotReady"}
	pools := []autoscalingv1alpha1.NodePool{{ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: "north-cluster-worker-pool"},
		Spec:   autoscalingv1alpha1.NodePoolSpec{Cluster: "north-cluster", PoolName: "worker-pool", Replicas: 5, MinNodes: 2, MaxNodes: 5, Provider: autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}}},
		Status: autoscalingv1alpha1.NodePoolStatus{Provider: "kwok", Replicas: 5, ReadyReplicas: 4}}}
	var out bytes.Buffer
	describeScalePolicy(&out, p, pools, rolloutNow)
	matchAll(t, out.String(), []string{
		`(?m)^Written as:  the console's JSON \(fields at the top level\)$`,
		`(?m)^Evaluation:  every 30s$`,
		`(?m)^Cooldown:    5m$`,
		`(?m)^Message:     execution 2 failed: 1 pod not running after 10m$`,
		`(?m)^  north-cluster\s+north-cluster-worker-pool\s+5\s+5\s+4\s+2-5\s+Degraded\s+4 of 5 nodes Ready$`,
		`(?m)^  #2  10:30:00 \(0s ago\)  manual, scale out  Failed in 1m30s: 1 pod not running after 10m$`,
		`(?m)^      why: kurator scale trigger$`,
		`(?m)^      FAILED pod north-cluster/default/order-service-x: ImagePullBackOff$`,
		`(?m)^      FAILED node north-cluster/north-cluster-worker-pool-5: NotReady$`,
		`(?m)^  #1  09:30:00 \(1h ago\)  resource, scale out  Succeeded in 2m$`,
	}, nil)
}

func TestDescribeNodePool(t *testing.T) {
	np := &autoscalingv1alpha1.NodePool{ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: "north-cluster-worker-pool"},
		Spec: autoscalingv1alpha1.NodePoolSpec{Cluster: "north-cluster", PoolName: "worker-pool", Replicas: 5, MinNodes: 2, MaxNodes: 5,
			Template: autoscalingv1alpha1.NodeTemplate{Labels: map[string]string{"tier": "worker"}, Capacity: corev1.ResourceList{"cpu": resource.MustParse("8")}},
			Provider: autoscalingv1alpha1.NodePoolProvider{ClusterAPI: &autoscalingv1alpha1.ClusterAPIProvider{Namespace: "capi", Name: "north-md"}}},
		Status: autoscalingv1alpha1.NodePoolStatus{Provider: "clusterAPI", Replicas: 4, ReadyReplicas: 3,
			Nodes: []autoscalingv1alpha1.PoolNode{{Name: "n1", Ready: true}, {Name: "n4", Message: "kubelet stopped posting status"}}}}
	var out bytes.Buffer
	describeNodePool(&out, np)
	matchAll(t, out.String(), []string{
		`(?m)^Provider:    Cluster API MachineDeployment capi/north-md in the hub$`,
		`(?m)^Desired:     5 \(bounds 2-5\)$`,
		`(?m)^Nodes:       4, 3 Ready$`,
		`(?m)^Health:      Progressing$`,
		`(?m)^  labels:    tier=worker$`,
		`(?m)^  capacity:  cpu=8$`,
		`(?m)^  n4\s+false\s+kubelet stopped posting status$`,
	}, nil)
}

func TestGetScaleTables(t *testing.T) {
	p := promo()
	triggered(p, "v", 5, 29, "Failed", "north-cluster/default/order-service-x: ImagePullBackOff")
	sus := promo()
	sus.ObjectMeta.Name, sus.Suspend = "nightly", true
	sus.Trigger = &autoscalingv1alpha1.ScaleTrigger{Type: "cron", Schedule: "0 8 * * *", TimeZone: "Asia/Shanghai"}
	sus.Status = autoscalingv1alpha1.ScalePolicyStatus{}
	var out bytes.Buffer
	if err := printScalePolicies(&out, []autoscalingv1alpha1.ScalePolicy{*sus, *p}, true, rolloutNow); err != nil {
		t.Fatal(err)
	}
	matchAll(t, out.String(), []string{
		`(?m)^NAMESPACE\s+NAME\s+TRIGGER\s+PHASE\s+VALUE\s+LAST-SCALE\s+LAST-RESULT\s+AGE\s+CONDITION\s+MESSAGE$`,
		`(?m)^default\s+nightly\s+cron\s+Pending \(suspended\)\s+0 8 \* \* \* Asia/Shanghai\s+-\s+-\s+`,
		`(?m)^default\s+promo-scale-policy\s+resource\s+Watching\s+41\.0%/70%\s+1h ago\s+#2 out Failed \(1 failed pod\)\s+.*cpu above 70% for 5m in north-cluster, south-cluster\s+execution 2 failed`,
	}, nil)
	if strings.Index(out.String(), "nightly") > strings.Index(out.String(), "promo-scale-policy") {
		t.Errorf("rows not by name:\n%s", out.String())
	}

	out.Reset()
	fhpa := karmadaautoscalingv1alpha1.FederatedHPA{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "order-hpa"},
		Spec: karmadaautoscalingv1alpha1.FederatedHPASpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "order-service"}, MaxReplicas: 50,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: "cpu",
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptrTo[int32](60)}}}}},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 20, DesiredReplicas: 27, CurrentMetrics: []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{Name: "cpu", Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptrTo[int32](81)}}}}}}
	if err := printFederatedHPAs(&out, []karmadaautoscalingv1alpha1.FederatedHPA{fhpa}, false); err != nil {
		t.Fatal(err)
	}
	matchAll(t, out.String(), []string{`(?m)^default\s+order-hpa\s+Deployment/order-service\s+1\s+50\s+20\s+27\s+cpu: 81%/60%\s+`}, nil)

	out.Reset()
	cron := karmadaautoscalingv1alpha1.CronFederatedHPA{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "promo-cron"},
		Spec: karmadaautoscalingv1alpha1.CronFederatedHPASpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "FederatedHPA", Name: "order-hpa"},
			Rules: []karmadaautoscalingv1alpha1.CronFederatedHPARule{{Name: "peak", Schedule: "0 8 * * *", TargetMinReplicas: ptrTo[int32](30)}, {Name: "night", Schedule: "0 22 * * *", TargetReplicas: ptrTo[int32](5)}}},
		Status: karmadaautoscalingv1alpha1.CronFederatedHPAStatus{ExecutionHistories: []karmadaautoscalingv1alpha1.ExecutionHistory{
			{RuleName: "peak", NextExecutionTime: &metav1.Time{Time: rolloutNow.Add(2 * time.Hour)}, SuccessfulExecutions: []karmadaautoscalingv1alpha1.SuccessfulExecution{{ScheduleTime: at(1440), ExecutionTime: at(1440)}}},
			{RuleName: "night", NextExecutionTime: &metav1.Time{Time: rolloutNow.Add(time.Hour)}, FailedExecutions: []karmadaautoscalingv1alpha1.FailedExecution{{ScheduleTime: at(600), ExecutionTime: at(600), Message: "Deployment not found"}}},
		}}}
	if err := printCronFederatedHPAs(&out, []karmadaautoscalingv1alpha1.CronFederatedHPA{cron}, rolloutNow); err != nil {
		t.Fatal(err)
	}
	matchAll(t, out.String(), []string{`(?m)^default\s+promo-cron\s+FederatedHPA/order-hpa\s+peak@0 8 \* \* \*→min 30; night@0 22 \* \* \*→5\s+night in 1h\s+night 10h ago failed: Deployment not found\s+`}, nil)
}

func ptrTo[T any](v T) *T { return &v }

func TestHPAMetricsTextDefaultsToCPUAt80(t *testing.T) {
	if got := hpaMetricsText(nil, nil); got != "cpu: <unknown>/80% (default)" {
		t.Fatalf("%q", got)
	}
	avg := resource.MustParse("500m")
	got := hpaMetricsText([]autoscalingv2.MetricSpec{{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "rps"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &avg}}}}, nil)
	if got != "rps: <unknown>/500m (avg)" {
		t.Fatalf("%q", got)
	}
}

func TestScaleSuspendPatchGoesWhereThePolicyKeepsItsFields(t *testing.T) {
	console := promo()
	wrapped := promo()
	spec := wrapped.ScalePolicySpec
	wrapped.Spec, wrapped.ScalePolicySpec = &spec, autoscalingv1alpha1.ScalePolicySpec{}
	cases := []struct {
		name    string
		p       *autoscalingv1alpha1.ScalePolicy
		suspend bool
		patch   string
		field   string
	}{
		{"the console's form suspends at the top level", console, true, `{"suspend":true}`, "suspend"},
		{"resume removes the field", console, false, `{"suspend":null}`, "suspend"},
		{"the spec form suspends under spec", wrapped, true, `{"spec":{"suspend":true}}`, "spec.suspend"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, f := scaleSuspendPatch(c.p, c.suspend)
			if string(data) != c.patch || f != c.field {
				t.Fatalf("%s %s, want %s %s", data, f, c.patch, c.field)
			}
		})
	}
}

func TestScaleSuspendAndResume(t *testing.T) {
	hub := &fakePatcher{typed: map[string]*autoscalingv1alpha1.ScalePolicy{"default/promo-scale-policy": promo()}}
	var out bytes.Buffer
	if err := runScaleSuspend(context.Background(), hub, &out, "default", "promo-scale-policy", true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ScalePolicy default/promo-scale-policy suspended: its trigger is not evaluated until `kurator scale resume promo-scale-policy -n default`") ||
		len(hub.patches) != 1 || !strings.HasSuffix(hub.patches[0], `{"suspend":true}`) {
		t.Fatalf("output %q, patches %v", out.String(), hub.patches)
	}
	out.Reset()
	if err := runScaleSuspend(context.Background(), hub, &out, "default", "promo-scale-policy", false); err != nil {
		t.Fatal(err)
	}
	if out.String() != "ScalePolicy default/promo-scale-policy is already not suspended\n" || len(hub.patches) != 1 {
		t.Fatalf("output %q, patches %v", out.String(), hub.patches)
	}
	err := runScaleSuspend(context.Background(), hub, &out, "default", "nope", true)
	if err == nil || !strings.Contains(err.Error(), "ScalePolicy default/nope not found: list them with `kurator scale list -n default`") {
		t.Fatalf("err %v", err)
	}
}

func TestScaleVerbsAreRegisteredWithHelp(t *testing.T) {
	out, err := runKurator(t, "", "scale", "--help")
	if err != nil || !strings.Contains(out, `"name": "promo-scale-policy"`) || !strings.Contains(out, "kurator scale apply -f promo.json") {
		t.Fatalf("scale --help: %v\n%s", err, out)
	}
	for _, verb := range []string{"apply", "trigger", "list", "status", "suspend", "resume"} {
		out, err := runKurator(t, "", "scale", verb, "--help")
		if err != nil || !strings.Contains(out, "kurator scale "+verb) || !strings.Contains(out, "--kubeconfig") {
			t.Errorf("scale %s --help: %v\n%s", verb, err, out)
		}
	}
	if _, err := runKurator(t, "", "scale", "apply"); err == nil || !strings.Contains(err.Error(), "give the policy with -f FILE") {
		t.Errorf("apply without -f: %v", err)
	}
}
