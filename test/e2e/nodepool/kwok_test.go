package nodepool

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/nodepool"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	corepool "github.com/kurator-go/kurator/pkg/nodepool"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// Bounds of the e2e's waits: a kwok node is Ready within a second or two
// of its creation; the node lifecycle controller lifts the not-ready taint
// on its next pass (5 s).
const (
	readyWithin = 60 * time.Second
	drainWithin = 90 * time.Second
)

func workerPool(t *testing.T, cluster string) *autoscalingv1alpha1.NodePool {
	t.Helper()
	np := &autoscalingv1alpha1.NodePool{}
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: join.Namespace, Name: cluster + "-" + localfleet.WorkerPool}, np); err != nil {
		t.Fatal(err)
	}
	return np
}

// poolSettled is nil when the pool's status shows want Ready nodes and the
// Ready condition is True.
func poolSettled(cluster string, want int32) func() error {
	return func() error {
		np := &autoscalingv1alpha1.NodePool{}
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: join.Namespace, Name: cluster + "-" + localfleet.WorkerPool}, np); err != nil {
			return err
		}
		c := meta.FindStatusCondition(np.Status.Conditions, nodepool.ConditionReady)
		if np.Status.Replicas != want || np.Status.ReadyReplicas != want || len(np.Status.Nodes) != int(want) || c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("status replicas %d ready %d nodes %d, Ready %+v; want %d Ready", np.Status.Replicas, np.Status.ReadyReplicas, len(np.Status.Nodes), c, want)
		}
		if np.Status.Provider != nodepool.ProviderKwok {
			return fmt.Errorf("status.provider %q, want %q", np.Status.Provider, nodepool.ProviderKwok)
		}
		return nil
	}
}

// poolNodes lists the names of the member's nodes in worker-pool, sorted.
func poolNodes(t *testing.T, cluster string) []string {
	t.Helper()
	var names []string
	for _, n := range poolNodesOf(t, cluster, localfleet.WorkerPool) {
		names = append(names, n.Name)
	}
	slices.SortFunc(names, corepool.CompareNames)
	return names
}

func TestWorkerPoolAdoptsTheFakeNodes(t *testing.T) {
	fleettest.Eventually(t, readyWithin, "pool of cluster-hangzhou Ready with its 3 fake nodes", poolSettled(hangzhou, nodesPerMember))
	np := workerPool(t, hangzhou)
	var names []string
	for _, n := range np.Status.Nodes {
		names = append(names, n.Name)
	}
	// Every fake node the fleet made is in the pool (another test may have
	// shrunk the pool and grown it back with nodes of its own names).
	nodes, err := members[hangzhou].CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if strings.HasPrefix(n.Name, hangzhou+"-node-") && !slices.Contains(names, n.Name) {
			t.Fatalf("status.nodes %v lacks the local fleet's node %s", names, n.Name)
		}
	}
	if np.Spec.MinNodes != 1 || np.Spec.MaxNodes != 20 || np.Spec.Provider.Kwok == nil {
		t.Fatalf("spec %+v: want min 1, max 20, provider kwok", np.Spec)
	}
}

func TestPoolWaitsForItsClusterToJoin(t *testing.T) {
	fleettest.Eventually(t, 30*time.Second, "cluster-shanghai's pool says its cluster is missing", func() error {
		np := workerPool(t, shanghai)
		c := meta.FindStatusCondition(np.Status.Conditions, nodepool.ConditionReady)
		if c == nil || c.Reason != nodepool.ReasonClusterNotFound {
			return fmt.Errorf("Ready %+v, want reason %s", c, nodepool.ReasonClusterNotFound)
		}
		if !strings.Contains(c.Message, "no AttachedCluster "+join.Namespace+"/"+shanghai) || !strings.Contains(c.Message, "kurator join") {
			return fmt.Errorf("message %q names neither the cluster nor the fix", c.Message)
		}
		return nil
	})
	begin := time.Now()
	if err := joinMember(context.Background(), shanghai); err != nil {
		t.Fatal(err)
	}
	// The AttachedCluster watch retries the pool at once; the 10 s retry
	// of a problem would only be a fallback.
	fleettest.Eventually(t, 8*time.Second, "cluster-shanghai's pool Ready once the cluster joined", poolSettled(shanghai, nodesPerMember))
	t.Logf("pool of %s Ready %s after its cluster joined", shanghai, time.Since(begin).Round(time.Millisecond))
}

// TestKwokPoolGrowsAndShrinks scales cluster-hangzhou's pool 3 to 5 (two
// new Ready nodes, listed in status; the latency per node is logged), then
// 5 to 2 with a Deployment on the pool under a PodDisruptionBudget: the
// three picked nodes (the two new ones, then the youngest of the rest) are
// drained and deleted, the pods move to the remaining nodes, the
// Deployment is back at full readiness and never fell below the budget,
// and a node outside the pool is untouched.
func TestKwokPoolGrowsAndShrinks(t *testing.T) {
	ctx := context.Background()
	cs := members[hangzhou]
	fleettest.Eventually(t, readyWithin, "pool of cluster-hangzhou at 3", poolSettled(hangzhou, nodesPerMember))
	// Other tests expect the pool as the fleet made it: 3 Ready nodes.
	t.Cleanup(func() {
		scalePool(t, hangzhou, nodesPerMember)
		fleettest.Eventually(t, readyWithin, "pool of cluster-hangzhou back at 3", poolSettled(hangzhou, nodesPerMember))
	})

	// A kwok node of no pool: the pool must never touch it.
	outsider := corepool.FakeNode{Name: hangzhou + "-outsider", Cluster: hangzhou}.Node()
	if _, err := cs.CoreV1().Nodes().Create(ctx, outsider, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	// 3 -> 5.
	ready := watchReady(t, cs)
	begin := scalePool(t, hangzhou, 5)
	fleettest.Eventually(t, readyWithin, "pool of cluster-hangzhou at 5 Ready nodes", poolSettled(hangzhou, 5))
	statusAt := time.Since(begin)
	added := []string{hangzhou + "-worker-pool-0", hangzhou + "-worker-pool-1"}
	for _, name := range added {
		at, ok := ready.at(name)
		if !ok {
			t.Fatalf("node %s never seen Ready in the member", name)
		}
		t.Logf("latency: node %s Ready in the member %s after spec.replicas 3->5", name, at.Sub(begin).Round(time.Millisecond))
	}
	t.Logf("latency: pool status at 5 Ready nodes %s after spec.replicas 3->5", statusAt.Round(time.Millisecond))
	ready.stop()
	want := []string{hangzhou + "-node-0", hangzhou + "-node-1", hangzhou + "-node-2", added[0], added[1]}
	if got := poolNodes(t, hangzhou); !slices.Equal(got, want) {
		t.Fatalf("pool nodes in the member %v, want %v", got, want)
	}

	// A Deployment spread over the pool's nodes, with a budget.
	const replicas, minAvailable = 10, 8
	deployShop(t, replicas, minAvailable)
	removed := []string{added[1], added[0], hangzhou + "-node-2"}
	onRemoved := podsOn(t, removed)
	if onRemoved == 0 {
		t.Fatalf("no pod of the Deployment runs on %v: the test would show nothing", removed)
	}
	t.Logf("%d of %d pods run on the nodes to be removed", onRemoved, replicas)

	// 5 -> 2, watching the Deployment's Ready pods all along.
	low := trackReadyPods(t, cs)
	begin = scalePool(t, hangzhou, 2)
	fleettest.Eventually(t, drainWithin, "pool of cluster-hangzhou at 2 Ready nodes", poolSettled(hangzhou, 2))
	t.Logf("scale-in 5->2 with %d pods to move: pool settled %s after the change", onRemoved, time.Since(begin).Round(time.Millisecond))
	if got := poolNodes(t, hangzhou); !slices.Equal(got, []string{hangzhou + "-node-0", hangzhou + "-node-1"}) {
		t.Fatalf("pool nodes %v after scale-in, want the two oldest", got)
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, outsider.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("node %s outside the pool: %v (it must never be removed)", outsider.Name, err)
	}
	fleettest.Eventually(t, readyWithin, "Deployment shop back at 10 Ready pods off the removed nodes", func() error {
		d, err := cs.AppsV1().Deployments("default").Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != replicas || d.Status.UpdatedReplicas != replicas {
			return fmt.Errorf("ready %d updated %d of %d", d.Status.ReadyReplicas, d.Status.UpdatedReplicas, replicas)
		}
		if n := podsOnNow(cs, removed); n != 0 {
			return fmt.Errorf("%d pods still bound to removed nodes", n)
		}
		return nil
	})
	if m := low.stop(); m < minAvailable {
		t.Fatalf("the Deployment fell to %d Ready pods during the scale-in; its budget keeps %d", m, minAvailable)
	} else {
		t.Logf("fewest Ready pods during the scale-in: %d (budget %d)", m, minAvailable)
	}
	np := workerPool(t, hangzhou)
	if c := meta.FindStatusCondition(np.Status.Conditions, nodepool.ConditionScaling); c == nil || c.Status != metav1.ConditionFalse || c.Reason != nodepool.ReasonAtSize {
		t.Fatalf("Scaling %+v, want False/%s", c, nodepool.ReasonAtSize)
	}
}

// scalePool sets the pool's spec.replicas and returns when it did.
func scalePool(t *testing.T, cluster string, replicas int32) time.Time {
	t.Helper()
	np := workerPool(t, cluster)
	patch := client.MergeFrom(np.DeepCopy())
	np.Spec.Replicas = replicas
	at := time.Now()
	if err := hub.Patch(context.Background(), np, patch); err != nil {
		t.Fatal(err)
	}
	return at
}

// readyWatch records when each node of the member was first seen Ready.
type readyWatch struct {
	mu    sync.Mutex
	first map[string]time.Time
	w     watch.Interface
	done  chan struct{}
}

func watchReady(t *testing.T, cs kubernetes.Interface) *readyWatch {
	t.Helper()
	w, err := cs.CoreV1().Nodes().Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rw := &readyWatch{first: map[string]time.Time{}, w: w, done: make(chan struct{})}
	go func() {
		defer close(rw.done)
		for ev := range w.ResultChan() {
			n, ok := ev.Object.(*corev1.Node)
			if !ok {
				continue
			}
			if ready, _ := corepool.Readiness(n); ready {
				rw.mu.Lock()
				if _, seen := rw.first[n.Name]; !seen {
					rw.first[n.Name] = time.Now()
				}
				rw.mu.Unlock()
			}
		}
	}()
	return rw
}

func (rw *readyWatch) at(name string) (time.Time, bool) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	at, ok := rw.first[name]
	return at, ok
}

func (rw *readyWatch) stop() { rw.w.Stop(); <-rw.done }

// deployShop runs Deployment default/shop in cluster-hangzhou, spread over
// the nodes, with a PodDisruptionBudget, and waits until all its pods are
// Ready and the budget allows disruptions.
func deployShop(t *testing.T, replicas, minAvailable int32) {
	t.Helper()
	ctx := context.Background()
	cs := members[hangzhou]
	labels := map[string]string{"app": "shop"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "shop", Image: "nginx:1.25"}},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
						LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
					}},
				},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "default"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(minAvailable)),
			Selector:     &metav1.LabelSelector{MatchLabels: labels},
		},
	}
	if _, err := cs.PolicyV1().PodDisruptionBudgets("default").Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, readyWithin, "Deployment shop Ready and its budget computed", func() error {
		d, err := cs.AppsV1().Deployments("default").Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != replicas {
			return fmt.Errorf("%d of %d pods Ready", d.Status.ReadyReplicas, replicas)
		}
		p, err := cs.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.DisruptionsAllowed != replicas-minAvailable {
			return fmt.Errorf("budget allows %d disruptions, want %d", p.Status.DisruptionsAllowed, replicas-minAvailable)
		}
		return nil
	})
}

// podsOn counts the shop pods bound to nodes.
func podsOn(t *testing.T, nodes []string) int {
	t.Helper()
	return podsOnNow(members[hangzhou], nodes)
}

func podsOnNow(cs kubernetes.Interface, nodes []string) int {
	pods, err := cs.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=shop"})
	if err != nil {
		return -1
	}
	n := 0
	for _, p := range pods.Items {
		if slices.Contains(nodes, p.Spec.NodeName) {
			n++
		}
	}
	return n
}

// readyPods tracks the fewest Ready, not terminating shop pods seen.
type readyPods struct {
	mu     sync.Mutex
	lowest int
	cancel context.CancelFunc
	done   chan struct{}
}

func trackReadyPods(t *testing.T, cs kubernetes.Interface) *readyPods {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rp := &readyPods{lowest: 1 << 30, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rp.done)
		for ctx.Err() == nil {
			pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=shop"})
			if err == nil {
				ready := 0
				for _, p := range pods.Items {
					if p.DeletionTimestamp == nil && podReady(&p) {
						ready++
					}
				}
				rp.mu.Lock()
				rp.lowest = min(rp.lowest, ready)
				rp.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return rp
}

func (rp *readyPods) stop() int {
	rp.cancel()
	<-rp.done
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.lowest
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestKwokScaleUpLatency measures, per node, how long a kwok pool takes
// from a change of spec.replicas (0 to 10) to each new node Ready in the
// member, and the way back to 0 (empty nodes: no pods to move).
func TestKwokScaleUpLatency(t *testing.T) {
	ctx := context.Background()
	const burst = 10
	np := &autoscalingv1alpha1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: "hangzhou-burst", Namespace: join.Namespace},
		Spec: autoscalingv1alpha1.NodePoolSpec{
			Cluster: hangzhou, PoolName: "burst", Replicas: 0, MinNodes: 0, MaxNodes: 20,
			Provider: autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}},
		},
	}
	if err := hub.Create(ctx, np); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(np)
	settled := func(want int32) func() error {
		return func() error {
			got := &autoscalingv1alpha1.NodePool{}
			if err := hub.Get(ctx, key, got); err != nil {
				return err
			}
			c := meta.FindStatusCondition(got.Status.Conditions, nodepool.ConditionReady)
			if got.Status.ObservedGeneration != got.Generation || got.Status.ReadyReplicas != want || got.Status.Replicas != want || c == nil || c.Status != metav1.ConditionTrue {
				return fmt.Errorf("status replicas %d ready %d Ready %+v; want %d", got.Status.Replicas, got.Status.ReadyReplicas, c, want)
			}
			return nil
		}
	}
	fleettest.Eventually(t, 20*time.Second, "empty pool burst Ready", settled(0))
	scale := func(replicas int32) time.Time {
		got := &autoscalingv1alpha1.NodePool{}
		if err := hub.Get(ctx, key, got); err != nil {
			t.Fatal(err)
		}
		patch := client.MergeFrom(got.DeepCopy())
		got.Spec.Replicas = replicas
		at := time.Now()
		if err := hub.Patch(ctx, got, patch); err != nil {
			t.Fatal(err)
		}
		return at
	}

	ready := watchReady(t, members[hangzhou])
	begin := scale(burst)
	fleettest.Eventually(t, readyWithin, "pool burst at 10 Ready nodes", settled(burst))
	statusAt := time.Since(begin)
	ready.stop()
	var lat []time.Duration
	for i := range burst {
		name := corepool.NodeName(hangzhou, "burst", i)
		at, ok := ready.at(name)
		if !ok {
			t.Fatalf("node %s never seen Ready in the member", name)
		}
		lat = append(lat, at.Sub(begin))
	}
	slices.Sort(lat)
	t.Logf("latency: spec.replicas 0->%d to each node Ready in the member: min %s, median %s, max %s; pool status Ready %s",
		burst, lat[0].Round(time.Millisecond), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), statusAt.Round(time.Millisecond))

	begin = scale(0)
	fleettest.Eventually(t, drainWithin, "pool burst back at 0", settled(0))
	t.Logf("latency: spec.replicas %d->0 (no pods) to the pool settled: %s", burst, time.Since(begin).Round(time.Millisecond))
	if got := len(poolNodesOf(t, hangzhou, "burst")); got != 0 {
		t.Fatalf("%d nodes of pool burst left in the member", got)
	}
}

func poolNodesOf(t *testing.T, cluster, pool string) []corev1.Node {
	t.Helper()
	list, err := members[cluster].CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: autoscalingv1alpha1.NodePoolLabel + "=" + pool})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}
