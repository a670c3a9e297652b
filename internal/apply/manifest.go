package apply

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/pkg/workload"
)

// manifest is one decoded Work manifest, ready to apply.
type manifest struct {
	ordinal int
	obj     *unstructured.Unstructured
	hash    string
}

// decodeManifests decodes the Work's manifests in apply order: Namespaces
// first (the rest may live in them), then the others in their Work order.
// Each object is stripped of the fields a member must own and labelled with
// its owner and hash.
func decodeManifests(work types.NamespacedName, raws []runtime.RawExtension) ([]manifest, error) {
	out := make([]manifest, 0, len(raws))
	for i, raw := range raws {
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(raw.Raw); err != nil {
			return nil, fmt.Errorf("manifest %d: %w", i, err)
		}
		if obj.GetName() == "" {
			return nil, fmt.Errorf("manifest %d (%s): no metadata.name", i, obj.GetKind())
		}
		prepare(obj)
		h, err := hashOf(obj)
		if err != nil {
			return nil, fmt.Errorf("manifest %d: %w", i, err)
		}
		mark(obj, work, h)
		out = append(out, manifest{ordinal: i, obj: obj, hash: h})
	}
	sort.SliceStable(out, func(a, b int) bool {
		return isNamespace(out[a].obj) && !isNamespace(out[b].obj)
	})
	return out, nil
}

func isNamespace(obj *unstructured.Unstructured) bool {
	return obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == ""
}

// prepare removes what the hub's copy carries but the member must set
// itself (the same list the renderer strips; a Work written by hand or by
// an older manager may still carry them).
func prepare(obj *unstructured.Unstructured) { workload.StripHubFields(obj) }

// hashOf hashes the object's JSON (map keys sorted by encoding/json), before
// mark adds the hash itself.
func hashOf(obj *unstructured.Unstructured) (string, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	h := fnv.New64a()
	h.Write(data)
	return strconv.FormatUint(h.Sum64(), 16), nil
}

// mark labels the object as Kurator's and annotates its owner and hash.
func mark(obj *unstructured.Unstructured, work types.NamespacedName, hash string) {
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[memberwatch.ManagedByLabel] = memberwatch.ManagedByValue
	obj.SetLabels(labels)
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[memberwatch.WorkAnnotation] = work.String()
	ann[memberwatch.ManifestHashAnnotation] = hash
	obj.SetAnnotations(ann)
}

// identifier names the applied object in Work status.
func identifier(m manifest) workv1alpha1.ResourceIdentifier {
	gvk := m.obj.GroupVersionKind()
	return workv1alpha1.ResourceIdentifier{
		Ordinal:   m.ordinal,
		Group:     gvk.Group,
		Version:   gvk.Version,
		Kind:      gvk.Kind,
		Namespace: m.obj.GetNamespace(),
		Name:      m.obj.GetName(),
	}
}

// mergeIdentifiers lists ids in ordinal order, keeping the collected status
// and health of entries already present for the same object.
func mergeIdentifiers(old []workv1alpha1.ManifestStatus, ids []workv1alpha1.ResourceIdentifier) []workv1alpha1.ManifestStatus {
	sort.Slice(ids, func(a, b int) bool { return ids[a].Ordinal < ids[b].Ordinal })
	out := make([]workv1alpha1.ManifestStatus, 0, len(ids))
	for _, id := range ids {
		ms := workv1alpha1.ManifestStatus{ResourceIdentifier: id}
		for _, o := range old {
			if o.ResourceIdentifier == id {
				ms.Status, ms.Health = o.Status, o.Health
				break
			}
		}
		out = append(out, ms)
	}
	return out
}

// ExecutionStatus is a Work's status as the execution controller writes it,
// as a server-side apply request: the Applied condition and, for each
// manifest (entries keyed by ordinal), its identifying fields and the health
// and status collected from the member. Execution is the one writer of a
// push cluster's Work status, so applying and collecting cost one write.
func ExecutionStatus(work *workv1alpha1.Work) *unstructured.Unstructured {
	var conds []any
	if c := meta.FindStatusCondition(work.Status.Conditions, workv1alpha1.ConditionApplied); c != nil {
		conds = append(conds, map[string]any{
			"type": c.Type, "status": string(c.Status), "reason": c.Reason, "message": c.Message,
			"observedGeneration": c.ObservedGeneration, "lastTransitionTime": c.LastTransitionTime.UTC().Format(time.RFC3339),
		})
	}
	entries := make([]any, 0, len(work.Status.ManifestStatuses))
	for _, ms := range work.Status.ManifestStatuses {
		id := ms.ResourceIdentifier
		e := map[string]any{"ordinal": int64(id.Ordinal), "version": id.Version, "kind": id.Kind, "name": id.Name}
		if id.Group != "" {
			e["group"] = id.Group
		}
		if id.Namespace != "" {
			e["namespace"] = id.Namespace
		}
		if ms.Health != "" {
			e["health"] = string(ms.Health)
		}
		if ms.Status != nil && len(ms.Status.Raw) > 0 {
			var st map[string]any
			if json.Unmarshal(ms.Status.Raw, &st) == nil {
				e["status"] = st
			}
		}
		entries = append(entries, e)
	}
	status := map[string]any{"manifestStatuses": entries}
	if conds != nil {
		status["conditions"] = conds
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": workv1alpha1.GroupVersion.String(),
		"kind":       "Work",
		"metadata":   map[string]any{"name": work.Name, "namespace": work.Namespace},
		"status":     status,
	}}
}
