package localfleet

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A process the state does not know, or knows without a usable pid, is
// never signalled: kill(0) would hit the caller's whole process group.
func TestKillAndStopRefuseUncheckedPids(t *testing.T) {
	s := &State{Name: "unit", StateDir: t.TempDir(), Processes: []Process{
		{Name: "cluster-a/kube-apiserver", PID: 0},
		{Name: "cluster-b/kube-apiserver", PID: -1},
		{Name: "cluster-c/kube-apiserver", PID: 1},
	}}
	for _, name := range []string{"cluster-a/kube-apiserver", "cluster-b/kube-apiserver", "cluster-c/kube-apiserver", "cluster-nowhere/kube-apiserver"} {
		for op, fn := range map[string]func(string) error{"Kill": s.Kill, "Stop": s.Stop} {
			err := fn(name)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s(%q) = %v, want an error naming the process", op, name, err)
			}
		}
		if s.Alive(name) {
			t.Errorf("Alive(%q) = true", name)
		}
	}
	for _, pid := range []int{0, -1, 1} {
		if err := signal(pid, syscall.SIGKILL); err == nil {
			t.Errorf("signal(%d) sent a signal", pid)
		}
	}
}

// Kill ends a running process of the fleet and returns once it is gone; a
// second Kill says it is not running.
func TestKillEndsARunningProcess(t *testing.T) {
	tail, err := exec.LookPath("tail")
	if err != nil {
		t.Skip("no tail in PATH")
	}
	dir := t.TempDir()
	// The state dir in the command line marks the process as the fleet's.
	log := filepath.Join(dir, "tail.log")
	cmd, exited, err := startProcess(tail, []string{"-f", "/dev/null", log}, nil, log, true)
	if err != nil {
		t.Fatal(err)
	}
	s := &State{Name: "unit", StateDir: dir, Processes: []Process{{Name: "cluster-a/tail", PID: cmd.Process.Pid}}}
	// Under load the child's /proc entry can lag its start by a moment.
	for deadline := time.Now().Add(5 * time.Second); !s.Alive("cluster-a/tail"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not alive 5s after start", cmd.Process.Pid)
		}
	}
	if err := s.Kill("cluster-a/tail"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("Kill returned but the process was not reaped within 10s")
	}
	if s.Alive("cluster-a/tail") {
		t.Fatal("still alive after Kill")
	}
	if err := s.Kill("cluster-a/tail"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("second Kill = %v, want not running", err)
	}
}

// Processes of a fleet are signalled only through State (Kill, Stop,
// Restart, RestartCluster), which checks the pid: no other code in the
// repository calls kill(2) with a pid it read from a state file.
func TestNoOtherCodeSignalsPids(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "hack" || d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		own := filepath.Join(root, "internal", "localfleet")
		if d.IsDir() || !strings.HasSuffix(path, ".go") || path == filepath.Join(own, "process.go") || path == filepath.Join(own, "process_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, call := range []string{"syscall.Kill(", "unix.Kill("} {
			if strings.Contains(string(data), call) {
				t.Errorf("%s calls %s: use localfleet's State.Kill, Stop or Restart, which refuse unchecked pids", path, call)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
