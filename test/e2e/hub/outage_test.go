package hub

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// Killing a member's kube-apiserver turns its AttachedCluster Ready=False
// within the configured threshold (3 s on the local fleet, probed every 1 s),
// and restarting it turns it back. The member is whole again (running and
// Ready on the hub) when the test ends, however the test ends.
func TestMemberOutageAndRecovery(t *testing.T) {
	const member = "cluster-frankfurt"
	eventually(t, 60*time.Second, member+" Ready=True", clusterReadyIs(t, member, "True"))

	// SIGKILL, as in a crash: a graceful stop would first drain for seconds.
	down := fleettest.Kill(t, fleet, member+"/kube-apiserver", func(t *testing.T) {
		eventually(t, 60*time.Second, member+" Ready=True after the test", clusterReadyIs(t, member, "True"))
	})
	eventually(t, 20*time.Second, member+" Ready=False after its apiserver stopped", clusterReadyIs(t, member, "False"))
	t.Logf("%s Ready=False %s after its apiserver stopped (threshold 3s)", member, time.Since(down).Round(time.Millisecond))

	up := time.Now()
	if err := fleet.Restart(t.Context(), member+"/kube-apiserver", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, member+" Ready=True after restart", clusterReadyIs(t, member, "True"))
	t.Logf("%s Ready=True %s after its apiserver came back", member, time.Since(up).Round(time.Millisecond))
}

// clusterReadyIs checks the READY column of `kurator get clusters` for one
// cluster.
func clusterReadyIs(t *testing.T, cluster, want string) func() error {
	row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cluster) + `\s+(\S+)`)
	return func() error {
		out := kurator(t, "get", "clusters")
		m := row.FindStringSubmatch(out)
		if m == nil || m[1] != want {
			return fmt.Errorf("READY column %v, want %s:\n%s", m, want, out)
		}
		return nil
	}
}
