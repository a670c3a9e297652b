package dashboard

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kurator-go/kurator/pkg/dashboard"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

func httpClient(jar http.CookieJar) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Jar: jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches path as bearer (none: cookies only) and decodes a JSON answer.
func get(t *testing.T, c *http.Client, base, path, bearer string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if into != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		// A fresh value each time: decoding into the last answer keeps the
		// fields this one omits.
		reflect.ValueOf(into).Elem().SetZero()
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestAPILogsInAndFiltersByRBAC(t *testing.T) {
	l, err := urlParts(fleet.DashboardURL)
	if err != nil {
		t.Fatal(err)
	}
	fleettest.Kubectl(t, fleet, teamWorkloads(), "--context", "kurator-hub", "apply", "-f", "-")
	anon := httpClient(nil)

	var e dashboard.Error
	if code := get(t, anon, l.base, "/api/v1/overview", "", &e); code != http.StatusUnauthorized || !strings.Contains(e.Hint, "kurator up") {
		t.Fatalf("anonymous overview: %d %+v, want 401 with a hint naming kurator up", code, e)
	}
	resp, err := anon.Get(l.base + "/login?token=not-a-token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?error=") {
		t.Fatalf("bad token: %s to %q, want 303 to /login?error=", resp.Status, loc)
	}

	jar, _ := cookiejar.New(nil)
	owner := httpClient(jar)
	resp, err = owner.Get(l.base + "/login?token=" + l.token + "&next=/workloads")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/workloads" {
		t.Fatalf("login: %s to %q, want 303 to /workloads", resp.Status, loc)
	}
	var who dashboard.Whoami
	if get(t, owner, l.base, "/api/v1/whoami", "", &who); who.Mode != "kubeconfig" || who.User != "kurator-admin" {
		t.Fatalf("owner whoami %+v, want kurator-admin by kubeconfig", who)
	}
	var all dashboard.WorkloadList
	fleettest.Eventually(t, 30*time.Second, "the owner sees team-a's and team-b's workloads", func() error {
		get(t, owner, l.base, "/api/v1/workloads", "", &all)
		return hasNamespaces(all, "team-a", "team-b")
	})

	viewer := viewerToken(t, "team-a")
	if get(t, anon, l.base, "/api/v1/whoami", viewer, &who); who.Mode != "token" || who.User != "system:serviceaccount:team-a:viewer" {
		t.Fatalf("viewer whoami %+v", who)
	}
	var mine dashboard.WorkloadList
	get(t, anon, l.base, "/api/v1/workloads", viewer, &mine)
	if err := hasNamespaces(mine, "team-a"); err != nil || len(mine.Namespaces) != 1 {
		t.Fatalf("viewer workloads in %v (%v), want team-a only", mine.Namespaces, err)
	}
	if code := get(t, anon, l.base, "/api/v1/workloads/team-b/team-b-web-deployment", viewer, &e); code != http.StatusNotFound {
		t.Fatalf("viewer reading team-b's workload: %d, want 404", code)
	}
	var o dashboard.Overview
	if get(t, anon, l.base, "/api/v1/overview", viewer, &o); len(o.Clusters) != 0 || !strings.Contains(strings.Join(o.Forbidden, ","), "clusters") {
		t.Fatalf("viewer overview: %d clusters, forbidden %v; want none and clusters forbidden", len(o.Clusters), o.Forbidden)
	}
}

func hasNamespaces(l dashboard.WorkloadList, want ...string) error {
	for _, ns := range want {
		found := false
		for _, w := range l.Items {
			found = found || w.Ref.Namespace == ns
		}
		if !found {
			return &missing{ns}
		}
	}
	return nil
}

type missing struct{ ns string }

func (m *missing) Error() string { return "no workload in namespace " + m.ns }

func TestWatchStreamsAHubChangeWithinTwoSeconds(t *testing.T) {
	l, err := urlParts(fleet.DashboardURL)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, l.base+"/api/v1/watch", nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	stream := httpClient(nil)
	stream.Timeout = 0
	c := httpClient(nil)
	resp, err := stream.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	changes := make(chan dashboard.Change, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ch dashboard.Change
				if json.Unmarshal([]byte(data), &ch) == nil {
					changes <- ch
				}
			}
		}
		close(changes)
	}()
	// A spec label the cluster page shows: the notice must come, and the
	// page's data must hold the new value when it does.
	value := strconv.FormatInt(time.Now().UnixNano(), 10)
	fleettest.Kubectl(t, fleet, "", "--context", "kurator-hub", "patch", "attachedcluster", "-n", "kurator-system", "cluster-shanghai",
		"--type=merge", "-p", `{"spec":{"labels":{"dashboard-test":"`+value+`"}}}`)
	sent := time.Now()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case ch, ok := <-changes:
			if !ok {
				t.Fatal("the stream closed")
			}
			if !slices.Contains(ch.Topics, "clusters") {
				continue
			}
			var d dashboard.ClusterDetail
			get(t, c, l.base, "/api/v1/clusters/cluster-shanghai", l.token, &d)
			if d.Labels["dashboard-test"] == value {
				t.Logf("the change reached the stream and the cluster page %v after the patch", time.Since(sent).Round(time.Millisecond))
				return
			}
		case <-deadline:
			t.Fatal("no clusters change on the stream within 2s of labelling a cluster")
		}
	}
}

// seedDocs returns the documents of the seed example file that name one of
// names, joined for kubectl.
func seedDocs(t *testing.T, names ...string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "seed-001", "seed-001.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, doc := range strings.Split(string(raw), "\n---") {
		for _, n := range names {
			if strings.Contains(doc, "\n  name: "+n+"\n") {
				keep = append(keep, doc)
			}
		}
	}
	if len(keep) != len(names) {
		t.Fatalf("found %d of %v in seed-001.yaml", len(keep), names)
	}
	return strings.Join(keep, "\n---") + "\n"
}

// The workload page diffs the template against what each member receives:
// the cross-cloud override policy's registry and command in hangzhou and
// frankfurt, only the replica share in shanghai.
func TestWorkloadPageShowsEachClustersOverrides(t *testing.T) {
	l, err := urlParts(fleet.DashboardURL)
	if err != nil {
		t.Fatal(err)
	}
	c := httpClient(nil)
	// global-app divides by free capacity: a cluster whose capacity the hub
	// has not collected yet has room for none, so wait for all three.
	fleettest.Eventually(t, 30*time.Second, "every cluster Ready, untainted, its capacity collected", func() error {
		var o dashboard.Overview
		get(t, c, l.base, "/api/v1/overview", l.token, &o)
		for _, cl := range o.Clusters {
			if cl.CPU.Total == 0 || cl.Ready.Status != "True" || len(cl.Taints) > 0 {
				return fmt.Errorf("%s: capacity %d, Ready %s, %d taints", cl.Name, cl.CPU.Total, cl.Ready.Status, len(cl.Taints))
			}
		}
		if len(o.Clusters) != 3 {
			return fmt.Errorf("%d clusters", len(o.Clusters))
		}
		return nil
	})
	fleettest.Kubectl(t, fleet, seedDocs(t, "global-app", "global-app-propagation", "cross-cloud-config"), "--context", "kurator-hub", "apply", "-f", "-")
	t.Cleanup(func() {
		fleettest.Kubectl(t, fleet, seedDocs(t, "global-app", "global-app-propagation", "cross-cloud-config"), "--context", "kurator-hub", "delete", "--ignore-not-found", "-f", "-")
	})
	t.Cleanup(func() {
		if t.Failed() { // what the hub holds, to tell a hub fault from a dashboard one
			t.Log(fleettest.Kubectl(t, fleet, "", "--context", "kurator-hub", "get", "works", "-A", "-o", "wide"))
			t.Log(fleettest.Kubectl(t, fleet, "", "--context", "kurator-hub", "get", "rb", "global-app-deployment", "-o", "yaml"))
		}
	})
	added := func(r dashboard.ClusterRender) string {
		var b strings.Builder
		for _, d := range r.Diff {
			if d.Op == "+" {
				b.WriteString(strings.TrimSpace(d.Text) + "\n")
			}
		}
		return b.String()
	}
	var d dashboard.WorkloadDetail
	fleettest.Eventually(t, 60*time.Second, "global-app's page shows its rendering in all 3 clusters", func() error {
		if code := get(t, c, l.base, "/api/v1/workloads/default/global-app-deployment", l.token, &d); code != http.StatusOK {
			return fmt.Errorf("status %d", code)
		}
		if len(d.Overrides) != 3 {
			return fmt.Errorf("%d clusters rendered", len(d.Overrides))
		}
		for _, r := range d.Overrides {
			if r.Error != "" {
				return fmt.Errorf("%s: %s", r.Cluster, r.Error)
			}
		}
		// The binding records the selected override policies in its
		// status, which may land after the Works.
		if len(d.Summary.Clusters) == 3 && len(d.Overrides[0].Overrides)+len(d.Overrides[1].Overrides)+len(d.Overrides[2].Overrides) == 0 {
			return fmt.Errorf("no override policy listed yet")
		}
		return nil
	})
	for _, r := range d.Overrides {
		plus := added(r)
		switch r.Cluster {
		case "cluster-hangzhou":
			if !strings.Contains(plus, "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2") || !strings.Contains(plus, "--region=asia-east") {
				t.Errorf("hangzhou's added lines lack the override's registry or command:\n%s", plus)
			}
		case "cluster-frankfurt":
			if !strings.Contains(plus, "registry.eu-central.example.com/company/global-app:1.4.2") || !strings.Contains(plus, "--compliance=gdpr") {
				t.Errorf("frankfurt's added lines lack the override's registry or command:\n%s", plus)
			}
		case "cluster-shanghai":
			if strings.Contains(plus, "registry") || strings.Contains(plus, "--region") || !strings.HasPrefix(plus, "replicas: ") {
				t.Errorf("shanghai should differ only in its replica share, added:\n%s", plus)
			}
		}
		want := 1
		if r.Cluster == "cluster-shanghai" {
			want = 0 // no rule of cross-cloud-config targets it
		}
		if len(r.Overrides) != want || (want == 1 && r.Overrides[0].Name != "cross-cloud-config") {
			t.Errorf("%s: override policies %+v, want %d (cross-cloud-config)", r.Cluster, r.Overrides, want)
		}
	}
}
