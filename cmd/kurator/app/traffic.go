package app

import (
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	"github.com/kurator-go/kurator/pkg/traffic"
)

// printTrafficPolicies is `kurator get trafficpolicies`: the weights as the
// members have them, a "*" after clusters that cannot take traffic.
func printTrafficPolicies(w io.Writer, items []networkingv1alpha1.TrafficPolicy, wide bool) error {
	tw := table(w)
	head := "NAMESPACE\tNAME\tSERVICE\tWEIGHTING\tWEIGHTS\tREADY\tAGE"
	if wide {
		head += "\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, tp := range items {
		typ := string(tp.Spec.Weighting.Type)
		if typ == "" {
			typ = string(networkingv1alpha1.WeightingReadyReplicas)
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", tp.Namespace, tp.Name, tp.Spec.Service, typ,
			orDash(traffic.FormatWeights(tp.Status.Clusters, true)), condStatus(tp.Status.Conditions, networkingv1alpha1.ConditionReady), age(tp.CreationTimestamp.Time))
		if wide {
			msg := ""
			if c := meta.FindStatusCondition(tp.Status.Conditions, networkingv1alpha1.ConditionReady); c != nil {
				msg = c.Message
			}
			row += "\t" + orDash(truncate(msg, 100))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// trafficPolicy is `kurator describe trafficpolicy NAME`.
func (d describer) trafficPolicy(ns, name string) error {
	var tp networkingv1alpha1.TrafficPolicy
	if err := d.hub.Get(d.ctx, client.ObjectKey{Namespace: ns, Name: name}, &tp); err != nil {
		return fmt.Errorf("TrafficPolicy %s/%s: %w (see `kurator get trafficpolicies -A`)", ns, name, err)
	}
	describeTrafficPolicy(d.out, &tp, time.Now())
	d.conditions(tp.Status.Conditions)
	d.events(ns, "TrafficPolicy", name)
	return nil
}

func describeTrafficPolicy(w io.Writer, tp *networkingv1alpha1.TrafficPolicy, now time.Time) {
	s := &tp.Spec
	workload := "the Deployment the Service selects"
	if s.Workload != nil {
		workload = orDefault(s.Workload.Kind, networkingv1alpha1.DefaultWorkloadKind) + " " + s.Workload.Name
	}
	typ := orDefault(string(s.Weighting.Type), string(networkingv1alpha1.WeightingReadyReplicas))
	fmt.Fprintf(w, "Name:        %s\nNamespace:   %s\nService:     %s\nWorkload:    %s\nWeighting:   %s\n", tp.Name, tp.Namespace, s.Service, workload, typ)
	for _, cw := range s.Weighting.Weights {
		fmt.Fprintf(w, "  %s: %d\n", cw.Cluster, cw.Weight)
	}
	if l := s.Weighting.Latency; l != nil {
		fmt.Fprintf(w, "  p99 target %d ms\n", l.TargetMilliseconds)
	}
	step, interval := int32(networkingv1alpha1.DefaultStepWeight), int32(networkingv1alpha1.DefaultRecoveryIntervalSeconds)
	if r := s.Recovery; r != nil {
		if r.StepWeight > 0 {
			step = r.StepWeight
		}
		if r.IntervalSeconds > 0 {
			interval = r.IntervalSeconds
		}
	}
	fmt.Fprintf(w, "Recovery:    +%d every %ds\n", step, interval)
	fmt.Fprintf(w, "Clusters:\n")
	if len(tp.Status.Clusters) == 0 {
		fmt.Fprintf(w, "  <none>\n")
	} else {
		tw := table(w)
		fmt.Fprintln(tw, "  CLUSTER\tWEIGHT\tTARGET\tHEALTHY\tREASON\tREADY-REPLICAS\tSINCE")
		for _, c := range tp.Status.Clusters {
			since := "-"
			if c.Since != nil {
				since = age(c.Since.Time)
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%t\t%s\t%d\t%s\n", c.Name, c.Weight, c.TargetWeight, c.Healthy, orDash(c.Reason), c.ReadyReplicas, since)
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(w, "History:\n")
	if len(tp.Status.History) == 0 {
		fmt.Fprintf(w, "  <none>\n")
	}
	for _, h := range tp.Status.History {
		var parts []networkingv1alpha1.ClusterTraffic
		for _, cw := range h.Weights {
			parts = append(parts, networkingv1alpha1.ClusterTraffic{Name: cw.Cluster, Weight: cw.Weight, Healthy: true})
		}
		fmt.Fprintf(w, "  %s ago  %s  (%s)\n", now.Sub(h.Time.Time).Round(time.Second), traffic.FormatWeights(parts, false), h.Reason)
	}
}
