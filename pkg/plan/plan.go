// Package plan is the engine of `kurator plan`, the offline what-if: it reads
// clusters, fleets, policies, previous results and resource templates from
// YAML, and says for every template which policy claims it, where it goes
// with how many replicas, why other clusters are left out, and (optionally)
// what each cluster would receive after overrides and storage adaptations.
//
// It calls the same pure cores as the hub (pkg/selector, pkg/scheduler,
// pkg/overrides, pkg/storageadapt), so a plan reproduces the hub's
// decision. Parse and Plan do no I/O; Load reads files.
package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/fleetview"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/scheduler"
	"github.com/kurator-go/kurator/pkg/selector"
	"github.com/kurator-go/kurator/pkg/storageadapt"
	"github.com/kurator-go/kurator/pkg/workload"
)

// Options change what Plan computes.
type Options struct {
	// Render fills Workload.Manifests with each target's object: the
	// template with its replicas for that cluster, overrides and then
	// storage adaptations applied.
	Render bool
}

// Plan decides every resource template of in. A template that cannot be
// placed or rendered gets Workload.Error; the returned error is kept for
// input that makes no plan possible at all (two clusters of one name, a
// cluster in two fleets, an invalid fleet preference).
func Plan(in *Input, opts Options) (*Output, error) {
	resources := slices.Clone(in.Resources)
	slices.SortFunc(resources, compareResources)

	demands := make([]workload.Demand, len(resources))
	var requested []corev1.ResourceName
	for i, obj := range resources {
		d, err := workload.DemandOf(obj)
		if err != nil {
			// Parse checked this already; an Input built by hand may not be.
			return nil, err
		}
		demands[i] = d
		for name := range d.PerReplica {
			if !slices.Contains(requested, name) {
				requested = append(requested, name)
			}
		}
	}
	slices.Sort(requested)

	// The hub degrades around a bad Fleet and reports it on the Fleet; a
	// plan refuses it with that message, since its input is being written.
	f := fleetview.Build(in.Clusters, in.Fleets, fleetview.Options{Offline: true, Requested: requested})
	if len(f.Problems) > 0 {
		return nil, errors.New(f.Problems[0].Message)
	}
	if len(f.ClusterProblems) > 0 {
		return nil, errors.New(f.ClusterProblems[0].Message)
	}
	prices := PricesOf(f.Clusters)
	snap, err := scheduler.NewSnapshot(f.Clusters, f.Preferences)
	if err != nil {
		return nil, err
	}
	previous := indexBindings(in)

	out := &Output{Workloads: make([]Workload, 0, len(resources))}
	for i, obj := range resources {
		w := planOne(in, snap, f, prices, previous, obj, demands[i], opts)
		out.Workloads = append(out.Workloads, w)
	}
	return out, nil
}

func planOne(in *Input, snap *scheduler.Snapshot, f *fleetview.View, prices map[string]*scheduler.Price, previous map[string]binding, obj *unstructured.Unstructured, d workload.Demand, opts Options) Workload {
	key := selector.KeyOf(obj)
	w := Workload{
		Resource: ResourceRef{APIVersion: key.APIVersion, Kind: key.Kind, Namespace: key.Namespace, Name: key.Name},
		Replicas: d.Replicas,
		Targets:  []Target{},
		Excluded: []Exclusion{},
	}
	choice, ok := selector.ChoosePropagationPolicy(key, in.PropagationPolicies, in.ClusterPropagationPolicies)
	if !ok {
		return w
	}
	w.Policy = &PolicyRef{Kind: choice.Kind, Namespace: choice.Namespace, Name: choice.Name}
	weight, err := scheduler.CostWeightOf(policyAnnotations(in, choice))
	if err != nil {
		w.Error = fmt.Sprintf("%s: %v", policyName(w.Policy), err)
		return w
	}

	req := scheduler.Request{
		Resource: scheduler.ResourceRef{
			APIVersion: key.APIVersion, Kind: key.Kind, Namespace: key.Namespace, Name: key.Name,
			UID: obj.GetUID(),
		},
		Replicas:   d.Replicas,
		PerReplica: d.PerReplica,
		Placement:  placementOf(in, choice),
		CostWeight: weight,
	}
	if prev, ok := previous[bindingKey(key.APIVersion, key.Kind, key.Namespace, key.Name)]; ok {
		withPrevious(&req, prev)
	}

	res, err := scheduler.Schedule(snap, req)
	if err != nil {
		w.Error = err.Error()
		var ue *scheduler.UnschedulableError
		if errors.As(err, &ue) {
			for _, r := range ue.Reasons {
				w.Excluded = append(w.Excluded, Exclusion{Cluster: r.Cluster, Reason: r.Reason})
			}
		}
		return w
	}
	for _, t := range res.Targets {
		w.Targets = append(w.Targets, Target{Cluster: t.Name, Replicas: t.Replicas})
	}
	for _, e := range res.Excluded {
		w.Excluded = append(w.Excluded, Exclusion{Cluster: e.Cluster, Reason: e.Reason})
	}
	w.Cost = CostOf(d.Replicas, d.PerReplica, w.Targets, prices, weight)
	if opts.Render {
		policies := overrides.Select(key, in.ClusterOverridePolicies, in.OverridePolicies)
		policies = append(policies, storageadapt.Select(in.StorageAdaptations, obj)...)
		targets := make([]workload.Target, len(w.Targets))
		for i, t := range w.Targets {
			targets[i] = workload.Target{Cluster: t.Cluster, Replicas: t.Replicas}
		}
		rendered, err := workload.Render(obj, d, targets, f.Info, policies)
		if err != nil {
			w.Error = err.Error()
			return w
		}
		w.Manifests = make(map[string][]map[string]any, len(rendered))
		for cluster, o := range rendered {
			w.Manifests[cluster] = []map[string]any{o.Object}
		}
	}
	return w
}

// placementOf returns the chosen policy's placement. It is shared, not
// copied: the scheduler only reads it.
func placementOf(in *Input, c selector.Choice) *policyv1alpha1.Placement {
	if c.Kind == selector.KindClusterPropagationPolicy {
		return &in.ClusterPropagationPolicies[c.Index].Spec.Placement
	}
	return &in.PropagationPolicies[c.Index].Spec.Placement
}

// policyAnnotations are the chosen policy's annotations (the cost weight).
func policyAnnotations(in *Input, c selector.Choice) map[string]string {
	if c.Kind == selector.KindClusterPropagationPolicy {
		return in.ClusterPropagationPolicies[c.Index].Annotations
	}
	return in.PropagationPolicies[c.Index].Annotations
}

// policyName is "PropagationPolicy default/name" or
// "ClusterPropagationPolicy name", for messages.
func policyName(p *PolicyRef) string {
	if p.Namespace == "" {
		return p.Kind + " " + p.Name
	}
	return p.Kind + " " + p.Namespace + "/" + p.Name
}

// withPrevious puts a binding's current result into the request, so the
// scheduler scales it (steady mode) rather than starting afresh, unless the
// binding asks for a reschedule it has not had yet.
func withPrevious(req *scheduler.Request, prev binding) {
	for _, c := range prev.spec.Clusters {
		req.Previous = append(req.Previous, scheduler.TargetCluster{Name: c.Name, Replicas: c.Replicas})
	}
	for _, t := range prev.spec.GracefulEvictionTasks {
		req.EvictingClusters = append(req.EvictingClusters, t.FromCluster)
	}
	if req.Resource.UID == "" {
		// The tie rule of static weights hashes the template's UID; a
		// template written by hand has none, its binding may.
		req.Resource.UID = prev.spec.Resource.UID
	}
	triggered, last := prev.spec.RescheduleTriggeredAt, prev.status.LastScheduledTime
	req.Fresh = triggered != nil && (last == nil || last.Before(triggered))
	req.ObservedAffinityName = prev.status.SchedulerObservedAffinityName
}

// binding is a previous result read from a (Cluster)ResourceBinding.
type binding struct {
	spec   *workv1alpha1.ResourceBindingSpec
	status *workv1alpha1.ResourceBindingStatus
}

// indexBindings maps each binding's resource to the binding.
func indexBindings(in *Input) map[string]binding {
	out := map[string]binding{}
	for i := range in.ResourceBindings {
		rb := &in.ResourceBindings[i]
		r := rb.Spec.Resource
		out[bindingKey(r.APIVersion, r.Kind, r.Namespace, r.Name)] = binding{&rb.Spec, &rb.Status}
	}
	for i := range in.ClusterResourceBindings {
		crb := &in.ClusterResourceBindings[i]
		r := crb.Spec.Resource
		out[bindingKey(r.APIVersion, r.Kind, r.Namespace, r.Name)] = binding{&crb.Spec, &crb.Status}
	}
	return out
}

func bindingKey(apiVersion, kind, namespace, name string) string {
	return apiVersion + "|" + kind + "|" + namespace + "|" + name
}

// compareResources is the output order: apiVersion, kind, namespace, name.
func compareResources(a, b *unstructured.Unstructured) int {
	return cmp.Or(
		cmp.Compare(a.GetAPIVersion(), b.GetAPIVersion()),
		cmp.Compare(a.GetKind(), b.GetKind()),
		cmp.Compare(a.GetNamespace(), b.GetNamespace()),
		cmp.Compare(a.GetName(), b.GetName()),
	)
}
