package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/scheduling"
	"github.com/kurator-go/kurator/pkg/dashboard"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("POST /api/v1/logout", s.logout)
	mux.HandleFunc("GET /api/v1/whoami", s.api(s.whoami))
	mux.HandleFunc("GET /api/v1/overview", s.api(s.overview))
	mux.HandleFunc("GET /api/v1/clusters/{name}", s.api(s.cluster))
	mux.HandleFunc("GET /api/v1/workloads", s.api(s.workloads))
	mux.HandleFunc("GET /api/v1/workloads/{namespace}/{binding}", s.api(s.workload))
	mux.HandleFunc("GET /api/v1/policies", s.api(s.policies))
	mux.HandleFunc("GET /api/v1/rollouts", s.api(s.rollouts))
	mux.HandleFunc("GET /api/v1/rollouts/{namespace}/{name}", s.api(s.rollout))
	mux.HandleFunc("GET /api/v1/applications", s.api(s.applications))
	mux.HandleFunc("GET /api/v1/applications/{namespace}/{name}", s.api(s.application))
	mux.HandleFunc("GET /api/v1/scalepolicies", s.api(s.scalePolicies))
	mux.HandleFunc("GET /api/v1/scalepolicies/{namespace}/{name}", s.api(s.scalePolicy))
	mux.HandleFunc("GET /api/v1/nodepools", s.api(s.nodePools))
	mux.HandleFunc("GET /api/v1/hubcost", s.api(s.hubCost))
	mux.HandleFunc("GET /api/v1/watch", s.watch)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such API", "the dashboard's API is under /api/v1: overview, clusters/NAME, workloads, workloads/NAMESPACE/BINDING, policies, rollouts, rollouts/NAMESPACE/NAME, applications, applications/NAMESPACE/NAME, scalepolicies, scalepolicies/NAMESPACE/NAME, nodepools, watch")
	})
	mux.HandleFunc("/", s.serveAssets)
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// apiError is an error with the status and hint the API answers.
type apiError struct {
	status int
	msg    string
	hint   string
}

func (e *apiError) Error() string { return e.msg }

func writeError(w http.ResponseWriter, status int, msg, hint string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(dashboard.Error{Error: msg, Hint: hint})
}

func (s *Server) unauthorized(w http.ResponseWriter, err error) {
	msg := "log in to see the fleet"
	if !errors.Is(err, errUnauthenticated) {
		msg = err.Error()
	}
	writeError(w, http.StatusUnauthorized, msg, "open the URL that `kurator up` or `kurator dashboard` printed, or log in with a bearer token of the hub")
}

// api wraps a handler that returns a document: it identifies the caller,
// and writes the document as JSON or the error as {error, hint}.
func (s *Server) api(fn func(*http.Request, *identity) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.auth.identify(r)
		if err != nil {
			s.unauthorized(w, err)
			return
		}
		doc, err := fn(r, &id)
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				writeError(w, ae.status, ae.msg, ae.hint)
				return
			}
			log.Printf("%s %s as %s: %v", r.Method, r.URL.Path, id.User, err)
			writeError(w, http.StatusInternalServerError, err.Error(), "the dashboard could not read its caches of the hub; its log says more")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(doc)
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		s.serveAssets(w, r) // the UI's login page
		return
	}
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") {
		next = "/"
	}
	id, err := s.auth.login(r.Context(), token)
	if err != nil {
		http.Redirect(w, r, "/login?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.auth.newSession(id), Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.auth.endSession(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) whoami(_ *http.Request, id *identity) (any, error) {
	mode := "token"
	if id.Owner {
		mode = "kubeconfig"
	}
	return dashboard.Whoami{User: id.User, Groups: id.Groups, Mode: mode, Hub: s.hub}, nil
}

func (s *Server) hubCost(_ *http.Request, _ *identity) (any, error) {
	return map[string]int64{"watches": s.cost.watches.Load(), "requests": s.cost.requests.Load(),
		"streams": int64(s.store.hub.subscribers())}, nil
}

// view is what one request may see, read from the caches once. Lists
// share the cached objects (no deep copy of 500 bindings per request):
// nothing here modifies them.
type view struct {
	clusters          []clusterv1alpha1.AttachedCluster
	fleets            []fleetv1alpha1.Fleet
	bindings          []dashboard.Binding
	fleetByCluster    map[string]string
	clustersForbidden bool
	fleetsForbidden   bool
}

func (v *view) fleetOf(cluster string) string { return v.fleetByCluster[cluster] }

// read is what a page of the whole fleet needs: the clusters and Fleets
// the user may list, and the workloads they may read.
func (s *Server) read(ctx context.Context, id *identity) (*view, error) {
	v, err := s.readFleet(ctx, id)
	if err != nil {
		return nil, err
	}
	var rbs workv1alpha1.ResourceBindingList
	if err := s.store.cache.List(ctx, &rbs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	var crbs workv1alpha1.ClusterResourceBindingList
	if err := s.store.cache.List(ctx, &crbs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	for i := range rbs.Items {
		if s.mayRead(ctx, id, &rbs.Items[i].Spec.Resource) {
			v.bindings = append(v.bindings, dashboard.BindingOf(&rbs.Items[i]))
		}
	}
	for i := range crbs.Items {
		if s.mayRead(ctx, id, &crbs.Items[i].Spec.Resource) {
			v.bindings = append(v.bindings, dashboard.ClusterBindingOf(&crbs.Items[i]))
		}
	}
	return v, nil
}

// readFleet reads the clusters and Fleets the user may list.
func (s *Server) readFleet(ctx context.Context, id *identity) (*view, error) {
	ns := s.opts.ClusterNamespace
	v := &view{fleetByCluster: map[string]string{}}
	if s.auth.allowed(ctx, id, access{"list", clusterv1alpha1.GroupVersion.Group, "attachedclusters", ns}) {
		var l clusterv1alpha1.AttachedClusterList
		if err := s.store.cache.List(ctx, &l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		v.clusters = l.Items
		for i := range v.clusters {
			v.fleetByCluster[v.clusters[i].Name] = v.clusters[i].Labels[fleetv1alpha1.FleetNameLabel]
		}
	} else {
		v.clustersForbidden = true
	}
	if s.auth.allowed(ctx, id, access{"list", fleetv1alpha1.GroupVersion.Group, "fleets", ns}) {
		var l fleetv1alpha1.FleetList
		if err := s.store.cache.List(ctx, &l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		v.fleets = l.Items
	} else {
		v.fleetsForbidden = true
	}
	return v, nil
}

// readBinding reads one binding ("" namespace: a ClusterResourceBinding),
// nil when it is missing or the user may not read its template.
func (s *Server) readBinding(ctx context.Context, id *identity, namespace, name string) (*dashboard.Binding, error) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	var b dashboard.Binding
	if namespace == "" {
		var crb workv1alpha1.ClusterResourceBinding
		if err := s.store.cache.Get(ctx, key, &crb); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
		b = dashboard.ClusterBindingOf(&crb)
	} else {
		var rb workv1alpha1.ResourceBinding
		if err := s.store.cache.Get(ctx, key, &rb); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
		b = dashboard.BindingOf(&rb)
	}
	if !s.mayRead(ctx, id, &b.Spec.Resource) {
		return nil, nil
	}
	return &b, nil
}

// mayRead: a workload is shown to whoever may get its template.
func (s *Server) mayRead(ctx context.Context, id *identity, ref *workv1alpha1.ObjectReference) bool {
	if id.Owner {
		return true
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return false
	}
	gvr, err := s.store.resourceOf(gv.WithKind(ref.Kind))
	if err != nil {
		return false
	}
	return s.auth.allowed(ctx, id, access{"get", gvr.Group, gvr.Resource, ref.Namespace})
}

func (s *Server) overview(r *http.Request, id *identity) (any, error) {
	v, err := s.read(r.Context(), id)
	if err != nil {
		return nil, err
	}
	wl := dashboard.Workloads(v.bindings, v.fleetOf, dashboard.Filter{})
	o := dashboard.BuildOverview(v.clusters, v.fleets, wl.Items)
	if v.clustersForbidden {
		o.Forbidden = append(o.Forbidden, "clusters")
	}
	if v.fleetsForbidden {
		o.Forbidden = append(o.Forbidden, "fleets")
	}
	return o, nil
}

func (s *Server) cluster(r *http.Request, id *identity) (any, error) {
	ctx, name := r.Context(), r.PathValue("name")
	v, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.clustersForbidden {
		return nil, &apiError{http.StatusForbidden, fmt.Sprintf("%s may not list AttachedClusters in %s", id.User, s.opts.ClusterNamespace),
			fmt.Sprintf("ask a hub admin for list on attachedclusters.cluster.kurator.dev in namespace %s", s.opts.ClusterNamespace)}
	}
	var ac *clusterv1alpha1.AttachedCluster
	for i := range v.clusters {
		if v.clusters[i].Name == name {
			ac = &v.clusters[i]
		}
	}
	if ac == nil {
		return nil, &apiError{http.StatusNotFound, fmt.Sprintf("no cluster %q on the hub", name), "pick one from the overview; `kurator get clusters` lists them"}
	}
	wl := dashboard.Workloads(v.bindings, v.fleetOf, dashboard.Filter{Cluster: name})
	events := s.events(ctx, id, ac.Namespace, func(e *corev1.Event) bool {
		return e.InvolvedObject.Kind == "AttachedCluster" && e.InvolvedObject.Name == name
	})
	return dashboard.BuildCluster(ac, wl.Items, events), nil
}

// events lists the events of namespace that keep says are wanted, if the
// user may list events there.
func (s *Server) events(ctx context.Context, id *identity, namespace string, keep func(*corev1.Event) bool) []corev1.Event {
	if !s.auth.allowed(ctx, id, access{"list", "", "events", namespace}) {
		return nil
	}
	var l corev1.EventList
	if err := s.store.cache.List(ctx, &l, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	var out []corev1.Event
	for i := range l.Items {
		if keep(&l.Items[i]) {
			out = append(out, l.Items[i])
		}
	}
	return out
}

func (s *Server) workloads(r *http.Request, id *identity) (any, error) {
	v, err := s.read(r.Context(), id)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return dashboard.Workloads(v.bindings, v.fleetOf, dashboard.Filter{
		Namespace: q.Get("namespace"), Fleet: q.Get("fleet"), Cluster: q.Get("cluster"), Health: q.Get("health"),
	}), nil
}

func (s *Server) workload(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("binding")
	if ns == dashboard.ClusterScoped {
		ns = ""
	}
	v, err := s.readFleet(ctx, id)
	if err != nil {
		return nil, err
	}
	b, err := s.readBinding(ctx, id, ns, name)
	if err != nil {
		return nil, err
	}
	if b == nil {
		// Not found and not allowed answer alike: a user learns nothing
		// of workloads they may not read.
		return nil, &apiError{http.StatusNotFound, fmt.Sprintf("no workload %s/%s that %s may read", r.PathValue("namespace"), name, id.User),
			"pick one from the workloads list; a workload shows to users who may get its template"}
	}
	in := dashboard.WorkloadInput{Binding: *b, FleetOf: v.fleetOf, Works: map[string]*workv1alpha1.Work{}}
	snap, fv, err := s.snaps.Get(ctx)
	switch {
	case err != nil:
		in.DecisionErr = err
	case v.clustersForbidden:
		in.DecisionErr = fmt.Errorf("%s may not list clusters, so the placement decision is not shown", id.User)
	default:
		in.Decision, in.DecisionErr = scheduler.Schedule(snap, scheduling.RequestOf(b.Spec, b.Status))
	}
	if fv != nil {
		in.Clusters = fv.Info
	}
	if in.OverrideSpecs, err = s.overrideSpecs(ctx, b.Status.AppliedOverrides); err != nil {
		return nil, err
	}
	res := b.Spec.Resource
	tmpl := &unstructured.Unstructured{}
	tmpl.SetAPIVersion(res.APIVersion)
	tmpl.SetKind(res.Kind)
	if err := s.store.cache.Get(ctx, types.NamespacedName{Namespace: res.Namespace, Name: res.Name}, tmpl); err == nil {
		in.Template = tmpl
	} else if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("read %s %s/%s from the hub cache: %w", res.Kind, res.Namespace, res.Name, err)
	}
	key := types.NamespacedName{Namespace: b.Namespace, Name: b.Name}
	for _, t := range b.Spec.Clusters {
		var w workv1alpha1.Work
		wkey := types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(t.Name), Name: workv1alpha1.WorkName(key)}
		switch err := s.store.cache.Get(ctx, wkey, &w); {
		case err == nil:
			in.Works[t.Name] = &w
		case !apierrors.IsNotFound(err):
			return nil, fmt.Errorf("read Work %s from the hub cache: %w", wkey, err)
		}
	}
	if b.Namespace != "" {
		in.Events = s.events(ctx, id, b.Namespace, func(e *corev1.Event) bool {
			o := e.InvolvedObject
			return (o.Kind == "ResourceBinding" && o.Name == b.Name) || (o.Kind == res.Kind && o.Name == res.Name)
		})
	}
	if b.Namespace != "" {
		ref := dashboard.ObjectRef{Kind: res.Kind, Namespace: res.Namespace, Name: res.Name}
		if in.Rollout, err = s.rolloutFor(ctx, id, ref); err != nil {
			return nil, err
		}
	}
	return dashboard.BuildWorkload(in), nil
}

// overrideSpecs reads the override policies refs name from the cache.
func (s *Server) overrideSpecs(ctx context.Context, refs []workv1alpha1.OverrideReference) (map[workv1alpha1.OverrideReference]*policyv1alpha1.OverrideSpec, error) {
	out := map[workv1alpha1.OverrideReference]*policyv1alpha1.OverrideSpec{}
	for _, ref := range refs {
		key := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
		var err error
		switch ref.Kind {
		case overrides.KindClusterOverridePolicy:
			var p policyv1alpha1.ClusterOverridePolicy
			if err = s.store.cache.Get(ctx, key, &p); err == nil {
				out[ref] = &p.Spec
			}
		default:
			var p policyv1alpha1.OverridePolicy
			if err = s.store.cache.Get(ctx, key, &p); err == nil {
				out[ref] = &p.Spec
			}
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read %s %s from the hub cache: %w", ref.Kind, key, err)
		}
	}
	return out, nil
}

func (s *Server) policies(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	group := policyv1alpha1.GroupVersion.Group
	var pps policyv1alpha1.PropagationPolicyList
	var cpps policyv1alpha1.ClusterPropagationPolicyList
	var ops policyv1alpha1.OverridePolicyList
	var cops policyv1alpha1.ClusterOverridePolicyList
	for _, l := range []client.ObjectList{&pps, &cpps, &ops, &cops} {
		if err := s.store.cache.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
	}
	may := func(resource, namespace string) bool {
		return s.auth.allowed(ctx, id, access{"list", group, resource, namespace})
	}
	pps.Items = keep(pps.Items, func(p *policyv1alpha1.PropagationPolicy) bool { return may("propagationpolicies", p.Namespace) })
	ops.Items = keep(ops.Items, func(p *policyv1alpha1.OverridePolicy) bool { return may("overridepolicies", p.Namespace) })
	if !may("clusterpropagationpolicies", "") {
		cpps.Items = nil
	}
	if !may("clusteroverridepolicies", "") {
		cops.Items = nil
	}
	return dashboard.Policies(pps.Items, cpps.Items, ops.Items, cops.Items), nil
}

// rolloutsGroup and rolloutsResource name Rollouts in access reviews.
var rolloutsGroup = appsv1alpha1.GroupVersion.Group

const rolloutsResource = "rollouts"

// rollouts lists the Rollouts in the namespaces where the user may list
// them, each linked to its workload's page when the user may read it.
func (s *Server) rollouts(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	if ok, why := s.store.served(&appsv1alpha1.Rollout{}); !ok {
		return dashboard.RolloutList{Items: []dashboard.RolloutSummary{}, Namespaces: []string{}, Unavailable: why}, nil
	}
	var l appsv1alpha1.RolloutList
	if err := s.store.cache.List(ctx, &l, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	l.Items = keep(l.Items, func(ro *appsv1alpha1.Rollout) bool {
		return s.auth.allowed(ctx, id, access{"list", rolloutsGroup, rolloutsResource, ro.Namespace})
	})
	bindingOf, err := s.bindingNames(ctx, id)
	if err != nil {
		return nil, err
	}
	return dashboard.Rollouts(l.Items, bindingOf, r.URL.Query().Get("namespace")), nil
}

// rollout is one Rollout's page, for users who may get it.
func (s *Server) rollout(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if ok, why := s.store.served(&appsv1alpha1.Rollout{}); !ok {
		return nil, &apiError{http.StatusNotFound, why, "install the Rollout CRD on the hub, then restart the dashboard"}
	}
	notFound := &apiError{http.StatusNotFound, fmt.Sprintf("no Rollout %s/%s that %s may read", ns, name, id.User),
		"pick one from the Rollouts list; `kubectl get rollouts -n " + ns + "` lists them, and a Rollout shows to users who may get rollouts.apps.kurator.dev in its namespace"}
	if !s.auth.allowed(ctx, id, access{"get", rolloutsGroup, rolloutsResource, ns}) {
		return nil, notFound // like a missing one: nothing is learnt of what one may not read
	}
	var ro appsv1alpha1.Rollout
	if err := s.store.cache.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &ro); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, notFound
		}
		return nil, fmt.Errorf("read Rollout %s/%s from the hub cache: %w", ns, name, err)
	}
	bindingOf, err := s.bindingNames(ctx, id)
	if err != nil {
		return nil, err
	}
	summary := dashboard.RolloutOf(&ro, "")
	events := s.events(ctx, id, ns, func(e *corev1.Event) bool {
		return e.InvolvedObject.Kind == "Rollout" && e.InvolvedObject.Name == name
	})
	return dashboard.BuildRollout(&ro, bindingOf(summary.Workload), events), nil
}

// bindingNames finds the ResourceBinding of a namespaced workload, for the
// link to its page: "" when there is none or the user may not read the
// workload.
func (s *Server) bindingNames(ctx context.Context, id *identity) (func(dashboard.ObjectRef) string, error) {
	var rbs workv1alpha1.ResourceBindingList
	if err := s.store.cache.List(ctx, &rbs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	type key struct{ kind, namespace, name string }
	byWorkload := map[key]*workv1alpha1.ResourceBinding{}
	for i := range rbs.Items {
		r := rbs.Items[i].Spec.Resource
		byWorkload[key{r.Kind, r.Namespace, r.Name}] = &rbs.Items[i]
	}
	return func(ref dashboard.ObjectRef) string {
		b := byWorkload[key{ref.Kind, ref.Namespace, ref.Name}]
		if b == nil || !s.mayRead(ctx, id, &b.Spec.Resource) {
			return ""
		}
		return b.Name
	}, nil
}

// rolloutFor is the Rollout that targets a workload, if the hub serves
// Rollouts and the user may list them in the workload's namespace.
func (s *Server) rolloutFor(ctx context.Context, id *identity, ref dashboard.ObjectRef) (*dashboard.ObjectRef, error) {
	if ok, _ := s.store.served(&appsv1alpha1.Rollout{}); !ok || !s.auth.allowed(ctx, id, access{"list", rolloutsGroup, rolloutsResource, ref.Namespace}) {
		return nil, nil
	}
	var l appsv1alpha1.RolloutList
	if err := s.store.cache.List(ctx, &l, client.InNamespace(ref.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list Rollouts in %s from the hub cache: %w", ref.Namespace, err)
	}
	return dashboard.RolloutFor(l.Items, ref), nil
}

// Applications and AppVersions in access reviews.
var appsGroup = appsv1alpha1.GroupVersion.Group

const (
	applicationsResource = "applications"
	appVersionsResource  = "appversions"
)

// applications lists the Applications in the namespaces where the user
// may list them.
func (s *Server) applications(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	if ok, why := s.store.served(&appsv1alpha1.Application{}); !ok {
		return dashboard.ApplicationList{Items: []dashboard.ApplicationSummary{}, Namespaces: []string{}, Unavailable: why}, nil
	}
	var l appsv1alpha1.ApplicationList
	if err := s.store.cache.List(ctx, &l, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	l.Items = keep(l.Items, func(app *appsv1alpha1.Application) bool {
		return s.auth.allowed(ctx, id, access{"list", appsGroup, applicationsResource, app.Namespace})
	})
	return dashboard.ApplicationsIn(l.Items, r.URL.Query().Get("namespace")), nil
}

// application is one Application's page, for users who may get it; its
// AppVersions show to users who may also list appversions there.
func (s *Server) application(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if ok, why := s.store.served(&appsv1alpha1.Application{}); !ok {
		return nil, &apiError{http.StatusNotFound, why, "install the Application CRD on the hub, then restart the dashboard"}
	}
	notFound := &apiError{http.StatusNotFound, fmt.Sprintf("no Application %s/%s that %s may read", ns, name, id.User),
		"pick one from the Applications list; `kurator get applications -n " + ns + "` lists them, and an Application shows to users who may get applications.apps.kurator.dev in its namespace"}
	if !s.auth.allowed(ctx, id, access{"get", appsGroup, applicationsResource, ns}) {
		return nil, notFound // like a missing one: nothing is learnt of what one may not read
	}
	var app appsv1alpha1.Application
	if err := s.store.cache.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &app); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, notFound
		}
		return nil, fmt.Errorf("read Application %s/%s from the hub cache: %w", ns, name, err)
	}
	events := s.events(ctx, id, ns, func(e *corev1.Event) bool {
		return e.InvolvedObject.Kind == "Application" && e.InvolvedObject.Name == name
	})
	d := dashboard.BuildApplication(&app, events)
	switch ok, why := s.store.served(&appsv1alpha1.AppVersion{}); {
	case !ok:
		d.VersionsHidden = why
	case !s.auth.allowed(ctx, id, access{"list", appsGroup, appVersionsResource, ns}):
		d.VersionsHidden = fmt.Sprintf("%s may not list appversions.apps.kurator.dev in namespace %s: ask a hub admin for it to see the versions AppHub holds", id.User, ns)
	default:
		var l appsv1alpha1.AppVersionList
		if err := s.store.cache.List(ctx, &l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("list AppVersions in %s from the hub cache: %w", ns, err)
		}
		d.Versions = dashboard.ApplicationVersions(&app, l.Items)
	}
	return d, nil
}

func keep[T any](items []T, ok func(*T) bool) []T {
	out := items[:0]
	for i := range items {
		if ok(&items[i]) {
			out = append(out, items[i])
		}
	}
	return out
}

// watch streams change notices as server-sent events until the client
// goes away. A comment every 15 s keeps proxies from closing the stream.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	if _, err := s.auth.identify(r); err != nil {
		s.unauthorized(w, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "this connection cannot stream", "")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	ch, done := s.store.hub.subscribe()
	defer done()
	fmt.Fprint(w, "retry: 1000\n: connected\n\n")
	flusher.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case n := <-ch:
			data, _ := json.Marshal(dashboard.Change{Topics: n.topics, Version: n.version})
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", data)
		}
		flusher.Flush()
	}
}
