package apphub

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// chartDocuments renders the chart at root offline, as `helm template`
// does (no cluster: lookup returns nothing, Capabilities are Helm's
// defaults), and reads the result.
//
// The objects are the chart's crds/ files first, then its templates in
// Helm's install order (Namespaces, then RBAC, ConfigMaps, ... workloads).
// NOTES.txt and partials (_*.tpl) are not objects. Hooks (objects with a
// helm.sh/hook annotation: pre-install Jobs, tests, ...) are left out with
// a warning each: a release here is one set of objects applied and kept in
// sync, with no install/upgrade lifecycle for hooks to run in.
func (p Package) chartDocuments(root string, o RenderOptions) ([]document, []string, error) {
	files := p.under(root)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	buffered := make([]*loader.BufferedFile, 0, len(names))
	for _, name := range names {
		buffered = append(buffered, &loader.BufferedFile{Name: name, Data: files[name]})
	}
	where := root
	if where == "" {
		where = "."
	}
	chrt, err := loader.LoadFiles(buffered)
	if err != nil {
		return nil, nil, fmt.Errorf("the chart at path %s does not load: %v: fix Chart.yaml (name, version, apiVersion v2) or the file named", where, err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(chrt, o.Values); err != nil {
		return nil, nil, fmt.Errorf("chart %s: dependencies: %v: vendor every dependency under charts/ (helm dependency build)", chrt.Name(), err)
	}
	release := chartutil.ReleaseOptions{
		Name:      o.ReleaseName,
		Namespace: o.TargetNamespace,
		Revision:  1,
		IsInstall: true,
	}
	if release.Name == "" {
		release.Name = chrt.Name()
	}
	if release.Namespace == "" {
		release.Namespace = o.DefaultNamespace
	}
	caps := chartutil.DefaultCapabilities
	if kv := chrt.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, nil, fmt.Errorf("chart %s requires kubeVersion %s; it is rendered for Kubernetes %s: widen kubeVersion in Chart.yaml", chrt.Name(), kv, caps.KubeVersion.String())
	}
	values, err := chartutil.ToRenderValues(chrt, o.Values, release, caps)
	if err != nil {
		return nil, nil, fmt.Errorf("chart %s: values: %v: fix the values (spec.syncPolicies[].helm.values) or the chart's values.yaml", chrt.Name(), err)
	}
	rendered, err := engine.Render(chrt, values)
	if err != nil {
		// Helm's message starts with the template's path and line.
		return nil, nil, fmt.Errorf("chart %s does not render: %v: fix that template or the values it reads", chrt.Name(), err)
	}
	for name := range rendered {
		if strings.HasSuffix(name, "/NOTES.txt") || name == "NOTES.txt" {
			delete(rendered, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(rendered, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, nil, fmt.Errorf("chart %s renders YAML that does not parse: %v: fix the template named", chrt.Name(), err)
	}

	var docs []document
	for _, crd := range chrt.CRDObjects() {
		got, err := parseDocuments(path.Join(root, crd.Filename), crd.File.Data, false)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, got...)
	}
	// SortManifests gives each document of a file alone, keeping the
	// file name: count the documents per file so errors name them.
	perFile := map[string]int{}
	for _, m := range manifests {
		perFile[m.Name]++
		got, err := parseDocuments(fmt.Sprintf("%s (manifest %d)", m.Name, perFile[m.Name]), []byte(m.Content), false)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, got...)
	}
	var warnings []string
	for _, h := range hooks {
		events := make([]string, len(h.Events))
		for i, e := range h.Events {
			events[i] = string(e)
		}
		warnings = append(warnings, fmt.Sprintf("chart %s: hook %s/%s (helm.sh/hook: %s) left out: releases here apply the chart's objects as one set, without Helm's lifecycle hooks", chrt.Name(), h.Kind, h.Name, strings.Join(events, ",")))
	}
	return docs, warnings, nil
}
