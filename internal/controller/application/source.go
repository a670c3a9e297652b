package application

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/apphub"
	"github.com/kurator-go/kurator/internal/source"
	pkgapphub "github.com/kurator-go/kurator/pkg/apphub"
)

// defaultInterval is how often a Git, Helm or OCI source is asked for a
// new revision when its spec names no interval.
const defaultInterval = time.Minute

// sourceError is a source that cannot give a revision: the message names
// the field and the fix; the running revision stays.
type sourceError struct{ reason, msg string }

func (e *sourceError) Error() string { return e.msg }

// revisions remembers, per Application source, the revision last fetched
// and when, so a Git, Helm or OCI source is fetched once per interval
// (every revision fetched is imported into AppHub, which serves it after).
type revisions struct {
	mu   sync.Mutex
	seen map[string]fetched
}

type fetched struct {
	spec     string // the source spec it was fetched for
	revision string
	at       time.Time
}

// resolve finds the revision the source names now, importing a fetched
// Git, Helm or OCI revision into AppHub. Errors that the user must fix
// are *sourceError.
func (r *Reconciler) resolve(ctx context.Context, app *appsv1alpha1.Application) (*appsv1alpha1.AppVersion, time.Duration, error) {
	src := app.Spec.Source
	name := app.AppHubName()
	if p := src.Package; p != nil {
		v, err := r.appVersion(ctx, app.Namespace, name, p.Version)
		if apierrors.IsNotFound(err) {
			return nil, 0, &sourceError{"VersionNotFound", fmt.Sprintf("spec.source.package: %s:%s is not in AppHub; push it (kurator app push %s:%s -f DIR) or name a pushed version (kurator app versions %s)", name, p.Version, name, p.Version, name)}
		}
		if err != nil {
			return nil, 0, &sourceError{"VersionUnreadable", fmt.Sprintf("spec.source.package: %s:%s: %v", name, p.Version, err)}
		}
		return v, 0, nil
	}
	interval, spec := defaultInterval, fmt.Sprintf("%d", app.Generation)
	switch {
	case src.GitRepository != nil && src.GitRepository.Interval.Duration > 0:
		interval = src.GitRepository.Interval.Duration
	case src.HelmRepository != nil && src.HelmRepository.Interval.Duration > 0:
		interval = src.HelmRepository.Interval.Duration
	case src.OCIRepository != nil && src.OCIRepository.Interval.Duration > 0:
		interval = src.OCIRepository.Interval.Duration
	}
	key := app.Namespace + "/" + app.Name
	r.revs.mu.Lock()
	last, ok := r.revs.seen[key]
	r.revs.mu.Unlock()
	if ok && last.spec == spec && time.Since(last.at) < interval || ok && last.spec == spec && suspended(src) {
		v, err := r.appVersion(ctx, app.Namespace, name, last.revision)
		if err == nil {
			return v, interval - time.Since(last.at), nil
		}
	}
	f, err := r.fetch(ctx, app)
	if err != nil {
		return nil, 0, err
	}
	p := f.Package
	o, err := pkgapphub.OptionsFor(app, 0, name+":"+f.Revision)
	if err != nil {
		return nil, 0, &sourceError{"RenderFailed", err.Error()}
	}
	objs, warnings, err := p.Render(o)
	meta := apphub.PushMeta{Source: f.Source, Warnings: warnings}
	if err == nil {
		meta.Objects = pkgapphub.Objects(objs)
		for _, img := range pkgapphub.Images(objs) {
			meta.Images = append(meta.Images, appsv1alpha1.AppImage{Ref: img})
		}
	}
	v, _, err := r.store.Push(ctx, app.Namespace, name, f.Revision, p, meta)
	if err != nil {
		return nil, 0, &sourceError{"ImportFailed", fmt.Sprintf("store %s revision %s in AppHub: %v", sourceKind(src), f.Revision, err)}
	}
	r.revs.mu.Lock()
	r.revs.seen[key] = fetched{spec: spec, revision: f.Revision, at: time.Now()}
	r.revs.mu.Unlock()
	return v, interval, nil
}

// appVersion reads an AppVersion from the cache (its content is read,
// once per digest, only when rendered: see packageOf).
func (r *Reconciler) appVersion(ctx context.Context, ns, app, version string) (*appsv1alpha1.AppVersion, error) {
	var v appsv1alpha1.AppVersion
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: apphub.VersionName(app, version)}, &v); err != nil {
		return nil, err
	}
	if v.Spec.App != app || v.Spec.Version != version {
		return nil, fmt.Errorf("AppVersion %s holds %s:%s, not %s:%s", v.Name, v.Spec.App, v.Spec.Version, app, version)
	}
	return &v, nil
}

func suspended(src appsv1alpha1.ApplicationSource) bool {
	return src.GitRepository != nil && src.GitRepository.Suspend ||
		src.HelmRepository != nil && src.HelmRepository.Suspend ||
		src.OCIRepository != nil && src.OCIRepository.Suspend
}

func sourceKind(src appsv1alpha1.ApplicationSource) string {
	switch {
	case src.GitRepository != nil:
		return "spec.source.gitRepository"
	case src.HelmRepository != nil:
		return "spec.source.helmRepository"
	case src.OCIRepository != nil:
		return "spec.source.ociRepository"
	}
	return "spec.source.package"
}

// fetch reads the source's current revision.
func (r *Reconciler) fetch(ctx context.Context, app *appsv1alpha1.Application) (source.Fetched, error) {
	src := app.Spec.Source
	var f source.Fetched
	var err error
	switch {
	case src.GitRepository != nil:
		creds, cerr := r.credentials(ctx, app.Namespace, src.GitRepository.SecretRef)
		if cerr != nil {
			return f, cerr
		}
		f, err = source.Git(ctx, src.GitRepository, "", creds)
	case src.HelmRepository != nil:
		var h *appsv1alpha1.HelmRelease
		for _, p := range app.Spec.SyncPolicies {
			if p.Helm != nil {
				h = p.Helm
				break
			}
		}
		if h == nil || h.Chart == "" {
			return f, &sourceError{"ChartMissing", "a helmRepository source needs spec.syncPolicies[].helm.chart: name the chart to install"}
		}
		creds, cerr := r.credentials(ctx, app.Namespace, src.HelmRepository.SecretRef)
		if cerr != nil {
			return f, cerr
		}
		f, err = source.Helm(ctx, src.HelmRepository, h.Chart, h.Version, creds)
	case src.OCIRepository != nil:
		creds, cerr := r.credentials(ctx, app.Namespace, src.OCIRepository.SecretRef)
		if cerr != nil {
			return f, cerr
		}
		f, err = source.OCI(ctx, src.OCIRepository, "", creds)
	default:
		return f, &sourceError{"NoSource", "spec.source names no source; set one of gitRepository, helmRepository, ociRepository, package"}
	}
	if err != nil {
		return f, &sourceError{"FetchFailed", err.Error()} // it names the field
	}
	return f, nil
}

// credentials reads a source's Secret (username/password or bearerToken).
func (r *Reconciler) credentials(ctx context.Context, ns string, ref *appsv1alpha1.LocalObjectReference) (*source.Credentials, error) {
	if ref == nil {
		return nil, nil
	}
	var s corev1.Secret
	if err := r.reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, &s); err != nil {
		return nil, &sourceError{"SecretUnreadable", fmt.Sprintf("secretRef %s/%s: %v; create it with username and password (or bearerToken)", ns, ref.Name, err)}
	}
	return &source.Credentials{Username: string(s.Data["username"]), Password: string(s.Data["password"]), BearerToken: string(s.Data["bearerToken"])}, nil
}
