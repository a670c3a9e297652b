package app

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/pkg/plan"
)

func printPlan(w io.Writer, out *plan.Output, format string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(out)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	default:
		return printPlanTable(w, out)
	}
}

// printPlanTable prints one row per workload, then the excluded clusters and
// errors as their own tables (details under each row would break the
// column alignment), then the rendered manifests grouped by cluster.
func printPlanTable(w io.Writer, out *plan.Output) error {
	if len(out.Workloads) == 0 {
		_, err := fmt.Fprintln(w, "No resource templates in the input: add Deployments, Services, ... next to their policies.")
		return err
	}
	priced := hasAny(out, func(wl plan.Workload) bool { return wl.Cost != nil })
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	if priced {
		fmt.Fprintln(tw, "RESOURCE\tPOLICY\tREPLICAS\tTARGETS\tCOST/HOUR")
	} else {
		fmt.Fprintln(tw, "RESOURCE\tPOLICY\tREPLICAS\tTARGETS")
	}
	for _, wl := range out.Workloads {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s", resourceName(wl.Resource), policyName(wl.Policy), wl.Replicas, targetList(wl))
		if priced {
			fmt.Fprintf(tw, "\t%s", costTotal(wl.Cost))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if priced {
		if err := printCosts(w, out); err != nil {
			return err
		}
	}

	if hasAny(out, func(wl plan.Workload) bool { return len(wl.Excluded) > 0 }) {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "RESOURCE\tEXCLUDED CLUSTER\tREASON")
		for _, wl := range out.Workloads {
			for _, e := range wl.Excluded {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", resourceName(wl.Resource), e.Cluster, e.Reason)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	if hasAny(out, func(wl plan.Workload) bool { return wl.Error != "" }) {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "RESOURCE\tERROR")
		for _, wl := range out.Workloads {
			if wl.Error != "" {
				fmt.Fprintf(tw, "%s\t%s\n", resourceName(wl.Resource), wl.Error)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return printManifests(w, out)
}

// printCosts prints one row per target of every priced placement: its
// replicas, one replica's request, the cluster's price and the hourly cost
// (replicas × (cpu × cpu-hour + GiB × GiB-hour)).
func printCosts(w io.Writer, out *plan.Output) error {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tCLUSTER\tREPLICAS\tPER REPLICA\tPRICE\tCOST/HOUR")
	for _, wl := range out.Workloads {
		c := wl.Cost
		if c == nil {
			continue
		}
		size := decimal(c.CPUPerReplica) + " cpu, " + decimal(c.MemoryGiBPerReplica) + " GiB"
		for _, t := range wl.Targets {
			i := slices.IndexFunc(c.Clusters, func(cc plan.ClusterCost) bool { return cc.Cluster == t.Cluster })
			if i < 0 {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", resourceName(wl.Resource), t.Cluster, t.Replicas, size, "unpriced", "-")
				continue
			}
			cc := c.Clusters[i]
			price := decimal(cc.CPUHour) + "/cpu-h, " + decimal(cc.MemoryGiBHour) + "/GiB-h"
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s %s\n", resourceName(wl.Resource), cc.Cluster, cc.Replicas, size, price, decimal(cc.Hourly), cc.Currency)
		}
	}
	return tw.Flush()
}

// costTotal is "0.0463 USD", "0.5 CNY + 0.02 USD" for mixed currencies,
// with "+ N unpriced" when some targets have no price; "-" without a cost.
func costTotal(c *plan.Cost) string {
	if c == nil {
		return "-"
	}
	parts := make([]string, 0, len(c.Total)+1)
	for _, a := range c.Total {
		parts = append(parts, decimal(a.Hourly)+" "+a.Currency)
	}
	if n := len(c.Unpriced); n > 0 {
		parts = append(parts, strconv.Itoa(n)+" unpriced")
	}
	return strings.Join(parts, " + ")
}

// decimal prints a cost figure (already rounded by plan) without float
// noise or trailing zeros.
func decimal(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// printManifests prints, cluster by cluster, every object the cluster would
// receive, as a YAML stream with a comment naming cluster and resource.
func printManifests(w io.Writer, out *plan.Output) error {
	byCluster := map[string][]string{}
	for _, wl := range out.Workloads {
		for cluster, objs := range wl.Manifests {
			for _, obj := range objs {
				b, err := yaml.Marshal(obj)
				if err != nil {
					return fmt.Errorf("print manifest of %s for %s: %w", resourceName(wl.Resource), cluster, err)
				}
				doc := fmt.Sprintf("# cluster %s: %s\n%s", cluster, resourceName(wl.Resource), b)
				byCluster[cluster] = append(byCluster[cluster], doc)
			}
		}
	}
	clusters := make([]string, 0, len(byCluster))
	for c := range byCluster {
		clusters = append(clusters, c)
	}
	slices.Sort(clusters)
	for _, c := range clusters {
		fmt.Fprintf(w, "\n# ===== %s =====\n", c)
		for _, doc := range byCluster[c] {
			if _, err := fmt.Fprintf(w, "---\n%s", doc); err != nil {
				return err
			}
		}
	}
	return nil
}

func resourceName(r plan.ResourceRef) string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

func policyName(p *plan.PolicyRef) string {
	if p == nil {
		return "<none>"
	}
	if p.Namespace == "" {
		return p.Kind + " " + p.Name
	}
	return p.Kind + " " + p.Namespace + "/" + p.Name
}

// targetList is "a=6, b=4" for workloads and "a, b" for kinds without
// replicas, whose targets all carry 0.
func targetList(wl plan.Workload) string {
	if len(wl.Targets) == 0 {
		if wl.Policy == nil {
			return "- (no policy claims it; stays on the hub)"
		}
		return "-"
	}
	parts := make([]string, len(wl.Targets))
	for i, t := range wl.Targets {
		if wl.Replicas == 0 {
			parts[i] = t.Cluster
			continue
		}
		parts[i] = t.Cluster + "=" + strconv.Itoa(int(t.Replicas))
	}
	return strings.Join(parts, ", ")
}

func hasAny(out *plan.Output, pred func(plan.Workload) bool) bool {
	return slices.ContainsFunc(out.Workloads, pred)
}
