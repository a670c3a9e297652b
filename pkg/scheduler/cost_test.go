package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func priceOpt(cpuHour, memGiBHour float64) clusterOpt {
	return func(c *Cluster) { c.Price = &Price{CPUHour: cpuHour, MemoryGiBHour: memGiBHour, Currency: "USD"} }
}

func TestParseCostWeight(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        int32
		wantErr     bool
	}{
		{name: "absent is off", value: "", want: 0},
		{name: "the seed's true is the full weight", value: "true", want: MaxCostWeight},
		{name: "True in any case is the full weight", value: "TRUE", want: MaxCostWeight},
		{name: "false is off", value: "false", want: 0},
		{name: "0 is off", value: "0", want: 0},
		{name: "a number is the weight", value: "40", want: 40},
		{name: "1 is weight 1, not true", value: "1", want: 1},
		{name: "spaces around are ignored", value: " 100 ", want: 100},
		{name: "above 100 is refused", value: "101", wantErr: true},
		{name: "negative is refused", value: "-5", wantErr: true},
		{name: "a word is refused", value: "yes", wantErr: true},
		{name: "a fraction is refused", value: "0.5", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCostWeight(tc.value)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseCostWeight(%q) = %d, want an error", tc.value, got)
				}
				for _, part := range []string{CostWeightAnnotation, `"` + tc.value + `"`, "0 to 100"} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not name %q", err, part)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseCostWeight(%q) = %d, %v; want %d", tc.value, got, err, tc.want)
			}
		})
	}
}

func TestScheduleCostScore(t *testing.T) {
	dyn := dynamicWeights()
	pickOne := spreadPlacement(dyn, byField("cluster", 1, 1))
	pickTwo := spreadPlacement(dyn, byField("cluster", 1, 2))
	// "a-dear" sorts first, so without the cost score it wins every tie.
	twoEqual := []Cluster{
		mkCluster("a-dear", roomOpt(10), priceOpt(0.10, 0.01)),
		mkCluster("b-cheap", roomOpt(10), priceOpt(0.03, 0.004)),
	}
	withUnpriced := []Cluster{
		mkCluster("a-unpriced", roomOpt(10)),
		mkCluster("b-cheap", roomOpt(10), priceOpt(0.01, 0)),
		mkCluster("c-mid", roomOpt(10), priceOpt(0.02, 0)),
		mkCluster("d-dear", roomOpt(10), priceOpt(0.03, 0)),
	}
	// cpu-cheap has cheap cores and dear memory, mem-cheap the reverse.
	mixed := []Cluster{
		mkCluster("cpu-cheap", priceOpt(0.01, 0.05), resourcesOpt(rl("cpu", "100", "memory", "400Gi", "pods", "100"), nil, nil)),
		mkCluster("mem-cheap", priceOpt(0.05, 0.001), resourcesOpt(rl("cpu", "100", "memory", "400Gi", "pods", "100"), nil, nil)),
	}
	prefersFirst := []FleetPreference{{Name: "f", Preferred: []corev1.PreferredSchedulingTerm{{Weight: 50, Preference: corev1.NodeSelectorTerm{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "tier", Operator: corev1.NodeSelectorOpIn, Values: []string{"gold"}}},
	}}}}}
	preferred := []Cluster{
		mkCluster("a-dear", roomOpt(10), priceOpt(0.10, 0), fleetOpt("f"), labelsOpt("tier", "gold")),
		mkCluster("b-cheap", roomOpt(10), priceOpt(0.01, 0), fleetOpt("f")),
	}

	runScheduleCases(t, []scheduleCase{
		{
			name:     "the cheaper of two equal clusters wins with cost-weight",
			clusters: twoEqual,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne, CostWeight: MaxCostWeight},
			want:     "b-cheap:4",
			excluded: map[string]string{"a-dear": reasonNotSelected},
		},
		{
			name:     "without the annotation the order is unchanged: name decides the tie",
			clusters: twoEqual,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne},
			want:     "a-dear:4",
		},
		{
			name:     "unpriced clusters score neutral: below the cheapest",
			clusters: withUnpriced,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne, CostWeight: MaxCostWeight},
			want:     "b-cheap:4",
		},
		{
			name:     "unpriced clusters score neutral: level with the median, name breaks the tie",
			clusters: withUnpriced,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickTwo, CostWeight: MaxCostWeight},
			want:     "a-unpriced:2 b-cheap:2",
		},
		{
			name:     "unpriced clusters score neutral: above the dearest",
			clusters: withUnpriced,
			req:      Request{Replicas: 6, PerReplica: cpuReq, Placement: spreadPlacement(dyn, byField("cluster", 1, 3)), CostWeight: MaxCostWeight},
			want:     "a-unpriced:2 b-cheap:2 c-mid:2",
			excluded: map[string]string{"d-dear": reasonNotSelected},
		},
		{
			name:     "a cpu-heavy replica goes where cores are cheap",
			clusters: mixed,
			req:      Request{Replicas: 2, PerReplica: rl("cpu", "4", "memory", "1Gi"), Placement: pickOne, CostWeight: MaxCostWeight},
			want:     "cpu-cheap:2",
		},
		{
			name:     "a memory-heavy replica goes where memory is cheap",
			clusters: mixed,
			req:      Request{Replicas: 2, PerReplica: rl("cpu", "100m", "memory", "16Gi"), Placement: pickOne, CostWeight: MaxCostWeight},
			want:     "mem-cheap:2",
		},
		{
			name:     "a replica that requests nothing is still priced (100m cpu, 200Mi by default)",
			clusters: []Cluster{mkCluster("a-dear", roomOpt(10), priceOpt(0.10, 0.01)), mkCluster("b-cheap", roomOpt(10), priceOpt(0.03, 0.004))},
			req:      Request{Replicas: 1, Placement: spreadPlacement(nil, byField("cluster", 1, 1)), CostWeight: MaxCostWeight},
			want:     "b-cheap:1",
		},
		{
			name:     "no priced candidate: the cost score changes nothing",
			clusters: []Cluster{mkCluster("a", roomOpt(10)), mkCluster("b", roomOpt(10))},
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne, CostWeight: MaxCostWeight},
			want:     "a:4",
		},
		{
			name:     "weight 30: a preferred fleet term of weight 50 outweighs the price",
			clusters: preferred,
			fleets:   prefersFirst,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne, CostWeight: 30},
			want:     "a-dear:4",
		},
		{
			name:     "weight 100: the price outweighs a preferred fleet term of weight 50",
			clusters: preferred,
			fleets:   prefersFirst,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne, CostWeight: 100},
			want:     "b-cheap:4",
		},
		{
			name:     "locality: a cluster already running the binding keeps it against a cheaper one at weight 50",
			clusters: twoEqual,
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: pickOne, Previous: targets("a-dear:4"), CostWeight: 50},
			want:     "a-dear:4",
		},
		{
			name:     "a cheaper cluster the affinity excludes does not win",
			clusters: twoEqual,
			req: Request{Replicas: 4, PerReplica: cpuReq, CostWeight: MaxCostWeight, Placement: &policyv1alpha1.Placement{
				ClusterAffinity: names("a-dear"), ReplicaScheduling: dyn, SpreadConstraints: []policyv1alpha1.SpreadConstraint{byField("cluster", 1, 1)},
			}},
			want:     "a-dear:4",
			excluded: map[string]string{"b-cheap": reasonNotInNames},
		},
		{
			name: "static weights (seed 001 cost-optimization) stay 80:20 with cost-weight",
			clusters: []Cluster{
				mkCluster("ondemand-cluster", priceOpt(0.048, 0.006)),
				mkCluster("spot-cluster", priceOpt(0.016, 0.002)),
			},
			req: Request{Replicas: 10, CostWeight: MaxCostWeight, Placement: &policyv1alpha1.Placement{
				ClusterAffinity:   names("spot-cluster", "ondemand-cluster"),
				ReplicaScheduling: staticWeights("spot-cluster", 80, "ondemand-cluster", 20),
			}},
			want: "ondemand-cluster:2 spot-cluster:8",
		},
		{
			name:     "Duplicated with maxGroups 1 copies to the cheaper cluster",
			clusters: twoEqual,
			req:      Request{Replicas: 3, Placement: spreadPlacement(nil, byField("cluster", 1, 1)), CostWeight: MaxCostWeight},
			want:     "b-cheap:3",
		},
		{
			name:     "a cost weight above 100 is a request error naming the annotation",
			clusters: twoEqual,
			req:      Request{Replicas: 1, Placement: pickOne, CostWeight: 101},
			wantErr:  "cost weight 101 is outside 0-100; fix annotation " + CostWeightAnnotation,
		},
	})
}

// TestCostScoresNormalise checks the figures behind the orderings above:
// 0 to the weight across the candidates, unpriced at the median.
func TestCostScoresNormalise(t *testing.T) {
	for _, tc := range []struct {
		name     string
		clusters []Cluster
		weight   int32
		want     map[string]int64
	}{
		{
			name: "cheapest scores the weight, dearest 0, the middle in proportion",
			clusters: []Cluster{
				mkCluster("cheap", priceOpt(0.01, 0)), mkCluster("mid", priceOpt(0.02, 0)), mkCluster("dear", priceOpt(0.05, 0)),
			},
			weight: 100,
			want:   map[string]int64{"cheap": 100, "mid": 75, "dear": 0},
		},
		{
			name: "weight 40 scales the range",
			clusters: []Cluster{
				mkCluster("cheap", priceOpt(0.01, 0)), mkCluster("mid", priceOpt(0.02, 0)), mkCluster("dear", priceOpt(0.05, 0)),
			},
			weight: 40,
			want:   map[string]int64{"cheap": 40, "mid": 30, "dear": 0},
		},
		{
			name: "unpriced scores the median of an even count: the mean of the middle two",
			clusters: []Cluster{
				mkCluster("p1", priceOpt(0.01, 0)), mkCluster("p2", priceOpt(0.02, 0)), mkCluster("p3", priceOpt(0.04, 0)), mkCluster("p4", priceOpt(0.05, 0)),
				mkCluster("unpriced"),
			},
			weight: 100,
			want:   map[string]int64{"p1": 100, "p2": 75, "p3": 25, "p4": 0, "unpriced": 50},
		},
		{
			name:     "equal prices all score the weight",
			clusters: []Cluster{mkCluster("a", priceOpt(0.02, 0.001)), mkCluster("b", priceOpt(0.02, 0.001)), mkCluster("u")},
			weight:   60,
			want:     map[string]int64{"a": 60, "b": 60, "u": 60},
		},
		{
			name:     "no priced cluster: every score is 0",
			clusters: []Cluster{mkCluster("a"), mkCluster("b")},
			weight:   100,
			want:     map[string]int64{"a": 0, "b": 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := NewSnapshot(tc.clusters, nil)
			if err != nil {
				t.Fatal(err)
			}
			cc := newCostContext(snap, tc.weight, cpuReq)
			cands := make([]candidate, snap.Len())
			for i := range cands {
				cands[i].idx = i
			}
			cc.prepare(snap, cands)
			for i, name := range snap.ClusterNames() {
				if got := cc.score[i]; got != tc.want[name] {
					t.Errorf("score[%s] = %d, want %d", name, got, tc.want[name])
				}
			}
		})
	}
}

func TestSnapshotCopiesPrice(t *testing.T) {
	clusters := []Cluster{mkCluster("a", priceOpt(0.01, 0))}
	snap, err := NewSnapshot(clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	clusters[0].Price.CPUHour = 9
	if got := snap.clusters[0].price.CPUHour; got != 0.01 {
		t.Errorf("snapshot price changed with the input to %v; the snapshot must be immutable", got)
	}
}

// BenchmarkScheduleCostWeight is BenchmarkSchedule with every cluster priced
// (a spread of prices) and the binding opted into the Cost score: the
// difference between the two is what the score adds to a schedule.
func BenchmarkScheduleCostWeight(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		clusters, fleets := benchFleet(n)
		for i := range clusters {
			if i%7 == 3 {
				continue // some unpriced, so the median is taken
			}
			clusters[i].Price = &Price{CPUHour: 0.01 + float64(i%13)*0.004, MemoryGiBHour: 0.001 + float64(i%5)*0.0005, Currency: "USD"}
		}
		snap, err := NewSnapshot(clusters, fleets)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []divisionMode{modeDuplicated, modeStaticWeighted, modeDynamicWeighted, modeAggregated} {
			req := Request{
				Resource:   ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "web", UID: types.UID("7d1c2b9e")},
				Replicas:   1000,
				PerReplica: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
				Placement:  benchPlacement(mode),
				CostWeight: MaxCostWeight,
			}
			b.Run(fmt.Sprintf("clusters=%d/%s", n, mode), func(b *testing.B) {
				if _, err := Schedule(snap, req); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					_, _ = Schedule(snap, req)
				}
			})
		}
	}
}

func TestMedianOfMatchesSorting(t *testing.T) {
	// Deterministic pseudo-random series of many sizes, with duplicates.
	seed := uint32(7)
	next := func() float64 {
		seed = seed*1664525 + 1013904223
		return float64(seed%50) / 100
	}
	for n := 1; n <= 300; n++ {
		a := make([]float64, n)
		for i := range a {
			a[i] = next()
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		want := sorted[n/2]
		if n%2 == 0 {
			want = (sorted[n/2-1] + sorted[n/2]) / 2
		}
		if got := medianOf(a); got != want {
			t.Fatalf("n=%d: median %v, want %v (sorted %v)", n, got, want, sorted)
		}
	}
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"all equal", []float64{3, 3, 3, 3}, 3},
		{"sorted ascending", []float64{1, 2, 3, 4, 5}, 3},
		{"sorted descending", []float64{5, 4, 3, 2, 1, 0}, 2.5},
	} {
		if got := medianOf(slices.Clone(tc.in)); got != tc.want {
			t.Errorf("%s: median %v, want %v", tc.name, got, tc.want)
		}
	}
}

// BenchmarkCostPrepare is the Cost score's own work per attempt: pricing
// and normalising every candidate.
func BenchmarkCostPrepare(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		clusters, fleets := benchFleet(n)
		for i := range clusters {
			if i%7 != 3 {
				clusters[i].Price = &Price{CPUHour: 0.01 + float64(i%13)*0.004, MemoryGiBHour: 0.001 + float64(i%5)*0.0005}
			}
		}
		snap, err := NewSnapshot(clusters, fleets)
		if err != nil {
			b.Fatal(err)
		}
		cands := make([]candidate, n)
		for i := range cands {
			cands[i].idx = i
		}
		cc := newCostContext(snap, MaxCostWeight, cpuReq)
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cc.prepare(snap, cands)
			}
		})
	}
}
