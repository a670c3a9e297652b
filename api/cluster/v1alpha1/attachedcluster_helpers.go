package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KubeconfigSecretRef resolves both kubeconfig forms to the Secret's name and
// key. The key defaults to DefaultKubeconfigKey. Name is empty when neither
// form is set (a Pull cluster has none).
func (c *AttachedCluster) KubeconfigSecretRef() SecretKeyReference {
	var ref SecretKeyReference
	if kc := c.Spec.Kubeconfig; kc != nil {
		ref = SecretKeyReference{Name: kc.Name, Key: kc.Key}
		if kc.SecretRef != nil {
			ref = *kc.SecretRef
		}
	}
	if ref.Key == "" {
		ref.Key = DefaultKubeconfigKey
	}
	return ref
}

// SchedulingLabels returns the labels the scheduler matches: metadata.labels
// overlaid with spec.labels. The result is a new map the caller may change.
func (c *AttachedCluster) SchedulingLabels() map[string]string {
	out := make(map[string]string, len(c.Labels)+len(c.Spec.Labels))
	for k, v := range c.Labels {
		out[k] = v
	}
	for k, v := range c.Spec.Labels {
		out[k] = v
	}
	return out
}

// ProviderName is spec.provider, else the "provider" scheduling label.
func (c *AttachedCluster) ProviderName() string {
	return c.fieldOrLabel(c.Spec.Provider, LabelProvider)
}

// RegionName is spec.region, else the "region" scheduling label.
func (c *AttachedCluster) RegionName() string {
	return c.fieldOrLabel(c.Spec.Region, LabelRegion)
}

// Zones merges spec.zone and spec.zones, keeping the first occurrence of each
// value in that order and dropping empty ones. When both are empty it is the
// "zone" scheduling label, if any.
func (c *AttachedCluster) Zones() []string {
	var out []string
	add := func(z string) {
		if z == "" {
			return
		}
		for _, have := range out {
			if have == z {
				return
			}
		}
		out = append(out, z)
	}
	add(c.Spec.Zone)
	for _, z := range c.Spec.Zones {
		add(z)
	}
	if len(out) == 0 {
		add(c.fieldOrLabel("", LabelZone))
	}
	return out
}

func (c *AttachedCluster) fieldOrLabel(field, label string) string {
	if field != "" {
		return field
	}
	if v, ok := c.Spec.Labels[label]; ok {
		return v
	}
	return c.Labels[label]
}

// ReadyCondition returns the Ready condition, or nil before the first probe.
func (c *AttachedCluster) ReadyCondition() *metav1.Condition {
	return meta.FindStatusCondition(c.Status.Conditions, ConditionReady)
}

// IsReady reports whether the Ready condition is True.
func (c *AttachedCluster) IsReady() bool {
	return meta.IsStatusConditionTrue(c.Status.Conditions, ConditionReady)
}

// Serves reports whether the cluster lists kind in groupVersion among its
// API enablements.
func (c *AttachedCluster) Serves(groupVersion, kind string) bool {
	for _, e := range c.Status.APIEnablements {
		if e.GroupVersion != groupVersion {
			continue
		}
		for _, r := range e.Resources {
			if r.Kind == kind {
				return true
			}
		}
	}
	return false
}
