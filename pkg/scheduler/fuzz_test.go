package scheduler

import (
	"errors"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// FuzzSchedule checks invariants over weights, room, replicas, modes and
// spread constraints (Kurator's maxSkew groups, Karmada's region and
// cluster selection):
// no panic; a Divided result sums to the wanted replicas; no cluster gets
// more than its room under dynamic or aggregated division; results are
// either a placement or an *UnschedulableError.
func FuzzSchedule(f *testing.F) {
	f.Add(uint16(60), uint16(40), uint16(0), uint16(0), uint32(10), uint8(1), "uid", uint16(5), uint16(5), uint16(5), uint16(5), uint8(0))
	f.Add(uint16(3), uint16(2), uint16(1), uint16(0), uint32(14), uint8(1), "x", uint16(0), uint16(0), uint16(0), uint16(0), uint8(1))
	f.Add(uint16(1), uint16(1), uint16(1), uint16(1), uint32(1<<30), uint8(2), "", uint16(9), uint16(0), uint16(1), uint16(65535), uint8(3))
	f.Add(uint16(0), uint16(0), uint16(0), uint16(0), uint32(7), uint8(3), "y", uint16(2), uint16(2), uint16(2), uint16(2), uint8(7))
	f.Add(uint16(1), uint16(1), uint16(1), uint16(1), uint32(9), uint8(6), "", uint16(4), uint16(1), uint16(6), uint16(2), uint8(0x95))
	f.Add(uint16(1), uint16(1), uint16(1), uint16(1), uint32(5), uint8(4+8+64), "z", uint16(4), uint16(1), uint16(6), uint16(2), uint8(0x21))

	f.Fuzz(func(t *testing.T, w1, w2, w3, w4 uint16, replicas uint32, mode uint8, uid string, r1, r2, r3, r4 uint16, flags uint8) {
		rooms := []uint16{r1, r2, r3, r4}
		weights := []uint16{w1, w2, w3, w4}
		var clusters []Cluster
		var pairs []any
		for i := range rooms {
			name := "c" + strconv.Itoa(i)
			clusters = append(clusters, mkCluster(name, roomOpt(int(rooms[i])), regionOpt("r"+strconv.Itoa(i%2))))
			pairs = append(pairs, name, int(weights[i]))
		}
		snap, err := NewSnapshot(clusters, nil)
		if err != nil {
			t.Fatal(err)
		}

		placement := &policyv1alpha1.Placement{}
		switch mode % 4 {
		case 1:
			placement.ReplicaScheduling = staticWeights(pairs...)
		case 2:
			placement.ReplicaScheduling = dynamicWeights()
		case 3:
			placement.ReplicaScheduling = aggregated()
		}
		switch {
		case flags&1 != 0 && mode&4 != 0:
			// Karmada's exact region and cluster selection.
			// maxGroups is 0 (no bound) or at least minGroups, as admission
			// requires.
			bounded := func(minG, extra int) policyv1alpha1.SpreadConstraint {
				sc := policyv1alpha1.SpreadConstraint{MinGroups: minG}
				if extra > 0 {
					sc.MaxGroups = max(minG, 1) + extra - 1
				}
				return sc
			}
			region, cluster := bounded(int(mode>>3)%3, int(flags>>4)%3), bounded(int(mode>>5)%4, int(flags>>6)%4)
			region.SpreadByField, cluster.SpreadByField = policyv1alpha1.SpreadByFieldRegion, policyv1alpha1.SpreadByFieldCluster
			placement.SpreadConstraints = []policyv1alpha1.SpreadConstraint{region, cluster}
		case flags&1 != 0:
			placement.SpreadConstraints = []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldRegion, MaxSkew: int32p(int32(flags >> 4))}}
		case mode&4 != 0:
			placement.SpreadConstraints = []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MaxGroups: int(flags>>4) % 4}}
		}
		req := Request{
			Resource:  ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "f", UID: types.UID(uid)},
			Replicas:  int32(replicas % (1 << 31)),
			Placement: placement,
			Fresh:     flags&2 != 0,
		}
		if flags&4 != 0 {
			req.PerReplica = cpuReq
		}
		if flags&8 != 0 {
			req.Previous = targets("c0:" + strconv.Itoa(int(r1)) + " c3:" + strconv.Itoa(int(w4)))
		}

		res, err := Schedule(snap, req)
		if err != nil {
			var ue *UnschedulableError
			if !errors.As(err, &ue) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		checkInvariants(t, snap, req, res)
		if req.PerReplica != nil && (mode%4 == 2 || mode%4 == 3) {
			for _, tg := range res.Targets {
				i, _ := strconv.Atoi(tg.Name[1:])
				limit := int32(rooms[i])
				for _, p := range req.Previous {
					if p.Name == tg.Name {
						limit += p.Replicas
					}
				}
				if tg.Replicas > limit {
					t.Fatalf("%s got %d replicas, room %d", tg.Name, tg.Replicas, limit)
				}
			}
		}
	})
}
