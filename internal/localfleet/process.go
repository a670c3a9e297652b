package localfleet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is one running component of a fleet, as recorded in the state file.
type Process struct {
	// Name is "<cluster>/<component>", or "etcd".
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// Port is the component's main port (0: none); Health the URL answering
	// 200 when healthy (empty: healthy while it runs).
	Port   int      `json:"port"`
	Health string   `json:"health"`
	Log    string   `json:"log"`
	Bin    string   `json:"bin"`
	Args   []string `json:"args"`
	// Env is added to the inherited environment (e.g. the registry's
	// OTEL_TRACES_EXPORTER=none).
	Env []string `json:"env,omitempty"`
}

// CheckBinaries returns an error naming the pinned binaries a fleet needs
// (and the extra ones the caller needs, e.g. kubectl) that are missing in
// dir, and how to build them; nil when all are there.
func CheckBinaries(dir string, extra ...string) error {
	return checkBinaries(dir, append(slices.Clone(requiredBinaries), extra...))
}

func checkBinaries(dir string, names []string) error {
	var missing []string
	for _, b := range names {
		if st, err := os.Stat(filepath.Join(dir, b)); err != nil || st.IsDir() {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("Kubernetes components missing in %s: %s; build them once with `make k8s` (or hack/k8s/build.sh %s), about 20 minutes cold",
			dir, strings.Join(missing, ", "), dir)
	}
	return nil
}

// startProcess starts bin with args (and env added to the inherited
// environment) in its own session so it keeps running after the CLI exits;
// output goes to logFile. The returned channel is closed when the process
// exits (its Wait reaps it while this process lives).
func startProcess(bin string, args, env []string, logFile string, stopWithParent bool) (*exec.Cmd, <-chan struct{}, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if stopWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return cmd, done, nil
}

// alive reports whether pid is a live (non-zombie) process whose command line
// mentions marker. The marker (the fleet's state dir) makes sure we never
// signal a process that merely reused a recorded pid.
func alive(pid int, marker string) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state is the field after the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(cmdline, []byte(marker))
}

// stopProcess sends SIGTERM, waits up to grace for the process to exit, then
// sends SIGKILL and waits again. Only processes that pass alive are signalled.
func stopProcess(pid int, marker string, grace time.Duration) error {
	if !alive(pid, marker) {
		return nil
	}
	if err := signal(pid, syscall.SIGTERM); err != nil {
		return err
	}
	if waitGone(pid, marker, grace) {
		return nil
	}
	if err := signal(pid, syscall.SIGKILL); err != nil {
		return err
	}
	if !waitGone(pid, marker, 10*time.Second) {
		return fmt.Errorf("pid %d did not exit after SIGKILL", pid)
	}
	return nil
}

// signal sends sig to pid, which must be a single process: pid 0 and
// negative pids address process groups (0 is the caller's own), 1 is init.
// A process that exited meanwhile (ESRCH) is not an error.
func signal(pid int, sig syscall.Signal) error {
	if pid <= 1 {
		return fmt.Errorf("refusing to send %s to pid %d: not a single fleet process", sig, pid)
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %s to pid %d: %w", sig, pid, err)
	}
	return nil
}

func waitGone(pid int, marker string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !alive(pid, marker) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !alive(pid, marker)
}

// rssBytes returns the resident set size of pid, or 0 if unknown.
func rssBytes(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
