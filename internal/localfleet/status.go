package localfleet

import (
	"context"
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
	return out, nil
}
