// Package dashboard tests the web dashboard in a real headless Chromium
// against a local fleet started like `kurator up` (manager and dashboard as
// processes). The browser side is web/e2e/dashboard.e2e.ts (Playwright),
// run with npm; this package starts the fleet, hands the spec the URLs and
// tokens it needs, and serves the actions a browser cannot do itself
// (apply YAML to the hub, kill and restart a member's API server).
package dashboard

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-dashboard", DashboardBinary: fleettest.BuiltKurator}, true, &fleet,
		func(_ context.Context, st *localfleet.State) (func(), error) {
			var err error
			hub, err = fleettest.HubClient(st)
			return func() {}, err
		}))
}

// repoRoot is the module root, from this file's place in it.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func TestDashboardInBrowser(t *testing.T) {
	root := repoRoot(t)
	web := filepath.Join(root, "web")
	if _, err := os.Stat(filepath.Join(web, "dist", "index.html")); err != nil {
		t.Fatalf("the dashboard's web assets are not built (%v): run `make web` (make test does) before this package", err)
	}
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in web/node_modules (%v): run `make web`", err)
	}
	if fleet.DashboardURL == "" {
		t.Fatal("the fleet has no dashboard URL: localfleet did not start the dashboard")
	}
	login, err := urlParts(fleet.DashboardURL)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	nginx := filepath.Join(root, "api", "testdata", "seeds", "001-nginx-deployment-and-pp.yaml") // the nginx 60/40 example
	team := writeFile(t, dir, "team.yaml", teamWorkloads())
	shots := os.Getenv("KURATOR_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(root, "test", "e2e", "dashboard", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	control := startControl(t)
	before := hubCost(t, login)
	begin := time.Now()
	cmd := exec.Command("npm", "run", "--silent", "e2e")
	cmd.Dir = web
	cmd.Env = append(os.Environ(),
		"DASHBOARD_URL="+login.base,
		"LOGIN_TOKEN="+login.token,
		"TEAM_A_TOKEN="+viewerToken(t, "team-a"),
		"CONTROL_URL="+control,
		"NGINX_YAML="+nginx,
		"TEAM_YAML="+team,
		"HEALTH_THRESHOLD_MS=3000",
		"SCREENSHOT_DIR="+shots,
		"FORCE_COLOR=0", "NO_COLOR=1",
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start npm run e2e: %v", err)
	}
	var figures []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if strings.HasPrefix(line, "FIGURE ") {
			figures = append(figures, line)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the browser tests failed (%v); screenshots in %s, the dashboard's log in %s", err, shots, dashboardLog())
	}
	after := hubCost(t, login)
	minutes := time.Since(begin).Minutes()
	figures = append(figures,
		fmt.Sprintf("FIGURE dashboard-rss %d MiB (500 workloads cached)", dashboardRSS(t)>>20),
		fmt.Sprintf("FIGURE hub-watches %d open", after.Watches),
		fmt.Sprintf("FIGURE hub-requests %.0f per minute (%d in %.1f min, while the browser tests ran)", float64(after.Requests-before.Requests)/minutes, after.Requests-before.Requests, minutes),
	)
	for _, f := range figures {
		fmt.Println(f)
	}
	if len(figures) < 5 {
		t.Errorf("the browser tests printed %d FIGURE lines, want the overview API and paint medians", len(figures)-3)
	}
}

type loginURL struct{ base, token string }

func urlParts(u string) (loginURL, error) {
	base, query, ok := strings.Cut(u, "/login?token=")
	if !ok || query == "" {
		return loginURL{}, fmt.Errorf("dashboard URL %q has no login token", u)
	}
	return loginURL{base: base, token: query}, nil
}

func dashboardLog() string {
	if p, ok := fleet.Process(localfleet.HubName + "/dashboard"); ok {
		return p.Log
	}
	return "(no dashboard process)"
}

type cost struct {
	Watches  int64 `json:"watches"`
	Requests int64 `json:"requests"`
}

// hubCost reads what the dashboard has asked of the hub so far.
func hubCost(t *testing.T, l loginURL) cost {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, l.base+"/api/v1/hubcost", nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET /api/v1/hubcost: %v", err)
	}
	defer resp.Body.Close()
	var out cost
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/hubcost: %s, %v", resp.Status, err)
	}
	return out
}

func dashboardRSS(t *testing.T) int64 {
	p, ok := fleet.Process(localfleet.HubName + "/dashboard")
	if !ok {
		t.Fatal("no dashboard process in the fleet state")
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// teamWorkloads: one Deployment in each of team-a and team-b, each on
// every cluster.
func teamWorkloads() string {
	var b strings.Builder
	for _, ns := range []string{"team-a", "team-b"} {
		fmt.Fprintf(&b, `apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s-web, namespace: %[1]s}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.25}]}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: %[1]s}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: %[1]s-web}]
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]}
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
---
`, ns)
	}
	return b.String()
}

// viewerToken is a bearer token of ServiceAccount viewer in namespace,
// bound there to a Role that reads everything in the namespace and nothing
// else. (The built-in "view" ClusterRole is empty on a hub: its rules are
// aggregated by kube-controller-manager, which a hub does not run.)
func viewerToken(t *testing.T, namespace string) string {
	t.Helper()
	ctx := context.Background()
	kube := fleettest.Client(t, fleet, localfleet.HubName)
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: namespace}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: namespace},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: namespace},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "viewer", Namespace: namespace}}},
	}
	for _, o := range objs {
		if err := hub.Create(ctx, o); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
	tr, err := kube.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, "viewer",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/viewer: %v", namespace, err)
	}
	return tr.Status.Token
}

// startControl serves the browser spec's fleet actions on loopback.
func startControl(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	kubectl := func(verb string, flags ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			args := append([]string{"--kubeconfig", fleet.Kubeconfig, "--context", localfleet.HubName, verb, "-f", "-"}, flags...)
			cmd := exec.Command(filepath.Join(localfleet.DefaultBinDir(), "kubectl"), args...)
			cmd.Stdin = strings.NewReader(string(body))
			out, err := cmd.CombinedOutput()
			if err != nil {
				http.Error(w, fmt.Sprintf("kubectl %s: %v\n%s", verb, err, out), http.StatusInternalServerError)
				return
			}
			_, _ = w.Write(out)
		}
	}
	mux.HandleFunc("POST /apply", kubectl("apply"))
	// A status the spec writes itself (an Application's release), through
	// the status subresource as a controller would.
	mux.HandleFunc("POST /apply-status", kubectl("apply", "--server-side", "--subresource=status", "--field-manager=e2e-status", "--force-conflicts"))
	mux.HandleFunc("POST /delete", kubectl("delete"))
	mux.HandleFunc("POST /kill", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("cluster") + "/kube-apiserver"
		if err := fleet.Kill(name); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		t.Cleanup(func() { _ = fleettest.Restore(fleet, name) })
		fmt.Fprintf(w, "killed %s\n", name)
	})
	mux.HandleFunc("POST /restart", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("cluster") + "/kube-apiserver"
		if err := fleettest.Restore(fleet, name); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "restarted %s\n", name)
	})
	mux.HandleFunc("POST /bulk", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n <= 0 {
			http.Error(w, "give n, the number of workloads", http.StatusBadRequest)
			return
		}
		if err := bulk(r.Context(), n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d workloads scheduled\n", n)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// bulk creates n Deployments in namespace bench, propagated to every
// cluster with 0 replicas (the figure is about the dashboard's view of n
// workloads, not about running n*3 pods on fake nodes), and waits until the
// hub has scheduled all of them.
func bulk(ctx context.Context, n int) error {
	var b strings.Builder
	b.WriteString(`apiVersion: v1
kind: Namespace
metadata: {name: bench}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: bench, namespace: bench}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, labelSelector: {matchLabels: {bench: "true"}}}]
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]}
`)
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench-%04[1]d, namespace: bench, labels: {bench: "true"}}
spec:
  replicas: 0
  selector: {matchLabels: {app: bench-%04[1]d}}
  template:
    metadata: {labels: {app: bench-%04[1]d}}
    spec: {containers: [{name: app, image: nginx:1.25}]}
`, i)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(localfleet.DefaultBinDir(), "kubectl"), "--kubeconfig", fleet.Kubeconfig, "--context", localfleet.HubName, "apply", "--server-side", "-f", "-")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apply %d bench workloads: %v\n%s", n, err, out)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var l workv1alpha1.ResourceBindingList
		if err := hub.List(ctx, &l, client.InNamespace("bench")); err != nil {
			return err
		}
		scheduled := 0
		for _, rb := range l.Items {
			if meta.IsStatusConditionTrue(rb.Status.Conditions, workv1alpha1.ConditionScheduled) {
				scheduled++
			}
		}
		if scheduled >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d bench workloads scheduled after 3 minutes", scheduled, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
