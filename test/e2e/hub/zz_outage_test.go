package hub

import (
	"context"
	"fmt"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// Killing a member's kube-apiserver turns its AttachedCluster Ready=False
// within the configured threshold (3 s on the local fleet, probed every 1 s),
// and restarting it turns it back. Runs last (file order): it disturbs a member.
func TestZZMemberOutageAndRecovery(t *testing.T) {
	const member = "cluster-frankfurt"
	row := regexp.MustCompile(`(?m)^` + member + `\s+(\S+)`)
	readyIs := func(want string) func() error {
		return func() error {
			out := kurator(t, "get", "clusters")
			m := row.FindStringSubmatch(out)
			if m == nil || m[1] != want {
				return fmt.Errorf("READY column %v, want %s:\n%s", m, want, out)
			}
			return nil
		}
	}
	eventually(t, 60*time.Second, member+" Ready=True", readyIs("True"))

	// SIGKILL, as in a crash: a graceful stop would first drain for seconds.
	p, _ := fleet.Process(member + "/kube-apiserver")
	down := time.Now()
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, member+" Ready=False after its apiserver stopped", readyIs("False"))
	t.Logf("%s Ready=False %s after its apiserver stopped (threshold 3s)", member, time.Since(down).Round(time.Millisecond))

	if err := fleet.Restart(context.Background(), member+"/kube-apiserver", true); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	eventually(t, 30*time.Second, member+" Ready=True after restart", readyIs("True"))
	t.Logf("%s Ready=True %s after its apiserver came back", member, time.Since(up).Round(time.Millisecond))
}
