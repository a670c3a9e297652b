package app

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

func newDescribeCommand() *cobra.Command {
	var (
		hub       hubFlags
		namespace string
	)
	cmd := &cobra.Command{
		Use:   "describe (cluster|propagationpolicy|resourcebinding|rollout|application|appversion|scalepolicy|nodepool) NAME",
		Short: "Show one object's conditions, decisions and recent events",
		Example: `  kurator describe cluster cluster-frankfurt
  kurator describe propagationpolicy nginx-propagation
  kurator describe resourcebinding nginx-deployment
  kurator describe rollout reviews -n bookinfo
  kurator describe application mes
  kurator describe appversion mes:v1.2
  kurator describe scalepolicy promo-scale-policy
  kurator describe nodepool north-cluster-worker-pool`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := hub.client()
			if err != nil {
				return err
			}
			d := describer{hub: c, out: cmd.OutOrStdout(), ctx: cmd.Context()}
			kind, name := strings.ToLower(args[0]), args[1]
			switch kind {
			case "cluster", "clusters", "attachedcluster", "ac":
				return d.cluster(orDefault(namespace, join.Namespace), name)
			case "propagationpolicy", "pp":
				return d.policy(orDefault(namespace, "default"), name)
			case "resourcebinding", "rb":
				return d.binding(orDefault(namespace, "default"), name)
			case "trafficpolicy", "trafficpolicies", "tp":
				return d.trafficPolicy(orDefault(namespace, "default"), name)
			case "rollout", "rollouts", "ro":
				return d.rollout(orDefault(namespace, "default"), name)
			case "application", "applications", "app":
				return d.application(orDefault(namespace, "default"), name)
			case "appversion", "appversions", "appver":
				return d.appVersion(orDefault(namespace, "default"), name)
			case "scalepolicy", "scalepolicies", "sp":
				return d.scalePolicy(orDefault(namespace, "default"), name)
			case "nodepool", "nodepools", "np":
				return d.nodePool(orDefault(namespace, join.Namespace), name)
			}
			return fmt.Errorf("unknown kind %q: use cluster, propagationpolicy, resourcebinding, rollout, application, appversion, scalepolicy or nodepool", args[0])
		},
	}
	hub.add(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default: kurator-system for clusters and node pools, default otherwise)")
	return cmd
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type describer struct {
	hub client.Client
	out io.Writer
	ctx context.Context
}

func (d describer) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

func (d describer) conditions(conds []metav1.Condition) {
	d.printf("Conditions:\n")
	if len(conds) == 0 {
		d.printf("  <none>\n")
		return
	}
	tw := table(d.out)
	fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tSINCE\tMESSAGE")
	for _, c := range conds {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, age(c.LastTransitionTime.Time), c.Message)
	}
	_ = tw.Flush()
}

// events prints the recent Events about an object, oldest first.
func (d describer) events(namespace, kind, name string) {
	var list corev1.EventList
	err := d.hub.List(d.ctx, &list, client.InNamespace(namespace))
	d.printf("Events:\n")
	if err != nil {
		d.printf("  (cannot list events: %v)\n", err)
		return
	}
	var evs []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		d.printf("  <none>\n")
		return
	}
	sort.SliceStable(evs, func(i, j int) bool {
		return dashboard.EventTime(&evs[i]).Time.Before(dashboard.EventTime(&evs[j]).Time)
	})
	if len(evs) > 20 {
		evs = evs[len(evs)-20:]
	}
	tw := table(d.out)
	fmt.Fprintln(tw, "  TYPE\tREASON\tAGE\tMESSAGE")
	for _, e := range evs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.Type, e.Reason, age(dashboard.EventTime(&e).Time), e.Message)
	}
	_ = tw.Flush()
}

func (d describer) cluster(ns, name string) error {
	var c clusterv1alpha1.AttachedCluster
	if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &c); err != nil {
		return fmt.Errorf("cluster %s/%s: %w (see `kurator get clusters`)", ns, name, err)
	}
	ref := c.KubeconfigSecretRef()
	d.printf("Name:        %s\nNamespace:   %s\nKubeconfig:  Secret %s, key %s\n", c.Name, c.Namespace, ref.Name, ref.Key)
	d.printf("Provider:    %s\nRegion:      %s\nZones:       %s\n", orDash(c.ProviderName()), orDash(c.RegionName()), orDash(strings.Join(c.Zones(), ", ")))
	d.printf("Labels:      %s\n", orDash(labelString(c.SchedulingLabels())))
	var taints []string
	for _, t := range c.Spec.Taints {
		taints = append(taints, t.ToString())
	}
	d.printf("Taints:      %s\nVersion:     %s\n", orDash(strings.Join(taints, ", ")), orDash(c.Status.KubernetesVersion))
	if s := c.Status.NodeSummary; s != nil {
		d.printf("Nodes:       %d ready of %d\n", s.ReadyNum, s.TotalNum)
	}
	if s := c.Status.ResourceSummary; s != nil {
		d.printf("Resources:\n  allocatable: %s\n  allocated:   %s\n  allocating:  %s\n",
			resourceString(s.Allocatable), resourceString(s.Allocated), resourceString(s.Allocating))
	}
	d.printf("APIs:        %d group versions\n", len(c.Status.APIEnablements))
	d.conditions(c.Status.Conditions)
	d.events(ns, "AttachedCluster", name)
	return nil
}

func (d describer) policy(ns, name string) error {
	var p policyv1alpha1.PropagationPolicy
	if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
		return fmt.Errorf("PropagationPolicy %s/%s: %w", ns, name, err)
	}
	d.printf("Name:        %s\nNamespace:   %s\n", p.Name, p.Namespace)
	prio := int32(0)
	if p.Spec.Priority != nil {
		prio = *p.Spec.Priority
	}
	d.printf("Priority:    %d\nSelectors:\n", prio)
	for _, s := range p.Spec.ResourceSelectors {
		what := "all"
		if s.Name != "" {
			what = "name " + s.Name
		} else if s.LabelSelector != nil {
			what = "labels " + metav1.FormatLabelSelector(s.LabelSelector)
		}
		d.printf("  %s %s (%s)\n", s.APIVersion, s.Kind, what)
	}
	if a := p.Spec.Placement.ClusterAffinity; a != nil && len(a.ClusterNames) > 0 {
		d.printf("Clusters:    %s\n", strings.Join(a.ClusterNames, ", "))
	}
	if rs := p.Spec.Placement.ReplicaScheduling; rs != nil {
		d.printf("Replicas:    %s %s\n", orDash(string(rs.ReplicaSchedulingType)), string(rs.ReplicaDivisionPreference))
		if wp := rs.WeightPreference; wp != nil {
			for _, w := range wp.StaticWeightList {
				d.printf("  weight %d: %s\n", w.Weight, strings.Join(w.TargetCluster.ClusterNames, ", "))
			}
			if wp.DynamicWeight != "" {
				d.printf("  dynamic weight: %s\n", wp.DynamicWeight)
			}
		}
	}
	var rbs workv1alpha1.ResourceBindingList
	if err := d.hub.List(d.ctx, &rbs, client.InNamespace(ns)); err != nil {
		return err
	}
	d.printf("Matched resources and decisions:\n")
	n := 0
	for _, b := range rbs.Items {
		if pr := b.Spec.Policy; pr == nil || pr.Kind != "PropagationPolicy" || pr.Name != name {
			continue
		}
		n++
		var parts []string
		for _, t := range b.Spec.Clusters {
			parts = append(parts, fmt.Sprintf("%s=%d", t.Name, t.Replicas))
		}
		d.printf("  %s %s/%s -> %s (binding %s, scheduled %s)\n", b.Spec.Resource.Kind, b.Spec.Resource.Namespace,
			b.Spec.Resource.Name, orDash(strings.Join(parts, ", ")), b.Name, condStatus(b.Status.Conditions, workv1alpha1.ConditionScheduled))
	}
	if n == 0 {
		d.printf("  <none>\n")
	}
	d.conditions(p.Status.Conditions)
	d.events(ns, "PropagationPolicy", name)
	return nil
}

func (d describer) binding(ns, name string) error {
	var b workv1alpha1.ResourceBinding
	if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &b); err != nil {
		return fmt.Errorf("ResourceBinding %s/%s: %w (see `kurator get resourcebindings -A`)", ns, name, err)
	}
	r := b.Spec.Resource
	d.printf("Name:        %s\nNamespace:   %s\nResource:    %s %s %s/%s\n", b.Name, b.Namespace, r.APIVersion, r.Kind, r.Namespace, r.Name)
	if p := b.Spec.Policy; p != nil {
		d.printf("Policy:      %s %s\n", p.Kind, strings.TrimPrefix(p.Namespace+"/"+p.Name, "/"))
	}
	d.printf("Replicas:    %d\nClusters:\n", b.Spec.Replicas)
	status := map[string]workv1alpha1.AggregatedStatusItem{}
	for _, it := range b.Status.AggregatedStatus {
		status[it.ClusterName] = it
	}
	tw := table(d.out)
	fmt.Fprintln(tw, "  CLUSTER\tREPLICAS\tREADY\tAPPLIED\tHEALTH\tMESSAGE")
	for _, t := range b.Spec.Clusters {
		it := status[t.Name]
		ready, _, ok := dashboard.MemberReplicas(it)
		readyStr := "-"
		if ok {
			readyStr = fmt.Sprint(ready)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%t\t%s\t%s\n", t.Name, t.Replicas, readyStr, it.Applied, orDash(string(it.Health)), it.AppliedMessage)
	}
	_ = tw.Flush()
	if len(b.Spec.GracefulEvictionTasks) > 0 {
		d.printf("Leaving (graceful eviction tasks; the old objects stay until each ends):\n")
		tw := table(d.out)
		fmt.Fprintln(tw, "  FROM\tSINCE\tREPLICAS\tREASON\tPURGE\tMESSAGE")
		for _, e := range b.Spec.GracefulEvictionTasks {
			since, replicas, purge := "-", "-", orDash(string(e.PurgeMode))
			if e.CreationTimestamp != nil {
				since = age(e.CreationTimestamp.Time)
			}
			if e.Replicas != nil {
				replicas = fmt.Sprint(*e.Replicas)
			}
			if e.SuppressDeletion != nil && *e.SuppressDeletion {
				purge += " (kept until the task is removed)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", e.FromCluster, since, replicas, e.Reason, purge, e.Message)
		}
		_ = tw.Flush()
	}
	if len(b.Status.AppliedOverrides) > 0 {
		d.printf("Overrides (in the order applied):\n")
		for _, o := range b.Status.AppliedOverrides {
			d.printf("  %s %s\n", o.Kind, strings.TrimPrefix(o.Namespace+"/"+o.Name, "/"))
		}
	}
	d.conditions(b.Status.Conditions)
	d.events(ns, "ResourceBinding", name)
	return nil
}

func (d describer) rollout(ns, name string) error {
	var ro appsv1alpha1.Rollout
	if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &ro); err != nil {
		return rolloutReadError(ns, name, err)
	}
	describeRollout(d.out, &ro, time.Now())
	d.conditions(ro.Status.Conditions)
	d.events(ns, "Rollout", name)
	return nil
}

// describeRollout prints the spec in words, the stages, every cluster, the
// last ten gate verdicts and the history.
func describeRollout(w io.Writer, ro *appsv1alpha1.Rollout, now time.Time) {
	det := dashboard.BuildRollout(ro, "", nil)
	s, sp := det.Summary, det.Spec
	fmt.Fprintf(w, "Name:        %s\nNamespace:   %s\nWorkload:    %s %s (Service %s)\n", ro.Name, ro.Namespace, s.Workload.Kind, s.Workload.Name, sp.Service)
	fmt.Fprintf(w, "Strategy:    %s\nAnalysis:    %s\nTimeout:     %s\n", sp.Strategy, sp.Analysis, sp.Timeout)
	if sp.Routing != "" {
		fmt.Fprintf(w, "Routing:     %s\n", sp.Routing)
	}
	if len(sp.Metrics) > 0 {
		fmt.Fprintf(w, "Metrics:\n")
		for _, m := range sp.Metrics {
			line := fmt.Sprintf("  %s: %s over %s", m.Name, m.Range, m.Interval)
			if m.Query != "" {
				line += ", query " + m.Query
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(sp.Webhooks) > 0 {
		fmt.Fprintf(w, "Webhooks:\n")
		for _, h := range sp.Webhooks {
			fmt.Fprintf(w, "  %s (%s): %s\n", h.Name, h.Type, h.URL)
		}
	}
	fmt.Fprintf(w, "Stages:\n")
	for _, st := range det.Stages {
		fmt.Fprintf(w, "  %d %s [%s]: selects %s; %s; holds %s\n", st.Index+1, st.Name, st.State, st.Selects, st.Rules, orDash(strings.Join(st.Clusters, ", ")))
	}
	phase := s.Phase
	if s.Paused {
		phase += " (paused)"
	}
	fmt.Fprintf(w, "Phase:       %s\nStage:       %s\nStable:      %s\nCanary:      %s\n", phase, stageText(s.Stage), orDash(s.Stable), orDash(s.Canary))
	if s.Failed != "" {
		fmt.Fprintf(w, "Failed:      %s\n", s.Failed)
	}
	if det.LastAction != "" {
		fmt.Fprintf(w, "Last action: %s\n", det.LastAction)
	}
	if s.Message != "" {
		fmt.Fprintf(w, "Message:     %s\n", s.Message)
	}
	fmt.Fprintf(w, "Clusters:\n")
	printRolloutClusters(w, "  ", det.Clusters)
	printGates(w, "", det.Gates, 10, now)
	fmt.Fprintf(w, "History:\n")
	var b strings.Builder
	printRolloutHistory(&b, ro.Status.History)
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprint(w, "  "+line)
		}
	}
}

func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

func resourceString(l corev1.ResourceList) string {
	if len(l) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		q := l[corev1.ResourceName(k)]
		parts[i] = k + "=" + q.String()
	}
	return strings.Join(parts, ", ")
}

func (d describer) application(ns, name string) error {
	app, err := getApp(d.ctx, d.hub, ns, name)
	if err != nil {
		return err
	}
	describeApplication(d.out, app, time.Now())
	d.conditions(app.Status.Conditions)
	d.events(ns, "Application", name)
	return nil
}

// describeApplication prints the spec in words, the stages, every
// cluster, the images being copied, the last ten gate verdicts and the
// history.
func describeApplication(w io.Writer, app *appsv1alpha1.Application, now time.Time) {
	det := dashboard.BuildApplication(app, nil)
	s := det.Summary
	fmt.Fprintf(w, "Name:        %s\nNamespace:   %s\nSource:      %s\n", app.Name, app.Namespace, s.Source)
	fmt.Fprintf(w, "Sync policies:\n")
	for i, p := range app.Spec.SyncPolicies {
		fmt.Fprintf(w, "  %s\n", syncPolicyText(i, p))
	}
	dl := app.Spec.Delivery
	if dl == nil {
		dl = &appsv1alpha1.Delivery{}
	}
	timeout := int32(600)
	if dl.TimeoutSeconds != nil {
		timeout = *dl.TimeoutSeconds
	}
	fmt.Fprintf(w, "Delivery:    a cluster not healthy on a new revision within %d s fails the release\n", timeout)
	if a := dl.Analysis; a != nil {
		fmt.Fprintf(w, "Analysis:    %d metrics, %d webhooks; %d passing checks per cluster\n", len(a.Metrics), len(a.Webhooks.Hooks), max(dl.AnalysisTimes, 1))
	}
	fmt.Fprintf(w, "Stages:\n")
	for _, st := range det.Stages {
		fmt.Fprintf(w, "  %d %s [%s]: selects %s; %s; holds %s\n", st.Index+1, st.Name, st.State, st.Selects, st.Rules, orDash(strings.Join(st.Clusters, ", ")))
	}
	rev := orDash(s.Revision)
	if s.Digest != "" {
		rev += " (" + s.Digest + ")"
	}
	phase := s.Phase
	if s.Paused {
		phase += " (paused)"
	}
	fmt.Fprintf(w, "Revision:    %s\nPhase:       %s\nStage:       %s\n", rev, phase, stageText(s.Stage))
	if st := app.Status.Delivery; st.StableRevision != "" || st.CanaryRevision != "" {
		fmt.Fprintf(w, "Previous:    %s\nReleasing:   %s\n", orDash(st.StableRevision), orDash(st.CanaryRevision))
	}
	consistent := s.Consistent
	if s.ConsistentMessage != "" {
		consistent += ": " + s.ConsistentMessage
	}
	fmt.Fprintf(w, "Consistent:  %s\n", consistent)
	if det.LastAction != "" {
		fmt.Fprintf(w, "Last action: %s\n", det.LastAction)
	}
	if s.Message != "" {
		fmt.Fprintf(w, "Message:     %s\n", s.Message)
	}
	fmt.Fprintf(w, "Clusters:\n")
	printAppClusters(w, "  ", det.Clusters)
	printImageProgress(w, "  ", det.Clusters)
	printGates(w, "", det.Gates, 10, now)
	fmt.Fprintf(w, "History:\n")
	if len(app.Status.Delivery.History) == 0 {
		fmt.Fprintf(w, "  No finished release yet.\n")
		return
	}
	var b strings.Builder
	printRolloutHistory(&b, app.Status.Delivery.History)
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprint(w, "  "+line)
		}
	}
}

// syncPolicyText is one sync policy in words.
func syncPolicyText(i int, p appsv1alpha1.ApplicationSyncPolicy) string {
	name := p.Name
	if name == "" {
		name = fmt.Sprintf("policy-%d", i)
	}
	text := name + ": Fleet " + p.Destination.Fleet
	if s := p.Destination.ClusterSelector; s != nil && len(s.MatchLabels) > 0 {
		text += ", clusters labelled " + labelString(s.MatchLabels)
	}
	if k := p.Kustomization; k != nil {
		var parts []string
		if k.Path != "" {
			parts = append(parts, "path "+k.Path)
		}
		if k.TargetNamespace != "" {
			parts = append(parts, "into namespace "+k.TargetNamespace)
		}
		if k.Prune != nil && !*k.Prune {
			parts = append(parts, "no pruning")
		}
		if len(parts) > 0 {
			text += "; " + strings.Join(parts, ", ")
		}
	}
	if h := p.Helm; h != nil {
		var parts []string
		if h.Chart != "" {
			c := "chart " + h.Chart
			if h.Version != "" {
				c += "@" + h.Version
			}
			parts = append(parts, c)
		}
		if h.ReleaseName != "" {
			parts = append(parts, "release "+h.ReleaseName)
		}
		if h.TargetNamespace != "" {
			parts = append(parts, "into namespace "+h.TargetNamespace)
		}
		if h.Values != nil && len(h.Values.Raw) > 0 {
			parts = append(parts, "with values")
		}
		if len(parts) > 0 {
			text += "; helm " + strings.Join(parts, ", ")
		}
	}
	return text
}

// appVersion describes an AppVersion named by its object name or as
// APP:VERSION.
func (d describer) appVersion(ns, name string) error {
	var v appsv1alpha1.AppVersion
	if app, version, ok := strings.Cut(name, ":"); ok {
		versions, err := listVersions(d.ctx, d.hub, ns, app)
		if err != nil {
			return err
		}
		found, err := findVersion(versions, ns, app, version)
		if err != nil {
			return err
		}
		v = *found
	} else if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &v); err != nil {
		return fmt.Errorf("AppVersion %s/%s: %w (name it APP:VERSION, or list them with `kurator get appversions -n %s`)", ns, name, err, ns)
	}
	var apps appsv1alpha1.ApplicationList
	if err := d.hub.List(d.ctx, &apps, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("list the Applications of namespace %s: %w", ns, err)
	}
	describeAppVersion(d.out, &v, apps.Items, time.Now())
	d.events(ns, "AppVersion", v.Name)
	return nil
}

// describeAppVersion prints a version: content, objects, images, warnings
// and the Applications that deliver or run it.
func describeAppVersion(w io.Writer, v *appsv1alpha1.AppVersion, apps []appsv1alpha1.Application, now time.Time) {
	sp := v.Spec
	fmt.Fprintf(w, "Name:        %s\nNamespace:   %s\nApp:         %s\nVersion:     %s\nFormat:      %s\nDigest:      %s\n",
		v.Name, v.Namespace, sp.App, sp.Version, sp.Format, sp.Digest)
	fmt.Fprintf(w, "Size:        %s gzipped, in %d blob(s): %s\n", dashboard.ByteSize(sp.Size), len(sp.Blobs), strings.Join(sp.Blobs, ", "))
	fmt.Fprintf(w, "Source:      %s\n", orString(sp.Source, "upload"))
	if !v.CreationTimestamp.IsZero() {
		fmt.Fprintf(w, "Pushed:      %s (%s ago)\n", v.CreationTimestamp.Local().Format(time.DateTime), shortDuration(now.Sub(v.CreationTimestamp.Time)))
	}
	fmt.Fprintf(w, "Objects (%d):\n", len(sp.Objects))
	if len(sp.Objects) == 0 {
		fmt.Fprintf(w, "  <none listed: a chart's objects depend on its values>\n")
	}
	for _, o := range sp.Objects {
		fmt.Fprintf(w, "  %s\n", o)
	}
	fmt.Fprintf(w, "Images (%d):\n", len(sp.Images))
	tw := table(w)
	for _, im := range sp.Images {
		digest := im.Digest
		if digest == "" {
			digest = "not in AppHub's registry at push time"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", im.Ref, digest)
	}
	_ = tw.Flush()
	if len(sp.Warnings) > 0 {
		fmt.Fprintf(w, "Warnings:\n")
		for _, x := range sp.Warnings {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
	fmt.Fprintf(w, "Deployed:    %s\n", orDash(deployedBy(apps, sp.App, sp.Version)))
}

// scalePolicy is `kurator describe scalepolicy NAME`: the policy and the
// node pools it scales.
func (d describer) scalePolicy(ns, name string) error {
	p, err := getScalePolicy(d.ctx, d.hub, ns, name)
	if err != nil {
		return err
	}
	var pools autoscalingv1alpha1.NodePoolList
	if err := d.hub.List(d.ctx, &pools, client.InNamespace(join.Namespace)); err != nil && !meta.IsNoMatchError(err) {
		return fmt.Errorf("list the NodePools of namespace %s: %w", join.Namespace, err)
	}
	describeScalePolicy(d.out, p, pools.Items, time.Now())
	d.conditions(p.Status.Conditions)
	d.events(ns, "ScalePolicy", name)
	return nil
}

// describeScalePolicy prints the spec in words, the last evaluation per
// cluster, the forecast, the node pools, what a scale-in returns to, and
// every execution newest first with when, why, what changed and the
// result, its failed pods and nodes under it.
func describeScalePolicy(w io.Writer, p *autoscalingv1alpha1.ScalePolicy, pools []autoscalingv1alpha1.NodePool, now time.Time) {
	det := dashboard.BuildScalePolicy(p, pools, nil)
	s, sp := det.Summary, det.Spec
	form := "spec"
	if sp.Form == "console" {
		form = "the console's JSON (fields at the top level)"
	}
	fmt.Fprintf(w, "Name:        %s\nNamespace:   %s\nWritten as:  %s\n", s.Name, s.Namespace, form)
	fmt.Fprintf(w, "Targets:     %s\nTrigger:     %s\n", orDefault(strings.Join(s.Targets, ", "), "every cluster its workloads are placed in"), sp.Trigger)
	printActions(w, sp.Actions)
	fmt.Fprintf(w, "Evaluation:  every %s\nCooldown:    %s\nScale-in:    %s\n", sp.Interval, sp.Cooldown, sp.ScaleIn)
	fmt.Fprintf(w, "Phase:       %s\n", scalePhaseText(s))
	if v := valueText(s); v != "" {
		fmt.Fprintf(w, "Value:       %s\n", v)
	}
	for _, t := range []struct {
		label string
		at    time.Time
	}{{"Evaluated:", s.LastEvaluation}, {"Next:", s.NextEvaluation}, {"Last scale:", s.LastScale}} {
		if !t.at.IsZero() {
			fmt.Fprintf(w, "%-12s %s\n", t.label, t.at.Local().Format(time.DateTime))
		}
	}
	if s.Message != "" {
		fmt.Fprintf(w, "Message:     %s\n", s.Message)
	}
	fmt.Fprintf(w, "Clusters:\n")
	printScaleClusters(w, "  ", det.Clusters)
	if f := det.Forecast; f != nil {
		fmt.Fprintf(w, "Forecast:    %s\n", forecastText(f, now))
	}
	if acts := p.Resolved().Action; acts != nil && acts.NodePool != nil {
		fmt.Fprintf(w, "Node pools (%s):\n", acts.NodePool.Name)
		if len(det.NodePools) == 0 {
			fmt.Fprintf(w, "  <none found in %s: create a NodePool per target cluster with spec.poolName %s>\n", join.Namespace, acts.NodePool.Name)
		} else {
			tw := table(w)
			fmt.Fprintln(tw, "  CLUSTER\tNODEPOOL\tDESIRED\tNODES\tREADY\tMIN-MAX\tHEALTH\tMESSAGE")
			for _, np := range det.NodePools {
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d-%d\t%s\t%s\n", np.Cluster, np.Name, np.Desired, np.Nodes, np.Ready, np.Min, np.Max, np.Health, orDash(truncate(np.Message, 60)))
			}
			_ = tw.Flush()
		}
	}
	if len(det.Before) > 0 {
		fmt.Fprintf(w, "Scale-in returns to:\n")
		for _, c := range det.Before {
			fmt.Fprintf(w, "  %s %d\n", c.Target, c.From)
		}
	}
	printExecutions(w, "", det.Executions, 0, now)
}

// nodePool is `kurator describe nodepool NAME`.
func (d describer) nodePool(ns, name string) error {
	var np autoscalingv1alpha1.NodePool
	if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &np); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("NodePool %s/%s not found: list them with `kurator get nodepools -n %s` (the local fleet names them CLUSTER-worker-pool)", ns, name, ns)
		}
		return fmt.Errorf("read NodePool %s/%s: %w", ns, name, err)
	}
	describeNodePool(d.out, &np)
	d.conditions(np.Status.Conditions)
	d.events(ns, "NodePool", name)
	return nil
}

// describeNodePool prints the pool's size and bounds, its provider, the
// node template and every node.
func describeNodePool(w io.Writer, np *autoscalingv1alpha1.NodePool) {
	s := dashboard.NodePoolOf(np)
	fmt.Fprintf(w, "Name:        %s\nNamespace:   %s\nCluster:     %s\nPool:        %s\n", np.Name, np.Namespace, s.Cluster, s.Pool)
	switch pr := np.Spec.Provider; {
	case pr.Kwok != nil:
		fmt.Fprintf(w, "Provider:    kwok (fake nodes in the member, named %s-%s-N)\n", s.Cluster, s.Pool)
	case pr.ClusterAPI != nil:
		mgmt := "the hub"
		if pr.ClusterAPI.KubeconfigSecretRef != nil {
			mgmt = "the cluster of Secret " + np.Namespace + "/" + pr.ClusterAPI.KubeconfigSecretRef.Name
		}
		fmt.Fprintf(w, "Provider:    Cluster API MachineDeployment %s/%s in %s\n", pr.ClusterAPI.Namespace, pr.ClusterAPI.Name, mgmt)
	default:
		fmt.Fprintf(w, "Provider:    <none>\n")
	}
	fmt.Fprintf(w, "Desired:     %d (bounds %d-%d)\nNodes:       %d, %d Ready\nHealth:      %s\n", s.Desired, s.Min, s.Max, s.Nodes, s.Ready, s.Health)
	if s.Message != "" {
		fmt.Fprintf(w, "Message:     %s\n", s.Message)
	}
	t := np.Spec.Template
	var taints []string
	for _, tn := range t.Taints {
		taints = append(taints, tn.ToString())
	}
	fmt.Fprintf(w, "Template:\n  labels:    %s\n  taints:    %s\n  capacity:  %s\n", orDash(labelString(t.Labels)), orDash(strings.Join(taints, ", ")), resourceString(t.Capacity))
	fmt.Fprintf(w, "Node list:\n")
	if len(np.Status.Nodes) == 0 {
		fmt.Fprintf(w, "  <none>\n")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "  NAME\tREADY\tMESSAGE")
	for _, n := range np.Status.Nodes {
		fmt.Fprintf(tw, "  %s\t%t\t%s\n", n.Name, n.Ready, orDash(n.Message))
	}
	_ = tw.Flush()
}
