package detector

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/selector"
	"github.com/kurator-go/kurator/pkg/workload"
)

func TestIgnored(t *testing.T) {
	tests := []struct {
		gvk  schema.GroupVersionKind
		want bool
	}{
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, false},
		{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, false},
		{schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "VirtualService"}, false},
		{schema.GroupVersionKind{Group: "work.kurator.dev", Version: "v1alpha1", Kind: "Work"}, true},
		{schema.GroupVersionKind{Group: "policy.karmada.io", Version: "v1alpha1", Kind: "PropagationPolicy"}, true},
		{schema.GroupVersionKind{Version: "v1", Kind: "Event"}, true},
		{schema.GroupVersionKind{Group: "events.k8s.io", Version: "v1", Kind: "Event"}, true},
		{schema.GroupVersionKind{Group: "coordination.k8s.io", Version: "v1", Kind: "Lease"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.gvk.String(), func(t *testing.T) {
			if got := Ignored(tt.gvk); got != tt.want {
				t.Errorf("Ignored = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBindingName(t *testing.T) {
	if got := workv1alpha1.BindingName("nginx", "Deployment"); got != "nginx-deployment" {
		t.Errorf("BindingName = %q", got)
	}
}

func TestDesiredSpecKeepsSchedulerFields(t *testing.T) {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("apps/v1")
	obj.SetKind("Deployment")
	obj.SetNamespace("default")
	obj.SetName("nginx")
	obj.SetUID("u1")
	obj.SetResourceVersion("42")
	obj.SetGeneration(3)
	spec := &workv1alpha1.ResourceBindingSpec{Clusters: []workv1alpha1.TargetCluster{{Name: "a", Replicas: 6}}}
	policy := &policyv1alpha1.PropagationSpec{
		Placement: policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a"}}},
		Failover:  &policyv1alpha1.FailoverBehavior{Cluster: &policyv1alpha1.ClusterFailoverBehavior{PurgeMode: policyv1alpha1.PurgeNever}},
	}
	d := workload.Demand{Replicas: 10, PerReplica: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
	desiredSpec(spec, obj, &selector.Choice{Kind: selector.KindPropagationPolicy, Namespace: "default", Name: "p"}, policy, d)

	if spec.Resource.UID != "u1" || spec.Resource.ResourceVersion != "42" || spec.Resource.Generation != 3 || spec.Resource.Name != "nginx" {
		t.Errorf("resource %+v", spec.Resource)
	}
	if spec.Replicas != 10 || spec.ReplicaRequirements == nil || spec.ReplicaRequirements.ResourceRequest.Cpu().Value() != 1 {
		t.Errorf("replicas %d, requirements %v", spec.Replicas, spec.ReplicaRequirements)
	}
	if spec.Policy == nil || spec.Policy.Name != "p" || spec.Policy.Kind != selector.KindPropagationPolicy {
		t.Errorf("policy %+v", spec.Policy)
	}
	if len(spec.Clusters) != 1 {
		t.Errorf("the scheduler's clusters were dropped: %v", spec.Clusters)
	}
	if spec.Failover == nil || spec.Failover.Cluster.PurgeMode != policyv1alpha1.PurgeNever {
		t.Errorf("failover %+v, want the policy's", spec.Failover)
	}
	policy.Placement.ClusterAffinity.ClusterNames[0] = "changed"
	if spec.Placement.ClusterAffinity.ClusterNames[0] != "a" {
		t.Error("the placement is shared with the policy, not copied")
	}
}

func TestSkippedNamespace(t *testing.T) {
	for ns, want := range map[string]bool{
		"default": false, "shop": false, "": false,
		"kube-system": true, "kube-public": true, "kube-node-lease": true,
		"kurator-system": true, "kurator-member-cluster-a": true,
	} {
		if got := SkippedNamespace(ns); got != want {
			t.Errorf("SkippedNamespace(%q) = %v, want %v", ns, got, want)
		}
	}
}
