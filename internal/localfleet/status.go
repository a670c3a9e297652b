package localfleet

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// ProcessStatus is the observed state of one process of a fleet.
type ProcessStatus struct {
	Process
	Running bool
	// Healthy is true when the health URL answered 200; Error says why not.
	Healthy bool
	Error   string
	RSS     int64
}

// Status probes every process of the fleet in parallel.
func Status(ctx context.Context, s *State) ([]ProcessStatus, error) {
	adminCert, adminKey := s.StateDir+"/pki/admin.crt", s.StateDir+"/pki/admin.key"
	pr, err := newProber(adminCert, adminKey)
	if err != nil {
		return nil, err
	}
	out := make([]ProcessStatus, len(s.Processes))
	var wg sync.WaitGroup
	for i, p := range s.Processes {
		wg.Go(func() {
			st := ProcessStatus{Process: p, Running: alive(p.PID, s.StateDir)}
			if !st.Running {
				st.Error = "process not running"
			} else if err := pr.check(ctx, p.Health); err != nil {
				st.Error = err.Error()
			} else {
				st.Healthy = true
			}
			if st.Running {
				st.RSS = rssBytes(p.PID)
			}
			out[i] = st
		})
	}
	wg.Wait()
	slices.SortStableFunc(out, func(a, b ProcessStatus) int { return s.order(a.Name) - s.order(b.Name) })
	return out, nil
}

// componentOrder is the order a cluster's components start in.
var componentOrder = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kurator-agent", "registry", "trafficgen", "prometheus", "kurator-manager", "dashboard"}

// order ranks a process for display: etcd, then each cluster in fleet order
// (hub first), each cluster's components in start order.
func (s *State) order(name string) int {
	cluster, comp, ok := strings.Cut(name, "/")
	if !ok {
		return -1
	}
	ci := slices.IndexFunc(s.Clusters, func(c Cluster) bool { return c.Name == cluster })
	return ci*len(componentOrder) + slices.Index(componentOrder, componentKind(comp))
}
