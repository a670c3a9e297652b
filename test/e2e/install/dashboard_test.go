package install

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kurator-go/kurator/pkg/dashboard"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	// dashSA is the dashboard's ServiceAccount in the chart.
	dashSA   = "kurator-dashboard"
	dashUser = "system:serviceaccount:" + systemNS + ":" + dashSA
	// dashTLSSecret is the Secret the test creates for dashboard.tls.secretName.
	dashTLSSecret = "kurator-dashboard-tls"
	// viewerNS/viewerSA: the user who logs in to the dashboard.
	viewerNS = "default"
	viewerSA = "dashboard-viewer"
)

// dashboardValues are the --set flags that turn the dashboard on.
var dashboardValues = []string{"--set", "dashboard.enabled=true", "--set", "dashboard.tls.secretName=" + dashTLSSecret}

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost
// and its key into dir, returning both paths and the PEM bytes.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string, certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", name, name + "." + systemNS + ".svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, certPEM, keyPEM
}

// installDashboard creates the TLS Secret, installs again with the
// dashboard enabled and checks its Deployment is available as its own
// ServiceAccount, bound to its own ClusterRole.
func installDashboard(t *testing.T, cs kubernetes.Interface, kc string) {
	ctx := context.Background()
	_, _, certPEM, keyPEM := selfSigned(t, work, "kurator-dashboard")
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: dashTLSSecret, Namespace: systemNS},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
	}
	if _, err := cs.CoreV1().Secrets(systemNS).Create(ctx, secret, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	args := append([]string{"install", "center-manager", "--kubeconfig", kc, "--wait", "--timeout", "3m"}, dashboardValues...)
	out := mustKurator(t, args...)
	t.Logf("install with the dashboard:\n%s", out)
	if !strings.Contains(out, "kurator-dashboard") {
		t.Errorf("the install did not report the dashboard's objects or rollout:\n%s", out)
	}
	fleettest.Eventually(t, time.Minute, "the dashboard Deployment is available as ServiceAccount "+dashSA, func() error {
		d, err := cs.AppsV1().Deployments(systemNS).Get(ctx, "kurator-dashboard", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != 1 || d.Status.ObservedGeneration != d.Generation {
			return fmt.Errorf("%d/1 available (generation %d, observed %d)", d.Status.AvailableReplicas, d.Generation, d.Status.ObservedGeneration)
		}
		if sa := d.Spec.Template.Spec.ServiceAccountName; sa != dashSA {
			return fmt.Errorf("the dashboard runs as ServiceAccount %q, want %s", sa, dashSA)
		}
		pods, err := cs.CoreV1().Pods(systemNS).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=dashboard"})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && p.Spec.ServiceAccountName == dashSA {
				return nil
			}
		}
		return fmt.Errorf("no running dashboard pod as %s among %d", dashSA, len(pods.Items))
	})
	if _, err := cs.CoreV1().ServiceAccounts(systemNS).Get(ctx, dashSA, metav1.GetOptions{}); err != nil {
		t.Errorf("dashboard ServiceAccount: %v", err)
	}
	if svc, err := cs.CoreV1().Services(systemNS).Get(ctx, "kurator-dashboard", metav1.GetOptions{}); err != nil {
		t.Errorf("dashboard Service: %v", err)
	} else if svc.Spec.ClusterIP == "" || len(svc.Spec.Ports) == 0 || svc.Spec.Ports[0].Port != 8443 {
		t.Errorf("dashboard Service has no cluster IP or port 8443: %+v", svc.Spec)
	}
	if b, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, dashSA, metav1.GetOptions{}); err != nil {
		t.Errorf("dashboard ClusterRoleBinding: %v", err)
	} else if b.RoleRef.Name != dashSA || len(b.Subjects) != 1 || b.Subjects[0].Name != dashSA || b.Subjects[0].Namespace != systemNS {
		t.Errorf("ClusterRoleBinding %s binds %+v to %s, want ServiceAccount %s/%s to ClusterRole %s", dashSA, b.Subjects, b.RoleRef.Name, systemNS, dashSA, dashSA)
	}
}

// viewerToken makes ServiceAccount default/dashboard-viewer a reader: the
// built-in view ClusterRole (workload templates, events) and a reader of
// every Kurator and Karmada kind (view holds none of them), and returns a
// token for it.
func viewerToken(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	ctx := context.Background()
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: viewerSA, Namespace: viewerNS}}
	create := func(what string, err error) {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %s: %v", what, err)
		}
	}
	_, err := cs.CoreV1().ServiceAccounts(viewerNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: viewerSA}}, metav1.CreateOptions{})
	create("ServiceAccount "+viewerSA, err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: viewerSA + "-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   subject,
	}, metav1.CreateOptions{})
	create("ClusterRoleBinding "+viewerSA+"-view", err)
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: viewerSA + "-kurator"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: kuratorGroups, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{})
	create("ClusterRole "+viewerSA+"-kurator", err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: viewerSA + "-kurator"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: viewerSA + "-kurator"},
		Subjects:   subject,
	}, metav1.CreateOptions{})
	create("ClusterRoleBinding "+viewerSA+"-kurator", err)
	tr, err := cs.CoreV1().ServiceAccounts(viewerNS).CreateToken(ctx, viewerSA, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("request a token for %s/%s: %v", viewerNS, viewerSA, err)
	}
	return tr.Status.Token
}

// freeLoopbackAddr returns 127.0.0.1:PORT with a port nothing listens on now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func dashboardLog() string { return filepath.Join(work, "kurator-dashboard.log") }

// startDashboard runs `kurator dashboard` (the binary built from this tree)
// against the management cluster with kubeconfig, over HTTPS with its own
// certificate, and waits for /healthz. stop ends it with SIGTERM and may be
// called more than once.
func startDashboard(t *testing.T, kubeconfig string) (base string, stop func()) {
	t.Helper()
	certFile, keyFile, _, _ := selfSigned(t, work, "dashboard-process")
	addr := freeLoopbackAddr(t)
	p := startProcess(t, "kurator dashboard", dashboardLog(), kuratorBin, "dashboard",
		"--kubeconfig="+kubeconfig,
		"--context="+mgmt,
		"--addr="+addr,
		"--tls-cert-file="+certFile,
		"--tls-key-file="+keyFile,
		"--no-login-token",
	)
	stop = p.stop
	base = "https://" + addr
	c := dashboardClient(nil)
	fleettest.Eventually(t, time.Minute, "kurator dashboard answers /healthz on "+base, func() error {
		select {
		case err := <-p.done:
			p.done <- err
			log, _ := os.ReadFile(dashboardLog())
			t.Fatalf("kurator dashboard exited before serving: %v\n%s", err, log)
		default:
		}
		resp, err := c.Get(base + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz: %s", resp.Status)
		}
		return nil
	})
	return base, stop
}

// dashboardClient trusts the dashboard's self-signed certificate and does
// not follow redirects (the login answers with one).
func dashboardClient(jar http.CookieJar) *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Jar: jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// getJSON fetches path (as bearer, or with the client's cookies when
// bearer is empty), decodes the answer into a fresh value and returns the
// status code.
func getJSON[T any](t *testing.T, c *http.Client, base, path, bearer string) (T, int) {
	t.Helper()
	var v T
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return v, resp.StatusCode
}

// browseDashboard logs in as the viewer (bearer token, then a browser's
// session cookie) and reads the pages that show the fleet: the joined
// members, seed 001's nginx with its placement and template, the policies,
// rollouts, scaling and applications lists.
func browseDashboard(t *testing.T, base, viewer string) {
	anon := dashboardClient(nil)
	if _, code := getJSON[dashboard.Error](t, anon, base, "/api/v1/overview", ""); code != http.StatusUnauthorized {
		t.Errorf("anonymous overview: %d, want 401", code)
	}
	who, code := getJSON[dashboard.Whoami](t, anon, base, "/api/v1/whoami", viewer)
	if code != http.StatusOK || who.Mode != "token" || who.User != "system:serviceaccount:"+viewerNS+":"+viewerSA {
		t.Fatalf("viewer whoami: %d %+v, want %s by token (the dashboard's TokenReview)", code, who, viewerSA)
	}

	// A browser logs in once with the token and then holds a session cookie.
	jar, _ := cookiejar.New(nil)
	browser := dashboardClient(jar)
	resp, err := browser.Get(base + "/login?token=" + url.QueryEscape(viewer) + "&next=/clusters")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/clusters" {
		t.Fatalf("login with the viewer's token: %s to %q, want 303 to /clusters", resp.Status, loc)
	}

	want := []string{}
	for _, m := range fleet.Members {
		if m.Name != mgmt {
			want = append(want, m.Name)
		}
	}
	fleettest.Eventually(t, 30*time.Second, fmt.Sprintf("the overview shows the joined members %v to the viewer", want), func() error {
		o, code := getJSON[dashboard.Overview](t, browser, base, "/api/v1/overview", "")
		if code != http.StatusOK {
			return fmt.Errorf("overview: %d", code)
		}
		if len(o.Forbidden) > 0 {
			return fmt.Errorf("overview forbids %v to the viewer", o.Forbidden)
		}
		seen := map[string]bool{}
		for _, c := range o.Clusters {
			seen[c.Name] = true
		}
		for _, n := range want {
			if !seen[n] {
				return fmt.Errorf("cluster %s missing from %d clusters", n, len(o.Clusters))
			}
		}
		return nil
	})
	for _, n := range want {
		if d, code := getJSON[dashboard.ClusterDetail](t, browser, base, "/api/v1/clusters/"+n, ""); code != http.StatusOK || d.Summary.Name != n {
			t.Errorf("cluster page %s: %d %q", n, code, d.Summary.Name)
		}
	}

	var nginx dashboard.WorkloadSummary
	fleettest.Eventually(t, 30*time.Second, "the workloads list shows default/nginx 10/10 in two clusters", func() error {
		l, code := getJSON[dashboard.WorkloadList](t, browser, base, "/api/v1/workloads?namespace=default", "")
		if code != http.StatusOK {
			return fmt.Errorf("workloads: %d", code)
		}
		for _, w := range l.Items {
			if w.Ref.Kind == "Deployment" && w.Ref.Name == "nginx" {
				nginx = w
				if w.Desired != 10 || len(w.Clusters) != 2 {
					return fmt.Errorf("nginx: desired %d in %d clusters, want 10 in 2", w.Desired, len(w.Clusters))
				}
				return nil
			}
		}
		return fmt.Errorf("no Deployment nginx among %d workloads", len(l.Items))
	})
	d, code := getJSON[dashboard.WorkloadDetail](t, browser, base, "/api/v1/workloads/default/"+nginx.Binding, "")
	if code != http.StatusOK || d.Summary.Ref.Name != "nginx" {
		t.Fatalf("nginx's workload page: %d %+v", code, d.Summary.Ref)
	}
	if len(d.Overrides) != 2 {
		t.Errorf("nginx's workload page renders %d clusters' manifests, want 2", len(d.Overrides))
	}
	for _, r := range d.Overrides {
		// The render diffs the hub's template (read through the template
		// rule) with the Work's manifest.
		if r.Error != "" || len(r.Diff) == 0 {
			t.Errorf("nginx's rendering for %s: error %q, %d diff lines; want the template beside the Work's manifest", r.Cluster, r.Error, len(r.Diff))
		}
	}

	pol, code := getJSON[dashboard.PolicyList](t, browser, base, "/api/v1/policies", "")
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(pol), "nginx-propagation") {
		t.Errorf("policies page: %d, nginx-propagation missing: %+v", code, pol)
	}
	ro, code := getJSON[dashboard.RolloutList](t, browser, base, "/api/v1/rollouts", "")
	if code != http.StatusOK || len(ro.Items) != 1 || ro.Items[0].Name != "reviews" {
		t.Errorf("rollouts page: %d %+v, want Rollout reviews", code, ro)
	}
	sp, code := getJSON[dashboard.ScalePolicyList](t, browser, base, "/api/v1/scalepolicies", "")
	if code != http.StatusOK || len(sp.Items) != 1 || sp.Items[0].Name != "missing-target" {
		t.Errorf("scale policies page: %d %+v, want ScalePolicy missing-target", code, sp)
	}
	if _, code := getJSON[dashboard.ApplicationList](t, browser, base, "/api/v1/applications", ""); code != http.StatusOK {
		t.Errorf("applications page: %d", code)
	}
	if _, code := getJSON[dashboard.NodePoolList](t, browser, base, "/api/v1/nodepools", ""); code != http.StatusOK {
		t.Errorf("node pools page: %d", code)
	}
}

// checkDashboardLog: the dashboard logged no forbidden request.
func checkDashboardLog(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(dashboardLog())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("the dashboard was refused something (add the rule to charts/kurator/templates/dashboard-rbac.yaml): %s", line)
		}
	}
}
