// Command failover measures cluster failover on a local fleet with the real
// kurator-manager: for each run it places a Deployment at 4:3:3 over three
// members (tolerating the readiness taints for -toleration), kills one
// member's kube-apiserver and reports the time from the kill until
//
//	(a) the hub marks the cluster Ready=False,
//	(b) the cluster carries the NoExecute taint,
//	(c) the binding has re-placed all replicas on the other members,
//	(d) all replicas are ready in the other members,
//
// then restarts the member and waits until it is Ready again.
//
//	go run ./test/bench/failover [-runs 5] [-toleration 5s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/fleetup"
)

const (
	replicas = 10
	victim   = "cluster-frankfurt"
	poll     = 20 * time.Millisecond
)

var weights = map[string]int64{"cluster-hangzhou": 4, "cluster-shanghai": 3, "cluster-frankfurt": 3}

func main() {
	runs := flag.Int("runs", 5, "failovers to measure")
	toleration := flag.Duration("toleration", 5*time.Second, "tolerationSeconds of the policy for the readiness NoExecute taints")
	flag.Parse()
	if err := run(*runs, *toleration); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sample is one failover: durations from the kill; zero when not reached.
type sample struct{ notReady, tainted, replaced, ready, recovered time.Duration }

type bench struct {
	fleet   *localfleet.State
	hub     client.Client
	members map[string]kubernetes.Interface
}

func run(runs int, toleration time.Duration) error {
	ctx := context.Background()
	fmt.Println("starting a local fleet: hub + 3 members, real kurator-manager (probe 1s, failure/success thresholds 3s)")
	st, stop, err := fleetup.Start(ctx, localfleet.Config{Name: "bench-failover", NodesPerMember: 2}, os.Stderr)
	if err != nil {
		return err
	}
	defer stop()
	b := &bench{fleet: st, members: map[string]kubernetes.Interface{}}
	rc, err := st.RESTConfig(localfleet.HubName)
	if err != nil {
		return err
	}
	if b.hub, err = client.New(rc, client.Options{Scheme: scheme.Scheme}); err != nil {
		return err
	}
	for _, m := range st.Members {
		rc, err := st.RESTConfig(m.Name)
		if err != nil {
			return err
		}
		b.members[m.Name] = kubernetes.NewForConfigOrDie(rc)
	}

	fmt.Printf("\n%d runs: Deployment of %d replicas at 4:3:3, tolerationSeconds %s; kill %s's kube-apiserver (SIGKILL)\n", runs, replicas, toleration, victim)
	var samples []sample
	for i := range runs {
		s, err := b.once(ctx, fmt.Sprintf("failover-%d", i), toleration)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("  run %d: Ready=False %s, tainted %s, re-placed %s, all ready elsewhere %s; back to Ready %s after restart\n",
			i+1, ms(s.notReady), ms(s.tainted), ms(s.replaced), ms(s.ready), ms(s.recovered))
		samples = append(samples, s)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nfrom the kill until\tmedian\tmin\tmax")
	for _, row := range []struct {
		what string
		get  func(sample) time.Duration
	}{
		{"(a) Ready=False", func(s sample) time.Duration { return s.notReady }},
		{"(b) NoExecute taint", func(s sample) time.Duration { return s.tainted }},
		{"(c) replicas re-placed", func(s sample) time.Duration { return s.replaced }},
		{"(d) all ready elsewhere", func(s sample) time.Duration { return s.ready }},
		{"restart -> Ready=True", func(s sample) time.Duration { return s.recovered }},
	} {
		var d []time.Duration
		for _, s := range samples {
			d = append(d, row.get(s))
		}
		slices.Sort(d)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.what, ms(d[len(d)/2]), ms(d[0]), ms(d[len(d)-1]))
	}
	return tw.Flush()
}

// once places a workload, kills the victim, measures, restarts the victim
// and removes the workload.
func (b *bench) once(ctx context.Context, name string, toleration time.Duration) (sample, error) {
	if err := b.hub.Create(ctx, policy(name, toleration)); err != nil {
		return sample{}, err
	}
	if err := b.hub.Create(ctx, deployment(name)); err != nil {
		return sample{}, err
	}
	if err := b.until(ctx, 90*time.Second, func() bool { return b.readyIn(ctx, name, weights) }); err != nil {
		return sample{}, fmt.Errorf("%s never ran 4:3:3: %w", name, err)
	}

	if err := b.fleet.Kill(victim + "/kube-apiserver"); err != nil {
		return sample{}, err
	}
	kill := time.Now()
	var s sample
	mark := func(d *time.Duration, ok bool) {
		if *d == 0 && ok {
			*d = time.Since(kill)
		}
	}
	err := b.until(ctx, 2*time.Minute, func() bool {
		var ac clusterv1alpha1.AttachedCluster
		if b.hub.Get(ctx, client.ObjectKey{Namespace: join.Namespace, Name: victim}, &ac) == nil {
			c := ac.ReadyCondition()
			mark(&s.notReady, c != nil && c.Status != metav1.ConditionTrue)
			mark(&s.tainted, slices.ContainsFunc(ac.Spec.Taints, func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute }))
		}
		var rb workv1alpha1.ResourceBinding
		if b.hub.Get(ctx, client.ObjectKey{Namespace: "default", Name: name + "-deployment"}, &rb) == nil {
			mark(&s.replaced, !rb.Spec.TargetContains(victim) && rb.Spec.AssignedReplicas() == replicas)
		}
		mark(&s.ready, b.readySum(ctx, name, "cluster-hangzhou", "cluster-shanghai") == replicas)
		return s.notReady > 0 && s.tainted > 0 && s.replaced > 0 && s.ready > 0
	})
	if err != nil {
		return s, fmt.Errorf("failover not complete (%+v): %w", s, err)
	}

	if err := b.fleet.RestartCluster(ctx, victim, true); err != nil {
		return s, err
	}
	up := time.Now()
	err = b.until(ctx, time.Minute, func() bool {
		var ac clusterv1alpha1.AttachedCluster
		return b.hub.Get(ctx, client.ObjectKey{Namespace: join.Namespace, Name: victim}, &ac) == nil && ac.IsReady() &&
			!slices.ContainsFunc(ac.Spec.Taints, func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute })
	})
	s.recovered = time.Since(up)
	if err != nil {
		return s, fmt.Errorf("%s not Ready again: %w", victim, err)
	}
	if err := b.hub.Delete(ctx, deployment(name)); err != nil {
		return s, err
	}
	return s, b.hub.Delete(ctx, policy(name, toleration))
}

// readyIn reports whether the Deployment runs exactly want (spec = ready) in
// each listed member.
func (b *bench) readyIn(ctx context.Context, name string, want map[string]int64) bool {
	for cluster, n := range want {
		d, err := b.members[cluster].AppsV1().Deployments("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil || int64(*d.Spec.Replicas) != n || int64(d.Status.ReadyReplicas) != n {
			return false
		}
	}
	return true
}

func (b *bench) readySum(ctx context.Context, name string, clusters ...string) int32 {
	var sum int32
	for _, c := range clusters {
		if d, err := b.members[c].AppsV1().Deployments("default").Get(ctx, name, metav1.GetOptions{}); err == nil {
			sum += d.Status.ReadyReplicas
		}
	}
	return sum
}

// until polls cond every 20 ms until it holds or timeout passes.
func (b *bench) until(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
	return nil
}

func deployment(name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "nginx:1.25",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}},
				}}},
			},
		},
	}
}

func policy(name string, toleration time.Duration) *policyv1alpha1.PropagationPolicy {
	var list []policyv1alpha1.StaticClusterWeight
	var clusters []string
	for _, c := range []string{"cluster-hangzhou", "cluster-shanghai", "cluster-frankfurt"} {
		clusters = append(clusters, c)
		list = append(list, policyv1alpha1.StaticClusterWeight{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{c}}, Weight: weights[c]})
	}
	seconds := ptr.To(int64(toleration.Seconds()))
	return &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: clusters},
				// The Fleet spreads over at most 2 clusters; this wants 3.
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MaxGroups: 3}},
				ClusterTolerations: []corev1.Toleration{
					{Key: clusterv1alpha1.TaintClusterNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds},
					{Key: clusterv1alpha1.TaintClusterUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds},
				},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
					ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
					ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
					WeightPreference:          &policyv1alpha1.ClusterPreferences{StaticWeightList: list},
				},
			},
		},
	}
}

func ms(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
