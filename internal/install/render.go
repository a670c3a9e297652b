// Package install puts the Kurator hub manager onto a Kubernetes cluster
// from the Helm chart embedded in package charts: Render (offline, the same
// objects `helm template charts/kurator` prints), Preflight (reachability,
// permissions, image reference, before anything is written), Apply
// (server-side apply, CRDs first), Wait (rollout) and Uninstall.
//
// There is one renderer: the CLI never builds an object by hand, so the
// chart and `kurator install center-manager` cannot drift apart.
package install

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/strvals"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/charts"
)

const (
	// DefaultNamespace is the release namespace unless told otherwise.
	DefaultNamespace = "kurator-system"
	// ReleaseName is the name the CLI renders the chart under (Helm's
	// {{ .Release.Name }}); `helm install kurator charts/kurator` matches it.
	ReleaseName = "kurator"
	// ManagerDeployment is the manager's Deployment (and its container is
	// "manager").
	ManagerDeployment = "kurator-manager"
	// FieldManager owns every field the CLI applies.
	FieldManager = "kurator-install"

	chartDir = "kurator"
)

// Options say what to render.
type Options struct {
	// Namespace is the release namespace (default DefaultNamespace).
	Namespace string
	// Values are merged over the chart's values.yaml.
	Values map[string]any
}

// Object is one rendered object with the chart file it came from.
type Object struct {
	// Source is the template, e.g. kurator/templates/deployment.yaml.
	Source string
	*unstructured.Unstructured
}

// Release is a rendered chart.
type Release struct {
	// Chart is the chart's name and version (kurator-0.1.0); AppVersion its
	// appVersion (the manager's default image tag).
	Chart, AppVersion string
	Namespace         string
	// Manifest is the rendering in `helm template`'s format: every object as
	// "---\n# Source: FILE\nYAML\n", in Helm's install order.
	Manifest string
	// Objects are in apply order: the CRDs, then the rest in Helm's install
	// order (Namespace, ServiceAccount, RBAC, Services, ..., Deployments).
	Objects []Object
}

// CRDs returns the release's CustomResourceDefinitions.
func (r *Release) CRDs() []Object { return r.filter(true) }

// Rest returns every object but the CRDs, in apply order.
func (r *Release) Rest() []Object { return r.filter(false) }

func (r *Release) filter(crds bool) []Object {
	var out []Object
	for _, o := range r.Objects {
		if isCRD(o.Unstructured) == crds {
			out = append(out, o)
		}
	}
	return out
}

func isCRD(u *unstructured.Unstructured) bool {
	return u.GetKind() == "CustomResourceDefinition" && u.GroupVersionKind().Group == "apiextensions.k8s.io"
}

// LoadChart loads the embedded chart.
func LoadChart() (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(charts.FS, chartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(charts.FS, p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, chartDir+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the embedded chart: %w", err)
	}
	chrt, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load the embedded chart: %w (the binary was built from a broken charts/kurator; helm lint charts/kurator names the problem)", err)
	}
	return chrt, nil
}

// ParseSet merges Helm --set expressions (a.b=c, list[0]=x, k1=v1,k2=v2)
// into values.
func ParseSet(values map[string]any, sets []string) error {
	for _, s := range sets {
		if err := strvals.ParseInto(s, values); err != nil {
			return fmt.Errorf("--set %s: %w (write KEY=VALUE with a dotted key, e.g. --set image.tag=v1)", s, err)
		}
	}
	return nil
}

// ReadValuesFile merges the chart values of a YAML file into values, as
// Helm's --values does: maps merge key by key, anything else is replaced.
func ReadValuesFile(values map[string]any, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("--values: %w", err)
	}
	var from map[string]any
	if err := yaml.Unmarshal(data, &from); err != nil {
		return fmt.Errorf("--values %s: not a YAML map of chart values: %w", file, err)
	}
	MergeValues(values, from)
	return nil
}

// MergeValues merges src into dst: maps key by key, anything else replaced.
func MergeValues(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				MergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// Render renders the embedded chart offline, like `helm template kurator
// charts/kurator --namespace NS` with the same values: no cluster is read.
// Values the chart's values.schema.json refuses fail here, naming the key.
func Render(o Options) (*Release, error) {
	chrt, err := LoadChart()
	if err != nil {
		return nil, err
	}
	ns := o.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	vals := o.Values
	if vals == nil {
		vals = map[string]any{}
	}
	rv, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{
		Name: ReleaseName, Namespace: ns, Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("chart values: %s\nfix the key named (--set KEY=VALUE; the keys are in charts/kurator/values.yaml)", strings.TrimSpace(err.Error()))
	}
	rendered, err := engine.Render(chrt, rv)
	if err != nil {
		return nil, fmt.Errorf("render the chart: %w", err)
	}
	for name := range rendered {
		if path.Base(name) == "NOTES.txt" {
			delete(rendered, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(rendered, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("the chart renders YAML that does not parse: %w", err)
	}
	if len(hooks) > 0 {
		return nil, fmt.Errorf("the chart renders hook %s (%s): the installer applies one set of objects; drop the helm.sh/hook annotation", hooks[0].Name, hooks[0].Path)
	}
	rel := &Release{
		Chart:      chrt.Metadata.Name + "-" + chrt.Metadata.Version,
		AppVersion: chrt.Metadata.AppVersion,
		Namespace:  ns,
	}
	var b strings.Builder
	var crds, rest []Object
	docs := helmDocuments(rendered)
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, docs.take(m.Name, m.Content))
		js, err := yaml.YAMLToJSON([]byte(m.Content))
		if err != nil {
			return nil, fmt.Errorf("%s renders YAML that does not parse: %w", m.Name, err)
		}
		if string(js) == "null" {
			continue // only comments
		}
		// Unstructured's JSON decoding keeps integers int64.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("%s renders an object that does not decode: %w", m.Name, err)
		}
		if u.GetName() == "" {
			return nil, fmt.Errorf("%s renders a %s without metadata.name", m.Name, u.GetKind())
		}
		o := Object{Source: m.Name, Unstructured: u}
		if isCRD(u) {
			crds = append(crds, o)
		} else {
			rest = append(rest, o)
		}
	}
	// CRDs in name order: the chart's order of files/crds/*.yaml is already
	// that, but make it an invariant of the result.
	sort.SliceStable(crds, func(i, j int) bool { return crds[i].GetName() < crds[j].GetName() })
	// `helm template` trims the end of the whole stream to one newline.
	rel.Manifest = strings.TrimSpace(b.String()) + "\n"
	rel.Objects = append(crds, rest...)
	return rel, nil
}

// separator splits a rendered file into documents as Helm 4 does.
var separator = regexp.MustCompile(`(?m)^---[ \t]*`)

// documents are the documents of each rendered file as Helm 4 prints them
// in `helm template`: leading blank space trimmed, trailing kept (Helm 3's
// SortManifests, which orders them, trims both).
type documents map[string][]string

func helmDocuments(rendered map[string]string) documents {
	out := documents{}
	for name, content := range rendered {
		for _, d := range separator.Split(strings.TrimLeftFunc(content, unicode.IsSpace), -1) {
			if strings.TrimSpace(d) != "" {
				out[name] = append(out[name], strings.TrimLeftFunc(d, unicode.IsSpace))
			}
		}
	}
	return out
}

// take returns (and removes) file's first document that trims to trimmed;
// trimmed itself when there is none.
func (d documents) take(file, trimmed string) string {
	for i, doc := range d[file] {
		if strings.TrimSpace(doc) == trimmed {
			d[file] = append(d[file][:i:i], d[file][i+1:]...)
			return doc
		}
	}
	return trimmed
}

// Ref is "kind.group/name" in kubectl's style: deployment.apps/kurator-manager,
// serviceaccount/kurator-manager.
func (o Object) Ref() string {
	gvk := o.GroupVersionKind()
	kind := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		kind += "." + gvk.Group
	}
	return kind + "/" + o.GetName()
}
