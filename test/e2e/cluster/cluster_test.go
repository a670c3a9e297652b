package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	clustercontroller "github.com/kurator-go/kurator/internal/controller/cluster"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// TestClustersBecomeReady: both members turn Ready with their facts recorded.
func TestClustersBecomeReady(t *testing.T) {
	for _, name := range names {
		eventually(t, 60*time.Second, name+" Ready with facts", func() (bool, string) {
			ac := getCluster(t, name)
			if !ac.IsReady() || ac.Status.NodeSummary == nil || ac.Status.ResourceSummary == nil {
				return false, readyOf(ac)
			}
			return true, ""
		})
		ac := getCluster(t, name)
		if c := ac.ReadyCondition(); c.Reason != clusterv1alpha1.ReasonClusterReady {
			t.Errorf("%s: reason %s", name, c.Reason)
		}
		if ac.Status.KubernetesVersion != "v1.37.2" {
			t.Errorf("%s: kubernetesVersion %q, want v1.37.2", name, ac.Status.KubernetesVersion)
		}
		if ns := ac.Status.NodeSummary; ns.TotalNum != nodesPerMember || ns.ReadyNum != nodesPerMember {
			t.Errorf("%s: nodeSummary %+v, want %d/%d", name, ns, nodesPerMember, nodesPerMember)
		}
		rs := ac.Status.ResourceSummary
		cpu := rs.Allocatable[corev1.ResourceCPU]
		if cpu.Value() != nodesPerMember*8 {
			t.Errorf("%s: allocatable cpu %s, want %d", name, cpu.String(), nodesPerMember*8)
		}
		if _, ok := rs.Allocated[corev1.ResourcePods]; !ok {
			t.Errorf("%s: allocated has no pods count: %v", name, rs.Allocated)
		}
		if !ac.Serves("apps/v1", "Deployment") || !ac.Serves("v1", "ConfigMap") {
			t.Errorf("%s: apiEnablements lack apps/v1 Deployment or v1 ConfigMap (%d groups)", name, len(ac.Status.APIEnablements))
		}
		if hasTaint(ac, clusterv1alpha1.TaintClusterNotReady) || hasTaint(ac, clusterv1alpha1.TaintClusterUnreachable) {
			t.Errorf("%s: Ready cluster carries a readiness taint: %+v", name, ac.Spec.Taints)
		}
		if got := gauge(t, "kurator_cluster_ready", name); got != 1 {
			t.Errorf("%s: kurator_cluster_ready = %v, want 1", name, got)
		}
	}
}

// TestBrokenKubeconfigSecret: a cluster whose Secret lacks the key is
// reported KubeconfigInvalid, with the fix, and tainted unreachable.
func TestBrokenKubeconfigSecret(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "broken-kubeconfig", Namespace: systemNamespace}, Data: map[string][]byte{"wrong": []byte("x")}}
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: systemNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: secret.Name}},
	}
	for _, o := range []client.Object{secret, ac} {
		if err := hub.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = hub.Delete(ctx, ac)
		_ = hub.Delete(ctx, secret)
	})
	eventually(t, 30*time.Second, "broken cluster KubeconfigInvalid", func() (bool, string) {
		got := getCluster(t, "broken")
		c := got.ReadyCondition()
		return c != nil && c.Reason == clusterv1alpha1.ReasonKubeconfigInvalid && hasTaint(got, clusterv1alpha1.TaintClusterUnreachable), readyOf(got)
	})
	c := getCluster(t, "broken").ReadyCondition()
	want := "Secret kurator-system/broken-kubeconfig has no key kubeconfig: recreate it with kurator join"
	if c.Status != metav1.ConditionUnknown || !strings.Contains(c.Message, want) {
		t.Errorf("Ready = %s %q, want Unknown containing %q", c.Status, c.Message, want)
	}
}

// TestFleetLabelsMembers: a Fleet labels both members, counts them Ready,
// and unlabels a member it drops.
func TestFleetLabelsMembers(t *testing.T) {
	const fleetName = "e2e-labels"
	createFleet(t, fleetName)
	waitFleet(t, fleetName, "fleet with 2 ready members", 2, 0, fleetv1alpha1.FleetReady)
	for _, name := range names {
		eventually(t, 10*time.Second, name+" labelled", func() (bool, string) {
			ac := getCluster(t, name)
			return ac.Labels[fleetv1alpha1.FleetNameLabel] == fleetName && ac.Labels["env"] == "production", fmt.Sprint(ac.Labels)
		})
	}

	// A member that is not joined makes the fleet NotReady and is named.
	patchFleet(t, fleetName, func(f *fleetv1alpha1.Fleet) {
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: "cluster-nowhere"})
	})
	eventually(t, 10*time.Second, "missing member reported", func() (bool, string) {
		f := getFleet(t, fleetName)
		c := readyCondition(f)
		return c != nil && c.Reason == fleetv1alpha1.ReasonClustersNotFound && strings.Contains(c.Message, "cluster-nowhere") && f.Status.NotReadyClusters == 1, fmt.Sprintf("%+v", f.Status)
	})
	// Dropping a member removes the fleet's labels from it; put it back after.
	patchFleet(t, fleetName, func(f *fleetv1alpha1.Fleet) { f.Spec.Clusters = f.Spec.Clusters[:1] })
	eventually(t, 10*time.Second, names[1]+" unlabelled", func() (bool, string) {
		ac := getCluster(t, names[1])
		_, hasFleet := ac.Labels[fleetv1alpha1.FleetNameLabel]
		_, hasEnv := ac.Labels["env"]
		return !hasFleet && !hasEnv, fmt.Sprint(ac.Labels)
	})
	patchFleet(t, fleetName, func(f *fleetv1alpha1.Fleet) {
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: names[1], Labels: map[string]string{"env": "production"}})
	})
	waitFleet(t, fleetName, "fleet back to 2 ready members", 2, 0, fleetv1alpha1.FleetReady)
}

// TestMemberOutage kills one member's kube-apiserver: its Ready condition
// turns False after the failure threshold, it is tainted NoSchedule and the
// fleet counts it not ready; restarted, it turns Ready again and is untainted.
func TestMemberOutage(t *testing.T) {
	const fleetName = "e2e-outage"
	victim := names[1]
	for _, name := range names {
		waitClusterBack(t, name)
	}
	createFleet(t, fleetName)
	waitFleet(t, fleetName, "fleet ready before the outage", 2, 0, fleetv1alpha1.FleetReady)

	proc := victim + "/kube-apiserver"
	killed := fleettest.Kill(t, fleet, proc, func(t *testing.T) { waitClusterBack(t, victim) })
	// Worst case: one interval until the first failed probe, the threshold,
	// one more interval until the probe that records it; plus slack for a
	// busy machine.
	budget := probeInterval + failureThreshold + probeInterval + 5*time.Second
	var notReadyAfter time.Duration
	eventually(t, budget, victim+" Ready=False", func() (bool, string) {
		ac := getCluster(t, victim)
		c := ac.ReadyCondition()
		if c != nil && c.Status == metav1.ConditionFalse {
			notReadyAfter = time.Since(killed)
			return true, ""
		}
		return false, readyOf(ac)
	})
	t.Logf("MEASURED kill -> Ready=False: %.2fs (probe interval %s, failure threshold %s)", notReadyAfter.Seconds(), probeInterval, failureThreshold)
	if notReadyAfter < failureThreshold {
		t.Errorf("Ready=False after %s, before the failure threshold %s", notReadyAfter, failureThreshold)
	}
	ac := getCluster(t, victim)
	if c := ac.ReadyCondition(); c.Reason != clustercontroller.ReasonClusterNotReachable {
		t.Errorf("reason %s, want %s (%s)", c.Reason, clustercontroller.ReasonClusterNotReachable, c.Message)
	}
	eventually(t, 5*time.Second, victim+" tainted not-ready, NoSchedule and NoExecute", func() (bool, string) {
		ac := getCluster(t, victim)
		keptOther := len(ac.Spec.Taints) == 3 && ac.Spec.Taints[0].Key == "example.com/dedicated"
		effects := map[corev1.TaintEffect]bool{}
		for _, t := range ac.Spec.Taints {
			if t.Key == clusterv1alpha1.TaintClusterNotReady {
				effects[t.Effect] = true
			}
		}
		return effects[corev1.TaintEffectNoSchedule] && effects[corev1.TaintEffectNoExecute] && keptOther, fmt.Sprintf("%+v", ac.Spec.Taints)
	})
	waitFleet(t, fleetName, "fleet counts 1 not ready", 1, 1, fleetv1alpha1.FleetNotReady)
	if c := readyCondition(getFleet(t, fleetName)); !strings.Contains(c.Message, victim) {
		t.Errorf("fleet message %q does not name %s", c.Message, victim)
	}
	if got := gauge(t, "kurator_cluster_ready", victim); got != 0 {
		t.Errorf("kurator_cluster_ready{%s} = %v, want 0", victim, got)
	}
	// The other member stays Ready through the outage, for longer than it
	// would take a failure to show.
	fleettest.Consistently(t, probeInterval+failureThreshold, names[0]+" stays Ready while "+victim+" is down", func() error {
		if other := getCluster(t, names[0]); !other.IsReady() {
			return fmt.Errorf("%s", readyOf(other))
		}
		return nil
	})

	restarted := time.Now()
	if err := fleet.Restart(context.Background(), proc, true); err != nil {
		t.Fatalf("restart %s: %v", proc, err)
	}
	healthyAfter := time.Since(restarted)
	var readyAfter time.Duration
	eventually(t, probeInterval+successThreshold+probeInterval+10*time.Second, victim+" Ready again", func() (bool, string) {
		ac := getCluster(t, victim)
		if ac.IsReady() && !hasTaint(ac, clusterv1alpha1.TaintClusterNotReady) {
			readyAfter = time.Since(restarted)
			return true, ""
		}
		return false, readyOf(ac)
	})
	t.Logf("MEASURED restart -> apiserver healthy: %.2fs; restart -> Ready=True and untainted: %.2fs (success threshold %s)", healthyAfter.Seconds(), readyAfter.Seconds(), successThreshold)
	waitFleet(t, fleetName, "fleet ready after the restart", 2, 0, fleetv1alpha1.FleetReady)
}

// waitClusterBack waits until a member is Ready and carries no readiness
// taint, as before any outage.
func waitClusterBack(t *testing.T, name string) {
	t.Helper()
	eventually(t, 60*time.Second, name+" Ready and untainted", func() (bool, string) {
		ac := getCluster(t, name)
		return ac.IsReady() && !hasTaint(ac, clusterv1alpha1.TaintClusterNotReady) && !hasTaint(ac, clusterv1alpha1.TaintClusterUnreachable), readyOf(ac)
	})
}

// createFleet creates a Fleet of both members (labelled env=production)
// for one test; it is deleted, and gone with its finalizer, when the test
// ends, so the next test can put the members in a Fleet of its own.
func createFleet(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	f := &fleetv1alpha1.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: systemNamespace},
		Spec: fleetv1alpha1.FleetSpec{Clusters: []fleetv1alpha1.FleetCluster{
			{Name: names[0], Labels: map[string]string{"env": "production"}},
			{Name: names[1], Labels: map[string]string{"env": "production"}},
		}},
	}
	if err := hub.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := hub.Delete(ctx, f); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete Fleet %s: %v", name, err)
			return
		}
		eventually(t, 30*time.Second, "Fleet "+name+" gone", func() (bool, string) {
			err := fleettest.Absent("Fleet "+name, hub.Get(ctx, client.ObjectKeyFromObject(f), &fleetv1alpha1.Fleet{}))
			return err == nil, fmt.Sprint(err)
		})
	})
}

func getFleet(t *testing.T, name string) *fleetv1alpha1.Fleet {
	t.Helper()
	var f fleetv1alpha1.Fleet
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: systemNamespace, Name: name}, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func readyCondition(f *fleetv1alpha1.Fleet) *metav1.Condition {
	for i := range f.Status.Conditions {
		if f.Status.Conditions[i].Type == fleetv1alpha1.ConditionReady {
			return &f.Status.Conditions[i]
		}
	}
	return nil
}

func patchFleet(t *testing.T, name string, edit func(*fleetv1alpha1.Fleet)) {
	t.Helper()
	f := getFleet(t, name)
	base := f.DeepCopy()
	edit(f)
	if err := hub.Patch(context.Background(), f, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}

func waitFleet(t *testing.T, name, what string, ready, notReady int32, phase fleetv1alpha1.FleetPhase) {
	t.Helper()
	eventually(t, 20*time.Second, what, func() (bool, string) {
		f := getFleet(t, name)
		st := f.Status
		return st.ReadyClusters == ready && st.NotReadyClusters == notReady && st.Phase == phase, fmt.Sprintf("%+v", st)
	})
}

// gauge reads the value of a gauge with label cluster from the
// controller-runtime registry.
func gauge(t *testing.T, name, cluster string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "cluster" && l.GetValue() == cluster {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{cluster=%q}", name, cluster)
	return 0
}
