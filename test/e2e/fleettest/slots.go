package fleettest

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// defaultSlots is how many e2e fleets run at once on one machine unless
// KURATOR_E2E_FLEETS says otherwise. Two keep a 2-core machine busy without
// starving the fleets: the tests' thresholds are seconds (a member's Ready
// turning False within 3 s of a kill, a workload moving within a 5 s
// toleration), and six fleets on two cores miss them.
const defaultSlots = 2

// acquireSlot waits until one of the machine's fleet slots is free and
// takes it; release gives it back. A slot is an exclusive flock on a file
// under the temporary directory, shared by every go test process of this
// user, and the kernel drops it when its holder dies. KURATOR_E2E_FLEETS=0
// turns the bound off. It fails after maxWait (0: no bound), naming the
// holders, rather than leaving the package's tests too little time.
func acquireSlot(name string, maxWait time.Duration, progress io.Writer) (release func(), err error) {
	n := defaultSlots
	if v := os.Getenv("KURATOR_E2E_FLEETS"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			return nil, fmt.Errorf("KURATOR_E2E_FLEETS=%q: want the number of fleets that may run at once (0: no bound)", v)
		}
	}
	if n == 0 {
		return func() {}, nil
	}
	dir := filepath.Join(os.TempDir(), "kurator-e2e-fleets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("fleet slots: %w", err)
	}
	begin := time.Now()
	var told time.Time
	for {
		for i := range n {
			f, ok, err := tryLock(filepath.Join(dir, fmt.Sprintf("slot-%d", i)))
			if err != nil {
				return nil, fmt.Errorf("fleet slots: %w", err)
			}
			if ok {
				if !told.IsZero() {
					fmt.Fprintf(progress, "fleet %s: got a fleet slot after %s\n", name, time.Since(begin).Round(time.Second))
				}
				_ = f.Truncate(0)
				fmt.Fprintf(f, "pid %d: %s (fleet %s) since %s\n", os.Getpid(), filepath.Base(os.Args[0]), name, time.Now().Format(time.TimeOnly))
				return func() {
					_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
					f.Close()
				}, nil
			}
		}
		if maxWait > 0 && time.Since(begin) > maxWait {
			return nil, fmt.Errorf("fleet %s: no fleet slot free after %s (%d fleets may run at once, KURATOR_E2E_FLEETS): held by\n%s\nrun fewer test packages at once (go test -p) or give this one a longer -timeout",
				name, maxWait, n, holders(dir, n))
		}
		if time.Since(told) > 30*time.Second {
			fmt.Fprintf(progress, "fleet %s: waiting for one of %d fleet slots (KURATOR_E2E_FLEETS), held by\n%s\n", name, n, holders(dir, n))
			told = time.Now()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// tryLock opens path and takes an exclusive flock on it without waiting;
// the file stays open (and locked) when ok. The descriptor is close-on-exec,
// so the fleet's processes never inherit the lock.
func tryLock(path string) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		return f, true, nil
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("lock %s: %w", path, err)
}

// holders lists what the slot files say about their holders.
func holders(dir string, n int) string {
	var lines []string
	for i := range n {
		data, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("slot-%d", i)))
		lines = append(lines, fmt.Sprintf("  slot %d: %s", i, strings.TrimSpace(string(data))))
	}
	return strings.Join(lines, "\n")
}

// slotWait is how long a package may wait for a slot: half its -timeout,
// so that its tests keep the other half.
func slotWait() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if d, ok := g.Get().(time.Duration); ok {
			return d / 2
		}
	}
	return 0
}
