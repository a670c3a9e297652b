package application

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	rolloutctrl "github.com/kurator-go/kurator/internal/controller/rollout"
	"github.com/kurator-go/kurator/internal/controller/status"
	"github.com/kurator-go/kurator/internal/controller/works"
	pkgapphub "github.com/kurator-go/kurator/pkg/apphub"
	"github.com/kurator-go/kurator/pkg/fleetview"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/rollout"
	"github.com/kurator-go/kurator/pkg/selector"
	"github.com/kurator-go/kurator/pkg/storageadapt"
)

// world is what one reconcile reads and decides.
type world struct {
	cfg     rollout.Config
	in      rollout.Input
	out     rollout.Output
	targets []*target
	byName  map[string]*target
	info    map[string]overrides.ClusterInfo
	hub     hubRegistry
	desired *appsv1alpha1.AppVersion
	// renderErr says why the desired revision cannot be delivered.
	renderErr  string
	imageErr   string
	waitImages bool
	// workload is the {{ target }} of metric checks, in workloadNamespace.
	workload, workloadNamespace string
	emptyStages                 []string
	cops                        []policyv1alpha1.ClusterOverridePolicy
	ops                         map[string][]policyv1alpha1.OverridePolicy
	sas                         []appsv1alpha1.StorageAdaptation
}

// target is a cluster the sync policies select.
type target struct {
	name     string
	policy   int
	registry *clusterv1alpha1.Registry
	images   []appsv1alpha1.ImageSyncStatus
	observed rollout.Workload
}

// hubRegistry is AppHub's registry, where pushed images live.
type hubRegistry struct {
	host     string
	insecure bool
}

// hubRegistryTTL is how long AppHub's registry, once read, is taken as
// known: it is read without the cache (the manager watches no
// ConfigMaps), so not on every reconcile of every Application.
const hubRegistryTTL = 10 * time.Second

func (r *Reconciler) hubRegistry(ctx context.Context) hubRegistry {
	r.hubReg.mu.Lock()
	defer r.hubReg.mu.Unlock()
	if time.Since(r.hubReg.at) < hubRegistryTTL {
		return r.hubReg.val
	}
	var cm corev1.ConfigMap
	r.hubReg.val = hubRegistry{}
	if err := r.reader.Get(ctx, types.NamespacedName{Namespace: r.opts.ClusterNamespace, Name: appsv1alpha1.AppHubConfigMap}, &cm); err == nil {
		r.hubReg.val = hubRegistry{host: cm.Data["registry"], insecure: cm.Data["insecure"] == "true"}
	}
	r.hubReg.at = time.Now()
	return r.hubReg.val
}

// read gathers clusters, policies and member reports, renders the desired
// revision and syncs its images. A non-empty message says what blocks.
func (r *Reconciler) read(ctx context.Context, app *appsv1alpha1.Application, ver *appsv1alpha1.AppVersion) (*world, string, error) {
	w := &world{desired: ver, byName: map[string]*target{}, ops: map[string][]policyv1alpha1.OverridePolicy{}, hub: r.hubRegistry(ctx)}
	var clusters clusterv1alpha1.AttachedClusterList
	if err := r.client.List(ctx, &clusters, client.InNamespace(r.opts.ClusterNamespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, "", err
	}
	var fleets fleetv1alpha1.FleetList
	if err := r.client.List(ctx, &fleets, client.InNamespace(r.opts.ClusterNamespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, "", err
	}
	w.info = fleetview.Build(clusters.Items, fleets.Items, fleetview.Options{}).Info
	acs := map[string]*clusterv1alpha1.AttachedCluster{}
	for i := range clusters.Items {
		acs[clusters.Items[i].Name] = &clusters.Items[i]
	}
	fleetByName := map[string]*fleetv1alpha1.Fleet{}
	for i := range fleets.Items {
		fleetByName[fleets.Items[i].Name] = &fleets.Items[i]
	}
	w.in = rollout.Input{Action: app.Annotations[appsv1alpha1.ActionAnnotation], Now: time.Now()}
	for i, p := range app.Spec.SyncPolicies {
		f := fleetByName[p.Destination.Fleet]
		if f == nil {
			return nil, fmt.Sprintf("spec.syncPolicies[%d].destination.fleet: Fleet %s not found in %s; create it or name one of kubectl get fleets -n %s", i, p.Destination.Fleet, r.opts.ClusterNamespace, r.opts.ClusterNamespace), nil
		}
		for _, m := range f.Spec.Clusters {
			ac := acs[m.Name]
			if ac == nil || w.byName[m.Name] != nil {
				continue
			}
			if sel := p.Destination.ClusterSelector; sel != nil && !labels.SelectorFromSet(sel.MatchLabels).Matches(labels.Set(w.info[m.Name].Labels)) {
				continue
			}
			t := &target{name: m.Name, policy: i, registry: ac.Spec.Registry}
			if t.registry == nil {
				t.registry = f.Spec.Registry
			}
			w.targets = append(w.targets, t)
			w.byName[m.Name] = t
			w.in.Clusters = append(w.in.Clusters, rollout.Observed{Name: m.Name, Labels: maps.Clone(w.info[m.Name].Labels), Ready: ac.IsReady()})
		}
	}
	if len(w.targets) == 0 {
		return nil, "the sync policies select no cluster: check spec.syncPolicies[].destination (fleet members, clusterSelector)", nil
	}
	var selErr error
	w.cfg = rollout.DeliveryConfig(app.Spec.Delivery, func(s appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		f, err := rollout.StageSelector(s)
		selErr = errors.Join(selErr, err)
		return f
	})
	if selErr != nil {
		return nil, selErr.Error() + "; fix spec.delivery.stages", nil
	}
	if err := r.readPolicies(ctx, w); err != nil {
		return nil, "", err
	}
	for i := range w.in.Clusters {
		o := &w.in.Clusters[i]
		wl, err := r.observe(ctx, app, o.Name)
		if err != nil {
			return nil, "", err
		}
		o.Primary = wl
		w.byName[o.Name].observed = wl
	}
	if app.Spec.Delivery != nil {
		w.emptyStages = w.cfg.EmptyStages(w.in.Clusters, len(app.Spec.Delivery.Stages))
	}
	if len(w.emptyStages) > 0 {
		w.renderErr = fmt.Sprintf("spec.delivery.stages %s select none of the %d clusters the sync policies select; fix their clusterNames or clusterSelector", strings.Join(w.emptyStages, ", "), len(w.targets))
	}

	// The desired revision is released only once it renders for every
	// policy and its images are in every cluster's registry; until then
	// the engine goes on with what it was doing.
	w.in.Revision = engineRevision(&app.Status.Delivery)
	if w.renderErr == "" {
		r.prepare(ctx, app, w)
	}
	if w.renderErr == "" && w.imageErr == "" && !w.waitImages {
		w.in.Revision = ver.Spec.Version
	}
	return w, "", nil
}

// engineRevision is the revision the engine was last working towards.
func engineRevision(st *appsv1alpha1.RolloutStatus) string {
	if st.Phase == appsv1alpha1.PhaseProgressing || st.Phase == appsv1alpha1.PhaseRollingBack {
		return st.CanaryRevision
	}
	return st.StableRevision
}

func (r *Reconciler) readPolicies(ctx context.Context, w *world) error {
	var cops policyv1alpha1.ClusterOverridePolicyList
	if err := r.client.List(ctx, &cops); err != nil {
		return err
	}
	w.cops = cops.Items
	var sas appsv1alpha1.StorageAdaptationList
	if err := r.client.List(ctx, &sas); err != nil && !meta.IsNoMatchError(err) {
		return err
	}
	w.sas = sas.Items
	return nil
}

func (r *Reconciler) overridePolicies(ctx context.Context, w *world, ns string) ([]policyv1alpha1.OverridePolicy, error) {
	if ops, ok := w.ops[ns]; ok || ns == "" {
		return ops, nil
	}
	var list policyv1alpha1.OverridePolicyList
	if err := r.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	w.ops[ns] = list.Items
	return list.Items, nil
}

// prepare renders the desired revision for each policy in use and starts
// (or follows) the copies of its images to the clusters' registries.
func (r *Reconciler) prepare(ctx context.Context, app *appsv1alpha1.Application, w *world) {
	rendered := map[int][]*unstructured.Unstructured{}
	for _, t := range w.targets {
		objs, ok := rendered[t.policy]
		if !ok {
			var err error
			if objs, err = r.objects(ctx, app, w.desired, t.policy); err != nil {
				w.renderErr = fmt.Sprintf("spec.syncPolicies[%d]: revision %s: %v", t.policy, w.desired.Spec.Version, err)
				return
			}
			rendered[t.policy] = objs
		}
		if w.workload == "" {
			w.workload, w.workloadNamespace = checkTarget(objs, app.Spec.Delivery)
		}
		if t.registry == nil {
			continue
		}
		t.images = r.syncImages(w, w.desired, objs, *t.registry)
		for _, st := range t.images {
			switch st.Phase {
			case appsv1alpha1.ImageFailed:
				w.imageErr = fmt.Sprintf("cluster %s: %s", t.name, st.Message)
			case appsv1alpha1.ImageSynced, appsv1alpha1.ImageSkipped:
			default:
				w.waitImages = true
			}
		}
	}
}

// checkTarget is the workload metric checks name as {{ target }} and
// {{ namespace }}: delivery.target (a Deployment of that name, or just the
// name), else the revision's first Deployment.
func checkTarget(objs []*unstructured.Unstructured, d *appsv1alpha1.Delivery) (name, namespace string) {
	want := ""
	if d != nil {
		want = d.Target
	}
	for _, o := range objs {
		if o.GetKind() == "Deployment" && (want == "" || o.GetName() == want) {
			return o.GetName(), o.GetNamespace()
		}
	}
	return want, ""
}

// syncImages ensures every image of objs is copied to reg.
func (r *Reconciler) syncImages(w *world, ver *appsv1alpha1.AppVersion, objs []*unstructured.Unstructured, reg clusterv1alpha1.Registry) []appsv1alpha1.ImageSyncStatus {
	var out []appsv1alpha1.ImageSyncStatus
	for _, img := range pkgapphub.Images(objs) {
		digest := ""
		for _, i := range ver.Spec.Images {
			if i.Ref == img {
				digest = i.Digest
			}
		}
		src := imageSource(img, digest, w.hub)
		insecure := w.hub.insecure && strings.HasPrefix(src, w.hub.host+"/")
		st := r.images.ensure(src, insecure, reg)
		st.Source = img
		out = append(out, st)
	}
	return out
}

// objects renders a revision for one sync policy. Renders are kept per
// (content, Application generation, policy): the result is only read
// (overrides work on copies).
func (r *Reconciler) objects(ctx context.Context, app *appsv1alpha1.Application, ver *appsv1alpha1.AppVersion, policy int) ([]*unstructured.Unstructured, error) {
	key := fmt.Sprintf("%s|%s|%d|%d", ver.Spec.Digest, app.UID, app.Generation, policy)
	r.pkgs.mu.Lock()
	objs, ok := r.pkgs.rendered[key]
	r.pkgs.mu.Unlock()
	if ok {
		return objs, nil
	}
	objs, err := r.render(ctx, app, ver, policy)
	if err != nil {
		return nil, err
	}
	r.pkgs.mu.Lock()
	if len(r.pkgs.rendered) >= 256 {
		clear(r.pkgs.rendered)
	}
	r.pkgs.rendered[key] = objs
	r.pkgs.mu.Unlock()
	return objs, nil
}

func (r *Reconciler) render(ctx context.Context, app *appsv1alpha1.Application, ver *appsv1alpha1.AppVersion, policy int) ([]*unstructured.Unstructured, error) {
	pkg, err := r.packageOf(ctx, ver)
	if err != nil {
		return nil, err
	}
	o, err := pkgapphub.OptionsFor(app, policy, ver.Spec.App+":"+ver.Spec.Version)
	if err != nil {
		return nil, err
	}
	objs, _, err := pkg.Render(o)
	return objs, err
}

// packageOf reads a version's content once: AppHub content is immutable,
// so its digest always names the same files.
func (r *Reconciler) packageOf(ctx context.Context, ver *appsv1alpha1.AppVersion) (pkgapphub.Package, error) {
	r.pkgs.mu.Lock()
	c, ok := r.pkgs.m[ver.Spec.Digest]
	r.pkgs.mu.Unlock()
	if ok {
		return c.pkg, nil
	}
	_, pkg, err := r.store.Get(ctx, ver.Namespace, ver.Spec.App, ver.Spec.Version)
	if err != nil {
		return pkgapphub.Package{}, err
	}
	r.pkgs.mu.Lock()
	defer r.pkgs.mu.Unlock()
	if len(r.pkgs.m) >= 64 { // keep the most recently used
		var oldest string
		for k, v := range r.pkgs.m {
			if oldest == "" || v.used.Before(r.pkgs.m[oldest].used) {
				oldest = k
			}
		}
		delete(r.pkgs.m, oldest)
	}
	r.pkgs.m[ver.Spec.Digest] = &cachedPackage{pkg: pkg, used: time.Now()}
	return pkg, nil
}

// version is the AppVersion of one revision of the Application.
func (r *Reconciler) version(ctx context.Context, app *appsv1alpha1.Application, w *world, rev string) (*appsv1alpha1.AppVersion, error) {
	if rev == w.desired.Spec.Version {
		return w.desired, nil
	}
	v, err := r.appVersion(ctx, app.Namespace, app.AppHubName(), rev)
	if err != nil {
		return nil, fmt.Errorf("revision %s of %s: %w", rev, app.AppHubName(), err)
	}
	return v, nil
}

// manifests are what one cluster's Work holds for a revision: the
// Namespaces its objects need, then every object adapted to the cluster
// (override policies, storage adaptations, images in its registry) and
// annotated with the revision. ok is false while the revision's images
// are not in the cluster's registry yet.
func (r *Reconciler) manifests(ctx context.Context, app *appsv1alpha1.Application, w *world, t *target, rev string) (_ []map[string]any, ok bool, _ error) {
	ver, err := r.version(ctx, app, w, rev)
	if err != nil {
		return nil, false, err
	}
	objs, err := r.objects(ctx, app, ver, t.policy)
	if err != nil {
		return nil, false, fmt.Errorf("render revision %s for %s: %w", rev, t.name, err)
	}
	images := map[string]string{}
	if t.registry != nil {
		for _, st := range r.syncImages(w, ver, objs, *t.registry) {
			switch st.Phase {
			case appsv1alpha1.ImageSynced:
				images[st.Source] = st.Target
			case appsv1alpha1.ImageSkipped:
			default:
				return nil, false, nil
			}
		}
	}
	info, ok := w.info[t.name]
	if !ok {
		info = overrides.ClusterInfo{Name: t.name}
	}
	var out []map[string]any
	namespaces := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			namespaces[o.GetName()] = true
		}
	}
	var body []map[string]any
	for _, o := range objs {
		ops, err := r.overridePolicies(ctx, w, o.GetNamespace())
		if err != nil {
			return nil, false, err
		}
		selected := overrides.Select(selector.KeyOf(o), w.cops, ops)
		selected = append(selected, storageadapt.Select(w.sas, o)...)
		if rw := imageRewrite(o, t.name, images); rw != nil {
			selected = append(selected, *rw)
		}
		adapted, _, err := overrides.ApplySelected(o, info, selected)
		if err != nil {
			return nil, false, fmt.Errorf("revision %s for %s: %w", rev, t.name, err)
		}
		ann := adapted.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[appsv1alpha1.RevisionAnnotation] = rev
		adapted.SetAnnotations(ann)
		if ns := adapted.GetNamespace(); ns != "" && !namespaces[ns] {
			namespaces[ns] = true
			out = append(out, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
		}
		body = append(body, adapted.Object)
	}
	return append(out, body...), true, nil
}

// writeWorks gives every cluster the revision the engine chose for it;
// a cluster given none, or no longer selected, loses its Work. pending is
// true when a cluster waits for its images.
func (r *Reconciler) writeWorks(ctx context.Context, app *appsv1alpha1.Application, w *world) (pending bool, _ error) {
	labels := map[string]string{WorkLabel: app.Namespace + "." + app.Name}
	var keep []string
	var errs []error
	for _, c := range app.Status.Delivery.Clusters {
		t := w.byName[c.Name]
		if t == nil || c.PrimaryRevision == "" {
			continue
		}
		keep = append(keep, c.Name)
		m, ok, err := r.manifests(ctx, app, w, t, c.PrimaryRevision)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			pending = true
			continue
		}
		ns := workv1alpha1.ExecutionNamespace(c.Name)
		if err := r.ns.Ensure(ctx, r.client, ns); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := works.Apply(ctx, r.client, types.NamespacedName{Namespace: ns, Name: WorkName(app)}, labels, m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return pending, err
	}
	return pending, works.DeleteExcept(ctx, r.client, client.MatchingLabels(labels), keep)
}

// observe reads a cluster's Work: the revision its objects carry, and
// whether every object is applied for the Work's current generation and
// every workload healthy in status collected after that apply. No Work is
// "nothing, trivially healthy"; a Work being deleted is not healthy yet.
func (r *Reconciler) observe(ctx context.Context, app *appsv1alpha1.Application, cluster string) (rollout.Workload, error) {
	var work workv1alpha1.Work
	err := r.client.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(cluster), Name: WorkName(app)}, &work)
	if apierrors.IsNotFound(err) {
		return rollout.Workload{Ready: true}, nil
	}
	if err != nil {
		return rollout.Workload{}, err
	}
	if !work.DeletionTimestamp.IsZero() {
		return rollout.Workload{}, nil
	}
	var out rollout.Workload
	c := meta.FindStatusCondition(work.Status.Conditions, workv1alpha1.ConditionApplied)
	out.Ready = c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == work.Generation
	health := map[int]workv1alpha1.ManifestStatus{}
	for _, ms := range work.Status.ManifestStatuses {
		health[ms.Ordinal] = ms
	}
	for i, raw := range work.Spec.Workload.Manifests {
		var m struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		if json.Unmarshal(raw.Raw, &m) != nil {
			continue
		}
		if rev, ok := m.Metadata.Annotations[appsv1alpha1.RevisionAnnotation]; ok && out.Revision == "" {
			out.Revision = rev
		}
		if !isWorkload(m.APIVersion, m.Kind) {
			continue
		}
		ms, ok := health[i]
		if !ok || ms.Health != workv1alpha1.ResourceHealthy || ms.Status == nil {
			out.Ready = false
			continue
		}
		var st map[string]any
		if json.Unmarshal(ms.Status.Raw, &st) != nil {
			out.Ready = false
			continue
		}
		if g, ok := st[status.AppliedGenerationKey].(float64); !ok || int64(g) != work.Generation {
			out.Ready = false
		}
	}
	return out, nil
}

// isWorkload: kinds whose health the status collector judges from status.
func isWorkload(apiVersion, kind string) bool {
	switch {
	case apiVersion == "apps/v1":
		return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet"
	case apiVersion == "batch/v1":
		return kind == "Job"
	case apiVersion == "v1":
		return kind == "Pod"
	}
	return false
}

// asRollout describes the delivery as a Rollout for the gate runner:
// hooks and metric templates see the Application's name and namespace,
// and {{ target }} is the revision's first Deployment (or delivery.target).
func (w *world) asRollout(app *appsv1alpha1.Application) *appsv1alpha1.Rollout {
	ro := &appsv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}, Status: app.Status.Delivery}
	ro.Spec.Workload.Name, ro.Spec.Workload.Namespace, ro.Spec.ServiceName = w.workload, w.workloadNamespace, w.workload
	if d := app.Spec.Delivery; d != nil {
		ro.Spec.RolloutPolicy.TrafficAnalysis = d.Analysis
	}
	return ro
}

// summarize writes what each cluster runs and the conditions.
func (r *Reconciler) summarize(app *appsv1alpha1.Application, w *world) {
	st := &app.Status
	phase := map[string]appsv1alpha1.ClusterRollout{}
	for _, c := range st.Delivery.Clusters {
		phase[c.Name] = c
	}
	st.Clusters = st.Clusters[:0]
	running := map[string][]string{}
	healthy := true
	for _, t := range w.targets {
		cs := appsv1alpha1.ApplicationClusterStatus{Name: t.name, SyncPolicy: policyName(app, t.policy), Revision: t.observed.Revision, Healthy: t.observed.Ready && t.observed.Revision != "", Images: t.images, Message: phase[t.name].Message}
		if t.registry != nil {
			cs.Registry = t.registry.Host
		}
		st.Clusters = append(st.Clusters, cs)
		running[t.observed.Revision] = append(running[t.observed.Revision], t.name)
		healthy = healthy && cs.Healthy
	}
	sort.Slice(st.Clusters, func(i, j int) bool { return st.Clusters[i].Name < st.Clusters[j].Name })

	switch {
	case w.imageErr != "":
		setCondition(app, appsv1alpha1.ConditionImagesSynced, metav1.ConditionFalse, "SyncFailed", w.imageErr+"; the release waits, the clusters keep the revision they run")
	case w.waitImages:
		done, total := 0, 0
		for _, t := range w.targets {
			for _, i := range t.images {
				total++
				if i.Phase == appsv1alpha1.ImageSynced || i.Phase == appsv1alpha1.ImageSkipped {
					done++
				}
			}
		}
		setCondition(app, appsv1alpha1.ConditionImagesSynced, metav1.ConditionFalse, "Copying", fmt.Sprintf("%d of %d image copies done for revision %s", done, total, st.Revision))
	case w.renderErr == "":
		n, regs := 0, map[string]bool{}
		for _, t := range w.targets {
			n += len(t.images)
			if t.registry != nil {
				regs[t.registry.Host] = true
			}
		}
		setCondition(app, appsv1alpha1.ConditionImagesSynced, metav1.ConditionTrue, "Synced", fmt.Sprintf("revision %s: %d image copies in %d cluster registries", st.Revision, n, len(regs)))
	}
	if w.renderErr != "" {
		setCondition(app, appsv1alpha1.ConditionSourceReady, metav1.ConditionFalse, "RenderFailed", w.renderErr+"; the clusters keep the revision they run")
	}

	inFlight := st.Delivery.Phase == appsv1alpha1.PhaseProgressing || st.Delivery.Phase == appsv1alpha1.PhaseRollingBack
	revs := slices.Sorted(maps.Keys(running))
	switch {
	case len(revs) == 1 && revs[0] != "" && healthy && !inFlight && revs[0] == st.Revision:
		setCondition(app, appsv1alpha1.ConditionConsistent, metav1.ConditionTrue, "AllClustersMatch", fmt.Sprintf("every cluster (%d) runs revision %s, healthy", len(w.targets), revs[0]))
	case len(revs) == 1 && revs[0] != "" && healthy && !inFlight:
		setCondition(app, appsv1alpha1.ConditionConsistent, metav1.ConditionFalse, "NotReleased", fmt.Sprintf("every cluster (%d) runs revision %s, healthy, but the source names %s (see kurator app status %s)", len(w.targets), revs[0], st.Revision, app.Name))
	default:
		var parts []string
		for _, rev := range revs {
			name := rev
			if name == "" {
				name = "nothing"
			}
			parts = append(parts, fmt.Sprintf("%s on %s", name, strings.Join(running[rev], ", ")))
		}
		why := "a release is in progress"
		if !inFlight {
			why = "not every cluster is healthy"
		}
		setCondition(app, appsv1alpha1.ConditionConsistent, metav1.ConditionFalse, "Diverged", fmt.Sprintf("%s: %s", why, strings.Join(parts, "; ")))
	}
	meta.RemoveStatusCondition(&st.Conditions, appsv1alpha1.ConditionRolloutSupported)
	for i, p := range app.Spec.SyncPolicies {
		if p.Rollout != nil {
			setCondition(app, appsv1alpha1.ConditionRolloutSupported, metav1.ConditionFalse, "NotRun", fmt.Sprintf("spec.syncPolicies[%d].rollout (a per-cluster canary) is not run by an Application: the release is staged by spec.delivery; for a canary of one propagated Deployment create a Rollout (docs/rollouts.md)", i))
			break
		}
	}
	if len(w.emptyStages) > 0 {
		setCondition(app, ConditionStagesSelectClusters, metav1.ConditionFalse, "StageEmpty", w.renderErr)
	} else {
		setCondition(app, ConditionStagesSelectClusters, metav1.ConditionTrue, "Selected", "every stage selects at least one cluster")
	}
	msg := fmt.Sprintf("phase %s, stable revision %s, %d clusters", orNone(st.Delivery.Phase), orNothing(st.Delivery.StableRevision), len(w.targets))
	if app.Spec.Delivery != nil && app.Spec.Delivery.Suspend {
		msg = "paused (spec.delivery.suspend); kurator app resume " + app.Name + " goes on"
	}
	setCondition(app, rolloutctrl.ConditionReady, metav1.ConditionTrue, "Ready", msg)
}

func policyName(app *appsv1alpha1.Application, i int) string {
	if n := app.Spec.SyncPolicies[i].Name; n != "" {
		return n
	}
	return fmt.Sprintf("policy-%d", i)
}

func orNone(p appsv1alpha1.RolloutPhase) string {
	if p == "" {
		return "Initializing"
	}
	return string(p)
}

func orNothing(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
