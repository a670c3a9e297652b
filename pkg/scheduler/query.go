package scheduler

import "fmt"

// Check reports the first preferred term of f that NewSnapshot would refuse,
// so a caller can leave out one bad Fleet's preferences instead of failing
// the snapshot of the whole fleet.
func (f FleetPreference) Check() error {
	for j, term := range f.Preferred {
		if len(term.Preference.MatchExpressions) == 0 && len(term.Preference.MatchFields) == 0 {
			continue
		}
		if _, err := nodeSelectorTermAsSelector(term.Preference); err != nil {
			return fmt.Errorf("spec.placement.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d]: %w", j, err)
		}
	}
	return nil
}

// Has reports whether the snapshot holds a cluster of that name.
func (s *Snapshot) Has(name string) bool {
	_, ok := s.byName[name]
	return ok
}
