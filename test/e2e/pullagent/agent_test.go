package pullagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// agent is one kurator-agent process: inside the namespace (through the
// relays) or, for the tests of refused identities, on the host.
type agent struct {
	cluster   string
	dir       string // its credentials, kubeconfig and logs
	inNS      bool
	token     string
	heartbeat time.Duration
	hubURL    string
	// memberKubeconfig is the member it runs for.
	memberKubeconfig string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
}

var (
	agentsMu sync.Mutex
	agents   []*agent

	// pull is the agent of cluster-shanghai, registered by the first test
	// that needs it (ensurePull) and kept for the package.
	pull       *agent
	registered time.Duration // token to Ready, measured when it registered
	// registrationToken is the token pull registered with.
	registrationToken string
)

// newAgent prepares (does not start) an agent for cluster in a directory
// of its own. In the namespace it reaches the hub and the member through the
// relays; on the host, directly.
func newAgent(t *testing.T, cluster, member, token string, inNS bool) *agent {
	t.Helper()
	dir, err := os.MkdirTemp(work, cluster+"-")
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{cluster: cluster, dir: dir, inNS: inNS, token: token, heartbeat: heartbeat}
	if inNS {
		a.hubURL = "https://" + hubRelay.Addr
		a.memberKubeconfig, err = memberKubeconfig(dir, member, memberRelay.Addr)
	} else {
		a.hubURL = "https://" + hostPort(fleet, localfleet.HubName)
		a.memberKubeconfig, err = memberKubeconfig(dir, member, hostPort(fleet, member))
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *agent) args() []string {
	args := []string{
		"--cluster-name=" + a.cluster,
		"--hub-url=" + a.hubURL,
		"--hub-ca-file=" + caFile(),
		"--hub-tls-server-name=127.0.0.1",
		"--kubeconfig=" + a.memberKubeconfig,
		"--credentials-dir=" + a.credentials(),
		"--heartbeat-interval=" + a.heartbeat.String(),
		"--log-file=" + a.logFile(),
	}
	if a.token != "" {
		args = append(args, "--token="+a.token)
	}
	return args
}

func (a *agent) credentials() string { return filepath.Join(a.dir, "credentials") }
func (a *agent) logFile() string     { return filepath.Join(a.dir, "agent.log") }
func (a *agent) stdoutFile() string  { return filepath.Join(a.dir, "stdout.log") }

// start runs the agent; it dies with the test process.
func (a *agent) start(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd != nil && !a.exitedLocked() {
		t.Fatalf("agent of %s already runs (pid %d)", a.cluster, a.cmd.Process.Pid)
	}
	out, err := os.OpenFile(a.stdoutFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var cmd *exec.Cmd
	if a.inNS {
		cmd = ns.Command(agentBin, a.args()...)
	} else {
		cmd = exec.Command(agentBin, a.args()...)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start agent of %s: %v", a.cluster, err)
	}
	exited := make(chan struct{})
	a.cmd, a.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		a.mu.Lock()
		a.exitErr = err
		a.mu.Unlock()
		close(exited)
	}()
	agentsMu.Lock()
	agents = append(agents, a)
	agentsMu.Unlock()
}

func (a *agent) exitedLocked() bool {
	select {
	case <-a.exited:
		return true
	default:
		return false
	}
}

// pid is the agent's own pid: `ip netns exec` execs the program.
func (a *agent) pid() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cmd.Process.Pid
}

// stop ends the agent as an orchestrator does: SIGTERM, then SIGKILL after
// 15 s. A stopped agent stays stopped.
func (a *agent) stop() error {
	a.mu.Lock()
	cmd, exited := a.cmd, a.exited
	a.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("agent of %s did not stop within 15s of SIGTERM; killed", a.cluster)
	}
}

// waitExit waits until the agent ends by itself and returns its exit error
// (nil for status 0), or fails the test.
func (a *agent) waitExit(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-a.exited:
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.exitErr
	case <-time.After(timeout):
		t.Fatalf("agent of %s still runs %s after it started; its output:\n%s", a.cluster, timeout, a.output())
		return nil
	}
}

// output is what the agent printed (stdout and stderr).
func (a *agent) output() string {
	data, err := os.ReadFile(a.stdoutFile())
	if err != nil {
		return err.Error()
	}
	return string(data)
}

func stopAgents() {
	agentsMu.Lock()
	defer agentsMu.Unlock()
	for _, a := range agents {
		if err := a.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

var tokenPattern = regexp.MustCompile(`\b([a-z0-9]{6})\.([a-z0-9]{16})\b`)

// createToken runs `kurator token create` on the hub and returns the token
// it printed.
func createToken(t *testing.T, args ...string) string {
	t.Helper()
	out := fleettest.Kurator(t, fleet, append([]string{"token", "create", "--ttl", "1h", "--description", "e2e " + t.Name()}, args...)...)
	m := tokenPattern.FindString(out)
	if m == "" {
		t.Fatalf("kurator token create printed no token <id>.<secret>:\n%s", out)
	}
	return m
}

// ensurePull makes sure cluster-shanghai's agent runs in the namespace and
// its cluster is Ready: the first call registers it with a new token
// (token to Ready is the registration figure), later ones restart a stopped
// agent with its stored credentials.
func ensurePull(t *testing.T) {
	t.Helper()
	if pull == nil {
		moveIntoNamespace(t)
		registrationToken = createToken(t)
		pull = newAgent(t, shanghai, shanghai, registrationToken, true)
		begin := time.Now()
		pull.start(t)
		waitReady(t, shanghai, 90*time.Second)
		registered = time.Since(begin)
		t.Logf("figure: registration of %s (agent started with a token, CSR approved and signed, first heartbeat) to Ready in %s", shanghai, registered.Round(time.Millisecond))
		return
	}
	pull.mu.Lock()
	down := pull.cmd == nil || pull.exitedLocked()
	pull.mu.Unlock()
	if down {
		pull.token = "" // its certificate is on disk
		pull.start(t)
	}
	waitReady(t, shanghai, 60*time.Second)
}

// moveIntoNamespace stops the agent the fleet started for the pull member
// on loopback and unregisters the cluster (`kurator unregister`): its
// AttachedCluster, Lease and hub RBAC go, its certificate is authorised for
// nothing from then on. The namespace's agent registers it anew.
func moveIntoNamespace(t *testing.T) {
	t.Helper()
	if err := fleet.Stop(localfleet.AgentProcess(shanghai)); err != nil {
		t.Fatal(err)
	}
	out := fleettest.Kurator(t, fleet, "unregister", shanghai)
	t.Logf("kurator unregister %s:\n%s", shanghai, out)
	ctx := context.Background()
	fleettest.Eventually(t, 30*time.Second, "AttachedCluster "+shanghai+" gone", func() error {
		_, err := attached(ctx, shanghai)
		return fleettest.Absent("AttachedCluster "+shanghai, err)
	})
	// Revoked: the certificate still authenticates, and may do nothing.
	old := agentClient(t, filepath.Join(fleet.AgentDir(shanghai), "credentials"))
	fleettest.Eventually(t, 30*time.Second, "the unregistered agent's certificate refused its Works", func() error {
		err := old.List(ctx, &workv1alpha1.WorkList{}, client.InNamespace(workv1alpha1.ExecutionNamespace(shanghai)))
		if !apierrors.IsForbidden(err) {
			return fmt.Errorf("list its Works: %v, want 403 Forbidden", err)
		}
		return nil
	})
}

// restartPull restarts the pull agent with another heartbeat interval.
func restartPull(t *testing.T, interval time.Duration) {
	t.Helper()
	ensurePull(t)
	if err := pull.stop(); err != nil {
		t.Fatal(err)
	}
	pull.heartbeat = interval
	ensurePull(t)
}

func attached(ctx context.Context, name string) (*clusterv1alpha1.AttachedCluster, error) {
	var ac clusterv1alpha1.AttachedCluster
	err := hub.Get(ctx, client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: name}, &ac)
	return &ac, err
}

// readyStatus is the cluster's Ready condition status ("" without one).
func readyStatus(ctx context.Context, name string) (metav1.ConditionStatus, string, error) {
	ac, err := attached(ctx, name)
	if err != nil {
		return "", "", err
	}
	if c := ac.ReadyCondition(); c != nil {
		return c.Status, c.Reason + ": " + c.Message, nil
	}
	return "", "no Ready condition", nil
}

func waitReady(t *testing.T, name string, timeout time.Duration) {
	t.Helper()
	waitCondition(t, name, metav1.ConditionTrue, timeout)
}

func waitCondition(t *testing.T, name string, want metav1.ConditionStatus, timeout time.Duration) {
	t.Helper()
	fleettest.Eventually(t, timeout, fmt.Sprintf("%s Ready=%s", name, want), func() error {
		got, why, err := readyStatus(context.Background(), name)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("Ready=%s (%s); agent output:\n%s", got, why, lastLines(pullOutput(), 10))
		}
		return nil
	})
}

func pullOutput() string {
	if pull == nil {
		return "(no agent)"
	}
	return pull.output()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// procStat reads a process's CPU time (user+system) and resident memory.
func procStat(pid int) (cpu time.Duration, rss int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command (in parentheses, which may hold spaces):
	// state is field 3, utime 14, stime 15, in clock ticks (USER_HZ 100).
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("unparsable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	cpu = time.Duration(utime+stime) * (time.Second / 100)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	return cpu, rss, nil
}
