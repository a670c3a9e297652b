// Package fleethpa is the fleet-wide HorizontalPodAutoscaler: the hub runs
// no kube-controller-manager, so nothing else acts on an autoscaling/v2
// HorizontalPodAutoscaler created there. This package evaluates every such
// HPA, and every Karmada FederatedHPA, whose target is a propagated
// workload: it reads the target's ResourceBinding, each ready member's
// workload (its replicas and pod selector) and pods, their cpu and memory
// usage from the fleet's Prometheus, asks autoscale.HPADesired (Kubernetes'
// algorithm with Karmada's calibration) for the replica count, and writes
// it to the hub template's spec.replicas, which the scheduler divides by the
// workload's policy (80/20 stays 80/20). Status is HPA v2 status.
//
// CronFederatedHPAs are run here too: each rule fires once per schedule
// time and sets a workload template's replicas or a FederatedHPA's bounds.
//
// One HPA per workload: a second HPA or FederatedHPA on the same target
// makes both report ScalingActive=False (AmbiguousSelector) and neither
// act, as kube-controller-manager does for HPAs sharing pods. The detector
// does not propagate an HPA whose target is propagated, so members never
// run HPAs that fight the hub's (Karmada #1273).
package fleethpa

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// DefaultSyncPeriod is how often each HPA is evaluated, as
// --horizontal-pod-autoscaler-sync-period defaults in Kubernetes.
const DefaultSyncPeriod = 15 * time.Second

// ReasonAmbiguous (ScalingActive=False): another HPA or FederatedHPA scales
// the same workload.
const ReasonAmbiguous = "AmbiguousSelector"

// Options configure the controllers.
type Options struct {
	// PrometheusAddress is the fleet's Prometheus HTTP API, which has every
	// member's pod usage labelled with cluster (the manager's
	// --prometheus-address). Empty: every HPA reports ScalingActive=False.
	PrometheusAddress string
	// Clients reach the members (the manager's shared registry; nil: one
	// of its own).
	Clients *member.Registry
	// ClusterNamespace holds the AttachedClusters (kurator-system).
	ClusterNamespace string
	// SyncPeriod is how often each HPA is evaluated (default
	// DefaultSyncPeriod divided by TimeDivisor).
	SyncPeriod time.Duration
	// TimeDivisor divides every duration of the HPA algorithm: behavior
	// periods and windows, the downscale window, the cpu initialisation
	// period and readiness delay, and the default sync period (tests run
	// seed 001's 5-minute window in 30 s with 10). Cron schedules are not
	// divided. Default 1.
	TimeDivisor float64
	// HPA are kube-controller-manager's HPA flags (tolerance, windows);
	// zero fields take Kubernetes' defaults.
	HPA autoscale.HPAConfig
	// MaxConcurrentReconciles is how many HPAs are evaluated at once
	// (default 4).
	MaxConcurrentReconciles int
	// Clock is the time source (tests may step it).
	Clock clock.PassiveClock
}

func (o Options) withDefaults(mgr ctrl.Manager) Options {
	if o.ClusterNamespace == "" {
		o.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if o.TimeDivisor < 1 {
		o.TimeDivisor = 1
	}
	if o.SyncPeriod <= 0 {
		o.SyncPeriod = time.Duration(float64(DefaultSyncPeriod) / o.TimeDivisor)
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	if o.Clients == nil {
		o.Clients = member.NewRegistry(mgr.GetClient(), member.WithNamespace(o.ClusterNamespace))
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// syncSeconds is how long one HPA evaluation takes, by kind: reading the
// template, binding, members' scales and pods and Prometheus, deciding and
// writing.
var syncSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "kurator_fleethpa_sync_duration_seconds",
	Help:    "Time one fleet-wide HPA evaluation takes (observe, decide, write), by kind.",
	Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
}, []string{"kind"})

// rescales counts template replica changes, by kind and direction.
var rescales = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "kurator_fleethpa_rescales_total",
	Help: "Replica changes the fleet-wide HPAs wrote to templates, by kind and direction.",
}, []string{"kind", "direction"})

func init() { ctrlmetrics.Registry.MustRegister(syncSeconds, rescales) }

// Kinds of the autoscalers, as they appear in keys, metrics and messages.
const (
	KindHPA          = "HorizontalPodAutoscaler"
	KindFederatedHPA = "FederatedHPA"
)

// SetupWithManager registers the HPA, FederatedHPA and CronFederatedHPA
// controllers.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults(mgr)
	e := newEvaluator(mgr.GetClient(), opts)
	hpa := &hpaReconciler[*autoscalingv2.HorizontalPodAutoscaler]{
		e: e, kind: KindHPA, recorder: mgr.GetEventRecorder("kurator-fleethpa"),
		newObj: func() *autoscalingv2.HorizontalPodAutoscaler { return &autoscalingv2.HorizontalPodAutoscaler{} },
		spec: func(h *autoscalingv2.HorizontalPodAutoscaler) autoscalingv2.HorizontalPodAutoscalerSpec {
			return h.Spec
		},
		status: func(h *autoscalingv2.HorizontalPodAutoscaler) *autoscalingv2.HorizontalPodAutoscalerStatus {
			return &h.Status
		},
	}
	fhpa := &hpaReconciler[*karmadaautoscalingv1alpha1.FederatedHPA]{
		e: e, kind: KindFederatedHPA, recorder: mgr.GetEventRecorder("kurator-federatedhpa"),
		newObj: func() *karmadaautoscalingv1alpha1.FederatedHPA { return &karmadaautoscalingv1alpha1.FederatedHPA{} },
		spec:   FederatedHPASpec,
		status: func(h *karmadaautoscalingv1alpha1.FederatedHPA) *autoscalingv2.HorizontalPodAutoscalerStatus {
			return &h.Status
		},
	}
	// Spec changes start an evaluation at once; the periodic sync is the
	// requeue every reconcile asks for.
	if err := ctrl.NewControllerManagedBy(mgr).Named("fleethpa").
		For(&autoscalingv2.HorizontalPodAutoscaler{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(hpa); err != nil {
		return err
	}
	if err := ctrl.NewControllerManagedBy(mgr).Named("federatedhpa").
		For(&karmadaautoscalingv1alpha1.FederatedHPA{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(fhpa); err != nil {
		return err
	}
	return setupCron(mgr, e)
}

// FederatedHPASpec is a FederatedHPA's spec as an autoscaling/v2 HPA spec
// (the fields are Kubernetes', one for one).
func FederatedHPASpec(f *karmadaautoscalingv1alpha1.FederatedHPA) autoscalingv2.HorizontalPodAutoscalerSpec {
	return autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: f.Spec.ScaleTargetRef, MinReplicas: f.Spec.MinReplicas, MaxReplicas: f.Spec.MaxReplicas,
		Metrics: f.Spec.Metrics, Behavior: f.Spec.Behavior,
	}
}

// hpaReconciler syncs one kind of autoscaler (an HPA or a FederatedHPA:
// same spec and status, different types).
type hpaReconciler[T client.Object] struct {
	e        *evaluator
	kind     string
	recorder events.EventRecorder
	newObj   func() T
	spec     func(T) autoscalingv2.HorizontalPodAutoscalerSpec
	status   func(T) *autoscalingv2.HorizontalPodAutoscalerStatus
}

// Reconcile evaluates one autoscaler and asks to run again after the sync
// period.
func (r *hpaReconciler[T]) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	key := r.kind + "/" + req.String()
	obj := r.newObj()
	if err := r.e.hub.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.e.forget(key)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		r.e.forget(key)
		return reconcile.Result{}, nil
	}
	start := time.Now()
	status := r.status(obj)
	before := status.DeepCopy()
	spec := r.spec(obj)
	event := func(eventType, reason, note string) {
		r.recorder.Eventf(obj, nil, eventType, reason, "Scale", "%s", note)
	}
	var changed int32
	if other, err := r.e.otherAutoscaler(ctx, r.kind, obj, spec.ScaleTargetRef); err != nil {
		return reconcile.Result{}, err
	} else if other != "" {
		ref := spec.ScaleTargetRef
		status.Conditions = autoscale.HPAMergeConditions(status.Conditions, []autoscalingv2.HorizontalPodAutoscalerCondition{
			cond(autoscalingv2.ScalingActive, corev1.ConditionFalse, ReasonAmbiguous,
				"%s %s/%s is also scaled by %s: keep one autoscaler per workload (to change a FederatedHPA's bounds on a schedule, point a CronFederatedHPA at it)", ref.Kind, obj.GetNamespace(), ref.Name, other),
		}, r.e.opts.Clock.Now())
	} else {
		changed = r.e.sync(ctx, key, obj.GetNamespace(), spec, status, event)
	}
	status.ObservedGeneration = ptr.To(obj.GetGeneration())
	if !equality.Semantic.DeepEqual(before, status) {
		if err := r.e.hub.Status().Update(ctx, obj); err != nil {
			if apierrors.IsConflict(err) {
				return reconcile.Result{RequeueAfter: time.Second}, nil
			}
			return reconcile.Result{}, fmt.Errorf("update status of %s %s: %w", r.kind, req, err)
		}
	}
	syncSeconds.WithLabelValues(r.kind).Observe(time.Since(start).Seconds())
	switch {
	case changed > 0:
		rescales.WithLabelValues(r.kind, "up").Inc()
	case changed < 0:
		rescales.WithLabelValues(r.kind, "down").Inc()
	}
	return reconcile.Result{RequeueAfter: r.e.opts.SyncPeriod}, nil
}

// otherAutoscaler names what this autoscaler must leave the target to: an
// older ScalePolicy on it, or another HPA or FederatedHPA on it (then
// neither acts, as Kubernetes does). "" for none.
func (e *evaluator) otherAutoscaler(ctx context.Context, kind string, obj client.Object, ref autoscalingv2.CrossVersionObjectReference) (string, error) {
	namespace, name := obj.GetNamespace(), obj.GetName()
	same := func(o autoscalingv2.CrossVersionObjectReference) bool {
		return o.Kind == ref.Kind && o.Name == ref.Name && groupOf(o.APIVersion) == groupOf(ref.APIVersion)
	}
	// A ScalePolicy on the same workload: the older of the two acts, as the
	// ScalePolicy controller decides it from the same claims.
	var policies autoscalingv1alpha1.ScalePolicyList
	if err := e.hub.List(ctx, &policies, client.InNamespace(namespace)); err != nil {
		return "", fmt.Errorf("list ScalePolicies in %s: %w", namespace, err)
	}
	self := kind + " " + namespace + "/" + name
	target := autoscale.Workload{Kind: ref.Kind, Namespace: namespace, Name: ref.Name}.Key()
	claims := []autoscale.Claim{{Owner: self, Created: obj.GetCreationTimestamp().Time, Workload: target}}
	for i := range policies.Items {
		claims = append(claims, autoscale.PolicyClaims(&policies.Items[i])...)
	}
	if winner := autoscale.Conflicts(claims)[self]; winner != "" {
		return winner, nil
	}
	var hpas autoscalingv2.HorizontalPodAutoscalerList
	if err := e.hub.List(ctx, &hpas, client.InNamespace(namespace)); err != nil {
		return "", fmt.Errorf("list HorizontalPodAutoscalers in %s: %w", namespace, err)
	}
	for _, h := range hpas.Items {
		if (kind != KindHPA || h.Name != name) && h.DeletionTimestamp.IsZero() && same(h.Spec.ScaleTargetRef) {
			return fmt.Sprintf("%s %s/%s", KindHPA, namespace, h.Name), nil
		}
	}
	var fhpas karmadaautoscalingv1alpha1.FederatedHPAList
	if err := e.hub.List(ctx, &fhpas, client.InNamespace(namespace)); err != nil {
		return "", fmt.Errorf("list FederatedHPAs in %s: %w", namespace, err)
	}
	for _, f := range fhpas.Items {
		if (kind != KindFederatedHPA || f.Name != name) && f.DeletionTimestamp.IsZero() && same(f.Spec.ScaleTargetRef) {
			return fmt.Sprintf("%s %s/%s", KindFederatedHPA, namespace, f.Name), nil
		}
	}
	return "", nil
}

func groupOf(apiVersion string) string {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return apiVersion
	}
	return gv.Group
}
