package localfleet

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// Stop stops one process of the fleet, e.g. "cluster-frankfurt/kube-apiserver",
// to simulate an outage. The state keeps it, so Status shows it down and
// Restart brings it back.
func (s *State) Stop(name string) error {
	p, ok := s.Process(name)
	if !ok {
		return fmt.Errorf("fleet %s has no process %q (see `kurator status`)", s.Name, name)
	}
	return stopProcess(p.PID, s.StateDir, 10*time.Second)
}

// Restart starts a stopped process of the fleet again with its recorded
// command line and waits until it is healthy. stopWithParent ties the new
// process's life to the caller's, as Config.StopWithParent does.
func (s *State) Restart(ctx context.Context, name string, stopWithParent bool) error {
	i := -1
	for j := range s.Processes {
		if s.Processes[j].Name == name {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("fleet %s has no process %q (see `kurator status`)", s.Name, name)
	}
	p := s.Processes[i]
	if alive(p.PID, s.StateDir) {
		return fmt.Errorf("%s is still running (pid %d); stop it first", name, p.PID)
	}
	cmd, exited, err := startProcess(p.Bin, p.Args, p.Log, stopWithParent)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.Processes[i].PID = cmd.Process.Pid
	if err := s.save(); err != nil {
		return err
	}
	pr, err := newProber(filepath.Join(s.StateDir, "pki", "admin.crt"), filepath.Join(s.StateDir, "pki", "admin.key"))
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := pr.waitHealthy(wctx, p.Health, exited); err != nil {
		return fmt.Errorf("%s did not become healthy after restart: %w\n--- last lines of %s ---\n%s", name, err, p.Log, tail(p.Log, 15))
	}
	return nil
}
