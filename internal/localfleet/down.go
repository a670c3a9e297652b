package localfleet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Down stops every process of the fleet in dir (only those, by pid and command
// line), removes its contexts from the user's kubeconfig, and removes the state
// dir unless keepData.
func Down(dir string, keepData bool, out io.Writer) error {
	s, err := LoadState(dir)
	if err != nil {
		return err
	}
	// Stop in reverse start order: members' components before their
	// apiservers, etcd last, so nothing logs a storm of connection errors.
	var wg sync.WaitGroup
	errs := make([]error, len(s.Processes))
	for i := len(s.Processes) - 1; i >= 0; i-- {
		p := s.Processes[i]
		if p.Name == "etcd" {
			continue
		}
		wg.Go(func() {
			if err := stopProcess(p.PID, s.StateDir, 10*time.Second); err != nil {
				errs[i] = fmt.Errorf("stop %s: %w", p.Name, err)
				return
			}
			fmt.Fprintf(out, "stopped %s (pid %d)\n", p.Name, p.PID)
		})
	}
	wg.Wait()
	if p, ok := s.Process("etcd"); ok {
		if err := stopProcess(p.PID, s.StateDir, 10*time.Second); err != nil {
			errs = append(errs, fmt.Errorf("stop etcd: %w", err))
		} else {
			fmt.Fprintf(out, "stopped etcd (pid %d)\n", p.PID)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if s.MergedInto != "" {
		if err := unmergeFrom(s.MergedInto, s.Clusters, s.Name); err != nil {
			return fmt.Errorf("remove contexts from %s: %w", s.MergedInto, err)
		}
		fmt.Fprintf(out, "removed contexts of fleet %s from %s\n", s.Name, s.MergedInto)
	}
	if keepData {
		// Logs and data stay; status shows the processes as not running.
		return nil
	}
	if err := os.RemoveAll(s.StateDir); err != nil {
		return fmt.Errorf("remove %s: %w", s.StateDir, err)
	}
	fmt.Fprintf(out, "removed %s\n", s.StateDir)
	return nil
}
