package scheduler

import (
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// Builders keep the tables short and readable.

type clusterOpt func(*Cluster)

func mkCluster(name string, opts ...clusterOpt) Cluster {
	c := Cluster{Name: name}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func labelsOpt(kv ...string) clusterOpt {
	return func(c *Cluster) {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			c.Labels[kv[i]] = kv[i+1]
		}
	}
}

func regionOpt(r string) clusterOpt   { return func(c *Cluster) { c.Region = r } }
func providerOpt(p string) clusterOpt { return func(c *Cluster) { c.Provider = p } }
func zonesOpt(z ...string) clusterOpt { return func(c *Cluster) { c.Zones = z } }
func fleetOpt(f string) clusterOpt    { return func(c *Cluster) { c.Fleet = f } }
func apisOpt(gv string, kinds ...string) clusterOpt {
	return func(c *Cluster) {
		c.APIEnablements = append(c.APIEnablements, APIEnablement{GroupVersion: gv, Kinds: kinds})
	}
}

func taintOpt(key, value string, effect corev1.TaintEffect) clusterOpt {
	return func(c *Cluster) {
		c.Taints = append(c.Taints, corev1.Taint{Key: key, Value: value, Effect: effect})
	}
}

// roomOpt gives the cluster room for exactly n replicas of cpuReq (1 cpu).
func roomOpt(n int) clusterOpt {
	return func(c *Cluster) {
		c.Allocatable = corev1.ResourceList{
			corev1.ResourceCPU:  resource.MustParse(strconv.Itoa(n)),
			corev1.ResourcePods: resource.MustParse("1000"),
		}
	}
}

func resourcesOpt(alloc, used, allocating corev1.ResourceList) clusterOpt {
	return func(c *Cluster) { c.Allocatable, c.Allocated, c.Allocating = alloc, used, allocating }
}

func rl(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

var cpuReq = rl("cpu", "1")

func names(n ...string) *policyv1alpha1.ClusterAffinity {
	return &policyv1alpha1.ClusterAffinity{ClusterNames: n}
}

func matchLabels(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

// staticWeights builds Divided/Weighted with one entry per cluster:
// staticWeights("a", 3, "b", 2).
func staticWeights(pairs ...any) *policyv1alpha1.ReplicaSchedulingStrategy {
	rs := &policyv1alpha1.ReplicaSchedulingStrategy{
		ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
		ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
		WeightPreference:          &policyv1alpha1.ClusterPreferences{},
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		rs.WeightPreference.StaticWeightList = append(rs.WeightPreference.StaticWeightList, policyv1alpha1.StaticClusterWeight{
			TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{pairs[i].(string)}},
			Weight:        int64(pairs[i+1].(int)),
		})
	}
	return rs
}

func dynamicWeights() *policyv1alpha1.ReplicaSchedulingStrategy {
	return &policyv1alpha1.ReplicaSchedulingStrategy{
		ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
		ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
		WeightPreference:          &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas},
	}
}

func aggregated() *policyv1alpha1.ReplicaSchedulingStrategy {
	return &policyv1alpha1.ReplicaSchedulingStrategy{
		ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
		ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceAggregated,
	}
}

func int32p(v int32) *int32 { return &v }

// targets parses "a:6 b:4".
func targets(s string) []TargetCluster {
	var out []TargetCluster
	for _, f := range strings.Fields(s) {
		name, n, _ := strings.Cut(f, ":")
		v, _ := strconv.Atoi(n)
		out = append(out, TargetCluster{Name: name, Replicas: int32(v)})
	}
	return out
}

func deployment(name string) ResourceRef {
	return ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: name, UID: types.UID(evenUID)}
}

// uidWithParity finds a UID whose FNV-32a hash has the given parity, so the
// tie-rule tests do not depend on a magic constant.
func uidWithParity(odd bool) string {
	for i := 0; ; i++ {
		u := "uid-" + strconv.Itoa(i)
		h := fnv.New32a()
		h.Write([]byte(u))
		if (h.Sum32()%2 == 1) == odd {
			return u
		}
	}
}

var (
	evenUID = uidWithParity(false)
	oddUID  = uidWithParity(true)
)

// scheduleCase is one table row for Schedule.
type scheduleCase struct {
	name     string
	clusters []Cluster
	fleets   []FleetPreference
	req      Request
	want     string            // Result.String(), e.g. "a:6 b:4"
	excluded map[string]string // cluster → reason (subset check)
	affinity string            // expected AffinityName
	wantErr  string            // substring of the error; "" means success
}

func runScheduleCases(t *testing.T, cases []scheduleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := NewSnapshot(tc.clusters, tc.fleets)
			if err != nil {
				t.Fatalf("NewSnapshot: %v", err)
			}
			if tc.req.Resource.Kind == "" {
				tc.req.Resource = deployment("app")
			}
			res, err := Schedule(snap, tc.req)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got result %q", tc.wantErr, res)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Schedule: %v", err)
			}
			if got := res.String(); got != tc.want {
				t.Errorf("targets = %q, want %q", got, tc.want)
			}
			if res.AffinityName != tc.affinity {
				t.Errorf("affinity = %q, want %q", res.AffinityName, tc.affinity)
			}
			got := map[string]string{}
			for _, e := range res.Excluded {
				got[e.Cluster] = e.Reason
			}
			for c, r := range tc.excluded {
				if got[c] != r {
					t.Errorf("excluded[%s] = %q, want %q", c, got[c], r)
				}
			}
			checkInvariants(t, snap, tc.req, res)
		})
	}
}

// checkInvariants holds for every successful result.
func checkInvariants(t *testing.T, snap *Snapshot, req Request, res Result) {
	t.Helper()
	if len(res.Targets)+len(res.Excluded) != snap.Len() {
		t.Errorf("%d targets + %d excluded != %d clusters", len(res.Targets), len(res.Excluded), snap.Len())
	}
	if !slices.IsSortedFunc(res.Targets, func(a, b TargetCluster) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("targets not sorted: %v", res.Targets)
	}
	if !slices.IsSortedFunc(res.Excluded, func(a, b Exclusion) int { return strings.Compare(a.Cluster, b.Cluster) }) {
		t.Errorf("excluded not sorted: %v", res.Excluded)
	}
	var sum int64
	for _, tg := range res.Targets {
		if req.Replicas > 0 && tg.Replicas <= 0 {
			t.Errorf("target %s has %d replicas", tg.Name, tg.Replicas)
		}
		if req.Replicas == 0 && tg.Replicas != 0 {
			t.Errorf("non-workload target %s has %d replicas", tg.Name, tg.Replicas)
		}
		sum += int64(tg.Replicas)
	}
	mode, _ := resolveMode(placementOf(req).ReplicaScheduling)
	if mode != modeDuplicated && req.Replicas > 0 && sum != int64(req.Replicas) {
		t.Errorf("divided targets sum to %d, want %d", sum, req.Replicas)
	}
}

func placementOf(req Request) *policyv1alpha1.Placement {
	if req.Placement == nil {
		return &policyv1alpha1.Placement{}
	}
	return req.Placement
}

func asUnschedulable(t *testing.T, err error) *UnschedulableError {
	t.Helper()
	var ue *UnschedulableError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T) is not *UnschedulableError", err, err)
	}
	return ue
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
