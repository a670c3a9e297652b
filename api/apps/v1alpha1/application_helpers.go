package v1alpha1

import "time"

// AppHubName is the name an Application's revisions have in AppHub: its
// package's name, else its own (the controller stores imported Git, Helm
// and OCI revisions under it too). The controller, the CLI and the
// dashboard all use it.
func (a *Application) AppHubName() string {
	if p := a.Spec.Source.Package; p != nil && p.Name != "" {
		return p.Name
	}
	return a.Name
}

// PushedAtAnnotation is when an AppVersion was pushed (RFC 3339 with
// nanoseconds, the pusher's clock): it orders versions created within the
// same second of the hub's clock.
const PushedAtAnnotation = "apps.kurator.dev/pushed-at"

// PushedBefore orders AppVersions as AppHub lists them: by creation (the
// hub's clock, in seconds), then by the pusher's time, then by name.
func (v *AppVersion) PushedBefore(o *AppVersion) bool {
	if !v.CreationTimestamp.Equal(&o.CreationTimestamp) {
		return v.CreationTimestamp.Before(&o.CreationTimestamp)
	}
	ta, errA := time.Parse(time.RFC3339Nano, v.Annotations[PushedAtAnnotation])
	tb, errB := time.Parse(time.RFC3339Nano, o.Annotations[PushedAtAnnotation])
	if errA == nil && errB == nil && !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return v.Name < o.Name
}

// AppHubConfigMap, in kurator-system on the hub, names AppHub's registry:
// data "registry" (host[:port][/prefix]) and "insecure" ("true" for plain
// HTTP). kurator up --registries writes it; the CLI pushes images there
// and the hub copies them from there.
const AppHubConfigMap = "kurator-apphub"
