package apphub

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/workload"
)

// RenderOptions say how a package becomes objects for one destination.
type RenderOptions struct {
	// Path inside the package: the directory whose YAML is read, or the
	// chart's directory ("" or "." is the root).
	Path string
	// TargetNamespace: for Manifests, the namespace of every namespaced
	// object; for a HelmChart, the release namespace (objects the chart
	// puts in a namespace of their own keep it, as with helm install).
	TargetNamespace string
	// DefaultNamespace is the namespace of namespaced objects that name
	// none when TargetNamespace is empty ("" leaves them without one).
	DefaultNamespace string
	// ReleaseName of a HelmChart (default: the chart's name).
	ReleaseName string
	// Values override a chart's values.yaml (ignored for Manifests).
	Values map[string]any
	// Labels and Annotations are set on every object's metadata.
	Labels, Annotations map[string]string
	// Package names the package in messages, e.g. "mes:v1.2".
	Package string
}

func (o RenderOptions) packageName() string {
	if o.Package == "" {
		return "package"
	}
	return "package " + o.Package
}

// Render turns the package into Kubernetes objects for one destination.
//
// Manifests: every .yaml, .yml and .json file under Path, in lexical order
// of their paths, each a stream of documents; empty documents are skipped
// and a v1 List is unpacked into its items. HelmChart: the chart at Path,
// rendered offline with the Helm SDK (see renderChart).
//
// Then every object gets its namespace (cluster-scoped kinds none), the
// Labels and Annotations, and workload defaulting: an apps/v1 Deployment,
// StatefulSet, DaemonSet or ReplicaSet without spec.selector gets
// matchLabels {app: NAME} (the pod template's own app label when it has
// one), and the pod template gets that label when it lacks it. Each
// defaulting is reported in warnings, one per object, in object order.
//
// Errors name the file, the document (counted from 1) and the fix.
func (p Package) Render(o RenderOptions) (objs []*unstructured.Unstructured, warnings []string, err error) {
	root, err := cleanRoot(o.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", o.packageName(), err)
	}
	format := p.Format
	if format == "" {
		format = DetectFormat(p.under(root))
	}
	var docs []document
	switch format {
	case appsv1alpha1.FormatManifests:
		docs, err = p.manifestDocuments(root)
	case appsv1alpha1.FormatHelmChart:
		docs, warnings, err = p.chartDocuments(root, o)
	default:
		err = fmt.Errorf("format %q is not known: use %s or %s", format, appsv1alpha1.FormatManifests, appsv1alpha1.FormatHelmChart)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", o.packageName(), err)
	}
	if len(docs) == 0 {
		where := root
		if where == "" {
			where = "."
		}
		return nil, nil, fmt.Errorf("%s has no Kubernetes object under path %s: add YAML with apiVersion and kind", o.packageName(), where)
	}
	explicitNamespaceWins := format == appsv1alpha1.FormatHelmChart
	seen := make(map[string]string, len(docs))
	objs = make([]*unstructured.Unstructured, 0, len(docs))
	for _, d := range docs {
		obj := d.obj
		setNamespace(obj, o, explicitNamespaceWins)
		key := objectKey(obj)
		if first, dup := seen[key]; dup {
			return nil, nil, fmt.Errorf("%s: %s is defined twice (%s and %s): keep one", o.packageName(), objectName(obj), first, d.where)
		}
		seen[key] = d.where
		addMetadata(obj, o.Labels, o.Annotations)
		if w := defaultSelector(obj); w != "" {
			warnings = append(warnings, w)
		}
		objs = append(objs, obj)
	}
	return objs, warnings, nil
}

// document is one object and where it was read ("file x.yaml document 2").
type document struct {
	obj   *unstructured.Unstructured
	where string
}

// cleanRoot turns Path into "" (the root) or a clean relative directory.
func cleanRoot(p string) (string, error) {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "./"), "/")
	if p == "" || p == "." {
		return "", nil
	}
	if err := checkPath(p); err != nil {
		return "", fmt.Errorf("path %q: %w", p, err)
	}
	return p, nil
}

// under returns the files below root, with paths relative to it.
func (p Package) under(root string) map[string][]byte {
	if root == "" {
		return p.Files
	}
	prefix := root + "/"
	files := map[string][]byte{}
	for name, content := range p.Files {
		if rel, ok := strings.CutPrefix(name, prefix); ok {
			files[rel] = content
		}
	}
	return files
}

func isManifestFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (p Package) manifestDocuments(root string) ([]document, error) {
	files := p.under(root)
	for _, k := range kustomizationFiles {
		if _, ok := files[k]; ok {
			return p.kustomize(root, k)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if isManifestFile(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var docs []document
	for _, name := range names {
		full := name
		if root != "" {
			full = root + "/" + name
		}
		got, err := parseDocuments(full, files[name], true)
		if err != nil {
			return nil, err
		}
		docs = append(docs, got...)
	}
	return docs, nil
}

// parseDocuments reads a YAML (or JSON) stream. strict refuses duplicate
// keys, as kubectl apply does; Helm output is read as Helm reads it.
func parseDocuments(file string, data []byte, strict bool) ([]document, error) {
	var docs []document
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		where := fmt.Sprintf("file %s document %d", file, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		toJSON := yaml.YAMLToJSON
		if strict {
			toJSON = yaml.YAMLToJSONStrict
		}
		js, err := toJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid YAML: %w", where, err)
		}
		js = bytes.TrimSpace(js)
		if len(js) == 0 || string(js) == "null" {
			continue // empty or comment-only document
		}
		got, err := decodeObject(js, where)
		if err != nil {
			return nil, err
		}
		docs = append(docs, got...)
	}
}

func decodeObject(js []byte, where string) ([]document, error) {
	if js[0] != '{' {
		return nil, fmt.Errorf("%s: not an object: every document must be a Kubernetes object with apiVersion and kind", where)
	}
	var m map[string]any
	// utiljson keeps integers int64, as unstructured objects need them.
	if err := utiljson.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	obj := &unstructured.Unstructured{Object: m}
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	if apiVersion == "" || kind == "" {
		return nil, fmt.Errorf("%s: apiVersion and kind are required (a string each); add them, e.g. apiVersion: apps/v1 and kind: Deployment", where)
	}
	if _, err := schema.ParseGroupVersion(apiVersion); err != nil {
		return nil, fmt.Errorf("%s: apiVersion %q: %w", where, apiVersion, err)
	}
	if kind == "List" && apiVersion == "v1" {
		items, _ := m["items"].([]any)
		var docs []document
		for i, item := range items {
			if item == nil {
				continue
			}
			js, err := utiljson.Marshal(item)
			if err != nil {
				return nil, fmt.Errorf("%s item %d: %w", where, i+1, err)
			}
			got, err := decodeObject(js, fmt.Sprintf("%s item %d", where, i+1))
			if err != nil {
				return nil, err
			}
			docs = append(docs, got...)
		}
		return docs, nil
	}
	if md, ok := m["metadata"]; ok {
		if _, isMap := md.(map[string]any); !isMap {
			return nil, fmt.Errorf("%s (%s): metadata must be a mapping", where, kind)
		}
	}
	name, _, _ := unstructured.NestedString(m, "metadata", "name")
	if name == "" {
		return nil, fmt.Errorf("%s (%s): metadata.name is required; name the object", where, kind)
	}
	return []document{{obj: obj, where: where}}, nil
}

func setNamespace(obj *unstructured.Unstructured, o RenderOptions, explicitWins bool) {
	if workload.IsClusterScoped(obj.GetAPIVersion(), obj.GetKind()) {
		if obj.GetNamespace() != "" {
			obj.SetNamespace("")
		}
		return
	}
	ns := obj.GetNamespace()
	switch {
	case o.TargetNamespace != "" && (ns == "" || !explicitWins):
		ns = o.TargetNamespace
	case ns == "":
		ns = o.DefaultNamespace
	}
	if ns != obj.GetNamespace() {
		obj.SetNamespace(ns)
	}
}

func addMetadata(obj *unstructured.Unstructured, labels, annotations map[string]string) {
	if len(labels) > 0 {
		l := obj.GetLabels()
		if l == nil {
			l = make(map[string]string, len(labels))
		}
		for k, v := range labels {
			l[k] = v
		}
		obj.SetLabels(l)
	}
	if len(annotations) > 0 {
		a := obj.GetAnnotations()
		if a == nil {
			a = make(map[string]string, len(annotations))
		}
		for k, v := range annotations {
			a[k] = v
		}
		obj.SetAnnotations(a)
	}
}

// selectorKinds are the apps/v1 kinds whose spec.selector is required.
var selectorKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true}

// defaultSelector gives a workload without spec.selector the selector a
// person would expect from its name (apps/v1 requires one; older API
// versions took the pod template's labels) and returns the warning to
// show, or "" when nothing was defaulted.
func defaultSelector(obj *unstructured.Unstructured) string {
	gv, _ := schema.ParseGroupVersion(obj.GetAPIVersion())
	if gv.Group != "apps" || !selectorKinds[obj.GetKind()] {
		return ""
	}
	if sel, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "selector"); found && sel != nil {
		return ""
	}
	podLabels, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "template", "metadata", "labels")
	value := podLabels["app"]
	if value == "" {
		value = obj.GetName()
	}
	// Each level may be missing (it is created) but not of another type:
	// such an object is left for the API server to refuse with its message.
	spec, ok := childMap(obj.Object, "spec")
	if !ok {
		return ""
	}
	template, ok := childMap(spec, "template")
	if !ok {
		return ""
	}
	meta, ok := childMap(template, "metadata")
	if !ok {
		return ""
	}
	labels, ok := childMap(meta, "labels")
	if !ok {
		return ""
	}
	spec["selector"] = map[string]any{"matchLabels": map[string]any{"app": value}}
	labels["app"] = value
	return fmt.Sprintf("%s %s: spec.selector was missing; defaulted to app=%s (set it in the YAML to choose your own)", obj.GetKind(), obj.GetName(), value)
}

// childMap returns m[key] as a map, creating it when absent; ok is false
// when it holds something else.
func childMap(m map[string]any, key string) (child map[string]any, ok bool) {
	v, found := m[key]
	if !found || v == nil {
		child = map[string]any{}
		m[key] = child
		return child, true
	}
	child, ok = v.(map[string]any)
	return child, ok
}
