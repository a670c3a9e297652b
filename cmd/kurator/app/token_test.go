package app

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/agentinstall"
)

// runKurator runs the CLI with args against nothing (no hub needed for
// what these tests reach) and returns its output and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	// No kubeconfig of the user's may leak into a test.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	err := cmd.Execute()
	return out.String(), err
}

func TestRegisterFlagErrors(t *testing.T) {
	pull := []string{"cluster", "register", "--name", "north", "--mode", "pull", "--hub", "https://hub:6443", "--token", "abc123.0123456789abcdef"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"push without --kubeconfig names it", []string{"cluster", "register", "--name", "north"}, "--kubeconfig is required in Push mode"},
		{"push with a Pull flag says they are for pull", []string{"cluster", "register", "--name", "north", "--kubeconfig", "x", "--token", "abc123.0123456789abcdef"}, "are for --mode pull"},
		{"an unknown mode names both", []string{"cluster", "register", "--name", "north", "--mode", "sideways"}, "use push"},
		{"no name names --name", []string{"cluster", "register", "--mode", "pull"}, "--name is required"},
		{"pull without --hub names it", []string{"cluster", "register", "--name", "north", "--mode", "pull", "--token", "abc123.0123456789abcdef"}, "--hub is required"},
		{"pull without --token says how to get one", []string{"cluster", "register", "--name", "north", "--mode", "pull", "--hub", "https://hub:6443"}, "kurator token create"},
		{"pull with a malformed token names --token", []string{"cluster", "register", "--name", "north", "--mode", "pull", "--hub", "https://hub:6443", "--token", "secret"}, "--token"},
		{"pull with --server-addr points at --hub", append(pull, "--server-addr", "https://x"), "--server-addr is for Push mode"},
		{"dry-run as json is refused", append(pull, "--dry-run", "-o", "json"), "yaml only"},
		{"both CA flags are refused", append(pull, "--hub-ca-file", "a", "--hub-ca-data", "Yg=="), "not both"},
		{"a CA that is not base64 is refused", append(pull, "--hub-ca-data", "%%%"), "--hub-ca-data: not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCLI(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRegisterPullDryRunPrintsTheMemberObjects(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "cluster", "register", "--name", "north", "--mode", "pull", "--hub", "https://hub:6443",
		"--token", "abc123.0123456789abcdef", "--hub-ca-file", ca, "--image", "registry.local/agent:v1", "--dry-run", "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"kind: Namespace", "kind: Deployment", "image: registry.local/agent:v1", "--cluster-name=north",
		"--hub-url=https://hub:6443", "name: kurator-agent-hub", "ca.crt: " + base64.StdEncoding.EncodeToString([]byte("PEM"))} {
		if !strings.Contains(out, part) {
			t.Errorf("dry-run output lacks %q:\n%s", part, out)
		}
	}
}

func TestTokenCommandsNeedAHub(t *testing.T) {
	for _, args := range [][]string{{"token", "create"}, {"token", "list"}, {"token", "delete", "abc123"}, {"unregister", "north"}} {
		_, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "kurator up") {
			t.Errorf("kurator %s without a hub: error %v, want one saying how to reach a hub", strings.Join(args, " "), err)
		}
	}
	if _, err := runCLI(t, "token", "delete"); err == nil || !strings.Contains(err.Error(), "exactly one token id") {
		t.Errorf("token delete without an id: %v", err)
	}
}

func TestPrintToken(t *testing.T) {
	var out bytes.Buffer
	tok := agentinstall.Token{ID: "abc123", Secret: "0123456789abcdef"}
	printToken(&out, tok, time.Now().Add(2*time.Hour), "https://127.0.0.1:6443", caFlag(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAFile: "/pki/ca.crt"}}))
	want := "kurator cluster register --name NAME --mode pull --hub https://127.0.0.1:6443 --token abc123.0123456789abcdef --hub-ca-file /pki/ca.crt\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks the register command %q:\n%s", want, out.String())
	}
	if !strings.Contains(out.String(), "kurator token delete abc123") {
		t.Errorf("output does not say how to revoke:\n%s", out.String())
	}
	if got := caFlag(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAData: []byte("PEM")}}); got != " --hub-ca-data UEVN" {
		t.Errorf("caFlag with CA data = %q, want it inline in base64", got)
	}
}

func TestPrintTokens(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	err := printTokens(&out, []agentinstall.TokenInfo{
		{ID: "old000", Expires: now.Add(-time.Minute), Kurator: true},
		{ID: "new000", Expires: now.Add(90 * time.Minute), Fleet: "global-production", Description: "north", Kurator: true},
		{ID: "kubeadm", Kurator: false},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^ID\s+EXPIRES\s+FLEET\s+DESCRIPTION$`,
		`(?m)^old000\s+2029-12-31T23:59:00Z \(expired\)\s+-\s+-$`,
		`(?m)^new000\s+2030-01-01T01:30:00Z \(in 1h30m0s\)\s+global-production\s+north$`,
		`(?m)^kubeadm\s+never\s+-\s+\(not for kurator agents\)`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output does not match %s:\n%s", re, out.String())
		}
	}
	out.Reset()
	if err := printTokens(&out, nil, now); err != nil || !strings.Contains(out.String(), "kurator token create") {
		t.Errorf("no tokens: %q, %v; want a hint to create one", out.String(), err)
	}
}

func TestPrintClustersShowsModeHeartbeatAndAgent(t *testing.T) {
	beat := metav1.NewTime(time.Now().Add(-12 * time.Second))
	items := []clusterv1alpha1.AttachedCluster{
		{ObjectMeta: metav1.ObjectMeta{Name: "north", CreationTimestamp: metav1.Now()},
			Spec: clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
			Status: clusterv1alpha1.AttachedClusterStatus{
				Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue}},
				Agent:      &clusterv1alpha1.AgentStatus{Version: "v0.4.0", LastHeartbeatTime: &beat}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "south", CreationTimestamp: metav1.Now()},
			Spec: clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: "south-kubeconfig"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "west", CreationTimestamp: metav1.Now()},
			Spec: clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull}},
	}
	var out bytes.Buffer
	if err := printClusters(&out, items, false); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^NAME\s+READY\s+MODE\s+VERSION\s+PROVIDER\s+REGION\s+NODES\s+HEARTBEAT\s+AGENT\s+AGE$`,
		`(?m)^north\s+True\s+Pull\s+-\s+-\s+-\s+-\s+1[0-9]s\s+v0\.4\.0\s+\d+s$`,
		`(?m)^south\s+Unknown\s+Push\s+-\s+-\s+-\s+-\s+-\s+-\s+\d+s$`,
		`(?m)^west\s+Unknown\s+Pull\s+(-\s+){6}\d+s$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output does not match %s:\n%s", re, out.String())
		}
	}
}

func TestUpRefusesPullMembersOutsideMembers(t *testing.T) {
	_, err := runCLI(t, "up", "--members", "east,west", "--pull-members", "north", "--state-dir", t.TempDir(), "--no-kubeconfig-merge", "--no-dashboard", "--no-prometheus")
	if err == nil || !strings.Contains(err.Error(), `--pull-members "north": not a member`) {
		t.Fatalf("error %v, want one naming the unknown Pull member", err)
	}
}
