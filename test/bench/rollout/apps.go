package main

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

const (
	oldImage = "nginx:1.25"
	newImage = "nginx:1.26"
	port     = 9080
)

// targets are the members every bench app is duplicated to; the third
// member of the fleet holds nothing.
var targets = []string{"cluster-shanghai", "cluster-hangzhou"}

// appObjects are one bench app: a Deployment of one replica and its
// Service, duplicated to the two targets, and a canary Rollout 25 -> 50
// by 25 with a check every interval, judged on request-success-rate >= 99.
func appObjects(ns, name string, interval int) []client.Object {
	labels := map[string]string{"app": name}
	return []client.Object{
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](1),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "app", Image: oldImage, Ports: []corev1.ContainerPort{{ContainerPort: port}},
					}}},
				},
			},
		},
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{
				Selector: labels,
				Ports:    []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(port)}},
			},
		},
		&policyv1alpha1.PropagationPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: policyv1alpha1.PropagationSpec{
				ResourceSelectors: []policyv1alpha1.ResourceSelector{
					{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
					{APIVersion: "v1", Kind: "Service", Name: name},
				},
				Placement: policyv1alpha1.Placement{
					ClusterAffinity:   &policyv1alpha1.ClusterAffinity{ClusterNames: targets},
					ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
				},
			},
		},
		&appsv1alpha1.Rollout{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1alpha1.RolloutSpec{
				Workload:    appsv1alpha1.CrossNamespaceObjectReference{Name: name},
				ServiceName: name,
				Port:        port,
				RolloutPolicy: appsv1alpha1.RolloutPolicy{
					TrafficRouting: &appsv1alpha1.TrafficRoutingConfig{
						CanaryStrategy: &appsv1alpha1.CanaryConfig{MaxWeight: 50, StepWeight: 25},
					},
					TrafficAnalysis: &appsv1alpha1.TrafficAnalysis{
						CheckIntervalSeconds: ptr.To(interval),
						Metrics: []appsv1alpha1.Metric{{
							Name:            "request-success-rate",
							IntervalSeconds: ptr.To(15),
							ThresholdRange:  &appsv1alpha1.CanaryThresholdRange{Min: ptr.To(99.0)},
						}},
					},
				},
			},
		},
	}
}

// createApps creates the namespace and every app's objects, 10 apps at a
// time.
func createApps(ctx context.Context, hub client.Client, ns string, names []string, interval int) error {
	if err := hub.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	return parallel(names, 10, func(name string) error {
		for _, obj := range appObjects(ns, name, interval) {
			if err := hub.Create(ctx, obj); err != nil {
				return fmt.Errorf("create %T %s/%s: %w", obj, ns, name, err)
			}
		}
		return nil
	})
}

// setImage gives the Deployment's container the new image: a new pod
// template, so the Rollout starts a run.
func setImage(ctx context.Context, hub client.Client, ns, name string) error {
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":%q}]}}}}`, newImage)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if err := hub.Patch(ctx, d, client.RawPatch(types.StrategicMergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("set the image of Deployment %s/%s: %w", ns, name, err)
	}
	return nil
}

// parallel calls fn for every name with workers at once and returns the
// first error.
func parallel(names []string, workers int, fn func(string) error) error {
	work := make(chan string)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for name := range work {
				if err := fn(name); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, n := range names {
		work <- n
	}
	close(work)
	wg.Wait()
	return first
}
