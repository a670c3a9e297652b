package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// ApplyStatus writes part of a (Cluster)ResourceBinding's status by
// server-side apply as field manager manager, forced. Every controller that
// writes binding status owns its own fields (the scheduler its Scheduled
// condition and scheduling fields, the binding controller WorksRendered and
// appliedOverrides, the status controller aggregatedStatus and
// FullyApplied); conditions are a map keyed by type, so each writer sends
// only its own and none needs the others' latest version: a write from a
// stale cache cannot conflict, and no write is retried for a 409.
//
// status holds the fields as JSON values; ConditionValue renders a
// condition.
func ApplyStatus(ctx context.Context, c client.Client, b client.Object, manager string, status map[string]any) error {
	kind := "ResourceBinding"
	if _, ok := b.(*workv1alpha1.ClusterResourceBinding); ok {
		kind = "ClusterResourceBinding"
	}
	md := map[string]any{"name": b.GetName()}
	if b.GetNamespace() != "" {
		md["namespace"] = b.GetNamespace()
	}
	patch, err := json.Marshal(map[string]any{
		"apiVersion": workv1alpha1.GroupVersion.String(), "kind": kind,
		"metadata": md, "status": status,
	})
	if err != nil {
		return fmt.Errorf("encode status of %s %s: %w", kind, client.ObjectKeyFromObject(b), err)
	}
	return c.Status().Patch(ctx, b, client.RawPatch(types.ApplyPatchType, patch), client.FieldOwner(manager), client.ForceOwnership)
}

// ConditionValue is the condition of type typ in conds as an apply value
// (nil when absent).
func ConditionValue(conds []metav1.Condition, typ string) map[string]any {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return nil
	}
	return map[string]any{
		"type": c.Type, "status": string(c.Status), "reason": c.Reason, "message": c.Message,
		"observedGeneration": c.ObservedGeneration, "lastTransitionTime": c.LastTransitionTime.UTC().Format(time.RFC3339),
	}
}

// Conditions lists the conditions of the given types present in conds, as
// apply values.
func Conditions(conds []metav1.Condition, types ...string) []any {
	out := []any{}
	for _, t := range types {
		if v := ConditionValue(conds, t); v != nil {
			out = append(out, v)
		}
	}
	return out
}
