package dashboard

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/rollout"
)

// ApplicationSummary is one Application as a list shows it.
type ApplicationSummary struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Source in words: "package mes:v1.2", "git https://… (branch main)".
	Source string   `json:"source"`
	Fleets []string `json:"fleets"` // destination fleets, in policy order
	// Revision is status.revision (the AppVersion the source is at now).
	Revision string `json:"revision,omitempty"`
	Digest   string `json:"digest,omitempty"`
	// Phase is status.delivery.phase; "Pending" before the controller wrote any.
	Phase  string   `json:"phase"`
	Paused bool     `json:"paused,omitempty"` // spec.delivery.suspend
	Stage  StageRef `json:"stage"`
	// Consistent is the Consistent condition's status ("Unknown" when
	// absent) and ConsistentMessage its message.
	Consistent        string `json:"consistent"`
	ConsistentMessage string `json:"consistentMessage,omitempty"`
	// Clusters selected, and how many of them run Revision healthy.
	Clusters int `json:"clusters"`
	Current  int `json:"current"`
	// Members are the clusters with the revision each runs and its
	// health, by stage then name (clusters the release has not placed
	// last).
	Members []ClusterRevision `json:"members"`
	// Message says what needs a person: an unusable source or spec, the
	// newest failed gate of a failing release, or a pause.
	Message string    `json:"message,omitempty"`
	Started time.Time `json:"started,omitzero"` // start of the current release
	Created time.Time `json:"created,omitzero"`
}

// ClusterRevision is one cluster of an Application in a list: the
// revision it runs, the one the release gives it, and its health
// (HealthHealthy, HealthProgressing, HealthDegraded or HealthUnknown; see
// ApplicationClusterHealth).
type ClusterRevision struct {
	Cluster string `json:"cluster"`
	Running string `json:"running,omitempty"`
	Target  string `json:"target,omitempty"`
	Phase   string `json:"phase,omitempty"`
	Health  string `json:"health"`
	Message string `json:"message,omitempty"`
}

// ApplicationList is GET /api/v1/applications?namespace=.
type ApplicationList struct {
	Items []ApplicationSummary `json:"items"`
	// Namespaces are the filter choices: every namespace among the
	// Applications the user may see, before filtering.
	Namespaces []string `json:"namespaces"`
	// Unavailable says why there are no Applications to show at all (the
	// hub has no Application CRD).
	Unavailable string `json:"unavailable,omitempty"`
}

// ApplicationDetail is one Application with its stages, clusters, gate
// verdicts and past releases.
type ApplicationDetail struct {
	Summary    ApplicationSummary   `json:"summary"`
	Stages     []RolloutStageView   `json:"stages"`
	Clusters   []ApplicationCluster `json:"clusters"` // by stage then name; clusters without a stage last
	Gates      []GateVerdict        `json:"gates"`    // newest first
	History    []RolloutRunView     `json:"history"`  // newest first
	LastAction string               `json:"lastAction,omitempty"`
	// Conditions: Consistent first, then the others in status order.
	Conditions []Condition `json:"conditions"`
	Events     []Event     `json:"events"`
	// Versions are the app's AppVersions in AppHub, newest first (set by
	// ApplicationVersions; BuildApplication leaves them empty).
	Versions []AppVersionView `json:"versions"`
	// VersionsHidden says why Versions is empty although AppHub may hold
	// some (the user may not list AppVersions).
	VersionsHidden string `json:"versionsHidden,omitempty"`
}

// AppVersionView is one AppVersion of an Application.
type AppVersionView struct {
	Version  string    `json:"version"`
	Format   string    `json:"format"`
	Digest   string    `json:"digest"`
	Size     int64     `json:"size"` // gzipped content, bytes
	Objects  int       `json:"objects"`
	Images   int       `json:"images"`
	Warnings int       `json:"warnings"`
	Source   string    `json:"source,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	// Current: the source's revision now (status.revision).
	Current bool `json:"current,omitempty"`
	// Clusters that run this version, by name.
	Clusters []string `json:"clusters"`
}

// ApplicationCluster is one cluster of an Application: the revision the
// release gives it, the revision it runs, and its images.
type ApplicationCluster struct {
	Name       string `json:"name"`
	SyncPolicy string `json:"syncPolicy,omitempty"`
	// Stage index (-1 when the release has not placed the cluster yet).
	Stage     int    `json:"stage"`
	StageName string `json:"stageName,omitempty"`
	Phase     string `json:"phase,omitempty"`
	// Target is the revision the release gives the cluster
	// (status.delivery.clusters[].primaryRevision).
	Target string `json:"target,omitempty"`
	// Running is the revision it runs (status.clusters[].revision).
	Running string `json:"running,omitempty"`
	Healthy bool   `json:"healthy"`
	// Health is ApplicationClusterHealth of the cluster.
	Health       string      `json:"health"`
	Registry     string      `json:"registry,omitempty"`
	ImagesSynced int         `json:"imagesSynced"`
	Images       []ImageSync `json:"images"`
	Message      string      `json:"message,omitempty"`
}

// ImageSync is one image's copy to one cluster's registry.
type ImageSync struct {
	Source     string `json:"source"`
	Target     string `json:"target,omitempty"`
	Digest     string `json:"digest,omitempty"`
	Phase      string `json:"phase"`
	Bytes      int64  `json:"bytes"`
	TotalBytes int64  `json:"totalBytes"`
	Message    string `json:"message,omitempty"`
}

// applicationRollout presents an Application's delivery as a Rollout so
// the stage helpers of Rollouts (names, implicit last stage, states,
// rules) serve both without a second copy.
func applicationRollout(app *appsv1alpha1.Application) *appsv1alpha1.Rollout {
	ro := &appsv1alpha1.Rollout{ObjectMeta: app.ObjectMeta, Status: app.Status.Delivery}
	if d := app.Spec.Delivery; d != nil {
		ro.Spec.Stages = d.Stages
		ro.Spec.RolloutPolicy.Suspend = d.Suspend
	}
	return ro
}

// ApplicationSource is an Application's source in words.
func ApplicationSource(app *appsv1alpha1.Application) string {
	s := app.Spec.Source
	switch {
	case s.Package != nil:
		return "package " + orString(s.Package.Name, app.Name) + ":" + s.Package.Version
	case s.GitRepository != nil:
		g := s.GitRepository
		text := "git " + g.URL
		if r := g.Reference; r != nil {
			switch {
			case r.Commit != "":
				text += " (commit " + r.Commit + ")"
			case r.Tag != "":
				text += " (tag " + r.Tag + ")"
			case r.Branch != "":
				text += " (branch " + r.Branch + ")"
			}
		}
		return text
	case s.HelmRepository != nil:
		text := "helm " + s.HelmRepository.URL
		for _, p := range app.Spec.SyncPolicies {
			if h := p.Helm; h != nil && h.Chart != "" {
				text += " chart " + h.Chart
				if h.Version != "" {
					text += "@" + h.Version
				}
				break
			}
		}
		return text
	case s.OCIRepository != nil:
		o := s.OCIRepository
		text := "oci " + strings.TrimPrefix(o.URL, "oci://")
		if r := o.Reference; r != nil {
			switch {
			case r.Digest != "":
				text += "@" + r.Digest
			case r.Tag != "":
				text += ":" + r.Tag
			}
		}
		return text
	}
	return "-"
}

// ApplicationFleets are the destination fleets, each once, in policy order.
func ApplicationFleets(app *appsv1alpha1.Application) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range app.Spec.SyncPolicies {
		if f := p.Destination.Fleet; !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// ApplicationPhase is status.delivery.phase, or PhasePending before the
// first status.
func ApplicationPhase(app *appsv1alpha1.Application) string {
	return RolloutPhase(applicationRollout(app))
}

// ApplicationStageRef is the stage in progress, of all the stages.
func ApplicationStageRef(app *appsv1alpha1.Application) StageRef {
	return RolloutStageRef(applicationRollout(app))
}

// ApplicationOf summarises an Application.
func ApplicationOf(app *appsv1alpha1.Application) ApplicationSummary {
	s := ApplicationSummary{
		Namespace:  app.Namespace,
		Name:       app.Name,
		Source:     ApplicationSource(app),
		Fleets:     ApplicationFleets(app),
		Revision:   app.Status.Revision,
		Digest:     app.Status.Digest,
		Phase:      ApplicationPhase(app),
		Paused:     app.Spec.Delivery != nil && app.Spec.Delivery.Suspend,
		Stage:      ApplicationStageRef(app),
		Consistent: string(metav1.ConditionUnknown),
		Clusters:   len(app.Status.Clusters),
		Message:    applicationMessage(app),
		Created:    app.CreationTimestamp.Time,
	}
	if c := meta.FindStatusCondition(app.Status.Conditions, appsv1alpha1.ConditionConsistent); c != nil {
		s.Consistent, s.ConsistentMessage = string(c.Status), c.Message
	}
	for _, c := range app.Status.Clusters {
		if c.Healthy && c.Revision != "" && c.Revision == app.Status.Revision {
			s.Current++
		}
	}
	s.Members = []ClusterRevision{}
	for _, c := range ApplicationClusters(app) {
		s.Members = append(s.Members, ClusterRevision{Cluster: c.Name, Running: c.Running, Target: c.Target, Phase: c.Phase, Health: c.Health, Message: c.Message})
	}
	if t := app.Status.Delivery.StartTime; t != nil {
		s.Started = t.Time
	}
	return s
}

// applicationMessage is what needs a person, most urgent first.
func applicationMessage(app *appsv1alpha1.Application) string {
	for _, t := range []string{"Ready", appsv1alpha1.ConditionSourceReady, "StagesSelectClusters"} {
		if c := meta.FindStatusCondition(app.Status.Conditions, t); c != nil && c.Status == metav1.ConditionFalse && c.Message != "" {
			return c.Message
		}
	}
	return rolloutMessage(applicationRollout(app))
}

// Applications summarises Applications, sorted by namespace and name.
func Applications(apps []appsv1alpha1.Application) []ApplicationSummary {
	out := make([]ApplicationSummary, 0, len(apps))
	for i := range apps {
		out = append(out, ApplicationOf(&apps[i]))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// BuildApplication is an Application's detail. events are the hub events
// about it.
func BuildApplication(app *appsv1alpha1.Application, events []corev1.Event) ApplicationDetail {
	ro := applicationRollout(app)
	cfg := rolloutConfig(ro)
	names := stageNames(ro, cfg)
	d := ApplicationDetail{
		Summary:    ApplicationOf(app),
		Stages:     []RolloutStageView{},
		Clusters:   ApplicationClusters(app),
		Gates:      []GateVerdict{},
		History:    []RolloutRunView{},
		LastAction: app.Status.Delivery.LastAction,
		Conditions: consistentFirst(conditionsOf(app.Status.Conditions)),
		Events:     Events(events),
		Versions:   []AppVersionView{},
	}
	byStage := map[int][]string{}
	for _, c := range d.Clusters {
		if c.Stage >= 0 {
			byStage[c.Stage] = append(byStage[c.Stage], c.Name)
		}
	}
	for i, name := range names {
		clusters := byStage[i]
		sort.Strings(clusters)
		if clusters == nil {
			clusters = []string{}
		}
		selects := stageSelects(ro, i)
		if i >= len(ro.Spec.Stages) && len(ro.Spec.Stages) == 0 {
			selects = "every cluster the sync policies select"
		}
		d.Stages = append(d.Stages, RolloutStageView{Index: i, Name: name, Selects: selects,
			Clusters: clusters, Rules: applicationStageRules(cfg, i), State: stageState(ro, i)})
	}
	full := BuildRollout(ro, "", nil)
	d.Gates, d.History = full.Gates, full.History
	return d
}

// applicationStageRules are a stage's rules in words, with its approval.
func applicationStageRules(cfg rollout.Config, i int) string {
	rules := stageRules(cfg, i)
	if i < len(cfg.Stages) && cfg.Stages[i].RequireApproval {
		rules = "waits for approval (kurator app promote); " + rules
	}
	return rules
}

// ApplicationClusters joins what the release gives each cluster
// (status.delivery.clusters) with what it runs (status.clusters), by stage
// then name; clusters the release has not placed yet come last.
func ApplicationClusters(app *appsv1alpha1.Application) []ApplicationCluster {
	ro := applicationRollout(app)
	names := stageNames(ro, rolloutConfig(ro))
	byName := map[string]*ApplicationCluster{}
	var order []string
	get := func(name string) *ApplicationCluster {
		c, ok := byName[name]
		if !ok {
			c = &ApplicationCluster{Name: name, Stage: -1, Images: []ImageSync{}}
			byName[name] = c
			order = append(order, name)
		}
		return c
	}
	for _, dc := range app.Status.Delivery.Clusters {
		c := get(dc.Name)
		c.Stage, c.StageName = int(dc.Stage), stageName(names, int(dc.Stage))
		c.Phase, c.Target, c.Message = string(dc.Phase), dc.PrimaryRevision, dc.Message
	}
	for _, sc := range app.Status.Clusters {
		c := get(sc.Name)
		c.SyncPolicy, c.Running, c.Healthy, c.Registry = sc.SyncPolicy, sc.Revision, sc.Healthy, sc.Registry
		if sc.Message != "" && sc.Message != c.Message {
			c.Message = strings.TrimPrefix(c.Message+"; "+sc.Message, "; ")
		}
		for _, im := range sc.Images {
			if im.Phase == appsv1alpha1.ImageSynced {
				c.ImagesSynced++
			}
			c.Images = append(c.Images, ImageSync{Source: im.Source, Target: im.Target, Digest: im.Digest, Phase: orString(im.Phase, appsv1alpha1.ImagePending),
				Bytes: im.Bytes, TotalBytes: im.TotalBytes, Message: im.Message})
		}
	}
	out := make([]ApplicationCluster, 0, len(order))
	for _, n := range order {
		c := byName[n]
		c.Health = ApplicationClusterHealth(*c)
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Stage < 0) != (b.Stage < 0) {
			return b.Stage < 0
		}
		if a.Stage != b.Stage {
			return a.Stage < b.Stage
		}
		return a.Name < b.Name
	})
	return out
}

// ApplicationClusterHealth is one cluster's health for a person:
// HealthDegraded while its release failed or rolls it back, or when it
// runs a revision that is not healthy outside a release step;
// HealthHealthy when every object of its Work is applied and healthy (on
// whatever revision it runs: the revision shows next to it);
// HealthProgressing while the release applies a revision to it; and
// HealthUnknown before anything was applied to it.
func ApplicationClusterHealth(c ApplicationCluster) string {
	phase := appsv1alpha1.ClusterPhase(c.Phase)
	switch {
	case phase == appsv1alpha1.ClusterFailed || phase == appsv1alpha1.ClusterRollingBack:
		return HealthDegraded
	case c.Healthy:
		return HealthHealthy
	case phase == appsv1alpha1.ClusterProgressing || phase == appsv1alpha1.ClusterPromoting:
		return HealthProgressing
	case c.Running == "":
		return HealthUnknown
	}
	return HealthDegraded
}

// consistentFirst puts the Consistent condition first: it answers the
// question a person opens an Application for.
func consistentFirst(conds []Condition) []Condition {
	sort.SliceStable(conds, func(i, j int) bool {
		return conds[i].Type == appsv1alpha1.ConditionConsistent && conds[j].Type != appsv1alpha1.ConditionConsistent
	})
	return conds
}

// ApplicationsIn lists the Applications of namespace ("" for all), with
// every namespace among apps as the filter's choices.
func ApplicationsIn(apps []appsv1alpha1.Application, namespace string) ApplicationList {
	ns := map[string]bool{}
	var keep []appsv1alpha1.Application
	for i := range apps {
		ns[apps[i].Namespace] = true
		if namespace == "" || apps[i].Namespace == namespace {
			keep = append(keep, apps[i])
		}
	}
	return ApplicationList{Items: Applications(keep), Namespaces: sortedKeys(ns)}
}

// ApplicationVersions are the AppVersions of app among versions (any
// namespace's and app's may be given), newest first, each with the
// clusters that run it.
func ApplicationVersions(app *appsv1alpha1.Application, versions []appsv1alpha1.AppVersion) []AppVersionView {
	name := app.AppHubName()
	runs := map[string][]string{}
	for _, c := range app.Status.Clusters {
		if c.Revision != "" {
			runs[c.Revision] = append(runs[c.Revision], c.Name)
		}
	}
	var mine []*appsv1alpha1.AppVersion
	for i := range versions {
		if v := &versions[i]; v.Namespace == app.Namespace && v.Spec.App == name {
			mine = append(mine, v)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[j].PushedBefore(mine[i]) })
	out := make([]AppVersionView, 0, len(mine))
	for _, v := range mine {
		clusters := append([]string{}, runs[v.Spec.Version]...)
		sort.Strings(clusters)
		out = append(out, AppVersionView{Version: v.Spec.Version, Format: v.Spec.Format, Digest: v.Spec.Digest, Size: v.Spec.Size,
			Objects: len(v.Spec.Objects), Images: len(v.Spec.Images), Warnings: len(v.Spec.Warnings), Source: v.Spec.Source,
			Created: v.CreationTimestamp.Time, Current: v.Spec.Version == app.Status.Revision, Clusters: clusters})
	}
	return out
}

// ApplicationTerminal says whether an Application's release is over (or
// none runs): nothing moves until the source gives a new revision. A
// source revision the engine has not taken up yet is still to come (its
// images are being copied, say), whatever the phase.
func ApplicationTerminal(app *appsv1alpha1.Application) bool {
	d := app.Status.Delivery
	if rev := app.Status.Revision; rev != "" && rev != d.CanaryRevision && rev != d.StableRevision && rev != d.FailedRevision {
		return false
	}
	return RolloutTerminal(d.Phase)
}

// ByteSize is n in B, KiB, MiB or GiB with one decimal: "2.1 KiB".
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}
