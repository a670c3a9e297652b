// Package validation checks objects of the Kurator API groups against the
// generated CRDs offline, the way the hub's kube-apiserver does on create:
// unknown fields, schema defaults, OpenAPI schema, list-map keys and CEL
// (x-kubernetes-validations) rules. It needs no running server, so tests and
// `kurator plan` can reject what the hub would reject.
//
// It lives apart from package crd because it links the apiextensions server
// code; importing crd alone stays light.
package validation

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/kurator-go/kurator/config/crd"
)

// Validator validates objects of every kind the embedded CRDs define.
type Validator struct {
	kinds map[schema.GroupVersionKind]*kindValidator
}

type kindValidator struct {
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator

	// The CEL rules are compiled on the kind's first Validate: compiling
	// every kind's rules up front would cost `kurator plan` most of a
	// second for kinds its input seldom holds (bindings, Works).
	celOnce sync.Once
	cel     *cel.Validator
}

// New builds a Validator from the embedded CRDs. It does not check them
// again: TestEveryCRDIsAcceptedByAnAPIServer proves a kube-apiserver accepts
// every embedded CRD (schema, CEL compilation and cost), and that check
// alone takes longer than a `kurator plan` run.
func New() (*Validator, error) {
	crds, err := crd.CRDs()
	if err != nil {
		return nil, err
	}
	return build(crds, false)
}

// NewFor builds a Validator from the given CRDs. It fails when a CRD would
// be refused by a kube-apiserver (invalid schema, CEL rule that does not
// compile or is too costly), naming the CRD and the problem.
func NewFor(crds []apiextensionsv1.CustomResourceDefinition) (*Validator, error) {
	return build(crds, true)
}

func build(crds []apiextensionsv1.CustomResourceDefinition, check bool) (*Validator, error) {
	v := &Validator{kinds: map[schema.GroupVersionKind]*kindValidator{}}
	for i := range crds {
		if err := v.add(&crds[i], check); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// CheckCRD returns the errors a kube-apiserver would report when creating crd.
func CheckCRD(in *apiextensionsv1.CustomResourceDefinition) (field.ErrorList, error) {
	internal, err := toInternal(in)
	if err != nil {
		return nil, err
	}
	return crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal), nil
}

func toInternal(in *apiextensionsv1.CustomResourceDefinition) (*apiextensions.CustomResourceDefinition, error) {
	c := in.DeepCopy()
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(c)
	internal := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(c, internal, nil); err != nil {
		return nil, fmt.Errorf("convert CRD %s: %w", in.Name, err)
	}
	return internal, nil
}

func (v *Validator) add(in *apiextensionsv1.CustomResourceDefinition, check bool) error {
	internal, err := toInternal(in)
	if err != nil {
		return err
	}
	if check {
		if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
			return fmt.Errorf("CRD %s would be refused by the hub: %w; fix the markers in api/ and run make generate", in.Name, errs.ToAggregate())
		}
	}
	for _, ver := range internal.Spec.Versions {
		val, err := apiextensions.GetSchemaForVersion(internal, ver.Name)
		if err != nil || val == nil || val.OpenAPIV3Schema == nil {
			return fmt.Errorf("CRD %s version %s has no schema: %v", in.Name, ver.Name, err)
		}
		s, err := structuralschema.NewStructural(val.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("CRD %s version %s: structural schema: %w", in.Name, ver.Name, err)
		}
		sv, _, err := apiservervalidation.NewSchemaValidator(val.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("CRD %s version %s: schema validator: %w", in.Name, ver.Name, err)
		}
		gvk := schema.GroupVersionKind{Group: in.Spec.Group, Version: ver.Name, Kind: in.Spec.Names.Kind}
		v.kinds[gvk] = &kindValidator{structural: s, schema: sv}
	}
	return nil
}

// Handles reports whether a CRD for gvk is known.
func (v *Validator) Handles(gvk schema.GroupVersionKind) bool {
	_, ok := v.kinds[gvk]
	return ok
}

// Kinds lists the known kinds, sorted.
func (v *Validator) Kinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(v.kinds))
	for gvk := range v.kinds {
		out = append(out, gvk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Validate checks obj as a create on the hub would with strict field
// validation: fields the schema does not know are errors, schema defaults are
// applied to obj in place, then the OpenAPI schema, list-map keys and CEL
// rules are checked. Status is validated like spec. Root metadata (name
// syntax and the like) is not checked.
func (v *Validator) Validate(ctx context.Context, obj *unstructured.Unstructured) field.ErrorList {
	gvk := obj.GroupVersionKind()
	k, ok := v.kinds[gvk]
	if !ok {
		return field.ErrorList{field.NotSupported[string](field.NewPath("kind"), gvk.String(), nil)}
	}
	var errs field.ErrorList
	unknown := pruning.PruneWithOptions(obj.Object, k.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	sort.Strings(unknown)
	for _, p := range unknown {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field; remove it or check its spelling and indentation"))
	}
	structuraldefaulting.Default(obj.Object, k.structural)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj.Object, k.schema)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj.Object, k.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, k.structural, obj.Object)...)
	k.celOnce.Do(func() { k.cel = cel.NewValidator(k.structural, true, celconfig.PerCallLimit) })
	if k.cel == nil {
		return errs // the schema has no CEL rules
	}
	celErrs, _ := k.cel.Validate(ctx, nil, k.structural, obj.Object, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}
