package fleethpa

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/fleetmetrics"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// Reasons the evaluator sets besides Kubernetes' own.
const (
	// ReasonNotPropagated (ScalingActive=False): the target has no
	// ResourceBinding, so it runs in no member cluster.
	ReasonNotPropagated = "NotPropagated"
	// ReasonNoReadyClusters (AbleToScale=False): the binding names no
	// cluster, or none of them is Ready.
	ReasonNoReadyClusters = "FailedGetTargetClusters"
)

// evaluator runs one HPA sync: it observes the target on the hub and in
// every ready member, asks autoscale.HPADesired, writes the template's
// replicas and fills the status. It keeps each HPA's history in memory, as
// kube-controller-manager does (a restarted manager starts the windows
// afresh).
type evaluator struct {
	hub     client.Client
	clients *member.Registry
	prom    *fleetmetrics.Client
	promErr error
	opts    Options

	mu      sync.Mutex
	history map[string]autoscale.HPAHistory
}

func newEvaluator(hub client.Client, opts Options) *evaluator {
	e := &evaluator{hub: hub, clients: opts.Clients, opts: opts, history: map[string]autoscale.HPAHistory{}}
	if opts.PrometheusAddress == "" {
		e.promErr = errors.New("the manager has no Prometheus address: start it with --prometheus-address (the fleet's Prometheus scraping every member's pod usage)")
	} else {
		e.prom, e.promErr = fleetmetrics.New(opts.PrometheusAddress, fleetmetrics.Options{})
	}
	return e
}

func (e *evaluator) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.history, key)
}

// sync is one evaluation of an HPA (native or federated) with the given
// key, namespace and spec. It updates status in place and returns the
// change it wrote to the template's replicas (0 for none).
func (e *evaluator) sync(ctx context.Context, key, namespace string, spec autoscalingv2.HorizontalPodAutoscalerSpec, status *autoscalingv2.HorizontalPodAutoscalerStatus, event eventFunc) int32 {
	now := e.opts.Clock.Now()
	conds := func(set ...autoscalingv2.HorizontalPodAutoscalerCondition) {
		status.Conditions = autoscale.HPAMergeConditions(status.Conditions, set, now)
	}
	ref := spec.ScaleTargetRef
	target, scale, err := e.templateScale(ctx, namespace, ref)
	if err != nil {
		conds(cond(autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedGetScale", "the HPA controller was unable to get the target's current scale: %v", err))
		event(corev1.EventTypeWarning, "FailedGetScale", err.Error())
		return 0
	}
	current := scale.Spec.Replicas
	status.CurrentReplicas = current
	status.DesiredReplicas = current

	obs, err := e.observe(ctx, namespace, ref, target)
	if err != nil {
		var np notPropagated
		if errors.As(err, &np) {
			conds(cond(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
				cond(autoscalingv2.ScalingActive, corev1.ConditionFalse, ReasonNotPropagated, "%s", err.Error()))
		} else {
			conds(cond(autoscalingv2.AbleToScale, corev1.ConditionFalse, ReasonNoReadyClusters, "the HPA controller was unable to get the target's pods in the member clusters: %v", err))
		}
		status.CurrentMetrics = nil
		return 0
	}

	metrics := autoscale.HPAMetrics(spec)
	observations := e.readMetrics(ctx, namespace, metrics, obs)
	cfg := e.config()
	e.mu.Lock()
	history := e.history[key]
	e.mu.Unlock()
	res := autoscale.HPADesired(autoscale.HPAInput{
		Spec: spec, TemplateReplicas: current, MemberReplicas: obs.memberReplicas, Pods: obs.pods,
		Observations: observations, History: history, Now: now, Config: cfg,
	})
	history = res.History
	conds(res.Conditions...)
	status.CurrentMetrics = res.CurrentMetrics
	var changed int32
	if res.Rescale {
		if err := e.writeReplicas(ctx, target, scale, res.DesiredReplicas); err != nil {
			conds(cond(autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: %v", err))
			event(corev1.EventTypeWarning, "FailedRescale", fmt.Sprintf("New size: %d; reason: %s; error: %v", res.DesiredReplicas, res.Reason, err))
		} else {
			history = history.RecordScale(spec, current, res.DesiredReplicas, now)
			conds(cond(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededRescale", "the HPA controller was able to update the target scale to %d", res.DesiredReplicas))
			event(corev1.EventTypeNormal, "SuccessfulRescale", fmt.Sprintf("New size: %d; reason: %s", res.DesiredReplicas, res.Reason))
			status.DesiredReplicas = res.DesiredReplicas
			status.LastScaleTime = &metav1.Time{Time: now}
			changed = res.DesiredReplicas - current
		}
	}
	e.mu.Lock()
	e.history[key] = history
	e.mu.Unlock()
	if res.Err != nil && !res.Rescale {
		if c, ok := autoscale.HPACondition(res.Conditions, autoscalingv2.ScalingActive); ok && c.Status == corev1.ConditionFalse {
			event(corev1.EventTypeWarning, c.Reason, c.Message)
		}
	}
	return changed
}

// config is the HPA configuration with the test time divisor applied to
// the controller's own durations (the behavior's are divided by HPADesired).
func (e *evaluator) config() autoscale.HPAConfig {
	c := e.opts.HPA
	d := autoscale.HPADefaultConfig()
	div := e.opts.TimeDivisor
	scale := func(have, def time.Duration) time.Duration {
		if have <= 0 {
			have = def
		}
		return time.Duration(float64(have) / div)
	}
	c.CPUInitializationPeriod = scale(c.CPUInitializationPeriod, d.CPUInitializationPeriod)
	c.DelayOfInitialReadinessStatus = scale(c.DelayOfInitialReadinessStatus, d.DelayOfInitialReadinessStatus)
	c.DownscaleStabilizationWindow = scale(c.DownscaleStabilizationWindow, d.DownscaleStabilizationWindow)
	c.TimeDivisor = div
	return c
}

// templateScale reads the hub template's scale subresource.
func (e *evaluator) templateScale(ctx context.Context, namespace string, ref autoscalingv2.CrossVersionObjectReference) (*unstructured.Unstructured, *autoscalingv1.Scale, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || ref.Kind == "" || ref.Name == "" {
		return nil, nil, fmt.Errorf("spec.scaleTargetRef %s/%s %q: give apiVersion, kind and name of the workload", ref.APIVersion, ref.Kind, ref.Name)
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gv.WithKind(ref.Kind))
	obj.SetNamespace(namespace)
	obj.SetName(ref.Name)
	// The client reads the subresource of an unstructured object only
	// into an unstructured body.
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(autoscalingv1.SchemeGroupVersion.WithKind("Scale"))
	if err := e.hub.SubResource("scale").Get(ctx, obj, u); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil, fmt.Errorf("%s %s/%s not found on the hub: create it, or fix spec.scaleTargetRef", ref.Kind, namespace, ref.Name)
		}
		return nil, nil, fmt.Errorf("read the scale of %s %s/%s on the hub (the kind needs a scale subresource): %w", ref.Kind, namespace, ref.Name, err)
	}
	scale := &autoscalingv1.Scale{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, scale); err != nil {
		return nil, nil, fmt.Errorf("read the scale of %s %s/%s on the hub: %w", ref.Kind, namespace, ref.Name, err)
	}
	return obj, scale, nil
}

// writeReplicas sets the template's replicas through its scale subresource,
// from the scale just read (a concurrent change makes it a conflict, and
// the next sync decides again).
func (e *evaluator) writeReplicas(ctx context.Context, target *unstructured.Unstructured, scale *autoscalingv1.Scale, n int32) error {
	s := scale.DeepCopy()
	s.Spec.Replicas = n
	body, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: body}
	u.SetGroupVersionKind(autoscalingv1.SchemeGroupVersion.WithKind("Scale"))
	if err := e.hub.SubResource("scale").Update(ctx, target, client.WithSubResourceBody(u)); err != nil {
		return fmt.Errorf("set %s %s/%s replicas to %d: %w", target.GetKind(), target.GetNamespace(), target.GetName(), n, err)
	}
	return nil
}

// notPropagated says the target has no binding.
type notPropagated struct{ msg string }

func (n notPropagated) Error() string { return n.msg }

// observation is the target in the member clusters.
type observation struct {
	clusters       []string // ready clusters observed, sorted
	memberReplicas int32
	pods           []autoscale.HPAPod
	// skipped explains clusters that could not be read.
	skipped []string
}

// observe finds the target's binding and reads, in every ready cluster it
// names, the workload's scale (replicas and pod selector) and its pods.
// Clusters that cannot be read are skipped, as Karmada skips them.
func (e *evaluator) observe(ctx context.Context, namespace string, ref autoscalingv2.CrossVersionObjectReference, target *unstructured.Unstructured) (*observation, error) {
	var rb workv1alpha1.ResourceBinding
	name := workv1alpha1.BindingName(ref.Name, ref.Kind)
	err := e.hub.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &rb)
	if apierrors.IsNotFound(err) || (err == nil && (rb.Spec.Resource.Kind != ref.Kind || rb.Spec.Resource.Name != ref.Name)) {
		return nil, notPropagated{fmt.Sprintf("%s %s/%s is not propagated (no ResourceBinding %s): it runs in no member cluster; select it with a PropagationPolicy (the hub scales only propagated workloads)", ref.Kind, namespace, ref.Name, name)}
	}
	if err != nil {
		return nil, fmt.Errorf("read ResourceBinding %s/%s: %w", namespace, name, err)
	}
	if len(rb.Spec.Clusters) == 0 {
		return nil, fmt.Errorf("ResourceBinding %s/%s is not scheduled to any cluster yet: see its Scheduled condition", namespace, name)
	}
	gvk := target.GroupVersionKind()
	obs := &observation{}
	for _, tc := range rb.Spec.Clusters {
		var ac clusterv1alpha1.AttachedCluster
		if err := e.hub.Get(ctx, types.NamespacedName{Namespace: e.opts.ClusterNamespace, Name: tc.Name}, &ac); err != nil {
			obs.skipped = append(obs.skipped, fmt.Sprintf("%s: %v", tc.Name, err))
			continue
		}
		if !ac.IsReady() {
			obs.skipped = append(obs.skipped, tc.Name+": not Ready")
			continue
		}
		replicas, pods, err := e.memberPods(ctx, &ac, gvk, namespace, ref.Name)
		if err != nil {
			obs.skipped = append(obs.skipped, fmt.Sprintf("%s: %v", tc.Name, err))
			continue
		}
		obs.clusters = append(obs.clusters, tc.Name)
		obs.memberReplicas += replicas
		obs.pods = append(obs.pods, pods...)
	}
	sort.Strings(obs.clusters)
	if len(obs.clusters) == 0 {
		return nil, fmt.Errorf("no ready member cluster of ResourceBinding %s/%s could be read (%s)", namespace, name, strings.Join(obs.skipped, "; "))
	}
	return obs, nil
}

// memberPods reads the workload's scale in one member and lists its pods by
// the scale's selector.
func (e *evaluator) memberPods(ctx context.Context, ac *clusterv1alpha1.AttachedCluster, gvk schema.GroupVersionKind, namespace, name string) (int32, []autoscale.HPAPod, error) {
	cs, err := e.clients.ForCluster(ctx, ac)
	if err != nil {
		return 0, nil, err
	}
	mapping, err := cs.RESTMapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		cs.RESTMapper.Reset()
		return 0, nil, fmt.Errorf("the member does not serve %s: %w", gvk, err)
	}
	u, err := cs.Dynamic.Resource(mapping.Resource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{}, "scale")
	if err != nil {
		return 0, nil, fmt.Errorf("read the scale of %s %s/%s: %w", gvk.Kind, namespace, name, err)
	}
	var scale autoscalingv1.Scale
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &scale); err != nil {
		return 0, nil, fmt.Errorf("read the scale of %s %s/%s: %w", gvk.Kind, namespace, name, err)
	}
	if scale.Status.Selector == "" {
		return 0, nil, fmt.Errorf("the scale of %s %s/%s has no selector yet", gvk.Kind, namespace, name)
	}
	sel, err := labels.Parse(scale.Status.Selector)
	if err != nil {
		return 0, nil, fmt.Errorf("the selector %q of %s %s/%s: %w", scale.Status.Selector, gvk.Kind, namespace, name, err)
	}
	list, err := cs.Kubernetes.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return 0, nil, fmt.Errorf("list the pods of %s %s/%s: %w", gvk.Kind, namespace, name, err)
	}
	pods := make([]autoscale.HPAPod, len(list.Items))
	for i := range list.Items {
		pods[i] = autoscale.HPAPod{Cluster: ac.Name, Pod: &list.Items[i]}
	}
	return scale.Spec.Replicas, pods, nil
}

// readMetrics reads each metric's per-pod values: cpu and memory Resource
// metrics from Prometheus (one query per resource for every cluster);
// other types are not served on the hub and get an error saying so.
func (e *evaluator) readMetrics(ctx context.Context, namespace string, metrics []autoscalingv2.MetricSpec, obs *observation) []autoscale.HPAObservation {
	out := make([]autoscale.HPAObservation, len(metrics))
	names := map[string][]string{}
	for _, p := range obs.pods {
		names[p.Cluster] = append(names[p.Cluster], p.Pod.Name)
	}
	read := map[corev1.ResourceName]autoscale.HPAObservation{}
	for i, m := range metrics {
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil &&
			(m.Resource.Name == corev1.ResourceCPU || m.Resource.Name == corev1.ResourceMemory):
			if o, ok := read[m.Resource.Name]; ok {
				out[i] = o
				continue
			}
			out[i] = e.podUsage(ctx, m.Resource.Name, namespace, names)
			read[m.Resource.Name] = out[i]
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
			out[i].Err = fmt.Errorf("resource %s is not measured per pod by the fleet's Prometheus: scale on cpu or memory", m.Resource.Name)
		case m.Type == autoscalingv2.ContainerResourceMetricSourceType, m.Type == autoscalingv2.PodsMetricSourceType:
			out[i].Err = fmt.Errorf("metric type %s is not read on the hub yet: scale on a Resource metric (cpu or memory of the whole pod)", m.Type)
		default:
			// Object and External: HPADesired names what to use instead.
		}
	}
	return out
}

// podUsage reads one resource's usage of the pods from Prometheus, in the
// replica calculator's milli-units.
func (e *evaluator) podUsage(ctx context.Context, res corev1.ResourceName, namespace string, names map[string][]string) autoscale.HPAObservation {
	if e.prom == nil {
		return autoscale.HPAObservation{Err: e.promErr}
	}
	r := fleetmetrics.CPU
	var window time.Duration
	if res == corev1.ResourceMemory {
		r = fleetmetrics.Memory
	} else {
		window = e.prom.RateWindow()
	}
	now := e.opts.Clock.Now()
	usage, err := e.prom.PodUsage(ctx, r, namespace, names)
	if err != nil {
		return autoscale.HPAObservation{Err: err}
	}
	out := map[autoscale.HPAPodKey]autoscale.HPAPodMetric{}
	for cluster, pods := range usage {
		for pod, v := range pods {
			out[autoscale.HPAPodKey{Cluster: cluster, Name: pod}] = autoscale.HPAPodMetric{Value: int64(math.Round(v * 1000)), Timestamp: now, Window: window}
		}
	}
	return autoscale.HPAObservation{Pods: out}
}

// eventFunc records an event on the HPA being synced.
type eventFunc func(eventType, reason, note string)

func cond(t autoscalingv2.HorizontalPodAutoscalerConditionType, s corev1.ConditionStatus, reason, format string, args ...any) autoscalingv2.HorizontalPodAutoscalerCondition {
	return autoscalingv2.HorizontalPodAutoscalerCondition{Type: t, Status: s, Reason: reason, Message: fmt.Sprintf(format, args...)}
}
