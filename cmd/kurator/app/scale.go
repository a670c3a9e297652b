package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/pkg/autoscale"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

// scaleFieldManager owns the fields `kurator scale apply` sets.
const scaleFieldManager = "kurator-scale"

// scaleFlags are the flags every scale verb shares.
type scaleFlags struct{ objectFlags }

func (f *scaleFlags) add(cmd *cobra.Command) { f.objectFlags.add(cmd, "namespace of the ScalePolicy") }

func getScalePolicy(ctx context.Context, c objectGetter, ns, name string) (*autoscalingv1alpha1.ScalePolicy, error) {
	var p autoscalingv1alpha1.ScalePolicy
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
		return nil, scaleReadError(ns, name, err)
	}
	return &p, nil
}

func scaleReadError(ns, name string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("ScalePolicy %s/%s not found: list them with `kurator scale list -n %s` (or -A), or create it with `kurator scale apply -f FILE -n %s`", ns, name, ns, ns)
	case meta.IsNoMatchError(err):
		return fmt.Errorf("the hub does not serve ScalePolicies (autoscaling.kurator.dev/v1alpha1): install Kurator's CRDs on it (`kurator up` does for a local fleet): %w", err)
	}
	return fmt.Errorf("read ScalePolicy %s/%s: %w", ns, name, err)
}

// promoExample is seed 000's promotion policy, as the console prints it.
const promoExample = `{
  "name": "promo-scale-policy",
  "targetClusters": ["north-cluster", "south-cluster"],
  "trigger": {"type": "resource", "metric": "cpu", "threshold": 70, "duration": "5m"},
  "action": {
    "type": "scale",
    "nodePool": {"name": "worker-pool", "minNodes": 2, "maxNodes": 5},
    "deployment": {"name": "order-service", "replicas": 30}
  }
}`

func newScaleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "scale",
		Aliases: []string{"scalepolicy"},
		Short:   "Scale workloads and node pools across clusters with ScalePolicies: apply, trigger, list, status, suspend, resume",
		Long: `A ScalePolicy grows workloads (their replicas on the hub, divided by their
propagation policy) and node pools (in every target cluster) when its trigger
fires: a resource metric above a threshold for a duration, a cron schedule, or a
forecast of the metric crossing the threshold. Once the condition clears and the
cooldown has passed it scales back in. Every execution is recorded in the
policy's status with when, why, what changed and the result.

The policy may be written as the console's JSON, as seed 000 prints it (no
apiVersion, kind or metadata):

` + indent(promoExample, "  ") + `

or wrapped in apiVersion autoscaling.kurator.dev/v1alpha1, kind ScalePolicy and
metadata, with those fields at the top level or under spec.`,
		Example: `  # create the promotion policy from the console's JSON (promo.json holds the JSON above)
  kurator scale apply -f promo.json

  # run it now, and follow the nodes and replicas until they are Ready
  kurator scale trigger promo-scale-policy --wait

  # what it sees and did: window figures per cluster, the latest executions
  kurator scale status promo-scale-policy
  kurator scale list -A

  # stop and restart evaluating the trigger (a manual trigger still runs)
  kurator scale suspend promo-scale-policy
  kurator scale resume promo-scale-policy`,
	}
	cmd.AddCommand(newScaleApplyCommand(), newScaleTriggerCommand(), newScaleListCommand(), newScaleStatusCommand(),
		newScaleSuspendCommand(true), newScaleSuspendCommand(false))
	return cmd
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// --- apply ---

func newScaleApplyCommand() *cobra.Command {
	var (
		f      scaleFlags
		files  []string
		dryRun bool
		force  bool
	)
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create or update ScalePolicies (and NodePools) from the console's JSON, JSON or YAML",
		Long: `Create or update ScalePolicies by server-side apply. Each file (or - for stdin)
holds one or more documents, JSON or YAML: the console's bare JSON (name,
targetClusters, trigger, action, no apiVersion or kind), or wrapped objects of
kind ScalePolicy or NodePool (autoscaling.kurator.dev/v1alpha1), with the policy's
fields at the top level or under spec.

Every document is first sent as a dry run; if the hub refuses any, nothing is
applied and each refusal is listed with its field and message.`,
		Example: `  kurator scale apply -f promo.json
  kurator scale apply -f promo.json -n shop
  cat policies.yaml | kurator scale apply -f -
  kurator scale apply -f promo.json --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return errors.New("give the policy with -f FILE (or -f - for stdin), e.g. `kurator scale apply -f promo.json`")
			}
			var docs []scaleDoc
			for _, name := range files {
				var r io.Reader
				if name == "-" {
					r = cmd.InOrStdin()
				} else {
					fh, err := os.Open(name)
					if err != nil {
						return fmt.Errorf("read %s: %w", name, err)
					}
					defer fh.Close()
					r = fh
				}
				source := name
				if name == "-" {
					source = "stdin"
				}
				ds, err := readScaleDocs(r, source)
				if err != nil {
					return err
				}
				docs = append(docs, ds...)
			}
			if len(docs) == 0 {
				return fmt.Errorf("%s hold no document: give a ScalePolicy, e.g.\n%s", strings.Join(files, ", "), promoExample)
			}
			for i := range docs {
				if err := docs[i].normalize(f.namespace, cmd.Flags().Changed("namespace")); err != nil {
					return err
				}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			return applyScaleDocs(cmd.Context(), c, cmd.OutOrStdout(), docs, applyOptions{dryRun: dryRun, force: force})
		},
	}
	f.add(cmd)
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "file with the policies (JSON or YAML, several documents allowed); - reads stdin")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "have the hub check every document, and change nothing")
	cmd.Flags().BoolVar(&force, "force-conflicts", false, "take over fields another manager (kubectl, the dashboard) set")
	return cmd
}

// scaleDoc is one document to apply and where it came from.
type scaleDoc struct {
	obj    *unstructured.Unstructured
	source string // "promo.json", "policies.yaml#2"
}

// readScaleDocs reads every JSON or YAML document of r (a JSON array or a
// kind List gives its items).
func readScaleDocs(r io.Reader, source string) ([]scaleDoc, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var docs []scaleDoc
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: document %d is neither JSON nor YAML: %w", source, n, err)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || string(raw) == "null" {
			n--
			continue
		}
		var v any
		if err := utiljson.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, n, err)
		}
		items := []any{v}
		if arr, ok := v.([]any); ok {
			items = arr
		} else if m, ok := v.(map[string]any); ok && strings.HasSuffix(fmt.Sprint(m["kind"]), "List") {
			items, _ = m["items"].([]any)
		}
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: document %d holds %s, not an object: give a ScalePolicy such as\n%s", source, n, jsonKind(it), promoExample)
			}
			docs = append(docs, scaleDoc{obj: &unstructured.Unstructured{Object: m}, source: source})
		}
	}
	if len(docs) > 1 { // name each document of the file: "policies.yaml#2"
		for i := range docs {
			docs[i].source = fmt.Sprintf("%s#%d", source, i+1)
		}
	}
	return docs, nil
}

// jsonKind names a decoded JSON value for an error: "a number", "a list".
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

// scaleKinds are the kinds `kurator scale apply` takes.
var scaleKinds = map[string]bool{"ScalePolicy": true, "NodePool": true}

// normalize makes a document an object the hub takes: the console's bare
// JSON becomes a ScalePolicy named by its name; metadata.name comes from
// name (or spec.name) when missing; the namespace is the flag's unless the
// document names one (and then it must agree with an explicit -n); what the
// hub sets (status, resourceVersion, managedFields, ...) is dropped.
func (d *scaleDoc) normalize(namespace string, explicit bool) error {
	o := d.obj.Object
	apiVersion, _ := o["apiVersion"].(string)
	kind, _ := o["kind"].(string)
	gv := autoscalingv1alpha1.GroupVersion.String()
	switch {
	case apiVersion == "" && kind == "":
		o["apiVersion"], o["kind"] = gv, "ScalePolicy"
	case apiVersion == "" || kind == "":
		return fmt.Errorf("%s: give both apiVersion and kind (%s, ScalePolicy), or neither for the console's JSON", d.source, gv)
	case !scaleKinds[kind]:
		file, _, _ := strings.Cut(d.source, "#")
		return fmt.Errorf("%s: kind %s: kurator scale apply takes ScalePolicy and NodePool objects; apply a %s with `kubectl apply -f %s`", d.source, kind, kind, file)
	case apiVersion != gv:
		return fmt.Errorf("%s: apiVersion %s: a %s is %s", d.source, apiVersion, kind, gv)
	}
	kind = d.obj.GetKind()
	name := d.obj.GetName()
	if kind == "ScalePolicy" {
		top, _, _ := unstructured.NestedString(o, "name")
		inSpec, _, _ := unstructured.NestedString(o, "spec", "name")
		for _, alt := range []struct{ field, value string }{{"name", top}, {"spec.name", inSpec}} {
			switch {
			case alt.value == "":
			case name == "":
				name = alt.value
			case alt.value != name:
				return fmt.Errorf("%s: %s %q and metadata.name %q differ: the hub requires them equal; drop %s or make it %q", d.source, alt.field, alt.value, name, alt.field, name)
			}
		}
	}
	if name == "" {
		what := "metadata.name"
		if kind == "ScalePolicy" {
			what = `"name" (the console's field) or metadata.name`
		}
		return fmt.Errorf("%s: a %s needs a name: give %s", d.source, kind, what)
	}
	d.obj.SetName(name)
	switch ns := d.obj.GetNamespace(); {
	case ns == "":
		d.obj.SetNamespace(namespace)
	case explicit && ns != namespace:
		return fmt.Errorf("%s: %s %s names namespace %s but -n is %s: drop metadata.namespace, or run with -n %s", d.source, kind, name, ns, namespace, ns)
	}
	delete(o, "status")
	for _, f := range []string{"resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"} {
		unstructured.RemoveNestedField(o, "metadata", f)
	}
	return nil
}

func (d scaleDoc) ref() string {
	return strings.ToLower(d.obj.GetKind()) + "." + autoscalingv1alpha1.GroupVersion.Group + "/" + d.obj.GetName()
}

func (d scaleDoc) title() string {
	return fmt.Sprintf("%s %s/%s (%s)", d.obj.GetKind(), d.obj.GetNamespace(), d.obj.GetName(), d.source)
}

// objectGetter reads one object from the hub.
type objectGetter interface {
	Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error
}

// objectPatcher is what apply, trigger and suspend need of the hub.
type objectPatcher interface {
	objectGetter
	Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error
}

type applyOptions struct {
	dryRun bool
	force  bool
}

// applyScaleDocs applies docs by server-side apply: every one as a dry run
// first, and for real only if the hub takes them all, so a refusal leaves
// nothing half applied. It prints "scalepolicy.autoscaling.kurator.dev/NAME
// created|configured|unchanged" per document.
func applyScaleDocs(ctx context.Context, c objectPatcher, out io.Writer, docs []scaleDoc, o applyOptions) error {
	opts := []client.PatchOption{client.FieldOwner(scaleFieldManager), client.FieldValidation(metav1.FieldValidationStrict)}
	if o.force {
		opts = append(opts, client.ForceOwnership)
	}
	var refusals []string
	before := make([]string, len(docs)) // resource version before, "" when new
	for i, d := range docs {
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(d.obj.GroupVersionKind())
		switch err := c.Get(ctx, client.ObjectKeyFromObject(d.obj), cur); {
		case err == nil:
			before[i] = cur.GetResourceVersion()
		case apierrors.IsNotFound(err):
		case meta.IsNoMatchError(err):
			return fmt.Errorf("the hub does not serve %ss (%s): install Kurator's CRDs on it (`kurator up` does for a local fleet): %w", d.obj.GetKind(), autoscalingv1alpha1.GroupVersion, err)
		default:
			return fmt.Errorf("read %s: %w", d.title(), err)
		}
		var lines []string
		hubFields := map[string]bool{}
		trial := d.obj.DeepCopy()
		if err := c.Patch(ctx, trial, client.Apply, append([]client.PatchOption{client.DryRunAll}, opts...)...); err != nil {
			lines, hubFields = refusalLines(err)
		}
		// The controller's own rules (a cron expression that does not
		// parse, an unknown time zone, a scope without workloads), for what
		// the hub's schema cannot say; a field the hub named is not named twice.
		for _, e := range controllerRefusals(d) {
			if !hubFields[strings.TrimPrefix(e.Field, ".")] {
				lines = append(lines, "  "+e.Error())
			}
		}
		if len(lines) > 0 {
			refusals = append(refusals, d.title()+":\n"+strings.Join(lines, "\n"))
		}
	}
	if len(refusals) > 0 {
		return fmt.Errorf("%d of %d documents were refused (by the hub, or by the controller's rules), so nothing was applied:\n%s\nfix them and run the command again", len(refusals), len(docs), strings.Join(refusals, "\n"))
	}
	if o.dryRun {
		for i, d := range docs {
			fmt.Fprintf(out, "%s %s (dry run)\n", d.ref(), appliedWord(before[i], ""))
		}
		return nil
	}
	for i, d := range docs {
		obj := d.obj.DeepCopy()
		if err := c.Patch(ctx, obj, client.Apply, opts...); err != nil {
			var done []string
			for _, p := range docs[:i] {
				done = append(done, p.ref())
			}
			applied := "none before it was applied"
			if len(done) > 0 {
				applied = "applied before it: " + strings.Join(done, ", ")
			}
			return fmt.Errorf("%s\n(%s; the dry run had passed, so the object changed on the hub meanwhile: run the command again)", refusalText(d, err), applied)
		}
		fmt.Fprintf(out, "%s %s\n", d.ref(), appliedWord(before[i], obj.GetResourceVersion()))
	}
	return nil
}

func appliedWord(before, after string) string {
	switch {
	case before == "":
		return "created"
	case before == after:
		return "unchanged"
	}
	return "configured"
}

// refusalText names the document and lists the hub's reasons, one field a
// line.
func refusalText(d scaleDoc, err error) string {
	lines, _ := refusalLines(err)
	return d.title() + ":\n" + strings.Join(lines, "\n")
}

// refusalLines are the hub's reasons, one field a line, and the fields
// they name.
func refusalLines(err error) ([]string, map[string]bool) {
	named := map[string]bool{}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return []string{"  " + err.Error()}, named
	}
	s := st.Status()
	var lines []string
	if s.Details != nil {
		for _, c := range s.Details.Causes {
			switch {
			case c.Field != "":
				named[strings.TrimPrefix(c.Field, ".")] = true
				lines = append(lines, "  "+c.Field+": "+strings.TrimPrefix(c.Message, c.Field+": "))
			case c.Message != "":
				lines = append(lines, "  "+c.Message)
			}
		}
	}
	if apierrors.IsConflict(err) {
		lines = append(lines, "  another manager set these fields: run with --force-conflicts to take them over")
	}
	if len(lines) == 0 {
		lines = append(lines, "  "+s.Message)
	}
	return lines, named
}

// controllerRefusals are what the controller would refuse in a ScalePolicy
// document (pkg/autoscale.Resolve, the controller's own reading of a spec).
// A document that does not even read as a ScalePolicy is left to the hub,
// which names the field.
func controllerRefusals(d scaleDoc) field.ErrorList {
	if d.obj.GetKind() != "ScalePolicy" {
		return nil
	}
	var p autoscalingv1alpha1.ScalePolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.obj.Object, &p); err != nil {
		return nil
	}
	_, errs := autoscale.Resolve(&p, 1)
	return errs
}

// --- trigger ---

func newScaleTriggerCommand() *cobra.Command {
	var (
		f       scaleFlags
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "trigger NAME",
		Short: "Run a policy's scale-out now, and follow it until its targets are Ready",
		Long: `Run the policy's scale-out once, now, whatever its trigger says (a suspended
policy too). The request is the annotation autoscaling.kurator.dev/trigger set
to the current time; the controller acts on each new value once.

With --wait (the default on a terminal) it follows the new execution and prints
a line whenever a target moves ("north-cluster worker-pool 3 → 5: 4/5 Ready",
"Deployment default/order-service 20 → 30: 27/30 ready"), flags failed pods and
nodes, and ends when the execution has Succeeded (exit 0) or Failed (exit 1).
Ctrl-C stops following; the execution goes on.`,
		Example: `  kurator scale trigger promo-scale-policy
  kurator scale trigger promo-scale-policy -n shop --wait --timeout 20m
  kurator scale trigger promo-scale-policy --wait=false`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !cmd.Flags().Changed("wait") {
				wait = isTerminal(out)
			}
			src := hubScaleSource{c: c, namespace: f.namespace, name: args[0]}
			return runScaleTrigger(cmd.Context(), c, src, out, triggerOptions{wait: wait, timeout: timeout, tty: isTerminal(out), now: time.Now})
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVarP(&wait, "wait", "w", false, "follow the execution until it succeeds or fails (default: on a terminal)")
	cmd.Flags().DurationVar(&timeout, "timeout", 20*time.Minute, "with --wait, give up following after this long (exit 1)")
	return cmd
}

type triggerOptions struct {
	wait    bool
	timeout time.Duration
	tty     bool
	now     func() time.Time
	// quiet is how long to wait for the controller before saying it has
	// not answered (30 s).
	quiet time.Duration
}

// scaleSource reads one ScalePolicy and watches it.
type scaleSource = objectSource[*autoscalingv1alpha1.ScalePolicy]

type hubScaleSource struct {
	c         client.WithWatch
	namespace string
	name      string
}

func (s hubScaleSource) get(ctx context.Context) (*autoscalingv1alpha1.ScalePolicy, error) {
	return getScalePolicy(ctx, s.c, s.namespace, s.name)
}

func (s hubScaleSource) watch(ctx context.Context, rv string) (watch.Interface, error) {
	return s.c.Watch(ctx, &autoscalingv1alpha1.ScalePolicyList{}, &client.ListOptions{
		Namespace:     s.namespace,
		FieldSelector: fields.OneTermEqualSelector("metadata.name", s.name),
		Raw:           &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true},
	})
}

// runScaleTrigger sets the trigger annotation and, with wait, follows the
// execution it starts.
func runScaleTrigger(ctx context.Context, c objectPatcher, src scaleSource, out io.Writer, o triggerOptions) error {
	p, err := src.get(ctx)
	if err != nil {
		return err
	}
	var newest int32
	for _, e := range p.Status.Executions {
		newest = max(newest, e.ID)
	}
	value := o.now().UTC().Format(time.RFC3339Nano)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{autoscalingv1alpha1.TriggerAnnotation: value}}})
	if err := c.Patch(ctx, p, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("annotate ScalePolicy %s/%s with %s=%s: %w", p.Namespace, p.ObjectMeta.Name, autoscalingv1alpha1.TriggerAnnotation, value, err)
	}
	spec := p.Resolved()
	fmt.Fprintf(out, "ScalePolicy %s/%s triggered (%s=%s)\n", p.Namespace, p.ObjectMeta.Name, autoscalingv1alpha1.TriggerAnnotation, value)
	if acts := dashboard.ScaleActionTexts(p.Namespace, spec.Action); len(acts) > 0 {
		fmt.Fprintf(out, "scales out in %s:\n", orDefault(strings.Join(spec.TargetClusters, ", "), "every cluster its workloads are placed in"))
		for _, a := range acts {
			fmt.Fprintf(out, "  %s\n", a)
		}
	}
	if !o.wait {
		fmt.Fprintf(out, "follow it with `kurator scale status %s -n %s -w`\n", p.ObjectMeta.Name, p.Namespace)
		return nil
	}
	quiet := o.quiet
	if quiet == 0 {
		quiet = 30 * time.Second
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	err = untilInterrupted(ctx, func(ctx context.Context) error {
		return followExecution(ctx, src, out, executionFollower{after: newest, trigger: value, tty: o.tty, now: o.now, quiet: quiet})
	})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("gave up following after %s: the execution goes on; see it with `kurator scale status %s -n %s`", o.timeout, p.ObjectMeta.Name, p.Namespace)
	case err == nil && ctx.Err() == nil:
		return nil
	case err == nil:
		fmt.Fprintf(out, "stopped following; the execution goes on: `kurator scale status %s -n %s`\n", p.ObjectMeta.Name, p.Namespace)
		return nil
	}
	return err
}

// executionFollower prints what changed in one execution since it last
// looked.
type executionFollower struct {
	after   int32  // the newest execution before the trigger
	trigger string // the annotation value set
	tty     bool
	now     func() time.Time
	quiet   time.Duration
	// poll is how often the policy is read again while no execution has
	// started (so the quiet warning shows without a change); default 5 s.
	poll time.Duration

	id      int32
	printed map[string]string // the last line printed per target or failure
	started time.Time
	warned  bool
}

// errExecutionFailed ends a followed execution that Failed.
var errExecutionFailed = errors.New("execution failed")

// look prints the news of p's execution; done when it is final (with
// errExecutionFailed when it Failed).
func (f *executionFollower) look(p *autoscalingv1alpha1.ScalePolicy, out io.Writer) (bool, error) {
	now := f.now()
	ts := now.Format(time.TimeOnly)
	var exec *autoscalingv1alpha1.ScaleExecution
	for i := range p.Status.Executions {
		e := &p.Status.Executions[i]
		if e.ID > f.after && (exec == nil || e.ID > exec.ID) {
			exec = e
		}
	}
	if exec == nil {
		if p.Status.HandledTrigger == f.trigger {
			why := "it did not say why"
			if c := meta.FindStatusCondition(p.Status.Conditions, autoscalingv1alpha1.ConditionReady); c != nil && c.Message != "" {
				why = c.Message
			}
			return true, fmt.Errorf("the controller took the trigger but started no execution: %s (see `kurator describe scalepolicy %s -n %s`)", why, p.ObjectMeta.Name, p.Namespace)
		}
		if f.started.IsZero() {
			f.started = now
			fmt.Fprintf(out, "%s waiting for the controller to start the execution\n", ts)
		} else if !f.warned && f.quiet > 0 && now.Sub(f.started) >= f.quiet {
			f.warned = true
			fmt.Fprintf(out, "%s no execution yet after %s: is kurator-manager running? (`kurator status`)\n", ts, roundDuration(now.Sub(f.started)))
		}
		return false, nil
	}
	if f.printed == nil {
		f.printed = map[string]string{}
	}
	if f.id != exec.ID {
		f.id = exec.ID
		fmt.Fprintf(out, "%s execution %d started (%s, scale %s): %s\n", ts, exec.ID, exec.Trigger, strings.ToLower(exec.Direction), exec.Reason)
	}
	for _, ch := range dashboard.ScaleChanges(exec.Changes) {
		line := ch.Text + ": " + ch.Progress
		if ch.Done {
			line += " ✓"
		}
		key := ch.Kind + " " + ch.Cluster + " " + ch.Namespace + "/" + ch.Name
		if f.printed[key] != line {
			f.printed[key] = line
			fmt.Fprintf(out, "%s   %s\n", ts, line)
		}
	}
	flag := func(what, text string) {
		key := what + " " + text
		if _, seen := f.printed[key]; seen {
			return
		}
		f.printed[key] = ""
		line := "FAILED " + what + " " + text
		if f.tty {
			line = "\x1b[31m" + line + "\x1b[0m"
		}
		fmt.Fprintf(out, "%s   %s\n", ts, line)
	}
	for _, s := range exec.FailedPods {
		flag("pod", s)
	}
	for _, s := range exec.FailedNodes {
		flag("node", s)
	}
	switch exec.Result {
	case autoscalingv1alpha1.ResultSucceeded, autoscalingv1alpha1.ResultFailed:
		took := ""
		if exec.CompletionTime != nil {
			took = " in " + roundDuration(exec.CompletionTime.Sub(exec.Time.Time))
		}
		msg := ""
		if exec.Message != "" {
			msg = ": " + exec.Message
		}
		fmt.Fprintf(out, "%s execution %d %s%s%s\n", ts, exec.ID, exec.Result, took, msg)
		if exec.Result == autoscalingv1alpha1.ResultFailed {
			return true, fmt.Errorf("%w: ScalePolicy %s/%s execution %d%s (see `kurator describe scalepolicy %s -n %s`)", errExecutionFailed,
				p.Namespace, p.ObjectMeta.Name, exec.ID, msg, p.ObjectMeta.Name, p.Namespace)
		}
		return true, nil
	}
	return false, nil
}

// followExecution reads the policy, then follows its watch (again after a
// watch closes or expires), until the execution the trigger started ends.
func followExecution(ctx context.Context, src scaleSource, out io.Writer, f executionFollower) error {
	p, err := src.get(ctx)
	if err != nil {
		return err
	}
	if done, err := f.look(p, out); done {
		return err
	}
	rv := p.ResourceVersion
	for {
		wi, err := src.watch(ctx, rv)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watch ScalePolicy %s/%s: %w", p.Namespace, p.ObjectMeta.Name, err)
		}
		next, done, err := f.follow(ctx, wi, rv, out)
		wi.Stop()
		if done || err != nil {
			return err
		}
		if rv = next; rv == "" {
			if p, err = src.get(ctx); err != nil {
				return err
			}
			if done, err := f.look(p, out); done {
				return err
			}
			rv = p.ResourceVersion
		}
	}
}

// follow reads one watch until it ends; it returns the resource version
// to watch from next ("" to read the policy again).
func (f *executionFollower) follow(ctx context.Context, wi watch.Interface, rv string, out io.Writer) (string, bool, error) {
	poll := f.poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, false, ctx.Err()
		case <-tick.C:
			if f.id == 0 && !f.warned {
				return "", false, nil // read again: prints the warning when due
			}
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return rv, false, nil
			}
			switch ev.Type {
			case watch.Error:
				if st, ok := ev.Object.(*metav1.Status); ok && st.Code == 410 {
					return "", false, nil
				}
				return rv, false, fmt.Errorf("watch ScalePolicy: %v", apierrors.FromObject(ev.Object))
			case watch.Deleted:
				return rv, true, errors.New("the ScalePolicy was deleted while following its execution")
			case watch.Bookmark, watch.Added, watch.Modified:
				p, ok := ev.Object.(*autoscalingv1alpha1.ScalePolicy)
				if !ok {
					continue
				}
				rv = p.ResourceVersion
				if ev.Type == watch.Bookmark {
					continue
				}
				if done, err := f.look(p, out); done {
					return rv, true, err
				}
			}
		}
	}
}

// --- list, status ---

func newScaleListCommand() *cobra.Command {
	var f getFlags
	cmd := &cobra.Command{
		Use:     "list [NAME]",
		Aliases: []string{"get", "ls"},
		Short:   "List ScalePolicies: trigger, phase, value against threshold, last scale and its result",
		Example: `  kurator scale list
  kurator scale list -A -o wide
  kurator scale get promo-scale-policy -o yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return f.run(cmd, "scalepolicies", name)
		},
	}
	f.hub.add(cmd)
	cmd.Flags().StringVar(&f.hub.kubeconfig, "kubeconfig", "", "same as --hub-kubeconfig")
	cmd.Flags().StringVar(&f.hub.context, "context", localfleet.HubName, "same as --hub-context")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace (default: default)")
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "table, wide, yaml or json")
	return cmd
}

func newScaleStatusCommand() *cobra.Command {
	var (
		f      scaleFlags
		follow bool
		output string
	)
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show a policy's phase, per-cluster window figures with verdicts, forecast and latest executions",
		Long: `Show what a policy last saw and did: its phase, the trigger in words, the
value against the threshold, one row per target cluster with the window's
latest, lowest and highest values and its verdict (Above: held above the
threshold for the whole duration; Below; Mixed: crossed it, so no action;
NoData), a predictive trigger's forecast, and the three latest executions with
their changes and failed pods and nodes.

With --watch it prints again on every change (Ctrl-C to stop).`,
		Example: `  kurator scale status promo-scale-policy
  kurator scale status promo-scale-policy -w
  kurator scale status promo-scale-policy -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStatusOutput(output, follow); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if follow {
				return untilInterrupted(cmd.Context(), func(ctx context.Context) error {
					return watchScalePolicy(ctx, hubScaleSource{c: c, namespace: f.namespace, name: args[0]}, out, isTerminal(out), time.Now)
				})
			}
			p, err := getScalePolicy(cmd.Context(), c, f.namespace, args[0])
			if err != nil {
				return err
			}
			if output != "table" {
				return printStatusDoc(out, p.Status, output)
			}
			printScaleStatus(out, p, time.Now())
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVarP(&follow, "watch", "w", false, "print again on every change (Ctrl-C to stop)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, yaml or json (yaml and json print the status)")
	return cmd
}

// watchScalePolicy prints the status on every change until ctx ends: a
// policy has no end state.
func watchScalePolicy(ctx context.Context, src scaleSource, out io.Writer, tty bool, now func() time.Time) error {
	return watcher[*autoscalingv1alpha1.ScalePolicy]{kind: "ScalePolicy", src: src, print: printScaleStatus,
		same: func(a, b *autoscalingv1alpha1.ScalePolicy) bool {
			return a.Resolved().Suspend == b.Resolved().Suspend && equality.Semantic.DeepEqual(a.Status, b.Status)
		},
		done:   func(*autoscalingv1alpha1.ScalePolicy, io.Writer) bool { return false },
		copyOf: (*autoscalingv1alpha1.ScalePolicy).DeepCopy}.run(ctx, out, tty, now)
}

// printScaleStatus prints a policy's state and its three latest executions.
func printScaleStatus(w io.Writer, p *autoscalingv1alpha1.ScalePolicy, now time.Time) {
	d := dashboard.BuildScalePolicy(p, nil, nil)
	s := d.Summary
	fmt.Fprintf(w, "ScalePolicy: %s/%s\nTrigger:     %s\n", s.Namespace, s.Name, d.Spec.Trigger)
	printActions(w, d.Spec.Actions)
	fmt.Fprintf(w, "Phase:       %s\n", scalePhaseText(s))
	if v := valueText(s); v != "" {
		fmt.Fprintf(w, "Value:       %s\n", v)
	}
	if !s.LastEvaluation.IsZero() {
		line := clockTime(s.LastEvaluation, now)
		if !s.NextEvaluation.IsZero() {
			line += " (next " + clockTime(s.NextEvaluation, now) + ")"
		}
		fmt.Fprintf(w, "Evaluated:   %s\n", line)
	}
	if !s.LastScale.IsZero() {
		fmt.Fprintf(w, "Last scale:  %s (%s ago)\n", clockTime(s.LastScale, now), roundDuration(now.Sub(s.LastScale)))
	}
	if s.Message != "" {
		fmt.Fprintf(w, "Message:     %s\n", s.Message)
	}
	fmt.Fprintln(w)
	printScaleClusters(w, "", d.Clusters)
	if f := d.Forecast; f != nil {
		fmt.Fprintf(w, "\nForecast:    %s\n", forecastText(f, now))
	}
	fmt.Fprintln(w)
	printExecutions(w, "", d.Executions, 3, now)
}

func printActions(w io.Writer, actions []string) {
	for i, a := range actions {
		label := "            "
		if i == 0 {
			label = "Action:     "
		}
		fmt.Fprintf(w, "%s %s\n", label, a)
	}
	if len(actions) == 0 {
		fmt.Fprintf(w, "Action:      <none>\n")
	}
}

func scalePhaseText(s dashboard.ScalePolicySummary) string {
	phase := s.Phase
	if s.Suspended && phase != string(autoscalingv1alpha1.PhaseSuspended) {
		phase += " (suspended: resume with `kurator scale resume " + s.Name + " -n " + s.Namespace + "`)"
	} else if s.Suspended {
		phase += " (resume with `kurator scale resume " + s.Name + " -n " + s.Namespace + "`)"
	}
	return phase
}

// valueText is "81.2% (threshold 70%, above)" or a cron schedule.
func valueText(s dashboard.ScalePolicySummary) string {
	switch {
	case s.Schedule != "":
		return "schedule " + s.Schedule
	case s.Value == "" && s.Threshold == "":
		return ""
	case s.Value == "":
		return "no value yet (threshold " + s.Threshold + ")"
	case s.Threshold == "":
		return s.Value
	}
	side := "below"
	if s.Over {
		side = "at or above"
	}
	return fmt.Sprintf("%s (threshold %s: %s)", s.Value, s.Threshold, side)
}

func printScaleClusters(w io.Writer, indent string, clusters []dashboard.ScaleClusterView) {
	if len(clusters) == 0 {
		fmt.Fprintf(w, "%sClusters: <not evaluated yet>\n", indent)
		return
	}
	tw := table(w)
	fmt.Fprintf(tw, "%sCLUSTER\tVALUE\tMIN\tMAX\tSAMPLES\tVERDICT\tMESSAGE\n", indent)
	for _, c := range clusters {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%d\t%s\t%s\n", indent, c.Name, orDash(c.Value), orDash(c.Min), orDash(c.Max), c.Samples, c.Verdict, orDash(truncate(c.Message, 80)))
	}
	_ = tw.Flush()
}

func forecastText(f *dashboard.ForecastView, now time.Time) string {
	var parts []string
	if !f.CrossingTime.IsZero() {
		t := "crosses the threshold at " + clockTime(f.CrossingTime, now)
		if f.Cluster != "" {
			t = f.Cluster + " " + t
		}
		if !f.ScaleAt.IsZero() {
			t += fmt.Sprintf(" (scales out at %s, %s ahead)", clockTime(f.ScaleAt, now), f.LeadTime)
		}
		parts = append(parts, t)
	} else {
		parts = append(parts, "no crossing of the threshold within the next season")
	}
	if f.Peak != "" {
		p := "peak " + f.Peak
		if !f.PeakTime.IsZero() {
			p += " at " + clockTime(f.PeakTime, now)
		}
		parts = append(parts, p)
	}
	if f.Error != "" {
		parts = append(parts, "error "+f.Error+" on the last season")
	}
	text := strings.Join(parts, "; ")
	if f.Model != "" {
		text += " [" + f.Model + "]"
	}
	return text
}

// printExecutions prints up to n executions (0: all), newest first, each
// with its changes and failed pods and nodes under it.
func printExecutions(w io.Writer, indent string, execs []dashboard.ScaleExecutionView, n int, now time.Time) {
	if len(execs) == 0 {
		fmt.Fprintf(w, "%sExecutions: <none yet>\n", indent)
		return
	}
	shown := execs
	if n > 0 && len(execs) > n {
		shown = execs[:n]
	}
	fmt.Fprintf(w, "%sExecutions (%d of %d, newest first):\n", indent, len(shown), len(execs))
	for _, e := range shown {
		result := e.Result
		if e.Seconds > 0 || !e.Completed.IsZero() {
			result += " in " + roundDuration(time.Duration(e.Seconds)*time.Second)
		}
		if e.Message != "" {
			result += ": " + e.Message
		}
		fmt.Fprintf(w, "%s  #%d  %s (%s ago)  %s, scale %s  %s\n", indent, e.ID, clockTime(e.Time, now), roundDuration(now.Sub(e.Time)),
			orDefault(e.Trigger, "?"), strings.ToLower(orDefault(e.Direction, "?")), result)
		if e.Reason != "" {
			fmt.Fprintf(w, "%s      why: %s\n", indent, e.Reason)
		}
		for _, c := range e.Changes {
			mark := ""
			if c.Done {
				mark = " ✓"
			}
			fmt.Fprintf(w, "%s      %s: %s%s\n", indent, c.Text, c.Progress, mark)
		}
		for _, p := range e.FailedPods {
			fmt.Fprintf(w, "%s      FAILED pod %s\n", indent, p.FailedText())
		}
		for _, nd := range e.FailedNodes {
			fmt.Fprintf(w, "%s      FAILED node %s\n", indent, nd.FailedText())
		}
	}
}

// --- suspend, resume ---

func newScaleSuspendCommand(suspend bool) *cobra.Command {
	var f scaleFlags
	verb, short := "suspend", "Stop evaluating a policy's trigger (a manual trigger still runs)"
	if !suspend {
		verb, short = "resume", "Evaluate a suspended policy's trigger again"
	}
	cmd := &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Long: short + `. It sets suspend in the policy (at the top level for the
console's form, under spec otherwise); resume removes it.`,
		Example: fmt.Sprintf("  kurator scale %s promo-scale-policy", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			return runScaleSuspend(cmd.Context(), c, cmd.OutOrStdout(), f.namespace, args[0], suspend)
		},
	}
	f.add(cmd)
	return cmd
}

func runScaleSuspend(ctx context.Context, c objectPatcher, out io.Writer, ns, name string, suspend bool) error {
	p, err := getScalePolicy(ctx, c, ns, name)
	if err != nil {
		return err
	}
	if p.Resolved().Suspend == suspend {
		state := "suspended"
		if !suspend {
			state = "not suspended"
		}
		fmt.Fprintf(out, "ScalePolicy %s/%s is already %s\n", ns, name, state)
		return nil
	}
	patch, field := scaleSuspendPatch(p, suspend)
	if err := c.Patch(ctx, p, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("set %s=%t on ScalePolicy %s/%s: %w", field, suspend, ns, name, err)
	}
	if suspend {
		fmt.Fprintf(out, "ScalePolicy %s/%s suspended: its trigger is not evaluated until `kurator scale resume %s -n %s`; `kurator scale trigger %s -n %s` still runs it\n",
			ns, name, name, ns, name, ns)
	} else {
		fmt.Fprintf(out, "ScalePolicy %s/%s resumed: its trigger is evaluated again at the next interval\n", ns, name)
	}
	return nil
}

// scaleSuspendPatch is the merge patch that suspends (sets suspend) or
// resumes (removes it), where the policy keeps its fields.
func scaleSuspendPatch(p *autoscalingv1alpha1.ScalePolicy, suspend bool) ([]byte, string) {
	var v any = true
	if !suspend {
		v = nil
	}
	if p.Spec != nil {
		data, _ := json.Marshal(map[string]any{"spec": map[string]any{"suspend": v}})
		return data, "spec.suspend"
	}
	data, _ := json.Marshal(map[string]any{"suspend": v})
	return data, "suspend"
}

// --- Karmada's FederatedHPA and CronFederatedHPA, for kurator get ---

// hpaMetricsText is each metric's current value against its target, as
// kubectl's HPA table writes them: "cpu: 45%/80%". No metric is CPU at 80%.
func hpaMetricsText(specs []autoscalingv2.MetricSpec, current []autoscalingv2.MetricStatus) string {
	if len(specs) == 0 {
		cur := "<unknown>"
		for _, c := range current {
			if c.Resource != nil && c.Resource.Name == corev1.ResourceCPU && c.Resource.Current.AverageUtilization != nil {
				cur = fmt.Sprintf("%d%%", *c.Resource.Current.AverageUtilization)
			}
		}
		return "cpu: " + cur + "/80% (default)"
	}
	var parts []string
	for _, m := range specs {
		name, target, cur := "?", "?", "<unknown>"
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			if m.Resource != nil {
				name, target = string(m.Resource.Name), metricTargetText(m.Resource.Target)
				for _, c := range current {
					if c.Resource != nil && c.Resource.Name == m.Resource.Name {
						cur = metricValueText(c.Resource.Current, m.Resource.Target.Type)
					}
				}
			}
		case autoscalingv2.ContainerResourceMetricSourceType:
			if m.ContainerResource != nil {
				name, target = string(m.ContainerResource.Name)+" of "+m.ContainerResource.Container, metricTargetText(m.ContainerResource.Target)
				for _, c := range current {
					if c.ContainerResource != nil && c.ContainerResource.Name == m.ContainerResource.Name && c.ContainerResource.Container == m.ContainerResource.Container {
						cur = metricValueText(c.ContainerResource.Current, m.ContainerResource.Target.Type)
					}
				}
			}
		case autoscalingv2.PodsMetricSourceType:
			if m.Pods != nil {
				name, target = m.Pods.Metric.Name, metricTargetText(m.Pods.Target)
				for _, c := range current {
					if c.Pods != nil && c.Pods.Metric.Name == m.Pods.Metric.Name {
						cur = metricValueText(c.Pods.Current, m.Pods.Target.Type)
					}
				}
			}
		case autoscalingv2.ObjectMetricSourceType:
			if m.Object != nil {
				name, target = m.Object.Metric.Name, metricTargetText(m.Object.Target)
				for _, c := range current {
					if c.Object != nil && c.Object.Metric.Name == m.Object.Metric.Name {
						cur = metricValueText(c.Object.Current, m.Object.Target.Type)
					}
				}
			}
		case autoscalingv2.ExternalMetricSourceType:
			if m.External != nil {
				name, target = m.External.Metric.Name, metricTargetText(m.External.Target)
				for _, c := range current {
					if c.External != nil && c.External.Metric.Name == m.External.Metric.Name {
						cur = metricValueText(c.External.Current, m.External.Target.Type)
					}
				}
			}
		}
		parts = append(parts, name+": "+cur+"/"+target)
	}
	return strings.Join(parts, ", ")
}

func metricTargetText(t autoscalingv2.MetricTarget) string {
	switch {
	case t.Type == autoscalingv2.UtilizationMetricType && t.AverageUtilization != nil:
		return fmt.Sprintf("%d%%", *t.AverageUtilization)
	case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
		return t.AverageValue.String() + " (avg)"
	case t.Value != nil:
		return t.Value.String()
	}
	return "?"
}

func metricValueText(v autoscalingv2.MetricValueStatus, target autoscalingv2.MetricTargetType) string {
	switch {
	case target == autoscalingv2.UtilizationMetricType && v.AverageUtilization != nil:
		return fmt.Sprintf("%d%%", *v.AverageUtilization)
	case target == autoscalingv2.AverageValueMetricType && v.AverageValue != nil:
		return v.AverageValue.String()
	case v.Value != nil:
		return v.Value.String()
	case v.AverageValue != nil:
		return v.AverageValue.String()
	}
	return "<unknown>"
}

// cronRuleText is "scale-up@0 8 * * *→10" (a workload's replicas) or
// "peak@0 8 * * *→min 5 max 20" (a FederatedHPA's bounds).
func cronRuleText(r karmadaautoscalingv1alpha1.CronFederatedHPARule) string {
	var set []string
	if r.TargetReplicas != nil {
		set = append(set, fmt.Sprint(*r.TargetReplicas))
	}
	if r.TargetMinReplicas != nil {
		set = append(set, fmt.Sprintf("min %d", *r.TargetMinReplicas))
	}
	if r.TargetMaxReplicas != nil {
		set = append(set, fmt.Sprintf("max %d", *r.TargetMaxReplicas))
	}
	text := r.Name + "@" + r.Schedule
	if r.TimeZone != nil && *r.TimeZone != "" {
		text += " " + *r.TimeZone
	}
	text += "→" + orDefault(strings.Join(set, " "), "?")
	if r.Suspend != nil && *r.Suspend {
		text += " (suspended)"
	}
	return text
}

// cronRuns are the soonest next execution of any rule ("rule in 5m") and
// the latest execution ("rule 3m ago ok" or "rule 3m ago failed").
func cronRuns(st karmadaautoscalingv1alpha1.CronFederatedHPAStatus, now time.Time) (string, string) {
	next, last := "-", "-"
	var nextT, lastT time.Time
	for _, h := range st.ExecutionHistories {
		if t := h.NextExecutionTime; t != nil && (nextT.IsZero() || t.Before(&metav1.Time{Time: nextT})) {
			nextT, next = t.Time, h.RuleName+" in "+roundDuration(t.Sub(now))
		}
		for _, e := range h.SuccessfulExecutions {
			if e.ExecutionTime != nil && e.ExecutionTime.After(lastT) {
				lastT, last = e.ExecutionTime.Time, h.RuleName+" "+roundDuration(now.Sub(e.ExecutionTime.Time))+" ago ok"
			}
		}
		for _, e := range h.FailedExecutions {
			if e.ExecutionTime != nil && e.ExecutionTime.After(lastT) {
				lastT, last = e.ExecutionTime.Time, h.RuleName+" "+roundDuration(now.Sub(e.ExecutionTime.Time))+" ago failed: "+truncate(e.Message, 60)
			}
		}
	}
	return next, last
}

// roundDuration is d to the second, as a person writes it: "1h", "1m30s".
func roundDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return dashboard.ShortDuration(d.Round(time.Second))
}
