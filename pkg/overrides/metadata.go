package overrides

import (
	"fmt"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// overrideMetadataMap applies a labelsOverrider (field "labels") or an
// annotationsOverrider (field "annotations") to the object's own metadata.
// add creates or overwrites keys; replace and remove touch only keys that
// already exist, so a policy written for several workloads never invents
// labels on the ones that lack them.
func overrideMetadataMap(obj map[string]any, field string, o *policyv1alpha1.LabelAnnotationOverrider) error {
	switch o.Operator {
	case policyv1alpha1.OverriderOpAdd, policyv1alpha1.OverriderOpReplace, policyv1alpha1.OverriderOpRemove:
	default:
		return fmt.Errorf("unknown operator %q (want add, remove or replace)", o.Operator)
	}
	meta, ok := obj["metadata"].(map[string]any)
	if !ok {
		if o.Operator != policyv1alpha1.OverriderOpAdd || len(o.Value) == 0 {
			return nil
		}
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	cur, present := meta[field]
	m, ok := cur.(map[string]any)
	if present && cur != nil && !ok {
		return &pathError{path: "/metadata/" + field, err: fmt.Errorf("is %s, want an object", typeName(cur))}
	}
	if m == nil {
		if o.Operator != policyv1alpha1.OverriderOpAdd || len(o.Value) == 0 {
			return nil
		}
		m = make(map[string]any, len(o.Value))
		meta[field] = m
	}
	for k, v := range o.Value {
		_, exists := m[k]
		switch o.Operator {
		case policyv1alpha1.OverriderOpAdd:
			m[k] = v
		case policyv1alpha1.OverriderOpReplace:
			if exists {
				m[k] = v
			}
		case policyv1alpha1.OverriderOpRemove:
			delete(m, k)
		}
	}
	return nil
}
