package localfleet

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// running returns the recorded process called name, or an error naming it
// when the fleet has no such process or recorded no pid that may be
// signalled. A pid of 0 or below would signal a whole process group (kill(0)
// is the caller's own group), 1 is init: neither is ever a fleet process.
func (s *State) running(name string) (Process, error) {
	p, ok := s.Process(name)
	if !ok {
		return Process{}, fmt.Errorf("fleet %s has no process %q (see `kurator status`)", s.Name, name)
	}
	if p.PID <= 1 {
		return Process{}, fmt.Errorf("fleet %s: process %s has no valid pid recorded (%d); refusing to signal it (see %s)", s.Name, name, p.PID, filepath.Join(s.StateDir, stateFile))
	}
	return p, nil
}

// Alive reports whether the named process of the fleet runs (false when the
// fleet has no such process).
func (s *State) Alive(name string) bool {
	p, err := s.running(name)
	return err == nil && alive(p.PID, s.StateDir)
}

// Kill sends SIGKILL to one running process of the fleet, e.g.
// "cluster-frankfurt/kube-apiserver", as in a crash, and returns once it
// has exited. It fails, naming the process, when the fleet has no such
// process or it is not running. Restart brings it back.
func (s *State) Kill(name string) error {
	p, err := s.running(name)
	if err != nil {
		return err
	}
	if !alive(p.PID, s.StateDir) {
		return fmt.Errorf("kill %s: pid %d is not running (see `kurator status`)", name, p.PID)
	}
	if err := signal(p.PID, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	if !waitGone(p.PID, s.StateDir, 10*time.Second) {
		return fmt.Errorf("kill %s: pid %d still runs 10s after SIGKILL", name, p.PID)
	}
	return nil
}

// Stop stops one process of the fleet gracefully (SIGTERM, then SIGKILL
// after 10 s), e.g. "cluster-frankfurt/kube-apiserver", to simulate an
// outage. A process that is not running is left alone. The state keeps it,
// so Status shows it down and Restart brings it back.
func (s *State) Stop(name string) error {
	p, err := s.running(name)
	if err != nil {
		return err
	}
	if err := stopProcess(p.PID, s.StateDir, 10*time.Second); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
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
	// A process killed a moment ago may still be exiting (a loaded machine
	// takes a while to tear down a Go process's threads): give it time.
	if !waitGone(p.PID, s.StateDir, 10*time.Second) {
		return fmt.Errorf("%s is still running (pid %d); stop it first", name, p.PID)
	}
	cmd, exited, err := startProcess(p.Bin, p.Args, p.Env, p.Log, stopWithParent)
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

// memberControllers are a member's processes that talk only to its
// kube-apiserver, in start order.
var memberControllers = []string{"kube-controller-manager", "kube-scheduler", "kwok"}

// RestartCluster brings a cluster back after an outage of its API server, as
// a real control plane comes back: the kube-apiserver is started again if it
// is down, then the member's controller-manager, scheduler and kwok are
// restarted too. They keep running through the outage, but a long one can
// leave their caches stale for good: measured here, a member's
// kube-controller-manager stopped creating ReplicaSets after its API server
// had been down for 50 s, until it was restarted.
func (s *State) RestartCluster(ctx context.Context, cluster string, stopWithParent bool) error {
	api := cluster + "/kube-apiserver"
	if _, err := s.running(api); err != nil {
		return fmt.Errorf("restart cluster %s: %w", cluster, err)
	}
	if !s.Alive(api) {
		if err := s.Restart(ctx, api, stopWithParent); err != nil {
			return err
		}
	}
	for _, c := range memberControllers {
		name := cluster + "/" + c
		if _, ok := s.Process(name); !ok {
			continue // the hub runs none of them
		}
		if err := s.Stop(name); err != nil {
			return err
		}
		if c == "kwok" {
			if err := s.releaseNodeLeases(ctx, cluster); err != nil {
				return err
			}
		}
		if err := s.Restart(ctx, name, stopWithParent); err != nil {
			return err
		}
	}
	return nil
}

// releaseNodeLeases deletes the leases of a member's fake nodes once its
// kwok is stopped. kwok holds each node's lease under an identity of its
// own (hostname and a random UUID), and a new kwok handles a node's pods
// only once it holds the lease: it would wait for the stopped one's leases
// to expire (--node-lease-duration-seconds, 40 s here). Measured before
// this: a member whose kwok was restarted ran a new pod 17-38 s later.
func (s *State) releaseNodeLeases(ctx context.Context, cluster string) error {
	rc, err := s.RESTConfig(cluster)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("%s: list nodes to release their leases: %w", cluster, err)
	}
	for _, n := range nodes.Items {
		if n.Annotations[fakeNodeAnnotation] != "fake" {
			continue
		}
		err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, n.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: release the lease of node %s: %w", cluster, n.Name, err)
		}
	}
	return nil
}
