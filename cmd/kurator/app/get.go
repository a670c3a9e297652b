package app

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

type getFlags struct {
	hub           hubFlags
	namespace     string
	allNamespaces bool
	output        string
	allClusters   bool
}

func newGetCommand() *cobra.Command {
	var f getFlags
	cmd := &cobra.Command{
		Use:   "get (clusters|fleets|workloads|resourcebindings|works|rollouts|applications|appversions|storageadaptations|scalepolicies|nodepools|federatedhpas|cronfederatedhpas) [NAME]",
		Short: "List what the hub knows: clusters, fleets, workloads and their placement",
		Long: `List the hub's objects in tables made for fleets:

  clusters          member clusters with health, version, location and nodes
  fleets            fleets with their ready and not-ready members
  workloads         propagated resources with per-cluster replicas and readiness
  resourcebindings  scheduling decisions (rb)
  works             what is sent to each member cluster
  rollouts          progressive rollouts with phase, stage, revisions and canary weights (ro)
  applications      AppHub applications with source, revision, release phase and consistency (app)
  appversions       versions pushed to AppHub with format, digest, size, objects and images (appver)
  storageadaptations  storage class per cluster storage trait (stad)
  scalepolicies     scale policies with trigger, phase, value against threshold, last scale and result (sp)
  nodepools         node pools per cluster with desired, nodes, Ready and bounds (np)
  federatedhpas     Karmada FederatedHPAs with target, bounds, replicas and metrics (fhpa)
  cronfederatedhpas Karmada CronFederatedHPAs with their rules and next run (cronfhpa)`,
		Example: `  kurator get clusters
  kurator get workload --all-clusters
  kurator get resourcebindings -A -o wide
  kurator get clusters cluster-hangzhou -o yaml
  kurator get rollouts -A
  kurator get applications
  kurator get appversions -o wide
  kurator get scalepolicies -A
  kurator get nodepools -o wide`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			return f.run(cmd, args[0], name)
		},
	}
	f.hub.add(cmd)
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace (default: kurator-system for clusters and fleets, default otherwise)")
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "table, wide, yaml or json")
	cmd.Flags().BoolVar(&f.allClusters, "all-clusters", false, "workloads: one row per workload and member cluster")
	return cmd
}

func (f *getFlags) run(cmd *cobra.Command, kind, name string) error {
	switch f.output {
	case "table", "wide", "yaml", "json":
	default:
		return fmt.Errorf("-o %q: use table, wide, yaml or json", f.output)
	}
	hub, err := f.hub.client()
	if err != nil {
		return err
	}
	ns := f.namespace
	var list client.ObjectList
	var print func(w io.Writer, wide bool) error
	switch strings.ToLower(kind) {
	case "cluster", "clusters", "attachedcluster", "attachedclusters", "ac":
		if ns == "" {
			ns = join.Namespace
		}
		l := &clusterv1alpha1.AttachedClusterList{}
		list, print = l, func(w io.Writer, wide bool) error { return printClusters(w, l.Items, wide) }
	case "fleet", "fleets", "fl":
		if ns == "" {
			ns = join.Namespace
		}
		l := &fleetv1alpha1.FleetList{}
		list, print = l, func(w io.Writer, _ bool) error { return printFleets(w, l.Items) }
	case "workload", "workloads":
		l := &workv1alpha1.ResourceBindingList{}
		list, print = l, func(w io.Writer, _ bool) error { return printWorkloads(w, l.Items, f.allClusters) }
	case "resourcebinding", "resourcebindings", "rb":
		l := &workv1alpha1.ResourceBindingList{}
		list, print = l, func(w io.Writer, wide bool) error { return printBindings(w, l.Items, wide) }
	case "trafficpolicy", "trafficpolicies", "tp":
		l := &networkingv1alpha1.TrafficPolicyList{}
		list, print = l, func(w io.Writer, wide bool) error { return printTrafficPolicies(w, l.Items, wide) }
	case "work", "works":
		l := &workv1alpha1.WorkList{}
		list, print = l, func(w io.Writer, _ bool) error { return printWorks(w, l.Items) }
		f.allNamespaces = f.allNamespaces || ns == ""
	case "rollout", "rollouts", "ro":
		l := &appsv1alpha1.RolloutList{}
		list, print = l, func(w io.Writer, wide bool) error { return printRollouts(w, l.Items, wide) }
	case "application", "applications", "app", "apps":
		l := &appsv1alpha1.ApplicationList{}
		list, print = l, func(w io.Writer, wide bool) error { return printApplications(w, l.Items, wide) }
	case "appversion", "appversions", "appver":
		l := &appsv1alpha1.AppVersionList{}
		list, print = l, func(w io.Writer, wide bool) error { return printAppVersions(w, l.Items, wide) }
	case "storageadaptation", "storageadaptations", "stad":
		l := &appsv1alpha1.StorageAdaptationList{}
		list, print = l, func(w io.Writer, _ bool) error { return printStorageAdaptations(w, l.Items) }
		f.allNamespaces = true // cluster-scoped
	case "scalepolicy", "scalepolicies", "sp":
		l := &autoscalingv1alpha1.ScalePolicyList{}
		list, print = l, func(w io.Writer, wide bool) error { return printScalePolicies(w, l.Items, wide, time.Now()) }
	case "nodepool", "nodepools", "np":
		if ns == "" {
			ns = join.Namespace // next to the AttachedClusters
		}
		l := &autoscalingv1alpha1.NodePoolList{}
		list, print = l, func(w io.Writer, wide bool) error { return printNodePools(w, l.Items, wide) }
	case "federatedhpa", "federatedhpas", "fhpa":
		l := &karmadaautoscalingv1alpha1.FederatedHPAList{}
		list, print = l, func(w io.Writer, wide bool) error { return printFederatedHPAs(w, l.Items, wide) }
	case "cronfederatedhpa", "cronfederatedhpas", "cronfhpa":
		l := &karmadaautoscalingv1alpha1.CronFederatedHPAList{}
		list, print = l, func(w io.Writer, _ bool) error { return printCronFederatedHPAs(w, l.Items, time.Now()) }
	default:
		return fmt.Errorf("unknown kind %q: use clusters, fleets, workloads, resourcebindings, works, rollouts, applications, appversions, storageadaptations, scalepolicies, nodepools, federatedhpas or cronfederatedhpas", kind)
	}
	if ns == "" {
		ns = "default"
	}
	var opts []client.ListOption
	if !f.allNamespaces {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := hub.List(cmd.Context(), list, opts...); err != nil {
		return fmt.Errorf("list %s: %w", kind, err)
	}
	if name != "" {
		if err := keepNamed(list, name); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	switch f.output {
	case "yaml", "json":
		return printObjects(out, list, f.output)
	}
	return print(out, f.output == "wide")
}

// keepNamed filters a list down to the object called name.
func keepNamed(list client.ObjectList, name string) error {
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	var kept []runtime.Object
	for _, it := range items {
		if o, ok := it.(client.Object); ok && o.GetName() == name {
			kept = append(kept, it)
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("%q not found (list them without a name to see what exists)", name)
	}
	return meta.SetList(list, kept)
}

func printObjects(w io.Writer, list client.ObjectList, format string) error {
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	var objs []any
	for _, it := range items {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(it)
		if err != nil {
			return err
		}
		unstructured.RemoveNestedField(u, "metadata", "managedFields")
		objs = append(objs, u)
	}
	var doc any = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
	if len(objs) == 1 {
		doc = objs[0]
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 3, ' ', 0) }

func age(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printClusters(w io.Writer, items []clusterv1alpha1.AttachedCluster, wide bool) error {
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	tw := table(w)
	head := "NAME\tREADY\tMODE\tVERSION\tPROVIDER\tREGION\tNODES\tHEARTBEAT\tAGENT\tAGE"
	if wide {
		head += "\tZONES\tCPU\tMEMORY\tTAINTS\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for i := range items {
		c := &items[i]
		ready, msg := "Unknown", ""
		if cond := c.ReadyCondition(); cond != nil {
			ready, msg = string(cond.Status), cond.Message
		}
		nodes := "-"
		if s := c.Status.NodeSummary; s != nil {
			nodes = fmt.Sprintf("%d/%d", s.ReadyNum, s.TotalNum)
		}
		heartbeat, agent := clusterAgent(c)
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", c.Name, ready, clusterMode(c), orDash(c.Status.KubernetesVersion),
			orDash(c.ProviderName()), orDash(c.RegionName()), nodes, heartbeat, agent, age(c.CreationTimestamp.Time))
		if wide {
			cpu, mem := "-", "-"
			if s := c.Status.ResourceSummary; s != nil {
				if q, ok := s.Allocatable["cpu"]; ok {
					cpu = q.String()
				}
				if q, ok := s.Allocatable["memory"]; ok {
					mem = q.String()
				}
			}
			var taints []string
			for _, t := range c.Spec.Taints {
				taints = append(taints, t.ToString())
			}
			row += fmt.Sprintf("\t%s\t%s\t%s\t%s\t%s", orDash(strings.Join(c.Zones(), ",")), cpu, mem,
				orDash(strings.Join(taints, ",")), orDash(truncate(msg, 60)))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// clusterMode is Push or Pull (an unset mode is Push).
func clusterMode(c *clusterv1alpha1.AttachedCluster) string {
	if c.IsPull() {
		return string(clusterv1alpha1.ModePull)
	}
	return string(clusterv1alpha1.ModePush)
}

// clusterAgent is the HEARTBEAT and AGENT columns: for a Pull cluster the
// age of its agent's last heartbeat and the agent's version. Push clusters
// have no agent, and the hub records no time of its last probe of them.
func clusterAgent(c *clusterv1alpha1.AttachedCluster) (heartbeat, version string) {
	a := c.Status.Agent
	if !c.IsPull() || a == nil {
		return "-", "-"
	}
	heartbeat = "-"
	if a.LastHeartbeatTime != nil {
		heartbeat = age(a.LastHeartbeatTime.Time)
	}
	return heartbeat, orDash(a.Version)
}

func printFleets(w io.Writer, items []fleetv1alpha1.Fleet) error {
	tw := table(w)
	fmt.Fprintln(tw, "NAME\tCLUSTERS\tREADY\tNOT-READY\tPHASE\tAGE")
	for _, f := range items {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", f.Name, len(f.Spec.Clusters), f.Status.ReadyClusters,
			f.Status.NotReadyClusters, orDash(string(f.Status.Phase)), age(f.CreationTimestamp.Time))
	}
	return tw.Flush()
}

// memberReplicas reads readyReplicas and replicas from a member's reported status.
func printWorkloads(w io.Writer, items []workv1alpha1.ResourceBinding, perCluster bool) error {
	tw := table(w)
	if perCluster {
		fmt.Fprintln(tw, "NAMESPACE\tKIND\tNAME\tCLUSTER\tREPLICAS\tREADY\tHEALTH\tAPPLIED")
	} else {
		fmt.Fprintln(tw, "NAMESPACE\tKIND\tNAME\tREPLICAS\tREADY\tCLUSTERS")
	}
	for _, b := range items {
		r := b.Spec.Resource
		status := map[string]workv1alpha1.AggregatedStatusItem{}
		for _, it := range b.Status.AggregatedStatus {
			status[it.ClusterName] = it
		}
		var readyTotal int64
		var parts []string
		for _, t := range b.Spec.Clusters {
			it := status[t.Name]
			ready, _, ok := dashboard.MemberReplicas(it)
			readyTotal += ready
			readyStr := "-"
			if ok {
				readyStr = fmt.Sprint(ready)
			}
			if perCluster {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%t\n", r.Namespace, r.Kind, r.Name, t.Name, t.Replicas,
					readyStr, orDash(string(it.Health)), it.Applied)
				continue
			}
			parts = append(parts, fmt.Sprintf("%s=%s/%d", t.Name, readyStr, t.Replicas))
		}
		if !perCluster {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d/%d\t%s\n", r.Namespace, r.Kind, r.Name, b.Spec.Replicas, readyTotal,
				b.Spec.Replicas, orDash(strings.Join(parts, ", ")))
		}
	}
	return tw.Flush()
}

func printBindings(w io.Writer, items []workv1alpha1.ResourceBinding, wide bool) error {
	tw := table(w)
	head := "NAMESPACE\tNAME\tRESOURCE\tSCHEDULED\tFULLY-APPLIED\tCLUSTERS\tAGE"
	if wide {
		head += "\tPOLICY\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, b := range items {
		var parts []string
		for _, t := range b.Spec.Clusters {
			parts = append(parts, fmt.Sprintf("%s=%d", t.Name, t.Replicas))
		}
		sched, applied := condStatus(b.Status.Conditions, workv1alpha1.ConditionScheduled), condStatus(b.Status.Conditions, workv1alpha1.ConditionFullyApplied)
		row := fmt.Sprintf("%s\t%s\t%s/%s\t%s\t%s\t%s\t%s", b.Namespace, b.Name, b.Spec.Resource.Kind, b.Spec.Resource.Name,
			sched, applied, orDash(strings.Join(parts, ",")), age(b.CreationTimestamp.Time))
		if wide {
			pol, msg := "-", ""
			if p := b.Spec.Policy; p != nil {
				pol = p.Kind + "/" + p.Name
			}
			if c := meta.FindStatusCondition(b.Status.Conditions, workv1alpha1.ConditionScheduled); c != nil {
				msg = c.Message
			}
			row += fmt.Sprintf("\t%s\t%s", pol, orDash(truncate(msg, 80)))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

func printWorks(w io.Writer, items []workv1alpha1.Work) error {
	tw := table(w)
	fmt.Fprintln(tw, "CLUSTER\tNAME\tMANIFESTS\tAPPLIED\tAGE")
	for _, wk := range items {
		cluster, _ := workv1alpha1.ClusterOfExecutionNamespace(wk.Namespace)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", orDash(cluster), wk.Name, len(wk.Spec.Workload.Manifests),
			condStatus(wk.Status.Conditions, workv1alpha1.ConditionApplied), age(wk.CreationTimestamp.Time))
	}
	return tw.Flush()
}

// condStatus is a condition's status, or "-" when absent.
func condStatus(conds []metav1.Condition, t string) string {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return string(c.Status)
	}
	return "-"
}

// printRollouts prints one row per Rollout, with the canary weight of
// every cluster ("cluster-shanghai 30 cluster-hangzhou 0").
func printRollouts(w io.Writer, items []appsv1alpha1.Rollout, wide bool) error {
	tw := table(w)
	head := "NAMESPACE\tNAME\tWORKLOAD\tPHASE\tSTAGE\tSTABLE\tCANARY\tWEIGHTS\tAGE"
	if wide {
		head += "\tSTRATEGY\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for i := range items {
		ro := &items[i]
		s := dashboard.RolloutOf(ro, "")
		phase := s.Phase
		if s.Paused {
			phase += " (paused)"
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", ro.Namespace, ro.Name, s.Workload.Kind+"/"+s.Workload.Name, phase,
			stageText(s.Stage), orDash(s.Stable), orDash(s.Canary), orDash(dashboard.WeightsText(s.Weights)), age(ro.CreationTimestamp.Time))
		if wide {
			row += fmt.Sprintf("\t%s\t%s", strategyName(s.Strategy), orDash(truncate(s.Message, 80)))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// printApplications prints one row per Application; CLUSTERS is how many
// of the selected clusters run the revision healthy.
func printApplications(w io.Writer, items []appsv1alpha1.Application, wide bool) error {
	tw := table(w)
	head := "NAMESPACE\tNAME\tSOURCE\tREVISION\tPHASE\tSTAGE\tCONSISTENT\tCLUSTERS\tAGE"
	if wide {
		head += "\tFLEETS\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, s := range dashboard.Applications(items) {
		phase := s.Phase
		if s.Paused {
			phase += " (paused)"
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s", s.Namespace, s.Name, truncate(s.Source, 60), orDash(s.Revision), phase,
			stageText(s.Stage), s.Consistent, s.Current, s.Clusters, age(s.Created))
		if wide {
			row += fmt.Sprintf("\t%s\t%s", orDash(strings.Join(s.Fleets, ",")), orDash(truncate(s.Message, 80)))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// printAppVersions prints one row per AppVersion, by app then push time.
func printAppVersions(w io.Writer, items []appsv1alpha1.AppVersion, wide bool) error {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Spec.App != b.Spec.App {
			return a.Spec.App < b.Spec.App
		}
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	})
	tw := table(w)
	head := "NAMESPACE\tAPP\tVERSION\tFORMAT\tDIGEST\tSIZE\tOBJECTS\tIMAGES\tAGE"
	if wide {
		head += "\tSOURCE\tWARNINGS"
	}
	fmt.Fprintln(tw, head)
	for _, v := range items {
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s", v.Namespace, v.Spec.App, v.Spec.Version, v.Spec.Format, shortDigest(v.Spec.Digest),
			dashboard.ByteSize(v.Spec.Size), len(v.Spec.Objects), len(v.Spec.Images), age(v.CreationTimestamp.Time))
		if wide {
			row += fmt.Sprintf("\t%s\t%d", orDash(v.Spec.Source), len(v.Spec.Warnings))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// printStorageAdaptations prints one row per StorageAdaptation with its
// trait-to-class map.
func printStorageAdaptations(w io.Writer, items []appsv1alpha1.StorageAdaptation) error {
	tw := table(w)
	fmt.Fprintln(tw, "NAME\tCLUSTER-LABEL\tCLASSES\tFROM-CLASS\tNAMESPACES\tAGE")
	for _, a := range items {
		classes := make([]string, len(a.Spec.Classes))
		for i, c := range a.Spec.Classes {
			classes[i] = c.Trait + "=" + c.StorageClassName
		}
		label := a.Spec.ClusterLabel
		if label == "" {
			label = appsv1alpha1.DefaultStorageTraitLabel
		}
		ns := "(all)"
		if len(a.Spec.Namespaces) > 0 {
			ns = strings.Join(a.Spec.Namespaces, ",")
		}
		from := "(any)"
		if a.Spec.FromStorageClassName != "" {
			from = a.Spec.FromStorageClassName
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, label, strings.Join(classes, ","), from, ns, age(a.CreationTimestamp.Time))
	}
	return tw.Flush()
}

// printScalePolicies prints one row per ScalePolicy: what triggers it,
// where it is, the last value against the threshold (or the schedule), and
// its last execution.
func printScalePolicies(w io.Writer, items []autoscalingv1alpha1.ScalePolicy, wide bool, now time.Time) error {
	tw := table(w)
	head := "NAMESPACE\tNAME\tTRIGGER\tPHASE\tVALUE\tLAST-SCALE\tLAST-RESULT\tAGE"
	if wide {
		head += "\tCONDITION\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, s := range dashboard.ScalePolicies(items) {
		phase := s.Phase
		if s.Suspended && phase != string(autoscalingv1alpha1.PhaseSuspended) {
			phase += " (suspended)"
		}
		value := s.Schedule
		if value == "" {
			value = orDash(s.Value)
			if s.Threshold != "" {
				value += "/" + s.Threshold
			}
		}
		last, result := "-", "-"
		if !s.LastScale.IsZero() {
			last = roundDuration(now.Sub(s.LastScale)) + " ago"
		}
		if e := s.Last; e != nil {
			result = fmt.Sprintf("#%d %s %s", e.ID, strings.ToLower(e.Direction), e.Result)
			if n := len(e.FailedPods) + len(e.FailedNodes); n > 0 {
				result += fmt.Sprintf(" (%s)", failedCount(len(e.FailedPods), len(e.FailedNodes)))
			}
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", s.Namespace, s.Name, orDash(s.Trigger), phase, value, last, result, age(s.Created))
		if wide {
			row += fmt.Sprintf("\t%s\t%s", s.TriggerText, orDash(truncate(s.Message, 80)))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// failedCount is "1 failed pod, 2 failed nodes".
func failedCount(pods, nodes int) string {
	var parts []string
	if pods > 0 {
		parts = append(parts, plural(pods, "failed pod"))
	}
	if nodes > 0 {
		parts = append(parts, plural(nodes, "failed node"))
	}
	return strings.Join(parts, ", ")
}

// printNodePools prints one row per NodePool, by cluster and pool.
func printNodePools(w io.Writer, items []autoscalingv1alpha1.NodePool, wide bool) error {
	tw := table(w)
	head := "NAME\tCLUSTER\tPOOL\tDESIRED\tNODES\tREADY\tMIN-MAX\tPROVIDER\tHEALTH\tAGE"
	if wide {
		head += "\tNOT-READY\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, p := range dashboard.NodePools(items) {
		row := fmt.Sprintf("%s\t%s\t%s\t%d\t%d\t%d\t%d-%d\t%s\t%s\t%s", p.Name, p.Cluster, p.Pool, p.Desired, p.Nodes, p.Ready, p.Min, p.Max,
			orDash(p.Provider), p.Health, age(p.Created))
		if wide {
			var names []string
			for _, n := range p.NotReady {
				names = append(names, n.Name)
			}
			row += fmt.Sprintf("\t%s\t%s", orDash(strings.Join(names, ",")), orDash(truncate(p.Message, 80)))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// printFederatedHPAs prints one row per FederatedHPA, with each metric's
// current value against its target.
func printFederatedHPAs(w io.Writer, items []karmadaautoscalingv1alpha1.FederatedHPA, wide bool) error {
	tw := table(w)
	head := "NAMESPACE\tNAME\tREFERENCE\tMIN\tMAX\tREPLICAS\tDESIRED\tMETRICS\tAGE"
	if wide {
		head += "\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, h := range items {
		min := int32(1)
		if h.Spec.MinReplicas != nil {
			min = *h.Spec.MinReplicas
		}
		ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		row := fmt.Sprintf("%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s", h.Namespace, h.Name, ref, min, h.Spec.MaxReplicas,
			h.Status.CurrentReplicas, h.Status.DesiredReplicas, hpaMetricsText(h.Spec.Metrics, h.Status.CurrentMetrics), age(h.CreationTimestamp.Time))
		if wide {
			msg := ""
			for _, c := range h.Status.Conditions {
				if c.Status != "True" && c.Message != "" {
					msg = string(c.Type) + ": " + c.Message
					break
				}
			}
			row += "\t" + orDash(truncate(msg, 80))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// printCronFederatedHPAs prints one row per CronFederatedHPA: its rules,
// the next run of any, and the last.
func printCronFederatedHPAs(w io.Writer, items []karmadaautoscalingv1alpha1.CronFederatedHPA, now time.Time) error {
	tw := table(w)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tREFERENCE\tRULES\tNEXT\tLAST\tAGE")
	for _, h := range items {
		var rules []string
		for _, r := range h.Spec.Rules {
			rules = append(rules, cronRuleText(r))
		}
		next, last := cronRuns(h.Status, now)
		ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Namespace, h.Name, ref, strings.Join(rules, "; "), next, last, age(h.CreationTimestamp.Time))
	}
	return tw.Flush()
}
