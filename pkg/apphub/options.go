package apphub

import (
	"encoding/json"
	"fmt"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// OptionsFor are the options an Application's sync policy renders with:
// the kustomization's path, target namespace and common metadata, or the
// Helm release's name, namespace and values (and, for a chart inside a
// package or Git repository, its path). pkg names the package in errors
// ("mes:v1.2"). The hub and kurator app diff render with it.
func OptionsFor(app *appsv1alpha1.Application, policy int, pkg string) (RenderOptions, error) {
	o := RenderOptions{DefaultNamespace: app.Namespace, ReleaseName: app.Name, Package: pkg}
	p := app.Spec.SyncPolicies[policy]
	if k := p.Kustomization; k != nil {
		o.Path, o.TargetNamespace = k.Path, k.TargetNamespace
		if m := k.CommonMetadata; m != nil {
			o.Labels, o.Annotations = m.Labels, m.Annotations
		}
	}
	if h := p.Helm; h != nil {
		o.TargetNamespace = h.TargetNamespace
		if h.ReleaseName != "" {
			o.ReleaseName = h.ReleaseName
		}
		if app.Spec.Source.HelmRepository == nil {
			o.Path = h.Chart // a chart inside a package or Git repository
		}
		if h.Values != nil && len(h.Values.Raw) > 0 {
			if err := json.Unmarshal(h.Values.Raw, &o.Values); err != nil {
				return o, fmt.Errorf("Application %s/%s spec.syncPolicies[%d].helm.values: %w (give a YAML map)", app.Namespace, app.Name, policy, err)
			}
		}
	}
	return o, nil
}
