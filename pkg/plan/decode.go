package plan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/config/crd/validation"
	"github.com/kurator-go/kurator/pkg/workload"
)

// ourGroups are decoded strictly into their Go types and admitted as the
// hub would (rollouts, traffic policies, scale policies, node pools and
// Karmada's FederatedHPAs are checked, then left out of the placement plan);
// anything else is a resource template kept as unstructured.
var ourGroups = map[string]bool{
	policyv1alpha1.GroupVersion.Group:             true,
	clusterv1alpha1.GroupVersion.Group:            true,
	fleetv1alpha1.GroupVersion.Group:              true,
	workv1alpha1.GroupVersion.Group:               true,
	appsv1alpha1.GroupVersion.Group:               true,
	networkingv1alpha1.GroupVersion.Group:         true,
	autoscalingv1alpha1.GroupVersion.Group:        true,
	karmadaautoscalingv1alpha1.GroupVersion.Group: true,
}

// Parse reads a multi-document YAML (or JSON) stream. name is used in error
// messages only, which have the form
//
//	NAME: document N (Kind name): field.path: what is wrong
//
// with N counted from 1. Our own kinds are decoded strictly (unknown and
// duplicate fields are errors) and then pass the hub's admission check
// (config/crd/validation: the CRDs' schemas and CEL rules), so plan refuses
// what the hub would refuse, with the hub's message.
func Parse(name string, data []byte) (*Input, error) {
	in := &Input{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		where := fmt.Sprintf("%s: document %d", name, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := in.addDocument(doc, where); err != nil {
			return nil, err
		}
	}
}

// header is the part of any object needed to route and name it.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func (in *Input) addDocument(doc []byte, where string) error {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("%s: %s", where, cleanYAMLError(err))
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil // empty or comment-only document
	}
	return in.addObject(data, where)
}

func (in *Input) addObject(data []byte, where string) error {
	if data[0] != '{' {
		return fmt.Errorf("%s: not an object; every document must be a Kubernetes object with apiVersion and kind", where)
	}
	var h header
	if err := utiljson.Unmarshal(data, &h); err != nil {
		return fmt.Errorf("%s: apiVersion, kind and metadata must be strings: %w", where, err)
	}
	if h.APIVersion == "" || h.Kind == "" {
		return fmt.Errorf("%s: apiVersion and kind are required", where)
	}
	where = fmt.Sprintf("%s (%s)", where, strings.TrimSpace(h.Kind+" "+h.Metadata.Name))
	gv, err := schema.ParseGroupVersion(h.APIVersion)
	if err != nil {
		return fmt.Errorf("%s: apiVersion: %w", where, err)
	}
	if h.Kind == "List" && gv.Group == "" {
		return in.addList(data, where)
	}
	if h.Metadata.Name == "" {
		return fmt.Errorf("%s: metadata.name is required", where)
	}
	if ourGroups[gv.Group] {
		return in.addTyped(data, gv.WithKind(h.Kind), where)
	}
	return in.addResource(data, where)
}

// addList unpacks a v1 List, as `kubectl get -o yaml` prints, so a dump of
// a hub can be fed to plan directly.
func (in *Input) addList(data []byte, where string) error {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := utiljson.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("%s: items: %w", where, err)
	}
	for i, item := range list.Items {
		item = bytes.TrimSpace(item)
		if len(item) == 0 || string(item) == "null" {
			continue
		}
		if err := in.addObject(item, fmt.Sprintf("%s item %d", where, i+1)); err != nil {
			return err
		}
	}
	return nil
}

// addTyped decodes one of our kinds strictly and files it.
func (in *Input) addTyped(data []byte, gvk schema.GroupVersionKind, where string) error {
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return fmt.Errorf("%s: kind %s is not part of %s; check apiVersion and kind", where, gvk.Kind, gvk.GroupVersion())
	}
	strictErrs, err := kjson.UnmarshalStrict(data, obj)
	if err != nil {
		return fmt.Errorf("%s: %s", where, describeDecodeError(err))
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = describeDecodeError(e)
		}
		return fmt.Errorf("%s: %s", where, strings.Join(msgs, "; "))
	}
	if err := admit(data, gvk); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return in.file(obj, gvk, where)
}

// hubAdmission is the offline copy of the hub's admission check, built once
// (compiling the CRDs' CEL rules takes a few hundred milliseconds).
var hubAdmission = sync.OnceValues(validation.New)

// admit checks one object of our groups as the hub's kube-apiserver would on
// create, and returns the hub's field errors. Kinds without a CRD (the list
// kinds) are left to the strict decoding above.
func admit(data []byte, gvk schema.GroupVersionKind) error {
	v, err := hubAdmission()
	if err != nil {
		return fmt.Errorf("load the hub's admission check: %w", err)
	}
	if !v.Handles(gvk) {
		return nil
	}
	var m map[string]any
	// Whole numbers as int64, as the apiserver decodes a request body.
	if err := utiljson.Unmarshal(data, &m); err != nil {
		return err
	}
	if errs := v.Validate(context.Background(), &unstructured.Unstructured{Object: m}); len(errs) > 0 {
		return fmt.Errorf("the hub would refuse it: %w", errs.ToAggregate())
	}
	return nil
}

// file defaults a decoded object of our groups and appends it to its list.
// Kinds plan has no use for (Work, lists of our kinds) are checked and dropped.
func (in *Input) file(obj runtime.Object, gvk schema.GroupVersionKind, where string) error {
	var ns, name string
	switch o := obj.(type) {
	case *clusterv1alpha1.AttachedCluster:
		defaultNamespace(&o.ObjectMeta)
		in.Clusters = append(in.Clusters, *o)
		ns, name = o.Namespace, o.Name
	case *fleetv1alpha1.Fleet:
		defaultNamespace(&o.ObjectMeta)
		in.Fleets = append(in.Fleets, *o)
		ns, name = o.Namespace, o.Name
	case *policyv1alpha1.PropagationPolicy:
		defaultNamespace(&o.ObjectMeta)
		in.PropagationPolicies = append(in.PropagationPolicies, *o)
		ns, name = o.Namespace, o.Name
	case *policyv1alpha1.ClusterPropagationPolicy:
		in.ClusterPropagationPolicies = append(in.ClusterPropagationPolicies, *o)
		name = o.Name
	case *policyv1alpha1.OverridePolicy:
		defaultNamespace(&o.ObjectMeta)
		in.OverridePolicies = append(in.OverridePolicies, *o)
		ns, name = o.Namespace, o.Name
	case *policyv1alpha1.ClusterOverridePolicy:
		in.ClusterOverridePolicies = append(in.ClusterOverridePolicies, *o)
		name = o.Name
	case *appsv1alpha1.StorageAdaptation:
		in.StorageAdaptations = append(in.StorageAdaptations, *o)
		name = o.Name
	case *workv1alpha1.ResourceBinding:
		defaultNamespace(&o.ObjectMeta)
		if o.Spec.Resource.Namespace == "" {
			o.Spec.Resource.Namespace = o.Namespace
		}
		in.ResourceBindings = append(in.ResourceBindings, *o)
		ns, name = o.Namespace, o.Name
	case *workv1alpha1.ClusterResourceBinding:
		in.ClusterResourceBindings = append(in.ClusterResourceBindings, *o)
		name = o.Name
	default:
		return nil
	}
	return in.claim(objectKey(gvk.GroupVersion().String(), gvk.Kind, ns, name), where)
}

// addResource keeps a resource template as unstructured, with its namespace
// defaulted, and checks up front that its replicas and requests can be read
// so the error points at the document rather than at a later plan step.
func (in *Input) addResource(data []byte, where string) error {
	var m map[string]any
	// utiljson turns whole numbers into int64, as the apiserver's
	// unstructured decoding does; the override engine relies on that.
	if err := utiljson.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	obj := &unstructured.Unstructured{Object: m}
	defaultResourceNamespace(obj)
	if _, err := workload.DemandOf(obj); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	in.Resources = append(in.Resources, obj)
	return in.claim(objectKey(obj.GetAPIVersion(), obj.GetKind(), obj.GetNamespace(), obj.GetName()), where)
}

// describeDecodeError turns decoder errors into "field.path: problem".
func describeDecodeError(err error) string {
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		path := fe.FieldPath()
		problem := strings.TrimSuffix(err.Error(), " "+strconv.Quote(path))
		parent, leaf := splitFieldPath(path)
		if parent == "" {
			return fmt.Sprintf("%s %q", problem, leaf)
		}
		return fmt.Sprintf("%s: %s %q", parent, problem, leaf)
	}
	// The decoder's type error is not exported; its message carries the
	// struct name and the field path, which is what users need.
	if m := typeErrorPattern.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("%s: got %s, want %s", m[2], article(m[1]), m[3])
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

var typeErrorPattern = regexp.MustCompile(`^json: cannot unmarshal (\w+) into Go struct field \w+\.(\S+) of type (\S+)$`)

func article(jsonType string) string {
	switch jsonType {
	case "array", "object":
		return "an " + jsonType
	default:
		return "a " + jsonType
	}
}

// splitFieldPath splits "a.b[0].c" into "a.b[0]" and "c".
func splitFieldPath(path string) (parent, leaf string) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// cleanYAMLError drops the wrapping the YAML-to-JSON converter adds.
func cleanYAMLError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	return strings.Join(strings.Fields(msg), " ")
}

// objectKey names an object the way kubectl does: Kind.group namespace/name.
func objectKey(apiVersion, kind, namespace, name string) string {
	k := kind
	if gv, err := schema.ParseGroupVersion(apiVersion); err == nil && gv.Group != "" {
		k += "." + gv.Group
	}
	if namespace == "" {
		return k + " " + name
	}
	return k + " " + namespace + "/" + name
}
