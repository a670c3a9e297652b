package detector

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// contentChanged passes template updates that change what is propagated. The
// status the hub writes back (every member's pod readiness changes it), the
// claim labels the detector itself sets, and server bookkeeping are not
// content: reacting to them rewrote every binding, and so rescheduled and
// re-rendered it, several times per rollout.
func contentChanged() predicate.TypedPredicate[*unstructured.Unstructured] {
	return predicate.TypedFuncs[*unstructured.Unstructured]{
		UpdateFunc: func(e event.TypedUpdateEvent[*unstructured.Unstructured]) bool {
			return templateContentChanged(e.ObjectOld, e.ObjectNew)
		},
	}
}

// templateContentChanged reports whether two versions of a template differ in
// more than status, server-set metadata and the detector's claim labels.
func templateContentChanged(old, cur *unstructured.Unstructured) bool {
	if old == nil || cur == nil {
		return true
	}
	if !old.GetDeletionTimestamp().Equal(cur.GetDeletionTimestamp()) {
		return true
	}
	return !equality.Semantic.DeepEqual(content(old), content(cur))
}

// content is the part of a template that reaches the members.
func content(u *unstructured.Unstructured) map[string]any {
	out := make(map[string]any, len(u.Object))
	for k, v := range u.Object {
		if k != "status" && k != "metadata" {
			out[k] = v
		}
	}
	out["labels"] = withoutClaims(u.GetLabels())
	out["annotations"] = u.GetAnnotations()
	return out
}

func withoutClaims(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		if !strings.HasPrefix(k, "propagationpolicy.karmada.io/") && !strings.HasPrefix(k, "clusterpropagationpolicy.karmada.io/") {
			out[k] = v
		}
	}
	return out
}

// contentDigest identifies a template's content: equal content, equal
// digest (encoding/json sorts map keys).
func contentDigest(u *unstructured.Unstructured) string {
	raw, err := json.Marshal(content(u))
	if err != nil {
		return ""
	}
	h := fnv.New64a()
	h.Write(raw)
	return fmt.Sprintf("%016x", h.Sum64())
}

// sameTemplate reports whether two references name the same template at
// the same generation (the resourceVersion aside).
func sameTemplate(a, b workv1alpha1.ObjectReference) bool {
	a.ResourceVersion, b.ResourceVersion = "", ""
	return a == b
}
