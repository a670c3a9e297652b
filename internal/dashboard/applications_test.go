package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

// readerCache is a cache that answers reads from a fake client: the
// handlers only read.
type readerCache struct {
	cache.Cache
	c client.Client
}

func (r readerCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return r.c.Get(ctx, key, obj, opts...)
}

func (r readerCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.c.List(ctx, list, opts...)
}

// grants allows an access review when "verb resource namespace" is listed.
func grants(allowed ...string) *kubefake.Clientset {
	kube := kubefake.NewClientset()
	kube.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ra := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).Spec.ResourceAttributes
		q := fmt.Sprintf("%s %s %s", ra.Verb, ra.Resource, ra.Namespace)
		return true, &authorizationv1.SubjectAccessReview{Status: authorizationv1.SubjectAccessReviewStatus{Allowed: slices.Contains(allowed, q)}}, nil
	})
	return kube
}

func application(ns, name string) *appsv1alpha1.Application {
	return &appsv1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1alpha1.ApplicationSpec{Source: appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Name: "mes", Version: "v1.2"}},
			SyncPolicies: []appsv1alpha1.ApplicationSyncPolicy{{Destination: appsv1alpha1.ApplicationDestination{Fleet: "plants"}}}},
		Status: appsv1alpha1.ApplicationStatus{Revision: "v1.2", Clusters: []appsv1alpha1.ApplicationClusterStatus{{Name: "cluster-hangzhou", Revision: "v1.2", Healthy: true}}},
	}
}

func appVersion(ns, version, pushedAt string) *appsv1alpha1.AppVersion {
	return &appsv1alpha1.AppVersion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mes-" + version, Annotations: map[string]string{appsv1alpha1.PushedAtAnnotation: pushedAt}},
		Spec:       appsv1alpha1.AppVersionSpec{App: "mes", Version: version, Digest: "sha256:" + strings.Repeat("a", 64), Format: appsv1alpha1.FormatManifests, Blobs: []string{"b"}, Size: 2048},
	}
}

// appServer is a dashboard over objs whose user "viewer" is granted the
// reviews listed; unserved marks kinds the hub does not serve.
func appServer(t *testing.T, granted []string, unserved map[string]string) (http.Handler, string) {
	t.Helper()
	objs := []client.Object{
		application("plant-a", "mes"), application("plant-b", "mes"),
		appVersion("plant-a", "v1.1", "2026-03-01T10:00:00.1Z"), appVersion("plant-a", "v1.2", "2026-03-01T10:00:00.2Z"), appVersion("plant-b", "v7", "2026-03-01T10:00:00.3Z"),
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "plant-a", Name: "e1"}, InvolvedObject: corev1.ObjectReference{Kind: "Application", Name: "mes"}, Reason: "StageStarted", Message: "stage north started"},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "plant-a", Name: "e2"}, InvolvedObject: corev1.ObjectReference{Kind: "Rollout", Name: "mes"}, Reason: "Other"},
	}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).Build()
	if unserved == nil {
		unserved = map[string]string{}
	}
	s := &Server{store: &store{cache: readerCache{c: c}, unserved: unserved}, auth: newAuthenticator(grants(granted...), "", identity{User: "admin"})}
	return s.routes(), s.auth.newSession(identity{User: "viewer"})
}

func get(t *testing.T, h http.Handler, session, path string, into any) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := json.Unmarshal(rec.Body.Bytes(), into); err != nil {
		t.Fatalf("GET %s: %d %q is not JSON: %v", path, rec.Code, rec.Body.String(), err)
	}
	return rec.Code
}

var plantAReader = []string{"list applications plant-a", "get applications plant-a", "list appversions plant-a", "list events plant-a"}

func TestApplicationsListShowsOnlyNamespacesTheUserMayList(t *testing.T) {
	h, sid := appServer(t, plantAReader, nil)
	var l dashboard.ApplicationList
	if code := get(t, h, sid, "/api/v1/applications", &l); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(l.Items) != 1 || l.Items[0].Namespace != "plant-a" || !slices.Equal(l.Namespaces, []string{"plant-a"}) {
		t.Fatalf("list %+v, want plant-a's Application only, and only plant-a as a choice", l)
	}
	if m := l.Items[0].Members; len(m) != 1 || m[0].Cluster != "cluster-hangzhou" || m[0].Running != "v1.2" || m[0].Health != dashboard.HealthHealthy {
		t.Fatalf("members %+v, want hangzhou Healthy on v1.2", m)
	}
	var none dashboard.ApplicationList
	get(t, h, sid, "/api/v1/applications?namespace=plant-b", &none)
	if len(none.Items) != 0 || none.Items == nil {
		t.Fatalf("plant-b as the filter gave %+v, want an empty list (not null)", none.Items)
	}
}

func TestApplicationPage(t *testing.T) {
	cases := []struct {
		name    string
		granted []string
		path    string
		check   func(t *testing.T, code int, d dashboard.ApplicationDetail, e dashboard.Error)
	}{
		{"shows its AppVersions newest first and only its own events", plantAReader, "/api/v1/applications/plant-a/mes",
			func(t *testing.T, code int, d dashboard.ApplicationDetail, _ dashboard.Error) {
				var vs []string
				for _, v := range d.Versions {
					vs = append(vs, v.Version)
				}
				if code != http.StatusOK || strings.Join(vs, ",") != "v1.2,v1.1" || d.VersionsHidden != "" {
					t.Fatalf("%d, versions %v (hidden %q), want v1.2,v1.1 of plant-a only", code, vs, d.VersionsHidden)
				}
				if len(d.Events) != 1 || d.Events[0].Reason != "StageStarted" {
					t.Fatalf("events %+v, want the Application's one", d.Events)
				}
			}},
		{"without list on appversions says why no version shows", []string{"get applications plant-a"}, "/api/v1/applications/plant-a/mes",
			func(t *testing.T, code int, d dashboard.ApplicationDetail, _ dashboard.Error) {
				if code != http.StatusOK || len(d.Versions) != 0 || !strings.Contains(d.VersionsHidden, "viewer may not list appversions.apps.kurator.dev in namespace plant-a") {
					t.Fatalf("%d, versions %v, hidden %q", code, d.Versions, d.VersionsHidden)
				}
				if len(d.Events) != 0 {
					t.Fatalf("events %+v shown to a user who may not list events", d.Events)
				}
			}},
		{"another namespace's Application answers 404 like a missing one", plantAReader, "/api/v1/applications/plant-b/mes",
			func(t *testing.T, code int, _ dashboard.ApplicationDetail, e dashboard.Error) {
				if code != http.StatusNotFound || e.Error != "no Application plant-b/mes that viewer may read" || !strings.Contains(e.Hint, "Applications list") {
					t.Fatalf("%d %+v", code, e)
				}
			}},
		{"a missing Application answers 404 with the same words", plantAReader, "/api/v1/applications/plant-a/nope",
			func(t *testing.T, code int, _ dashboard.ApplicationDetail, e dashboard.Error) {
				if code != http.StatusNotFound || e.Error != "no Application plant-a/nope that viewer may read" {
					t.Fatalf("%d %+v", code, e)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, sid := appServer(t, c.granted, nil)
			var d dashboard.ApplicationDetail
			var e dashboard.Error
			code := get(t, h, sid, c.path, &d)
			get(t, h, sid, c.path, &e)
			c.check(t, code, d, e)
		})
	}
}

func TestApplicationsOnAHubWithoutTheCRD(t *testing.T) {
	why := "the hub does not serve apps.kurator.dev/v1alpha1 Application: install Kurator's CRDs"
	h, sid := appServer(t, plantAReader, map[string]string{fmt.Sprintf("%T", &appsv1alpha1.Application{}): why})
	var l dashboard.ApplicationList
	if code := get(t, h, sid, "/api/v1/applications", &l); code != http.StatusOK || l.Unavailable != why || l.Items == nil {
		t.Fatalf("%d %+v, want an empty list saying why", code, l)
	}
	var e dashboard.Error
	if code := get(t, h, sid, "/api/v1/applications/plant-a/mes", &e); code != http.StatusNotFound || e.Error != why || !strings.Contains(e.Hint, "install the Application CRD") {
		t.Fatalf("%d %+v", code, e)
	}
}
