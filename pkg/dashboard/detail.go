package dashboard

import (
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/failover"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/scheduler"
	"github.com/kurator-go/kurator/pkg/workload"
)

// WorkloadInput is what the workload page is built from.
type WorkloadInput struct {
	Binding Binding
	FleetOf func(cluster string) string
	// Decision and DecisionErr are the scheduler's answer for the binding
	// on the current snapshot (scheduler.Schedule).
	Decision    scheduler.Result
	DecisionErr error
	// Template is the hub's object; nil when it is gone.
	Template *unstructured.Unstructured
	// Works maps a target cluster to its Work; missing when not rendered.
	Works  map[string]*workv1alpha1.Work
	Events []corev1.Event
	// Clusters is how override rules see each cluster (fleetview's Info).
	Clusters map[string]overrides.ClusterInfo
	// OverrideSpecs holds the override policies the binding records as
	// selecting the workload, by reference; a deleted one is missing.
	OverrideSpecs map[workv1alpha1.OverrideReference]*policyv1alpha1.OverrideSpec
	// Rollout is the Rollout targeting the workload (RolloutFor), if any.
	Rollout *ObjectRef
}

// lastApplied is kubectl's copy of the applied object: the same on both
// sides of a diff and one very long line, so it is left out.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// BuildWorkload is the workload page.
func BuildWorkload(in WorkloadInput) WorkloadDetail {
	b := in.Binding
	d := WorkloadDetail{
		Summary:    Workload(b, in.FleetOf),
		Placement:  placement(in),
		Overrides:  []ClusterRender{},
		Failover:   []FailoverRecord{},
		Conditions: conditionsOf(b.Status.Conditions),
		Events:     Events(in.Events),
		Rollout:    in.Rollout,
	}
	var template string
	if in.Template != nil {
		template = displayYAML(in.Template)
	}
	for _, t := range b.Spec.Clusters {
		r := ClusterRender{Cluster: t.Name, Overrides: []ObjectRef{}, Diff: []DiffLine{}}
		w := in.Works[t.Name]
		switch {
		case in.Template == nil:
			r.Error = "the template is gone from the hub"
		case w == nil || len(w.Spec.Workload.Manifests) == 0:
			r.Error = "no Work rendered for this cluster yet"
		default:
			rendered, err := manifestOf(w, in.Template)
			if err != nil {
				r.Error = err.Error()
				break
			}
			r.Diff = LineDiff(template, displayYAML(rendered))
			r.Changed = Changed(r.Diff)
		}
		d.Overrides = append(d.Overrides, r)
	}
	// The binding records the override policies that select the workload;
	// a cluster lists those with a rule that targets it, decided as the
	// renderer decides (ClusterInfo.SelectedBy).
	for i := range d.Overrides {
		info, ok := in.Clusters[d.Overrides[i].Cluster]
		if !ok {
			info = overrides.ClusterInfo{Name: d.Overrides[i].Cluster}
		}
		for _, o := range b.Status.AppliedOverrides {
			spec := in.OverrideSpecs[o]
			if spec == nil || !targets(spec, &info) {
				continue
			}
			d.Overrides[i].Overrides = append(d.Overrides[i].Overrides, ObjectRef{APIVersion: policyv1alpha1.GroupVersion.String(), Kind: o.Kind, Namespace: o.Namespace, Name: o.Name})
		}
	}
	for _, t := range b.Spec.GracefulEvictionTasks {
		fr := FailoverRecord{Cluster: t.FromCluster, Reason: t.Reason, Message: t.Message, Active: true}
		if t.CreationTimestamp != nil {
			fr.Time = t.CreationTimestamp.Time
		}
		d.Failover = append(d.Failover, fr)
	}
	for _, e := range d.Events {
		if e.Reason == workv1alpha1.EvictionReasonTaintUntolerated || e.Reason == workv1alpha1.EvictionReasonApplicationFailure || e.Reason == "Evicted" {
			cluster, _ := failover.EvictedCluster(e.Message)
			d.Failover = append(d.Failover, FailoverRecord{Time: e.Last, Reason: e.Reason, Message: e.Message, Cluster: cluster})
		}
	}
	sort.SliceStable(d.Failover, func(i, j int) bool { return d.Failover[i].Time.After(d.Failover[j].Time) })
	return d
}

// targets says whether a rule of spec targets the cluster.
func targets(spec *policyv1alpha1.OverrideSpec, info *overrides.ClusterInfo) bool {
	for _, r := range spec.Rules() {
		if info.SelectedBy(r.TargetCluster) {
			return true
		}
	}
	return false
}

// manifestOf finds the template's rendering among a Work's manifests (a
// Work also carries the namespace it needs).
func manifestOf(w *workv1alpha1.Work, template *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	for i, m := range w.Spec.Workload.Manifests {
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(m.Raw); err != nil {
			return nil, fmt.Errorf("manifest %d of Work %s/%s does not decode: %w", i, w.Namespace, w.Name, err)
		}
		if o.GetKind() == template.GetKind() && o.GetName() == template.GetName() && o.GetNamespace() == template.GetNamespace() {
			return o, nil
		}
	}
	return nil, fmt.Errorf("Work %s/%s holds no %s %s yet", w.Namespace, w.Name, template.GetKind(), template.GetName())
}

func placement(in WorkloadInput) Placement {
	b := in.Binding
	p := Placement{Chosen: []ChosenCluster{}, Excluded: []ExcludedCluster{}, Summary: PlacementText(b.Spec.Placement)}
	res := in.Decision
	if in.DecisionErr != nil {
		p.Error = in.DecisionErr.Error()
		var ue *scheduler.UnschedulableError
		if errors.As(in.DecisionErr, &ue) {
			for _, r := range ue.Reasons {
				p.Excluded = append(p.Excluded, ExcludedCluster{Name: r.Cluster, Reason: r.Reason})
			}
			p.AffinityName = ue.AffinityName
		}
		p.Differs = len(b.Spec.Clusters) > 0
		return p
	}
	for _, t := range res.Targets {
		p.Chosen = append(p.Chosen, ChosenCluster{Name: t.Name, Replicas: t.Replicas})
	}
	for _, e := range res.Excluded {
		p.Excluded = append(p.Excluded, ExcludedCluster{Name: e.Cluster, Reason: e.Reason})
	}
	p.AffinityName = res.AffinityName
	if len(res.Targets) != len(b.Spec.Clusters) {
		p.Differs = true
	}
	for _, t := range res.Targets {
		if b.Spec.ReplicasIn(t.Name) != t.Replicas || !b.Spec.TargetContains(t.Name) {
			p.Differs = true
		}
	}
	return p
}

// displayYAML renders an object as a person compares it: without what the
// hub sets (status, server metadata) and kubectl's last-applied copy.
func displayYAML(o *unstructured.Unstructured) string {
	c := o.DeepCopy()
	workload.StripHubFields(c)
	if a := c.GetAnnotations(); a != nil {
		delete(a, lastApplied)
		if len(a) == 0 {
			a = nil
		}
		c.SetAnnotations(a)
	}
	out, err := yaml.Marshal(c.Object)
	if err != nil {
		return fmt.Sprintf("# cannot render: %v", err)
	}
	return string(out)
}
