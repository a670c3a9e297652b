package autoscale

import (
	"sort"
	"time"

	"github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// Claim says that a policy scales a workload.
type Claim struct {
	// Owner names the policy: "ScalePolicy default/promo".
	Owner string
	// Created is the policy's creation time.
	Created time.Time
	// Workload is the workload's Workload.Key().
	Workload string
}

// Yield is why a policy stands back.
type Yield struct {
	// To is the owner it yields to.
	To string
	// Workloads are the workloads both scale, sorted.
	Workloads []string
}

// Conflicts says which policies stand back because an older policy scales
// one of the same workloads: owner -> the owner it yields to. Policies that
// share nothing with an acting policy are absent.
func Conflicts(claims []Claim) map[string]string {
	out := map[string]string{}
	for owner, y := range ConflictDetails(claims) {
		out[owner] = y.To
	}
	return out
}

// ConflictDetails is Conflicts with the shared workloads, for the Conflict
// condition's message.
//
// The oldest policy wins (then the name, for policies created in the same
// second): owners are taken oldest first, and one acts unless it shares a
// workload with an owner already acting; then it yields to the oldest of
// those. A policy that yields does not act at all, so it blocks nobody: of
// A (oldest), B and C where A and B share one workload and B and C another,
// A and C act and B yields to A.
func ConflictDetails(claims []Claim) map[string]Yield {
	type owner struct {
		name      string
		created   time.Time
		workloads map[string]bool
	}
	byName := map[string]*owner{}
	var owners []*owner
	for _, c := range claims {
		o := byName[c.Owner]
		if o == nil {
			o = &owner{name: c.Owner, created: c.Created, workloads: map[string]bool{}}
			byName[c.Owner] = o
			owners = append(owners, o)
		}
		if c.Created.Before(o.created) {
			o.created = c.Created
		}
		o.workloads[c.Workload] = true
	}
	sort.Slice(owners, func(i, j int) bool {
		if !owners[i].created.Equal(owners[j].created) {
			return owners[i].created.Before(owners[j].created)
		}
		return owners[i].name < owners[j].name
	})
	out := map[string]Yield{}
	var acting []*owner
	for _, o := range owners {
		yielded := false
		for _, a := range acting { // oldest first
			var shared []string
			for w := range o.workloads {
				if a.workloads[w] {
					shared = append(shared, w)
				}
			}
			if len(shared) > 0 {
				sort.Strings(shared)
				out[o.name] = Yield{To: a.name, Workloads: shared}
				yielded = true
				break
			}
		}
		if !yielded {
			acting = append(acting, o)
		}
	}
	return out
}

// PolicyClaims are a ScalePolicy's claims on its workloads; none when the
// policy does not resolve, since it then acts on nothing.
func PolicyClaims(p *v1alpha1.ScalePolicy) []Claim {
	s, errs := Resolve(p, 1) // the workloads do not depend on the time scale
	if len(errs) > 0 {
		return nil
	}
	owner := "ScalePolicy " + p.Namespace + "/" + p.Name
	out := make([]Claim, 0, len(s.Workloads))
	for _, w := range s.Workloads {
		out = append(out, Claim{Owner: owner, Created: p.CreationTimestamp.Time, Workload: w.Key()})
	}
	return out
}
