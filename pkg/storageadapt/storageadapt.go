// Package storageadapt turns StorageAdaptations (storage adaptation
// templates) into override rules: a PersistentVolumeClaim, or each
// volumeClaimTemplate of a StatefulSet, delivered to a cluster whose trait
// label (storage.kurator.dev/type by default) names a listed trait gets that
// trait's storage class, and the access modes and volume mode when the
// template gives them. Clusters without the label, or with a trait no
// adaptation lists, receive the claims as they are.
//
// It is pure. The rules are ordinary overrides.Selected values, so the hub's
// binding controller, the Application controller and `kurator plan --render`
// apply them with overrides.ApplySelected after the override policies:
//
//	policies := overrides.Select(selector.KeyOf(obj), cops, ops)
//	policies = append(policies, storageadapt.Select(sas, obj)...)
package storageadapt

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/selector"
)

// Kind names a StorageAdaptation in overrides.Selected, in the
// AppliedOverrides of bindings and in override errors.
const Kind = "StorageAdaptation"

// legacyClassAnnotation is the beta annotation that named a claim's class
// before spec.storageClassName. Kubernetes still reads it first (the volume
// controller's class of a claim is the annotation when set, else the
// field), so a claim that sets it is read, and adapted, through it too.
const legacyClassAnnotation = "volume.beta.kubernetes.io/storage-class"

// Select returns one overrides.Selected per adaptation that concerns obj, in
// name order: obj is a PersistentVolumeClaim or a StatefulSet with
// volumeClaimTemplates, in one of the adaptation's namespaces (all when it
// lists none), with at least one claim asking for its fromStorageClassName
// (every claim when that is empty). Each has one override rule per trait,
// targeting clusters labelled <clusterLabel>=<trait>, whose plaintext
// overriders set the claims' fields at their paths in obj. Other objects
// get nil.
//
// The paths and operators (add for a field obj lacks, replace for one it
// has) are computed from obj as given, so pass the object the override
// policies start from; policies that add or remove claim templates shift
// them.
func Select(sas []appsv1alpha1.StorageAdaptation, obj *unstructured.Unstructured) []overrides.Selected {
	claims := claimsOf(obj)
	if len(claims) == 0 {
		return nil
	}
	var out []overrides.Selected
	for i := range sas {
		sa := &sas[i]
		if len(sa.Spec.Namespaces) > 0 && !slices.Contains(sa.Spec.Namespaces, obj.GetNamespace()) {
			continue
		}
		spec := overrideSpec(&sa.Spec, claims)
		if spec == nil {
			continue
		}
		out = append(out, overrides.Selected{Kind: Kind, Name: sa.Name, Specificity: selector.MatchAll, Spec: spec})
	}
	slices.SortStableFunc(out, func(a, b overrides.Selected) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ClusterLabel is the cluster label an adaptation reads.
func ClusterLabel(spec *appsv1alpha1.StorageAdaptationSpec) string {
	if spec.ClusterLabel != "" {
		return spec.ClusterLabel
	}
	return appsv1alpha1.DefaultStorageTraitLabel
}

// Concerns reports whether an object of this apiVersion and kind can hold
// claims an adaptation changes; controllers use it to find what to render
// again when an adaptation changes.
func Concerns(apiVersion, kind string) bool {
	switch kind {
	case "PersistentVolumeClaim":
		return apiVersion == "v1"
	case "StatefulSet":
		return strings.HasPrefix(apiVersion, "apps/")
	}
	return false
}

// claim is one claim spec inside an object.
type claim struct {
	// at is the JSON pointer of the claim object (a PVC's root is "").
	at string
	// spec is the claim's spec; nil when the claim has none.
	spec map[string]any
	// hasSpec: the spec field exists (maybe not as an object).
	hasSpec bool
	// class is what the claim asks for: the legacy annotation, else
	// spec.storageClassName, else "".
	class string
	// legacy: the legacy annotation is set.
	legacy bool
}

// claimsOf lists the claims obj holds, in document order.
func claimsOf(obj *unstructured.Unstructured) []claim {
	if obj == nil || !Concerns(obj.GetAPIVersion(), obj.GetKind()) {
		return nil
	}
	if obj.GetKind() == "PersistentVolumeClaim" {
		return []claim{readClaim("", obj.Object)}
	}
	// Read in place: claims only read obj, and Select runs on every render.
	raw, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "volumeClaimTemplates")
	templates, _ := raw.([]any)
	if len(templates) == 0 {
		return nil
	}
	out := make([]claim, 0, len(templates))
	for i, t := range templates {
		m, ok := t.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, readClaim("/spec/volumeClaimTemplates/"+strconv.Itoa(i), m))
	}
	return out
}

func readClaim(at string, m map[string]any) claim {
	c := claim{at: at}
	var raw any
	raw, c.hasSpec = m["spec"]
	c.spec, _ = raw.(map[string]any)
	if s, ok := c.spec["storageClassName"].(string); ok {
		c.class = s
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			if s, ok := ann[legacyClassAnnotation].(string); ok {
				c.legacy, c.class = true, s
			}
		}
	}
	return c
}

// overrideSpec builds an adaptation's rules for the claims it concerns, nil
// when it concerns none.
func overrideSpec(spec *appsv1alpha1.StorageAdaptationSpec, claims []claim) *policyv1alpha1.OverrideSpec {
	var concerned []claim
	for _, c := range claims {
		if spec.FromStorageClassName == "" || c.class == spec.FromStorageClassName {
			concerned = append(concerned, c)
		}
	}
	if len(concerned) == 0 || len(spec.Classes) == 0 {
		return nil
	}
	label := ClusterLabel(spec)
	out := &policyv1alpha1.OverrideSpec{OverrideRules: make([]policyv1alpha1.RuleWithCluster, 0, len(spec.Classes))}
	for i := range spec.Classes {
		m := &spec.Classes[i]
		var ops []policyv1alpha1.PlaintextOverrider
		for _, c := range concerned {
			ops = append(ops, claimOps(c, m)...)
		}
		out.OverrideRules = append(out.OverrideRules, policyv1alpha1.RuleWithCluster{
			TargetCluster: &policyv1alpha1.ClusterAffinity{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{label: m.Trait}},
			},
			Overriders: policyv1alpha1.Overriders{Plaintext: ops},
		})
	}
	return out
}

// claimOps are the operations that give one claim a mapping's fields.
func claimOps(c claim, m *appsv1alpha1.StorageClassMapping) []policyv1alpha1.PlaintextOverrider {
	fields := []struct {
		name  string
		value any
		set   bool
	}{
		{"storageClassName", m.StorageClassName, true},
		{"accessModes", m.AccessModes, len(m.AccessModes) > 0},
		{"volumeMode", m.VolumeMode, m.VolumeMode != ""},
	}
	var ops []policyv1alpha1.PlaintextOverrider
	if c.spec == nil {
		// No spec object to patch field by field: write a whole one (a
		// spec that is not an object is replaced, as any other patch of
		// it would fail).
		whole := map[string]any{}
		for _, f := range fields {
			if f.set {
				whole[f.name] = f.value
			}
		}
		op := policyv1alpha1.OverriderOpAdd
		if c.hasSpec {
			op = policyv1alpha1.OverriderOpReplace
		}
		ops = append(ops, plaintext(op, c.at+"/spec", whole))
	} else {
		for _, f := range fields {
			if !f.set {
				continue
			}
			op := policyv1alpha1.OverriderOpAdd
			if _, exists := c.spec[f.name]; exists {
				op = policyv1alpha1.OverriderOpReplace
			}
			ops = append(ops, plaintext(op, c.at+"/spec/"+f.name, f.value))
		}
	}
	if c.legacy {
		// Kubernetes reads the annotation before the field: left alone it
		// would keep the old class.
		ops = append(ops, plaintext(policyv1alpha1.OverriderOpReplace, c.at+"/metadata/annotations/"+escape(legacyClassAnnotation), m.StorageClassName))
	}
	return ops
}

func plaintext(op policyv1alpha1.OverriderOperator, path string, value any) policyv1alpha1.PlaintextOverrider {
	// The values are strings, string lists and maps of them: marshalling
	// cannot fail.
	raw, _ := json.Marshal(value)
	return policyv1alpha1.PlaintextOverrider{Path: path, Operator: op, Value: apiextensionsv1.JSON{Raw: raw}}
}

// escape makes a JSON pointer token of a key.
func escape(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}
