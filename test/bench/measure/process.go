// Package measure holds what the bench commands measure a local fleet
// with: CPU time and resident memory of its processes (from /proc), the hub
// apiserver's request counts and the manager's controller metrics (from
// their /metrics).
package measure

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100
// on every Linux this runs on).
const clockTick = 10 * time.Millisecond

// ProcessCPU is the user plus system CPU time pid has used so far (0 when
// it is gone).
func ProcessCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// RSSBytes is the resident set size of pid from /proc (0 when unknown).
func RSSBytes(pid int) int64 {
	return statusKB(pid, "VmRSS:") * 1024
}

// PeakRSSBytes is the largest resident set size pid has had (VmHWM).
func PeakRSSBytes(pid int) int64 {
	return statusKB(pid, "VmHWM:") * 1024
}

func statusKB(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// RSS is the resident set size of pid, e.g. "84 MiB".
func RSS(pid int) string {
	b := RSSBytes(pid)
	if b == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d MiB", b/(1<<20))
}

// MiB formats a byte count in MiB.
func MiB(b int64) string { return fmt.Sprintf("%d MiB", b/(1<<20)) }
