package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	apphubstore "github.com/kurator-go/kurator/internal/apphub"
	"github.com/kurator-go/kurator/internal/imagesync"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/pkg/apphub"
	"github.com/kurator-go/kurator/pkg/dashboard"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/rollout"
)

// appFlags are the flags every app verb shares.
type appFlags struct{ objectFlags }

func (f *appFlags) add(cmd *cobra.Command) {
	f.objectFlags.add(cmd, "namespace of the Application and of its versions in AppHub")
}

// getApp reads the Application, with an error that says how to find it.
func getApp(ctx context.Context, c client.Client, ns, name string) (*appsv1alpha1.Application, error) {
	var app appsv1alpha1.Application
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &app); err != nil {
		return nil, appReadError(ns, name, err)
	}
	return &app, nil
}

func appReadError(ns, name string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("Application %s/%s not found: list them with `kurator get applications -n %s`, pass -n NAMESPACE, or create it with `kurator app deploy %s:VERSION --fleet FLEET -n %s`", ns, name, ns, name, ns)
	case meta.IsNoMatchError(err):
		return fmt.Errorf("the hub does not serve Applications (apps.kurator.dev/v1alpha1): install Kurator's CRDs on it (`kurator up` does for a local fleet): %w", err)
	}
	return fmt.Errorf("read Application %s/%s: %w", ns, name, err)
}

func newAppCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "app",
		Aliases: []string{"apps", "application"},
		Short:   "AppHub: push versioned applications and deliver them to fleets in stages",
		Long: `AppHub keeps every version of an application on the hub (content-addressed,
immutable once pushed) and an Application delivers one version to the clusters
of a fleet, stage by stage: each cluster's images are copied to its own registry
first, the objects are adapted to the cluster, and a failing gate (unhealthy
workloads, metric analysis, a refused approval) rolls every updated cluster back.
Every cluster's running version shows in status, and the Consistent condition says
whether the whole fleet runs the same one.`,
		Example: `  # upload the MES system: its YAML and its image
  kurator app push mes:v1.2 -f mes/ --image mes-system:v1.2=mes-system-v1.2.tar
  kurator app versions mes

  # release it: cluster-hangzhou first, the others after 10 minutes healthy
  kurator app deploy mes:v1.2 --fleet global-production \
      --stage north=cluster-hangzhou --stage others=cluster-shanghai,cluster-frankfurt --bake 10m
  kurator app status mes -w

  # the next version waits for a person before it leaves cluster-hangzhou
  kurator app diff mes v1.2 v1.3
  kurator app deploy mes:v1.3
  kurator app promote mes

  # put every cluster back on v1.2, and see what ran when
  kurator app rollback mes --to v1.2
  kurator app history mes`,
	}
	cmd.AddCommand(newAppDeployCommand(), newAppRollbackCommand(),
		newAppActionCommand(actionPromote), newAppActionCommand(actionAbort),
		newAppSuspendCommand(true), newAppSuspendCommand(false),
		newAppStatusCommand(), newAppHistoryCommand(), newAppVersionsCommand(), newAppPushCommand(), newAppDiffCommand())
	return cmd
}

// parseAppRef splits NAME:VERSION.
func parseAppRef(s string) (name, version string, err error) {
	name, version, ok := strings.Cut(s, ":")
	if !ok || name == "" || version == "" {
		return "", "", fmt.Errorf("%q: give NAME:VERSION, e.g. mes:v1.2", s)
	}
	if len(version) > 128 {
		return "", "", fmt.Errorf("%q: a version has at most 128 characters", s)
	}
	return name, version, nil
}

// listVersions are the AppVersions of app in ns, oldest first.
func listVersions(ctx context.Context, c client.Client, ns, app string) ([]appsv1alpha1.AppVersion, error) {
	var list appsv1alpha1.AppVersionList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("the hub does not serve AppVersions (apps.kurator.dev/v1alpha1): install Kurator's CRDs on it (`kurator up` does for a local fleet): %w", err)
		}
		return nil, fmt.Errorf("list the versions of %s in AppHub (namespace %s): %w", app, ns, err)
	}
	var out []appsv1alpha1.AppVersion
	for _, v := range list.Items {
		if v.Spec.App == app {
			out = append(out, v)
		}
	}
	sortVersions(out)
	return out, nil
}

func sortVersions(vs []appsv1alpha1.AppVersion) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i].CreationTimestamp, vs[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		return vs[i].Spec.Version < vs[j].Spec.Version
	})
}

// findVersion is the AppVersion app:version, or an error listing what
// AppHub holds and how to push the missing one.
func findVersion(versions []appsv1alpha1.AppVersion, ns, app, version string) (*appsv1alpha1.AppVersion, error) {
	for i := range versions {
		if versions[i].Spec.Version == version {
			return &versions[i], nil
		}
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("%s:%s is not in AppHub: it holds no version of %s in namespace %s; push it first with `kurator app push %s:%s -f DIR -n %s`",
			app, version, app, ns, app, version, ns)
	}
	names := make([]string, len(versions))
	for i, v := range versions {
		names[i] = v.Spec.Version
	}
	return nil, fmt.Errorf("%s:%s is not in AppHub (namespace %s): its versions are %s; push it first with `kurator app push %s:%s -f DIR -n %s`",
		app, version, ns, strings.Join(names, ", "), app, version, ns)
}

// sourceKind names the source an Application takes.
func sourceKind(app *appsv1alpha1.Application) string {
	s := app.Spec.Source
	switch {
	case s.Package != nil:
		return "package"
	case s.GitRepository != nil:
		return "gitRepository"
	case s.HelmRepository != nil:
		return "helmRepository"
	case s.OCIRepository != nil:
		return "ociRepository"
	}
	return ""
}

// pinField is the field that picks the revision of a source other than a
// package, for errors that tell the user what to edit instead.
func pinField(app *appsv1alpha1.Application) string {
	switch sourceKind(app) {
	case "gitRepository":
		return "spec.source.gitRepository.ref.commit"
	case "helmRepository":
		return "spec.syncPolicies[].helm.version"
	case "ociRepository":
		return "spec.source.ociRepository.ref.digest"
	}
	return "spec.source.package.version"
}

// notPackageError refuses a version change on an Application whose
// source is not an AppHub package.
func notPackageError(app *appsv1alpha1.Application, verb, version string, v *appsv1alpha1.AppVersion) error {
	from := ""
	if v != nil && v.Spec.Source != "" {
		from = fmt.Sprintf(" (AppHub imported %s from %s)", version, v.Spec.Source)
	}
	return fmt.Errorf("cannot %s Application %s/%s to %s: it takes its source from %s, not an AppHub package; pin %s to the revision of %s instead%s: `kubectl edit application %s -n %s`",
		verb, app.Namespace, app.Name, version, sourceKind(app), pinField(app), version, from, app.Name, app.Namespace)
}

// appMember is a cluster an Application's destination selects.
type appMember struct {
	Name   string
	Labels map[string]string
}

// destinationMembers reads the clusters the Application's sync policies
// select (the first policy wins a cluster), in fleet order.
func destinationMembers(ctx context.Context, c client.Client, app *appsv1alpha1.Application) ([]appMember, error) {
	var out []appMember
	seen := map[string]bool{}
	for i, p := range app.Spec.SyncPolicies {
		fleet, err := findFleet(ctx, c, app.Namespace, p.Destination.Fleet)
		if err != nil {
			return nil, fmt.Errorf("spec.syncPolicies[%d].destination.fleet: %w", i, err)
		}
		var clusters clusterv1alpha1.AttachedClusterList
		if err := c.List(ctx, &clusters, client.InNamespace(fleet.Namespace)); err != nil {
			return nil, fmt.Errorf("list the clusters of Fleet %s/%s: %w", fleet.Namespace, fleet.Name, err)
		}
		byName := map[string]*clusterv1alpha1.AttachedCluster{}
		for j := range clusters.Items {
			byName[clusters.Items[j].Name] = &clusters.Items[j]
		}
		var want map[string]string
		if s := p.Destination.ClusterSelector; s != nil {
			want = s.MatchLabels
		}
		for _, fc := range fleet.Spec.Clusters {
			ac, ok := byName[fc.Name]
			if !ok || seen[fc.Name] {
				continue
			}
			l := ac.SchedulingLabels()
			if !labels.SelectorFromSet(want).Matches(labels.Set(l)) {
				continue
			}
			seen[fc.Name] = true
			out = append(out, appMember{Name: fc.Name, Labels: l})
		}
	}
	return out, nil
}

// findFleet reads a Fleet from the Application's namespace, else from
// kurator-system, as the controller does.
func findFleet(ctx context.Context, c client.Client, ns, name string) (*fleetv1alpha1.Fleet, error) {
	for _, n := range []string{ns, join.Namespace} {
		var f fleetv1alpha1.Fleet
		err := c.Get(ctx, client.ObjectKey{Namespace: n, Name: name}, &f)
		if err == nil {
			return &f, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read Fleet %s/%s: %w", n, name, err)
		}
	}
	return nil, fmt.Errorf("Fleet %s is in neither namespace %s nor %s: list the fleets with `kurator get fleets -A`", name, ns, join.Namespace)
}

// stageConfig is the delivery's stages as the rollout engine reads them;
// its StageOf places a cluster as the controller does: the first stage
// whose names or labels select it, else the implicit last.
func stageConfig(d *appsv1alpha1.Delivery) rollout.Config {
	return rollout.DeliveryConfig(d, func(s appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		f, _ := rollout.StageSelector(s) // a bad selector selects nothing; admission refuses it
		return f
	})
}

// stagePlan says, one line per stage, which clusters each stage releases
// and what holds it. members are the clusters the destination selects
// (nil: unknown, the stages are said in words).
func stagePlan(d *appsv1alpha1.Delivery, members []appMember) []string {
	cfg := stageConfig(d)
	held := make([][]string, len(cfg.Stages))
	for _, m := range members {
		i := cfg.StageOf(m.Name, m.Labels)
		held[i] = append(held[i], m.Name)
	}
	var lines []string
	for i, s := range cfg.Stages {
		implicit := i == len(cfg.Stages)-1
		var what string
		switch {
		case members != nil:
			if len(held[i]) == 0 {
				if implicit {
					continue // no cluster is left for the implicit stage
				}
				what = "no cluster"
			} else {
				what = strings.Join(held[i], ", ")
			}
		case implicit && len(cfg.Stages) == 1:
			what = "every cluster at once"
		case implicit:
			what = "the clusters no stage names"
		default:
			what = stageWords(d.Stages[i])
		}
		line := fmt.Sprintf("stage %d %s: %s", i+1, s.Name, what)
		var rules []string
		if s.RequireApproval {
			rules = append(rules, "waits for `kurator app promote` before it starts")
		}
		if s.Bake > 0 && i < len(cfg.Stages)-1 {
			rules = append(rules, "bakes "+s.Bake.String()+" healthy before the next stage")
		}
		if len(rules) > 0 {
			line += "; " + strings.Join(rules, "; ")
		}
		lines = append(lines, line)
	}
	return lines
}

func stageWords(s appsv1alpha1.RolloutStage) string {
	var parts []string
	if len(s.ClusterNames) > 0 {
		parts = append(parts, strings.Join(s.ClusterNames, ", "))
	}
	if s.ClusterSelector != nil {
		parts = append(parts, "clusters labelled "+metav1.FormatLabelSelector(s.ClusterSelector))
	}
	return strings.Join(parts, " and ")
}

// ---- deploy ----

// stageArg is one --stage or --stage-selector, merged by name.
type stageArg struct {
	name     string
	clusters []string
	selector map[string]string
}

// stageArgs keeps --stage and --stage-selector in the order given, across
// both flags: the stages' order is the release order.
type stageArgs struct{ items []stageArg }

func (s *stageArgs) entry(name string) *stageArg {
	for i := range s.items {
		if s.items[i].name == name {
			return &s.items[i]
		}
	}
	s.items = append(s.items, stageArg{name: name})
	return &s.items[len(s.items)-1]
}

// stageNamesFlag is --stage NAME=cluster1,cluster2.
type stageNamesFlag struct{ args *stageArgs }

func (f stageNamesFlag) String() string { return "" }
func (f stageNamesFlag) Type() string   { return "NAME=CLUSTERS" }
func (f stageNamesFlag) Set(v string) error {
	name, list, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q: give NAME=cluster1,cluster2, e.g. --stage north=cluster-hangzhou", v)
	}
	var clusters []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			clusters = append(clusters, c)
		}
	}
	if len(clusters) == 0 {
		return fmt.Errorf("%q: stage %s names no cluster; list them after '=', e.g. --stage %s=cluster-hangzhou", v, name, name)
	}
	e := f.args.entry(name)
	for _, c := range clusters {
		if !slices.Contains(e.clusters, c) {
			e.clusters = append(e.clusters, c)
		}
	}
	return nil
}

// stageSelectorFlag is --stage-selector NAME=k=v[,k=v].
type stageSelectorFlag struct{ args *stageArgs }

func (f stageSelectorFlag) String() string { return "" }
func (f stageSelectorFlag) Type() string   { return "NAME=LABELS" }
func (f stageSelectorFlag) Set(v string) error {
	name, sel, ok := strings.Cut(v, "=")
	if !ok || name == "" || sel == "" {
		return fmt.Errorf("%q: give NAME=key=value[,key=value], e.g. --stage-selector europe=region=eu-central", v)
	}
	m, err := parseLabelSet(sel)
	if err != nil {
		return fmt.Errorf("%q: %w", v, err)
	}
	e := f.args.entry(name)
	if e.selector == nil {
		e.selector = map[string]string{}
	}
	for k, val := range m {
		e.selector[k] = val
	}
	return nil
}

// parseLabelSet reads "k=v,k2=v2" (labels a selector matches exactly).
func parseLabelSet(s string) (map[string]string, error) {
	m, err := labels.ConvertSelectorToLabelsMap(s)
	if err != nil {
		return nil, fmt.Errorf("labels %q: %w (write key=value[,key=value])", s, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("labels %q: none given (write key=value[,key=value])", s)
	}
	return m, nil
}

// deployOptions are deploy's flags.
type deployOptions struct {
	fleet           string
	selector        map[string]string
	stages          []stageArg
	bake            time.Duration
	requireApproval []string
	timeout         time.Duration
	targetNamespace string
}

// specFlags are the flags that shape the spec beyond the version.
var deploySpecFlags = []string{"fleet", "selector", "stage", "stage-selector", "bake", "require-approval", "timeout", "target-namespace"}

// buildApplication is the Application deploy creates: a package source,
// one sync policy and the stages of the flags. format is the version's
// (a chart takes helm options instead of kustomization ones).
func buildApplication(ns, name, version, format string, o deployOptions) (*appsv1alpha1.Application, error) {
	if o.fleet == "" {
		return nil, fmt.Errorf("--fleet is required to create Application %s/%s: name the fleet to deliver to (list them with `kurator get fleets -A`)", ns, name)
	}
	policy := appsv1alpha1.ApplicationSyncPolicy{Destination: appsv1alpha1.ApplicationDestination{Fleet: o.fleet}}
	if len(o.selector) > 0 {
		policy.Destination.ClusterSelector = &appsv1alpha1.ClusterSelector{MatchLabels: o.selector}
	}
	if o.targetNamespace != "" {
		if format == appsv1alpha1.FormatHelmChart {
			policy.Helm = &appsv1alpha1.HelmRelease{TargetNamespace: o.targetNamespace}
		} else {
			policy.Kustomization = &appsv1alpha1.Kustomization{TargetNamespace: o.targetNamespace}
		}
	}
	app := &appsv1alpha1.Application{
		TypeMeta:   metav1.TypeMeta{APIVersion: appsv1alpha1.GroupVersion.String(), Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1alpha1.ApplicationSpec{
			Source:       appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Name: name, Version: version}},
			SyncPolicies: []appsv1alpha1.ApplicationSyncPolicy{policy},
		},
	}
	d, err := buildDelivery(o)
	if err != nil {
		return nil, err
	}
	app.Spec.Delivery = d
	return app, nil
}

// buildDelivery is spec.delivery from the flags (nil when they ask for
// nothing). Bake goes on every stage but the last given; checkStages adds
// it to the last one when the implicit stage follows it.
func buildDelivery(o deployOptions) (*appsv1alpha1.Delivery, error) {
	if len(o.stages) == 0 {
		switch {
		case o.bake > 0:
			return nil, errors.New("--bake is the wait between stages: give the stages with --stage NAME=CLUSTERS or --stage-selector NAME=LABELS, or drop --bake")
		case len(o.requireApproval) > 0:
			return nil, fmt.Errorf("--require-approval %s: there are no stages; give them with --stage NAME=CLUSTERS or --stage-selector NAME=LABELS", o.requireApproval[0])
		case o.timeout == 0:
			return nil, nil
		}
	}
	if o.bake < 0 || o.timeout < 0 {
		return nil, errors.New("--bake and --timeout must be positive durations, e.g. 10m")
	}
	d := &appsv1alpha1.Delivery{}
	if o.timeout > 0 {
		secs := int32(math.Ceil(o.timeout.Seconds()))
		d.TimeoutSeconds = &secs
	}
	for i, s := range o.stages {
		if len(s.name) > 63 {
			return nil, fmt.Errorf("stage %q: a stage name has at most 63 characters", s.name)
		}
		if len(s.clusters) == 0 && len(s.selector) == 0 {
			return nil, fmt.Errorf("stage %s selects no cluster: give --stage %s=CLUSTERS or --stage-selector %s=LABELS", s.name, s.name, s.name)
		}
		st := appsv1alpha1.RolloutStage{Name: s.name, ClusterNames: s.clusters}
		if len(s.selector) > 0 {
			st.ClusterSelector = &metav1.LabelSelector{MatchLabels: s.selector}
		}
		if i < len(o.stages)-1 {
			st.BakeSeconds = int32(math.Ceil(o.bake.Seconds()))
		}
		d.Stages = append(d.Stages, st)
	}
	for _, a := range o.requireApproval {
		i := slices.IndexFunc(d.Stages, func(s appsv1alpha1.RolloutStage) bool { return s.Name == a })
		if i < 0 {
			names := make([]string, len(d.Stages))
			for j, s := range d.Stages {
				names[j] = s.Name
			}
			return nil, fmt.Errorf("--require-approval %s: no stage is called %s; the stages are %s", a, a, strings.Join(names, ", "))
		}
		d.Stages[i].RequireApproval = true
	}
	return d, nil
}

// checkStages holds the stages against the clusters the destination
// selects: a named cluster outside it, a stage left with no cluster or a
// destination with none are refused; when clusters remain for the
// implicit last stage, the last given stage bakes too.
func checkStages(app *appsv1alpha1.Application, members []appMember, bake time.Duration) error {
	fleet := app.Spec.SyncPolicies[0].Destination.Fleet
	if len(members) == 0 {
		return fmt.Errorf("Fleet %s has no cluster the destination selects (spec.syncPolicies[0].destination): check its members with `kurator get fleets -A` and the --selector labels", fleet)
	}
	d := app.Spec.Delivery
	if d == nil || len(d.Stages) == 0 {
		return nil
	}
	var names []string
	for _, m := range members {
		names = append(names, m.Name)
	}
	for _, s := range d.Stages {
		for _, c := range s.ClusterNames {
			if !slices.Contains(names, c) {
				return fmt.Errorf("stage %s names %s, which the destination (Fleet %s) does not select: its clusters are %s", s.Name, c, fleet, strings.Join(names, ", "))
			}
		}
	}
	cfg := stageConfig(d)
	count := make([]int, len(cfg.Stages))
	for _, m := range members {
		count[cfg.StageOf(m.Name, m.Labels)]++
	}
	for i, s := range d.Stages {
		if count[i] == 0 {
			return fmt.Errorf("stage %s selects no cluster of Fleet %s (earlier stages take the clusters they select first): its clusters are %s with labels %s",
				s.Name, fleet, strings.Join(names, ", "), memberLabels(members))
		}
	}
	if count[len(count)-1] > 0 && bake > 0 {
		d.Stages[len(d.Stages)-1].BakeSeconds = int32(math.Ceil(bake.Seconds()))
	}
	return nil
}

func memberLabels(members []appMember) string {
	parts := make([]string, len(members))
	for i, m := range members {
		parts[i] = m.Name + " {" + labelString(m.Labels) + "}"
	}
	return strings.Join(parts, ", ")
}

// versionPatch is the merge patch that changes the package version.
func versionPatch(version string) []byte {
	data, _ := json.Marshal(map[string]any{"spec": map[string]any{"source": map[string]any{"package": map[string]any{"version": version}}}})
	return data
}

// updateSpec replaces the sync policies and stages of app with those of
// the flags, keeping the delivery's analysis, target and pause.
func updateSpec(app, built *appsv1alpha1.Application) {
	app.Spec.Source.Package.Version = built.Spec.Source.Package.Version
	app.Spec.SyncPolicies = built.Spec.SyncPolicies
	old := app.Spec.Delivery
	app.Spec.Delivery = built.Spec.Delivery
	if old == nil || (old.Analysis == nil && old.Target == "" && !old.Suspend && old.AnalysisTimes == 0) {
		return
	}
	if app.Spec.Delivery == nil {
		app.Spec.Delivery = &appsv1alpha1.Delivery{}
	}
	app.Spec.Delivery.Analysis, app.Spec.Delivery.AnalysisTimes = old.Analysis, old.AnalysisTimes
	app.Spec.Delivery.Target, app.Spec.Delivery.Suspend = old.Target, old.Suspend
}

func newAppDeployCommand() *cobra.Command {
	var (
		f          appFlags
		o          deployOptions
		stages     stageArgs
		selector   string
		updateFlag bool
	)
	cmd := &cobra.Command{
		Use:   "deploy NAME:VERSION",
		Short: "Deliver a version from AppHub to a fleet, in stages",
		Long: `Create the Application NAME that delivers the AppHub version NAME:VERSION to the
clusters of a fleet (optionally those with the --selector labels), in the stages
given by --stage (by cluster name) and --stage-selector (by cluster labels), in the
order given. Clusters no stage selects are released last, together. A stage opens
when the one before is healthy on the new version and has baked for --bake (and,
with --require-approval, once ` + "`kurator app promote`" + ` approves it).

On an existing Application deploy changes only the version: the release runs as
its delivery says. The other flags are refused there unless --update-spec, which
replaces its sync policy and stages with those the flags give (its analysis, target
and pause are kept). The version must be in AppHub: push it first.`,
		Example: `  # MES v1.2: cluster-hangzhou first, the rest after 10 minutes healthy
  kurator app deploy mes:v1.2 --fleet global-production --stage north=cluster-hangzhou --bake 10m

  # by labels, Europe only after a person approves, into namespace mes
  kurator app deploy mes:v1.2 --fleet global-production --target-namespace mes \
      --stage-selector asia=region=asia-east --stage-selector europe=region=eu-central \
      --bake 5m --require-approval europe --timeout 15m

  # the next version, staged as before
  kurator app deploy mes:v1.3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, err := parseAppRef(args[0])
			if err != nil {
				return err
			}
			if selector != "" {
				if o.selector, err = parseLabelSet(selector); err != nil {
					return fmt.Errorf("--selector: %w", err)
				}
			}
			o.stages = stages.items
			c, err := f.client()
			if err != nil {
				return err
			}
			var changed []string
			for _, fl := range deploySpecFlags {
				if cmd.Flags().Changed(fl) {
					changed = append(changed, "--"+fl)
				}
			}
			return runDeploy(cmd.Context(), c, cmd.OutOrStdout(), f.namespace, name, version, o, changed, updateFlag)
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.fleet, "fleet", "", "Fleet to deliver to (in the namespace or kurator-system); required to create the Application")
	fl.StringVar(&selector, "selector", "", "only the fleet's clusters with these labels: key=value[,key=value]")
	fl.Var(stageNamesFlag{&stages}, "stage", "a stage of clusters by name, NAME=cluster1,cluster2 (repeat, in release order)")
	fl.Var(stageSelectorFlag{&stages}, "stage-selector", "a stage of clusters by labels, NAME=key=value[,key=value] (repeat, in release order)")
	fl.DurationVar(&o.bake, "bake", 0, "how long each stage stays healthy before the next starts")
	fl.StringArrayVar(&o.requireApproval, "require-approval", nil, "stage that waits for `kurator app promote` (repeat)")
	fl.DurationVar(&o.timeout, "timeout", 0, "how long a cluster may take to run the version healthy (default 10m)")
	fl.StringVar(&o.targetNamespace, "target-namespace", "", "namespace of the package's namespaced objects (default: their own, else the Application's)")
	fl.BoolVar(&updateFlag, "update-spec", false, "on an existing Application, replace its sync policy and stages with the flags'")
	return cmd
}

// runDeploy creates the Application, or changes the version of an
// existing one.
func runDeploy(ctx context.Context, c client.Client, out io.Writer, ns, name, version string, o deployOptions, changed []string, update bool) error {
	var existing appsv1alpha1.Application
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &existing)
	switch {
	case apierrors.IsNotFound(err):
		return createApplication(ctx, c, out, ns, name, version, o)
	case err != nil:
		return appReadError(ns, name, err)
	}
	app := &existing
	if app.Spec.Source.Package == nil {
		return notPackageError(app, "deploy", version, nil)
	}
	versions, err := listVersions(ctx, c, ns, app.AppHubName())
	if err != nil {
		return err
	}
	v, err := findVersion(versions, ns, app.AppHubName(), version)
	if err != nil {
		return err
	}
	from := app.Spec.Source.Package.Version
	if len(changed) > 0 && !update {
		return fmt.Errorf("Application %s/%s exists: deploy changes only its version (%s -> %s) and %s would change more; drop %s, or add --update-spec to replace its sync policy and stages with them",
			ns, name, from, version, strings.Join(changed, ", "), strings.Join(changed, ", "))
	}
	if update {
		built, err := buildApplication(ns, name, version, v.Spec.Format, o)
		if err != nil {
			return err
		}
		built.Spec.Source.Package.Name = app.AppHubName()
		members, err := destinationMembers(ctx, c, built)
		if err != nil {
			return err
		}
		if err := checkStages(built, members, o.bake); err != nil {
			return err
		}
		updateSpec(app, built)
		if err := c.Update(ctx, app); err != nil {
			return fmt.Errorf("update Application %s/%s: %w", ns, name, err)
		}
		fmt.Fprintf(out, "updated Application %s/%s: %s -> %s with a new sync policy and stages (to Fleet %s)\n", ns, name, orDash(from), version, o.fleet)
		printPlanLines(out, stagePlan(app.Spec.Delivery, members))
		fmt.Fprintf(out, "follow it with `kurator app status %s -n %s -w`\n", name, ns)
		return nil
	}
	if from == version {
		fmt.Fprintf(out, "Application %s/%s already delivers %s:%s; nothing changes (see `kurator app status %s -n %s`)\n", ns, name, app.AppHubName(), version, name, ns)
		return nil
	}
	if err := c.Patch(ctx, app, client.RawPatch(types.MergePatchType, versionPatch(version))); err != nil {
		return fmt.Errorf("set spec.source.package.version=%s on Application %s/%s: %w", version, ns, name, err)
	}
	members, _ := destinationMembers(ctx, c, app)
	fmt.Fprintf(out, "Application %s/%s exists: only its version changes, %s -> %s; the release runs as its delivery says:\n", ns, name, orDash(from), version)
	printPlanLines(out, stagePlan(app.Spec.Delivery, members))
	fmt.Fprintf(out, "follow it with `kurator app status %s -n %s -w`\n", name, ns)
	return nil
}

func createApplication(ctx context.Context, c client.Client, out io.Writer, ns, name, version string, o deployOptions) error {
	versions, err := listVersions(ctx, c, ns, name)
	if err != nil {
		return err
	}
	v, err := findVersion(versions, ns, name, version)
	if err != nil {
		return err
	}
	app, err := buildApplication(ns, name, version, v.Spec.Format, o)
	if err != nil {
		return err
	}
	members, err := destinationMembers(ctx, c, app)
	if err != nil {
		return err
	}
	if err := checkStages(app, members, o.bake); err != nil {
		return err
	}
	if err := c.Create(ctx, app); err != nil {
		return fmt.Errorf("create Application %s/%s: %w", ns, name, err)
	}
	fmt.Fprintf(out, "created Application %s/%s: %s:%s to Fleet %s (%d clusters)\n", ns, name, name, version, o.fleet, len(members))
	printPlanLines(out, stagePlan(app.Spec.Delivery, members))
	fmt.Fprintf(out, "follow it with `kurator app status %s -n %s -w`\n", name, ns)
	return nil
}

func printPlanLines(w io.Writer, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
}

// ---- rollback ----

func newAppRollbackCommand() *cobra.Command {
	var (
		f  appFlags
		to string
	)
	cmd := &cobra.Command{
		Use:   "rollback NAME --to VERSION",
		Short: "Deliver an earlier version again, staged as the Application's delivery says",
		Long: `Set the Application's package version to an earlier one from AppHub. The
earlier version is released like any new one: stage by stage, with the gates of
spec.delivery, and a failing gate puts the clusters back on the version they ran.
Only package sources have versions to pick; for a Git, Helm or OCI source, pin the
revision in the field the error names.`,
		Example: `  kurator app rollback mes --to v1.1
  kurator app rollback mes --to v1.1 -n plants`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return errors.New("--to VERSION is required: list the versions with `kurator app versions " + args[0] + "`")
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			return runRollback(cmd.Context(), c, cmd.OutOrStdout(), f.namespace, args[0], to)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the version to go back to (as pushed)")
	return cmd
}

func runRollback(ctx context.Context, c client.Client, out io.Writer, ns, name, to string) error {
	app, err := getApp(ctx, c, ns, name)
	if err != nil {
		return err
	}
	pkg := app.AppHubName()
	versions, err := listVersions(ctx, c, ns, pkg)
	if err != nil {
		return err
	}
	if app.Spec.Source.Package == nil {
		var v *appsv1alpha1.AppVersion
		for i := range versions {
			if versions[i].Spec.Version == to {
				v = &versions[i]
			}
		}
		return notPackageError(app, "roll back", to, v)
	}
	if _, err := findVersion(versions, ns, pkg, to); err != nil {
		return err
	}
	from := app.Spec.Source.Package.Version
	if from == to {
		fmt.Fprintf(out, "Application %s/%s already delivers %s:%s; nothing changes (see `kurator app status %s -n %s`)\n", ns, name, pkg, to, name, ns)
		return nil
	}
	if err := c.Patch(ctx, app, client.RawPatch(types.MergePatchType, versionPatch(to))); err != nil {
		return fmt.Errorf("set spec.source.package.version=%s on Application %s/%s: %w", to, ns, name, err)
	}
	members, _ := destinationMembers(ctx, c, app)
	fmt.Fprintf(out, "Application %s/%s: rolling back from %s to %s, released as spec.delivery says:\n", ns, name, from, to)
	printPlanLines(out, stagePlan(app.Spec.Delivery, members))
	fmt.Fprintf(out, "follow it with `kurator app status %s -n %s -w`\n", name, ns)
	return nil
}

// ---- promote, abort ----

func newAppActionCommand(action string) *cobra.Command {
	var f appFlags
	short, long := "Approve the stage waiting for approval, or skip the current stage's remaining analysis",
		`Ask the controller to move the release on: a stage waiting for approval
(--require-approval) starts; otherwise the current stage's clusters skip their
remaining analysis. The request is the annotation apps.kurator.dev/action=promote/<nonce>,
acted on once. Only a Progressing release can be promoted.`
	if action == actionAbort {
		short, long = "Stop the release and roll every updated cluster back",
			`Ask the controller to abort the release: every cluster it updated goes back
to the version it ran before, newest first. The request is the annotation
apps.kurator.dev/action=abort/<nonce>, acted on once. Only a Progressing or Waiting
release can be aborted.`
	}
	cmd := &cobra.Command{
		Use:     action + " NAME",
		Short:   short,
		Long:    long,
		Example: fmt.Sprintf("  kurator app %s mes\n  kurator app %s mes -n plants", action, action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			app, err := getApp(cmd.Context(), c, f.namespace, args[0])
			if err != nil {
				return err
			}
			if err := checkAppAction(app, action); err != nil {
				return err
			}
			value := fmt.Sprintf("%s/%d", action, time.Now().UnixNano())
			if err := c.Patch(cmd.Context(), app, client.RawPatch(types.MergePatchType, actionPatch(value))); err != nil {
				return fmt.Errorf("annotate Application %s/%s with %s=%s: %w", app.Namespace, app.Name, appsv1alpha1.ActionAnnotation, value, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\nasked: %s=%s; follow it with `kurator app status %s -n %s -w`\n",
				appActionPlan(app, action), appsv1alpha1.ActionAnnotation, value, app.Name, app.Namespace)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

// checkAppAction refuses an action the release's phase makes meaningless.
func checkAppAction(app *appsv1alpha1.Application, action string) error {
	var why string
	switch app.Status.Delivery.Phase {
	case appsv1alpha1.PhaseProgressing:
		return nil
	case appsv1alpha1.PhaseWaiting:
		if action == actionAbort {
			return nil
		}
		why = "a confirm-rollout webhook holds its start (the engine promotes only a Progressing release)"
	case appsv1alpha1.PhaseRollingBack:
		why = "it is already rolling back"
	case appsv1alpha1.PhaseSucceeded:
		why = "its last release succeeded and no new one runs"
	case appsv1alpha1.PhaseFailed:
		why = "its last release failed and was rolled back"
	case appsv1alpha1.PhaseInitialized:
		why = "no release is in progress (deploying a new version starts one)"
	default:
		why = "the controller has not started a release yet"
	}
	acts := "a Progressing release"
	if action == actionAbort {
		acts = "a Progressing or Waiting release"
	}
	return fmt.Errorf("cannot %s Application %s/%s: it is %s and %s; %s acts on %s (see `kurator app status %s -n %s`)",
		action, app.Namespace, app.Name, dashboard.ApplicationPhase(app), why, action, acts, app.Name, app.Namespace)
}

// approvalStage is the stage a promote approves, as the rollout engine
// decides it: the current stage when it requires approval, nobody approved
// it in this run and some of its clusters have not started. -1 otherwise
// (a promote then skips the current stage's remaining analysis).
func approvalStage(app *appsv1alpha1.Application) int {
	cfg := stageConfig(app.Spec.Delivery)
	st := app.Status.Delivery
	cur := int(st.StageIndex)
	if cur >= len(cfg.Stages) || !cfg.Stages[cur].RequireApproval || st.ApprovedStage == cfg.Stages[cur].Name {
		return -1
	}
	for _, c := range st.Clusters {
		if int(c.Stage) == cur && c.Phase == appsv1alpha1.ClusterPending {
			return cur
		}
	}
	return -1
}

// appActionPlan says what an action will do to this Application.
func appActionPlan(app *appsv1alpha1.Application, action string) string {
	st := app.Status.Delivery
	if action == actionAbort {
		var updated []string
		for _, c := range st.Clusters {
			if c.Phase != appsv1alpha1.ClusterPending {
				updated = append(updated, c.Name)
			}
		}
		which := "every updated cluster"
		if len(updated) > 0 {
			which += " (" + strings.Join(updated, ", ") + ")"
		}
		return fmt.Sprintf("Application %s/%s: %s goes back to %s, newest first; %s is not released further",
			app.Namespace, app.Name, which, orString(st.StableRevision, "the version it ran before"), orString(st.CanaryRevision, "the new version"))
	}
	names := stageClusterNames(app)
	if i := approvalStage(app); i >= 0 {
		cfg := stageConfig(app.Spec.Delivery)
		return fmt.Sprintf("Application %s/%s: stage %d/%d %s%s is approved and starts", app.Namespace, app.Name, i+1, len(cfg.Stages), cfg.Stages[i].Name, names(i))
	}
	ref := dashboard.ApplicationStageRef(app)
	return fmt.Sprintf("Application %s/%s: the current stage %s's clusters%s skip their remaining analysis; later stages still run theirs",
		app.Namespace, app.Name, stageText(ref), names(ref.Index))
}

// stageClusterNames gives " (a, b)" for the clusters status puts in a stage.
func stageClusterNames(app *appsv1alpha1.Application) func(int) string {
	return func(i int) string {
		var names []string
		for _, c := range app.Status.Delivery.Clusters {
			if int(c.Stage) == i {
				names = append(names, c.Name)
			}
		}
		if len(names) == 0 {
			return ""
		}
		return " (" + strings.Join(names, ", ") + ")"
	}
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ---- pause, resume ----

func newAppSuspendCommand(suspend bool) *cobra.Command {
	var f appFlags
	verb, short := "pause", "Hold the release where it is: no cluster is updated or judged until resumed"
	if !suspend {
		verb, short = "resume", "Let a paused release go on from where it was held"
	}
	cmd := &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Long:    short + ". It sets spec.delivery.suspend to " + fmt.Sprint(suspend) + " (creating spec.delivery when absent).",
		Example: fmt.Sprintf("  kurator app %s mes", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			app, err := getApp(cmd.Context(), c, f.namespace, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if cur := app.Spec.Delivery != nil && app.Spec.Delivery.Suspend; cur == suspend {
				fmt.Fprintf(out, "Application %s/%s is already %s\n", app.Namespace, app.Name, pausedWord(suspend))
				return nil
			}
			if err := c.Patch(cmd.Context(), app, client.RawPatch(types.MergePatchType, deliverySuspendPatch(suspend))); err != nil {
				return fmt.Errorf("set spec.delivery.suspend=%t on Application %s/%s: %w", suspend, app.Namespace, app.Name, err)
			}
			ref := dashboard.ApplicationStageRef(app)
			if suspend {
				fmt.Fprintf(out, "Application %s/%s paused at stage %s: no cluster is updated or judged until `kurator app resume %s -n %s`\n",
					app.Namespace, app.Name, stageText(ref), app.Name, app.Namespace)
			} else {
				fmt.Fprintf(out, "Application %s/%s resumed: the release goes on from stage %s\n", app.Namespace, app.Name, stageText(ref))
			}
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

// deliverySuspendPatch pauses or resumes; a merge patch creates
// spec.delivery when the Application has none.
func deliverySuspendPatch(suspend bool) []byte {
	data, _ := json.Marshal(map[string]any{"spec": map[string]any{"delivery": map[string]any{"suspend": suspend}}})
	return data
}

// ---- status ----

func newAppStatusCommand() *cobra.Command {
	var (
		f      appFlags
		follow bool
		output string
	)
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show an Application's revision, release phase and stage, and every cluster's version and images",
		Long: `Show where an Application's release is: the revision, the phase and stage of
its delivery, whether the fleet is Consistent, one row per cluster (stage, phase,
the version the release gives it, the version it runs, health, images synced of
total), the progress of every image being copied, and the last five gate verdicts.

With --watch it prints the status again on every change of the Application (it
watches the hub, it does not poll) until the release Succeeded or Failed, or
Ctrl-C. On a terminal the screen is redrawn; otherwise each change is a new block
headed by the time.`,
		Example: `  kurator app status mes
  kurator app status mes -w
  kurator app status mes -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStatusOutput(output, follow); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if follow {
				return untilInterrupted(cmd.Context(), func(ctx context.Context) error {
					return watchApp(ctx, hubAppSource{c: c, namespace: f.namespace, name: args[0]}, out, isTerminal(out), time.Now)
				})
			}
			app, err := getApp(cmd.Context(), c, f.namespace, args[0])
			if err != nil {
				return err
			}
			if output != "table" {
				return printStatusDoc(out, app.Status, output)
			}
			printAppStatus(out, app, time.Now())
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVarP(&follow, "watch", "w", false, "print again on every change until the release ends (or Ctrl-C)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, yaml or json (yaml and json print the status)")
	return cmd
}

// shortDigest is "sha256:" and the first 12 hex digits.
func shortDigest(d string) string {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) <= 12 {
		return d
	}
	return "sha256:" + hex[:12]
}

// printAppStatus prints an Application's status in tables; now dates the
// release's start and the gates.
func printAppStatus(w io.Writer, app *appsv1alpha1.Application, now time.Time) {
	d := dashboard.BuildApplication(app, nil)
	s := d.Summary
	fmt.Fprintf(w, "Application: %s/%s (%s to %s)\n", app.Namespace, app.Name, s.Source, fleetWords(s.Fleets))
	rev := orDash(s.Revision)
	if s.Digest != "" {
		rev += " (" + shortDigest(s.Digest) + ")"
	}
	fmt.Fprintf(w, "Revision:    %s\n", rev)
	phase := s.Phase
	switch {
	case s.Paused:
		phase += " (paused: resume with `kurator app resume " + app.Name + " -n " + app.Namespace + "`)"
	case app.Status.Delivery.Phase == appsv1alpha1.PhaseProgressing && approvalStage(app) >= 0:
		phase += " (stage " + app.Status.Delivery.CurrentStage + " waits for approval: `kurator app promote " + app.Name + " -n " + app.Namespace + "`)"
	}
	fmt.Fprintf(w, "Phase:       %s\n", phase)
	fmt.Fprintf(w, "Stage:       %s\n", stageText(s.Stage))
	consistent := s.Consistent
	if s.ConsistentMessage != "" {
		consistent += ": " + s.ConsistentMessage
	}
	fmt.Fprintf(w, "Consistent:  %s (%d of %d clusters run %s healthy)\n", consistent, s.Current, s.Clusters, orString(s.Revision, "the revision"))
	if !s.Started.IsZero() {
		fmt.Fprintf(w, "Started:     %s (%s ago)\n", s.Started.Local().Format(time.DateTime), shortDuration(now.Sub(s.Started)))
	}
	if s.Message != "" {
		fmt.Fprintf(w, "Message:     %s\n", s.Message)
	}
	fmt.Fprintln(w)
	printAppClusters(w, "", d.Clusters)
	printImageProgress(w, "", d.Clusters)
	fmt.Fprintln(w)
	printGates(w, "", d.Gates, 5, now)
}

func fleetWords(fleets []string) string {
	switch len(fleets) {
	case 0:
		return "no fleet"
	case 1:
		return "Fleet " + fleets[0]
	}
	return "Fleets " + strings.Join(fleets, ", ")
}

func printAppClusters(w io.Writer, indent string, clusters []dashboard.ApplicationCluster) {
	if len(clusters) == 0 {
		label := "Clusters: "
		if indent != "" {
			label = "" // under a "Clusters:" heading
		}
		fmt.Fprintf(w, "%s%s<none yet: the controller has not selected any cluster>\n", indent, label)
		return
	}
	tw := table(w)
	fmt.Fprintf(tw, "%sCLUSTER\tSTAGE\tPHASE\tTARGET\tRUNNING\tHEALTHY\tIMAGES\tMESSAGE\n", indent)
	for _, c := range clusters {
		stage := "-"
		if c.Stage >= 0 {
			stage = fmt.Sprintf("%d %s", c.Stage+1, c.StageName)
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%t\t%d/%d\t%s\n", indent, c.Name, stage, orDash(c.Phase), orDash(c.Target), orDash(c.Running),
			c.Healthy, c.ImagesSynced, len(c.Images), orDash(truncate(c.Message, 80)))
	}
	_ = tw.Flush()
}

// printImageProgress prints one line per image being copied (or failed).
func printImageProgress(w io.Writer, indent string, clusters []dashboard.ApplicationCluster) {
	var lines []string
	for _, c := range clusters {
		for _, im := range c.Images {
			switch im.Phase {
			case appsv1alpha1.ImageCopying:
				line := fmt.Sprintf("%s  %s\t%s -> %s\t%s of %s", indent, c.Name, im.Source, orDash(im.Target), dashboard.ByteSize(im.Bytes), dashboard.ByteSize(im.TotalBytes))
				if im.TotalBytes > 0 {
					line += fmt.Sprintf(" (%d%%)", im.Bytes*100/im.TotalBytes)
				}
				lines = append(lines, line)
			case appsv1alpha1.ImageFailed:
				lines = append(lines, fmt.Sprintf("%s  %s\t%s -> %s\tFAILED: %s", indent, c.Name, im.Source, orDash(im.Target), orDash(im.Message)))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "%sImages being copied:\n", indent)
	tw := table(w)
	for _, l := range lines {
		fmt.Fprintln(tw, l)
	}
	_ = tw.Flush()
}

// appSource reads one Application and watches it from a resource version.
type appSource = objectSource[*appsv1alpha1.Application]

type hubAppSource struct {
	c         client.WithWatch
	namespace string
	name      string
}

func (s hubAppSource) get(ctx context.Context) (*appsv1alpha1.Application, error) {
	return getApp(ctx, s.c, s.namespace, s.name)
}

func (s hubAppSource) watch(ctx context.Context, rv string) (watch.Interface, error) {
	return s.c.Watch(ctx, &appsv1alpha1.ApplicationList{}, &client.ListOptions{
		Namespace:     s.namespace,
		FieldSelector: fields.OneTermEqualSelector("metadata.name", s.name),
		Raw:           &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true},
	})
}

// watchApp prints the Application's status, then again on every change
// of what the status shows, until its release is over or ctx ends.
func watchApp(ctx context.Context, src appSource, out io.Writer, tty bool, now func() time.Time) error {
	return watcher[*appsv1alpha1.Application]{kind: "Application", src: src, print: printAppStatus, same: sameAppProgress, done: appDone,
		copyOf: (*appsv1alpha1.Application).DeepCopy}.run(ctx, out, tty, now)
}

// sameAppProgress: nothing a status print shows changed.
func sameAppProgress(a, b *appsv1alpha1.Application) bool {
	pa, pb := a.Spec.Delivery != nil && a.Spec.Delivery.Suspend, b.Spec.Delivery != nil && b.Spec.Delivery.Suspend
	return pa == pb && equality.Semantic.DeepEqual(a.Status, b.Status)
}

// appDone says (and prints) whether a watched release is over. A status
// of an older generation is not: the controller has not seen the change
// (a new version) yet.
func appDone(app *appsv1alpha1.Application, out io.Writer) bool {
	if app.Status.ObservedGeneration < app.Generation || !dashboard.ApplicationTerminal(app) {
		return false
	}
	switch app.Status.Delivery.Phase {
	case appsv1alpha1.PhaseInitialized:
		fmt.Fprintf(out, "\nApplication %s/%s: no release in progress.\n", app.Namespace, app.Name)
	default:
		fmt.Fprintf(out, "\nApplication %s/%s: release of %s %s.\n", app.Namespace, app.Name, orString(app.Status.Delivery.CanaryRevision, orDash(app.Status.Revision)),
			strings.ToLower(string(app.Status.Delivery.Phase)))
	}
	return true
}

// ---- history ----

func newAppHistoryCommand() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:     "history NAME",
		Short:   "List an Application's past releases, then the version each cluster runs",
		Example: "  kurator app history mes",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			app, err := getApp(cmd.Context(), c, f.namespace, args[0])
			if err != nil {
				return err
			}
			printAppHistory(cmd.OutOrStdout(), app)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

// printAppHistory prints the releases as status holds them (newest last)
// and each cluster's running revision.
func printAppHistory(w io.Writer, app *appsv1alpha1.Application) {
	if len(app.Status.Delivery.History) == 0 {
		fmt.Fprintln(w, "No finished release yet.")
	} else {
		printRolloutHistory(w, app.Status.Delivery.History)
	}
	fmt.Fprintln(w)
	if len(app.Status.Clusters) == 0 {
		fmt.Fprintln(w, "Clusters: <none selected yet>")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "CLUSTER\tRUNNING\tHEALTHY")
	for _, c := range dashboard.ApplicationClusters(app) {
		fmt.Fprintf(tw, "%s\t%s\t%t\n", c.Name, orDash(c.Running), c.Healthy)
	}
	_ = tw.Flush()
}

// deployedBy names the Applications delivering or running app:version:
// "mes (cluster-hangzhou, cluster-shanghai)" for the clusters that run it,
// "mes (releasing, no cluster runs it yet)" when only status.revision is it.
func deployedBy(apps []appsv1alpha1.Application, app, version string) string {
	var out []string
	sorted := slices.Clone(apps)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i := range sorted {
		a := &sorted[i]
		if a.AppHubName() != app {
			continue
		}
		var running []string
		for _, c := range a.Status.Clusters {
			if c.Revision == version {
				running = append(running, c.Name)
			}
		}
		switch {
		case len(running) > 0:
			out = append(out, a.Name+" ("+strings.Join(running, ", ")+")")
		case a.Status.Revision == version:
			out = append(out, a.Name+" (releasing, no cluster runs it yet)")
		}
	}
	return strings.Join(out, "; ")
}

// ---- versions ----

func newAppVersionsCommand() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "versions NAME",
		Short: "List the versions of an application in AppHub, and which Applications run each",
		Long: `List the versions of NAME in AppHub, oldest first: format (Manifests or
HelmChart), content digest, gzipped size, how many objects and images it holds,
and DEPLOYED: the Applications of the namespace that release it or whose clusters
run it (with those clusters).`,
		Example: `  kurator app versions mes
  kurator app versions mes -n plants`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			versions, err := listVersions(cmd.Context(), c, f.namespace, args[0])
			if err != nil {
				return err
			}
			if len(versions) == 0 {
				return fmt.Errorf("AppHub holds no version of %s in namespace %s: push one with `kurator app push %s:VERSION -f DIR -n %s`", args[0], f.namespace, args[0], f.namespace)
			}
			var apps appsv1alpha1.ApplicationList
			if err := c.List(cmd.Context(), &apps, client.InNamespace(f.namespace)); err != nil {
				return fmt.Errorf("list the Applications of namespace %s: %w", f.namespace, err)
			}
			return printVersionTable(cmd.OutOrStdout(), versions, apps.Items)
		},
	}
	f.add(cmd)
	return cmd
}

// printVersionTable prints an app's versions as listVersions orders them.
func printVersionTable(w io.Writer, versions []appsv1alpha1.AppVersion, apps []appsv1alpha1.Application) error {
	tw := table(w)
	fmt.Fprintln(tw, "VERSION\tFORMAT\tDIGEST\tSIZE\tOBJECTS\tIMAGES\tAGE\tDEPLOYED")
	for _, v := range versions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", v.Spec.Version, v.Spec.Format, shortDigest(v.Spec.Digest), dashboard.ByteSize(v.Spec.Size),
			len(v.Spec.Objects), len(v.Spec.Images), age(v.CreationTimestamp.Time), orDash(deployedBy(apps, v.Spec.App, v.Spec.Version)))
	}
	return tw.Flush()
}

// ---- push ----

// appHubRegistry is AppHub's registry as the hub's ConfigMap names it.
type appHubRegistry struct {
	Host     string
	Insecure bool
}

// readAppHubRegistry reads the ConfigMap; ok is false when AppHub has none.
func readAppHubRegistry(ctx context.Context, c client.Client) (reg appHubRegistry, ok bool, err error) {
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: join.Namespace, Name: localfleet.AppHubConfigMap}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return reg, false, nil
		}
		return reg, false, fmt.Errorf("read ConfigMap %s/%s (AppHub's registry): %w", join.Namespace, localfleet.AppHubConfigMap, err)
	}
	reg.Host = strings.TrimSpace(cm.Data["registry"])
	reg.Insecure = strings.EqualFold(strings.TrimSpace(cm.Data["insecure"]), "true")
	return reg, reg.Host != "", nil
}

var errNoAppHubRegistry = fmt.Errorf("AppHub has no registry: start the fleet with kurator up --registries, or create the ConfigMap %s/%s with data registry: HOST[:PORT] (and insecure: \"true\" for plain HTTP)", join.Namespace, localfleet.AppHubConfigMap)

// imageArg is one --image REF=TARBALL.
type imageArg struct{ ref, tarball string }

func parseImageArgs(values []string) ([]imageArg, error) {
	var out []imageArg
	for _, v := range values {
		ref, path, ok := strings.Cut(v, "=")
		if !ok || ref == "" || path == "" {
			return nil, fmt.Errorf("--image %q: give REF=TARBALL, the image as the package's objects name it and a `docker save` tarball of it, e.g. --image mes-system:v1.2=mes-system-v1.2.tar", v)
		}
		if _, err := name.ParseReference(ref); err != nil {
			return nil, fmt.Errorf("--image %q: image %q: %w", v, ref, err)
		}
		out = append(out, imageArg{ref: ref, tarball: path})
	}
	return out, nil
}

func newAppPushCommand() *cobra.Command {
	var (
		f      appFlags
		path   string
		images []string
	)
	cmd := &cobra.Command{
		Use:   "push NAME:VERSION -f PATH",
		Short: "Upload a version of an application to AppHub: its YAML or Helm chart, and its images",
		Long: `Upload PATH (a directory of YAML, a single YAML file, a Helm chart directory or a
chart .tgz) to AppHub as NAME:VERSION. The package is rendered first: its errors
stop the push, its warnings (a Deployment without a selector gets one) are printed.
Each --image REF=TARBALL (a ` + "`docker save`" + ` tarball of the image the objects name REF)
is pushed to AppHub's registry first, then every image of the package is looked up
there and its digest recorded (an image not there is a warning: clusters copy it
from where it is named).

A version is immutable: pushing the same content again changes nothing; other
content under an existing version is refused. AppHub's registry is named by the
ConfigMap kurator-system/kurator-apphub (kurator up --registries writes it).`,
		Example: `  # the MES system: mes/mes-app.yaml and its image
  kurator app push mes:v1.2 -f mes/ --image mes-system:v1.2=mes-system-v1.2.tar

  # a Helm chart, as a directory or a packaged .tgz
  kurator app push mes:0.3.0 -f charts/mes/
  kurator app push mes:0.3.0 -f mes-0.3.0.tgz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, err := parseAppRef(args[0])
			if err != nil {
				return err
			}
			if path == "" {
				return fmt.Errorf("-f PATH is required: the directory, YAML file, chart directory or chart .tgz of %s", args[0])
			}
			imgs, err := parseImageArgs(images)
			if err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			return runPush(cmd.Context(), hubPushDeps(c), cmd.OutOrStdout(), f.namespace, name, version, path, imgs)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&path, "filename", "f", "", "the package: a directory of YAML, a YAML file, a Helm chart directory or a chart .tgz")
	cmd.Flags().StringArrayVar(&images, "image", nil, "REF=TARBALL: push this docker-save tarball to AppHub's registry as the image REF first (repeat)")
	return cmd
}

// hubPushDeps are push's real parts: the files, the hub's store and
// AppHub's registry.
func hubPushDeps(c client.Client) pushDeps {
	return pushDeps{
		load:     apphubstore.LoadPath,
		registry: func(ctx context.Context) (appHubRegistry, bool, error) { return readAppHubRegistry(ctx, c) },
		pushTarball: func(ctx context.Context, path, dst string, insecure bool, progress func(imagesync.Progress)) (imagesync.Result, error) {
			return imagesync.PushTarballWith(ctx, path, dst, imagesync.Options{InsecureDst: insecure, Progress: progress,
				DstOwner: "ConfigMap " + join.Namespace + "/" + localfleet.AppHubConfigMap + " data.registry"})
		},
		resolve: imagesync.Resolve,
		store: func(ctx context.Context, ns, app, version string, p apphub.Package, objects []string, images []appsv1alpha1.AppImage, warnings []string) (*appsv1alpha1.AppVersion, bool, error) {
			return apphubstore.Store{Client: c}.Push(ctx, ns, app, version, p, apphubstore.PushMeta{Source: "upload", Objects: objects, Images: images, Warnings: warnings})
		},
	}
}

// pushDeps are what push talks to, so its logic is tested without a hub
// or registries.
type pushDeps struct {
	load     func(path string) (apphub.Package, error)
	registry func(ctx context.Context) (appHubRegistry, bool, error)
	// pushTarball and resolve reach AppHub's registry.
	pushTarball func(ctx context.Context, path, dst string, insecure bool, progress func(imagesync.Progress)) (imagesync.Result, error)
	resolve     func(ctx context.Context, ref string, insecure bool) (string, error)
	// store pushes the version; created is false when the same content
	// was there already.
	store func(ctx context.Context, ns, app, version string, p apphub.Package, objects []string, images []appsv1alpha1.AppImage, warnings []string) (*appsv1alpha1.AppVersion, bool, error)
}

// runPush checks the package renders, pushes the --image tarballs,
// resolves every image in AppHub's registry and stores the version.
func runPush(ctx context.Context, deps pushDeps, out io.Writer, ns, app, version, path string, images []imageArg) error {
	ref := app + ":" + version
	p, err := deps.load(path)
	if err != nil {
		return err
	}
	objs, warnings, err := p.Render(apphub.RenderOptions{DefaultNamespace: ns, Package: ref})
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(out, "warning: %s\n", w)
	}
	if len(objs) == 0 {
		return fmt.Errorf("push %s: %s renders no Kubernetes object: add YAML with apiVersion and kind (or templates to the chart) and push again", ref, path)
	}
	objects, used := apphub.Objects(objs), apphub.Images(objs)

	reg, haveReg, err := deps.registry(ctx)
	if err != nil {
		return err
	}
	if len(images) > 0 && !haveReg {
		return errNoAppHubRegistry
	}
	for _, im := range images {
		if !slices.Contains(used, im.ref) {
			fmt.Fprintf(out, "warning: --image %s: no object of %s names this image (it names %s); pushed anyway\n", im.ref, ref, orString(strings.Join(used, ", "), "none"))
		}
		dst, ok := apphub.InAppHub(im.ref, reg.Host)
		if !ok {
			return fmt.Errorf("--image %s: the image names registry %s, so clusters copy it from there, not from AppHub: name it without a registry in the package's objects (e.g. %s) to serve it from AppHub's registry %s",
				im.ref, overrides.ParseImage(im.ref).Registry, overrides.ParseImage(im.ref).Repository, reg.Host)
		}
		fmt.Fprintf(out, "pushing image %s from %s to %s\n", im.ref, im.tarball, dst)
		start := time.Now()
		res, err := deps.pushTarball(ctx, im.tarball, dst, reg.Insecure, progressPrinter(out, im.ref))
		if err != nil {
			return fmt.Errorf("push %s: image %s: %w", ref, im.ref, err)
		}
		if res.Skipped {
			fmt.Fprintf(out, "image %s is already in AppHub's registry (%s)\n", im.ref, shortDigest(res.Digest))
		} else {
			fmt.Fprintf(out, "pushed image %s (%s, %s sent in %.1fs)\n", im.ref, shortDigest(res.Digest), dashboard.ByteSize(res.Bytes), time.Since(start).Seconds())
		}
	}

	recorded := make([]appsv1alpha1.AppImage, 0, len(used))
	for _, image := range used {
		ai := appsv1alpha1.AppImage{Ref: image}
		at, ours := apphub.InAppHub(image, reg.Host)
		switch {
		case !haveReg:
		case !ours:
			fmt.Fprintf(out, "image %s names registry %s: clusters copy it from there\n", image, overrides.ParseImage(image).Registry)
		default:
			var err error
			if ai.Digest, err = deps.resolve(ctx, at, reg.Insecure); err != nil {
				ai.Digest = ""
				why := err.Error()
				if errors.Is(err, imagesync.ErrNotFound) {
					why = "not there"
				}
				fmt.Fprintf(out, "warning: image %s is not in AppHub's registry %s (%s): push it with --image %s=TARBALL, or clusters copy it from where it is named\n", image, reg.Host, why, image)
			}
		}
		recorded = append(recorded, ai)
	}
	if len(used) > 0 && !haveReg {
		fmt.Fprintf(out, "warning: %s; the images' digests are not recorded\n", errNoAppHubRegistry)
	}

	v, created, err := deps.store(ctx, ns, app, version, p, objects, recorded, warnings)
	if err != nil {
		return err
	}
	if !created {
		fmt.Fprintf(out, "%s is already in AppHub with the same content (%s)\n", ref, shortDigest(v.Spec.Digest))
		return nil
	}
	fmt.Fprintf(out, "pushed %s (%s, %s, %s, %s)\n", ref, shortDigest(v.Spec.Digest), plural(len(v.Spec.Objects), "object"), plural(len(v.Spec.Images), "image"), dashboard.ByteSize(v.Spec.Size))
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// progressPrinter prints a tarball push's progress at every tenth of it.
func progressPrinter(out io.Writer, image string) func(imagesync.Progress) {
	last := int64(-1)
	return func(p imagesync.Progress) {
		if p.Total <= 0 {
			return
		}
		tenth := p.Done * 10 / p.Total
		if tenth == last || tenth == 10 && p.Done != p.Total {
			return
		}
		last = tenth
		fmt.Fprintf(out, "  %s: %s of %s (%d%%)\n", image, dashboard.ByteSize(p.Done), dashboard.ByteSize(p.Total), p.Done*100/p.Total)
	}
}

// ---- diff ----

// renderOptions are the options the Application's first sync policy
// renders with (nil app: the defaults of the namespace).
func renderOptions(app *appsv1alpha1.Application, ns, ref string) (apphub.RenderOptions, error) {
	if app == nil || len(app.Spec.SyncPolicies) == 0 {
		return apphub.RenderOptions{DefaultNamespace: ns, Package: ref}, nil
	}
	return apphub.OptionsFor(app, 0, ref)
}

func newAppDiffCommand() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "diff NAME V1 V2",
		Short: "Show how two versions' objects differ, rendered as the Application renders them",
		Long: `Render the AppHub versions V1 and V2 of NAME with the options of the Application
NAME's first sync policy (path, target namespace, labels, Helm values), or with the
defaults of the namespace when there is no such Application, and print a unified
diff of their objects' YAML. Prints "no difference" (and exits 0) when they render
alike.`,
		Example: `  kurator app diff mes v1.2 v1.3`,
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			return runDiff(cmd.Context(), c, apphubstore.Store{Client: c}.Get, cmd.OutOrStdout(), f.namespace, args[0], args[1], args[2])
		},
	}
	f.add(cmd)
	return cmd
}

// getVersion reads a version's record and content from AppHub.
type getVersion func(ctx context.Context, ns, app, version string) (*appsv1alpha1.AppVersion, apphub.Package, error)

// runDiff renders two versions as the Application NAME (when it exists)
// renders them and prints how their objects differ.
func runDiff(ctx context.Context, c client.Client, get getVersion, out io.Writer, ns, name, v1, v2 string) error {
	var app *appsv1alpha1.Application
	var a appsv1alpha1.Application
	switch err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &a); {
	case err == nil:
		app = &a
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
	default:
		return appReadError(ns, name, err)
	}
	pkg := name
	if app != nil {
		pkg = app.AppHubName()
	}
	render := func(version string) ([]*unstructured.Unstructured, error) {
		ref := pkg + ":" + version
		_, p, err := get(ctx, ns, pkg, version)
		if err != nil {
			return nil, err
		}
		o, err := renderOptions(app, ns, ref)
		if err != nil {
			return nil, err
		}
		objs, _, err := p.Render(o)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", ref, err)
		}
		return objs, nil
	}
	a1, err := render(v1)
	if err != nil {
		return err
	}
	a2, err := render(v2)
	if err != nil {
		return err
	}
	how := "with the defaults (no Application " + name + " in namespace " + ns + ")"
	if app != nil {
		how = "as Application " + ns + "/" + name + "'s first sync policy renders them"
	}
	d := apphub.Diff(a1, a2)
	if d == "" {
		fmt.Fprintf(out, "no difference between %s:%s and %s:%s, rendered %s\n", pkg, v1, pkg, v2, how)
		return nil
	}
	fmt.Fprintf(out, "# %s:%s -> %s:%s, rendered %s\n%s", pkg, v1, pkg, v2, how, d)
	if !strings.HasSuffix(d, "\n") {
		fmt.Fprintln(out)
	}
	return nil
}
