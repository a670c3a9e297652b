package autoscale

import (
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// examples is the promotion tour's folder (docs/autoscaling.md).
const examples = "../../../examples/autoscale/"

// TestPromotionScalesOutThenIn runs the promotion tour of
// docs/autoscaling.md: order-service at 80% CPU in north and south
// for the (shortened) 5 minutes grows from 20 to 30 replicas and each
// target's worker pool from 3 to 5 Ready nodes within one evaluation
// interval after the duration; at 20% CPU, after the cooldown, it shrinks
// back to 20 replicas and 2 nodes.
func TestPromotionScalesOutThenIn(t *testing.T) {
	const ns = "default"
	duration := 5 * time.Minute / divisor
	interval := 30 * time.Second / divisor
	// The tour's files, as a user runs them.
	fleettest.Kubectl(t, fleet, "", "--context", localfleet.HubName, "apply", "-f", examples+"order-service.yaml")
	waitReadyEverywhere(t, ns, "order-service", 20, 2*time.Minute)
	// Load first, then the policy: the window then starts full.
	for _, c := range []string{north, south} {
		fleettest.Kubectl(t, fleet, "", "--context", c, "apply", "-f", examples+"busy-order-service.yaml")
	}
	hot := time.Now()
	out := fleettest.Kurator(t, fleet, "scale", "apply", "-f", examples+"promo-scale-policy.json")
	if !strings.Contains(out, "promo-scale-policy") {
		t.Fatalf("kurator scale apply printed %q", out)
	}

	var p *autoscalingv1alpha1.ScalePolicy
	fleettest.Eventually(t, duration+4*interval+time.Minute, "promo-scale-policy scaled out", func() error {
		p = getPolicy(t, ns, "promo-scale-policy")
		if len(p.Status.Executions) == 0 {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})
	out1 := p.Status.Executions[0]
	if out1.Direction != "Out" || out1.Trigger != string(autoscalingv1alpha1.TriggerResource) || !strings.Contains(out1.Reason, "cpu") {
		t.Fatalf("first execution %+v, want a resource scale-out naming cpu", out1)
	}
	// The usage reaches the utilisation a scrape and a rate() window (10 s
	// at this divisor) after it is set; from then the duration must pass,
	// then at most one interval.
	lag := out1.Time.Sub(hot)
	t.Logf("scale-out %s after the usage went up (duration %s, interval %s): %s", lag.Round(100*time.Millisecond), duration, interval, out1.Reason)
	if lag < duration {
		t.Errorf("scaled out %s after the usage rose: before the %s duration had passed", lag, duration)
	}
	if lag > duration+interval+15*time.Second {
		t.Errorf("scaled out %s after the usage rose: more than one %s interval after the %s duration (plus 15 s for the rate window, scrape and query)", lag, interval, duration)
	}
	for _, c := range out1.Changes {
		t.Logf("change %s %s/%s %s: %d -> %d", c.Kind, c.Namespace, c.Name, c.Cluster, c.From, c.To)
	}

	fleettest.Eventually(t, 2*time.Minute, "30 replicas ready and 5 Ready worker nodes in north and south", func() error {
		if n := templateReplicas(t, ns, "order-service"); n != 30 {
			return fmt.Errorf("order-service has %d replicas on the hub", n)
		}
		for _, c := range []string{north, south} {
			if n := readyPoolNodes(t, c, "worker-pool"); n != 5 {
				return fmt.Errorf("%s has %d Ready worker-pool nodes", c, n)
			}
		}
		if n := readyPoolNodes(t, east, "worker-pool"); n != 3 {
			return fmt.Errorf("east-cluster, not a target, has %d Ready worker-pool nodes", n)
		}
		p = getPolicy(t, ns, "promo-scale-policy")
		if r := p.Status.Executions[0].Result; r != autoscalingv1alpha1.ResultSucceeded {
			return fmt.Errorf("execution %s: %s", r, p.Status.Executions[0].Message)
		}
		return nil
	})
	done := p.Status.Executions[0]
	t.Logf("trigger to ready (30 replicas, 2x5 nodes): %s (%s)", done.CompletionTime.Sub(done.Time.Time).Round(100*time.Millisecond), done.Message)
	waitReadyEverywhere(t, ns, "order-service", 30, time.Minute)

	// The condition clears: below the threshold for the duration, then the
	// cooldown, then back in.
	for _, c := range []string{north, south} {
		fleettest.Kubectl(t, fleet, "", "--context", c, "delete", "-f", examples+"busy-order-service.yaml")
	}
	cool := time.Now()
	cooldown := 5 * time.Minute / divisor
	fleettest.Eventually(t, duration+cooldown+4*interval+time.Minute, "promo-scale-policy scaled back in", func() error {
		p = getPolicy(t, ns, "promo-scale-policy")
		if len(p.Status.Executions) < 2 {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})
	in := p.Status.Executions[0]
	if in.Direction != "In" {
		t.Fatalf("second execution %+v, want the scale-in", in)
	}
	// A window counts as below once its samples (a tenth of the duration
	// apart) are; its first two steps may be missing, so it can end up to
	// two steps early.
	if lag, early := in.Time.Sub(cool), 2*(duration/10); lag < duration+cooldown-early {
		t.Errorf("scaled in %s after the usage fell: before the duration and cooldown (%s, less %s) had passed", lag, duration+cooldown, early)
	}
	fleettest.Eventually(t, 2*time.Minute, "back to 20 replicas and 2 worker nodes", func() error {
		if n := templateReplicas(t, ns, "order-service"); n != 20 {
			return fmt.Errorf("order-service has %d replicas on the hub", n)
		}
		for _, c := range []string{north, south} {
			if n := readyPoolNodes(t, c, "worker-pool"); n != 2 {
				return fmt.Errorf("%s has %d Ready worker-pool nodes", c, n)
			}
		}
		return nil
	})
	waitReadyEverywhere(t, ns, "order-service", 20, 2*time.Minute)
	out = fleettest.Kurator(t, fleet, "describe", "scalepolicy", "promo-scale-policy")
	for _, want := range []string{"scale out", "scale in", "order-service", "worker-pool", "Succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("kurator describe scalepolicy lacks %q:\n%s", want, out)
		}
	}
}
