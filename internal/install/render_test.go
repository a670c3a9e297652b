package install

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// helmBinary finds the pinned Helm 4 like test/e2e/helm does:
// $KURATOR_HELM_BIN (a folder) or ~/.cache/kurator/helm-v4.3.1/bin. A
// missing binary skips locally (`make helm` builds it) and fails on CI.
func helmBinary(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KURATOR_HELM_BIN")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "kurator", "helm-v4.3.1", "bin")
	}
	bin := filepath.Join(dir, "helm")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Helm 4 is missing at %s (CI=true): run `make helm` before the tests", bin)
		}
		t.Skipf("Helm 4 is missing at %s: run `make helm`", bin)
	}
	return bin
}

func chartPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../charts/kurator")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runHelm(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	// Keep Helm away from the user's configuration and caches.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestManifestEqualsHelmTemplate: for the same values, Render's manifest
// (what `kurator install center-manager --dry-run -o yaml` prints) is byte
// for byte what `helm template` prints.
func TestManifestEqualsHelmTemplate(t *testing.T) {
	cases := []struct {
		name      string
		namespace string
		sets      []string
	}{
		{name: "default values in kurator-system", namespace: "kurator-system"},
		{name: "one replica by digest in another namespace, namespace rendered", namespace: "hub",
			sets: []string{"replicas=1", "image.digest=sha256:" + strings.Repeat("ab", 32), "namespace.create=true"}},
		{name: "dashboard and extra args, no CRDs", namespace: "kurator-system",
			sets: []string{"dashboard.enabled=true", "dashboard.tls.secretName=kurator-dashboard-tls", "crds.install=false", "manager.args={--concurrency=20}"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]any{}
			if err := ParseSet(vals, tc.sets); err != nil {
				t.Fatal(err)
			}
			rel, err := Render(Options{Namespace: tc.namespace, Values: vals})
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"template", ReleaseName, chartPath(t), "--namespace", tc.namespace}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			want, stderr, err := runHelm(t, args...)
			if err != nil {
				t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr)
			}
			if rel.Manifest != want {
				t.Fatalf("the rendering differs from helm template:\n%s", firstDifference(rel.Manifest, want))
			}
		})
	}
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  kurator: " + gl + "\n  helm:    " + wl
		}
	}
	return "(same lines, different line endings)"
}

func render(t *testing.T, sets ...string) *Release {
	t.Helper()
	vals := map[string]any{}
	if err := ParseSet(vals, sets); err != nil {
		t.Fatal(err)
	}
	rel, err := Render(Options{Values: vals})
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func find(rel *Release, kind, name string) *Object {
	for i := range rel.Objects {
		if rel.Objects[i].GetKind() == kind && rel.Objects[i].GetName() == name {
			return &rel.Objects[i]
		}
	}
	return nil
}

func managerContainer(t *testing.T, rel *Release) map[string]any {
	t.Helper()
	d := find(rel, "Deployment", ManagerDeployment)
	if d == nil {
		t.Fatal("no Deployment kurator-manager")
	}
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	for _, c := range cs {
		if m := c.(map[string]any); m["name"] == "manager" {
			return m
		}
	}
	t.Fatal("Deployment kurator-manager has no container manager")
	return nil
}

// TestRenderDefaults: the default values give every CRD of config/crd
// (kept on uninstall), the ServiceAccount, two managers with leader
// election in the release namespace, probes, a PDB and the metrics Service,
// and no dashboard or Namespace object.
func TestRenderDefaults(t *testing.T) {
	rel := render(t)
	files, err := filepath.Glob("../../config/crd/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rel.CRDs()); got != len(files) || got == 0 {
		t.Fatalf("%d CRDs rendered, config/crd holds %d: run go run ./hack/chartcrds", got, len(files))
	}
	for _, crd := range rel.CRDs() {
		if crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s lacks helm.sh/resource-policy: keep", crd.GetName())
		}
	}
	if find(rel, "ServiceAccount", "kurator-manager") == nil {
		t.Error("no ServiceAccount kurator-manager")
	}
	d := find(rel, "Deployment", ManagerDeployment)
	if d == nil {
		t.Fatal("no Deployment kurator-manager")
	}
	if r, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); r != 2 {
		t.Errorf("replicas %d, want 2", r)
	}
	if d.GetNamespace() != DefaultNamespace {
		t.Errorf("Deployment in namespace %q, want %s", d.GetNamespace(), DefaultNamespace)
	}
	c := managerContainer(t, rel)
	if c["image"] != "ghcr.io/kurator-go/kurator-manager:"+rel.AppVersion {
		t.Errorf("image %v, want the chart's appVersion %s as tag", c["image"], rel.AppVersion)
	}
	args := fmt.Sprint(c["args"])
	for _, want := range []string{"--leader-elect=true", "--leader-election-namespace=kurator-system", "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %s lack %s", args, want)
		}
	}
	if p, _, _ := unstructured.NestedString(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		t.Errorf("liveness probe path %q, want /healthz", p)
	}
	if p, _, _ := unstructured.NestedString(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("readiness probe path %q, want /readyz", p)
	}
	if ro, _, _ := unstructured.NestedBool(c, "securityContext", "readOnlyRootFilesystem"); !ro {
		t.Error("the root filesystem is writable")
	}
	if key, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"); len(key) != 1 {
		t.Errorf("preferred anti-affinity terms %v, want one on kubernetes.io/hostname", key)
	}
	pdb := find(rel, "PodDisruptionBudget", ManagerDeployment)
	if pdb == nil {
		t.Fatal("no PodDisruptionBudget with 2 replicas")
	}
	if m, _, _ := unstructured.NestedInt64(pdb.Object, "spec", "minAvailable"); m != 1 {
		t.Errorf("PDB minAvailable %d, want 1", m)
	}
	if find(rel, "Service", "kurator-manager-metrics") == nil {
		t.Error("no metrics Service")
	}
	if find(rel, "Deployment", "kurator-dashboard") != nil || find(rel, "Namespace", DefaultNamespace) != nil {
		t.Error("the dashboard or the Namespace is rendered by default")
	}
}

// TestRenderOverrides: values change what they name.
func TestRenderOverrides(t *testing.T) {
	digest := "sha256:" + strings.Repeat("0f", 32)
	cases := []struct {
		name  string
		sets  []string
		check func(t *testing.T, rel *Release)
	}{
		{"a digest pins the image as repository@digest", []string{"image.repository=127.0.0.1:5000/kurator-manager", "image.tag=v9", "image.digest=" + digest},
			func(t *testing.T, rel *Release) {
				if got := managerContainer(t, rel)["image"]; got != "127.0.0.1:5000/kurator-manager@"+digest {
					t.Errorf("image %v", got)
				}
			}},
		{"one replica has no PDB", []string{"replicas=1"},
			func(t *testing.T, rel *Release) {
				if find(rel, "PodDisruptionBudget", ManagerDeployment) != nil {
					t.Error("a PDB with minAvailable 1 on one replica would block every node drain")
				}
			}},
		{"manager.args are appended", []string{"manager.args={--concurrency=20,--resync-period=1m}"},
			func(t *testing.T, rel *Release) {
				if args := fmt.Sprint(managerContainer(t, rel)["args"]); !strings.HasSuffix(args, "--concurrency=20 --resync-period=1m]") {
					t.Errorf("args %s", args)
				}
			}},
		{"crds.install=false renders no CRD", []string{"crds.install=false"},
			func(t *testing.T, rel *Release) {
				if n := len(rel.CRDs()); n != 0 {
					t.Errorf("%d CRDs", n)
				}
			}},
		{"another ServiceAccount name is used by the Deployment", []string{"serviceAccount.name=hub"},
			func(t *testing.T, rel *Release) {
				d := find(rel, "Deployment", ManagerDeployment)
				if sa, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "serviceAccountName"); sa != "hub" || find(rel, "ServiceAccount", "hub") == nil {
					t.Errorf("serviceAccountName %q", sa)
				}
			}},
		{"the dashboard serves TLS from the named Secret", []string{"dashboard.enabled=true", "dashboard.tls.secretName=dash-tls"},
			func(t *testing.T, rel *Release) {
				d := find(rel, "Deployment", "kurator-dashboard")
				if d == nil || find(rel, "Service", "kurator-dashboard") == nil {
					t.Fatal("no dashboard Deployment and Service")
				}
				vols, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes")
				if !strings.Contains(fmt.Sprint(vols), "secretName:dash-tls") {
					t.Errorf("volumes %v", vols)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, render(t, tc.sets...)) })
	}
}

// TestRenderRefusesBadValues: the schema and the templates refuse bad
// values with a message naming the key.
func TestRenderRefusesBadValues(t *testing.T) {
	cases := []struct {
		name string
		sets []string
		want string
	}{
		{"zero replicas names replicas", []string{"replicas=0"}, "/replicas"},
		{"a misspelt top-level key is named", []string{"replica=3"}, "'replica' not allowed"},
		{"a misspelt nested key is named", []string{"image.tags=v1"}, "'tags' not allowed"},
		{"a repository with a tag in it names image.repository", []string{"image.repository=ghcr.io/x:v1"}, "/image/repository"},
		{"a short digest names image.digest", []string{"image.digest=sha256:abc"}, "/image/digest"},
		{"replicas as a string names replicas", []string{"replicas=two"}, "/replicas"},
		{"two replicas without leader election names both keys", []string{"leaderElection.enabled=false"}, "leaderElection.enabled"},
		{"the dashboard without a TLS Secret names dashboard.tls.secretName", []string{"dashboard.enabled=true"}, "dashboard.tls.secretName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]any{}
			if err := ParseSet(vals, tc.sets); err != nil {
				t.Fatal(err)
			}
			_, err := Render(Options{Values: vals})
			if err == nil {
				t.Fatalf("--set %v rendered", tc.sets)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error does not name %q: %v", tc.want, err)
			}
		})
	}
}

// TestApplyOrder: CRDs come first, the Deployment after the ServiceAccount
// and Services it uses, and every object is once in Objects.
func TestApplyOrder(t *testing.T) {
	rel := render(t, "namespace.create=true")
	index := map[string]int{}
	for i, o := range rel.Objects {
		if _, dup := index[o.Ref()]; dup {
			t.Errorf("%s twice", o.Ref())
		}
		index[o.Ref()] = i
	}
	lastCRD := len(rel.CRDs()) - 1
	for i, o := range rel.Objects {
		if isCRD(o.Unstructured) != (i <= lastCRD) {
			t.Fatalf("object %d %s: the CRDs are not first", i, o.Ref())
		}
	}
	order := []string{"namespace/kurator-system", "serviceaccount/kurator-manager", "service/kurator-manager-metrics", "deployment.apps/kurator-manager"}
	for i := 1; i < len(order); i++ {
		a, okA := index[order[i-1]]
		b, okB := index[order[i]]
		if !okA || !okB || a > b {
			t.Errorf("%s (%d, %v) is not before %s (%d, %v)", order[i-1], a, okA, order[i], b, okB)
		}
	}
	if got := strings.Count(rel.Manifest, "\n# Source: "); got != len(rel.Objects) {
		t.Errorf("the manifest holds %d objects, Objects %d", got, len(rel.Objects))
	}
}

// TestHelmLint: helm lint passes on the chart.
func TestHelmLint(t *testing.T) {
	out, stderr, err := runHelm(t, "lint", "--strict", chartPath(t))
	if err != nil {
		t.Fatalf("helm lint: %v\n%s%s", err, out, stderr)
	}
}

// TestCheckImages: an image that does not parse is refused naming it.
func TestCheckImages(t *testing.T) {
	rel := render(t)
	if err := CheckImages(rel); err != nil {
		t.Fatalf("the default image is refused: %v", err)
	}
	c := managerContainer(t, rel)
	c["image"] = "ghcr.io/kurator-go/kurator-manager:bad tag"
	d := find(rel, "Deployment", ManagerDeployment)
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	cs[0] = c
	_ = unstructured.SetNestedSlice(d.Object, cs, "spec", "template", "spec", "containers")
	err := CheckImages(rel)
	if err == nil || !strings.Contains(err.Error(), `"ghcr.io/kurator-go/kurator-manager:bad tag"`) || !strings.Contains(err.Error(), "--image") {
		t.Fatalf("a bad image is not refused with its name and the fix: %v", err)
	}
}

func TestIsKuratorFinalizer(t *testing.T) {
	for f, want := range map[string]bool{
		"work.kurator.dev/execution":      true,
		"fleet.kurator.dev/member-labels": true,
		"kurator.dev/x":                   true,
		"kubernetes.io/pvc-protection":    false,
		"example.com/kurator.dev":         false,
		"notkurator.dev/x":                false,
		"foregroundDeletion":              false,
	} {
		if got := isKuratorFinalizer(f); got != want {
			t.Errorf("isKuratorFinalizer(%q) = %v, want %v", f, got, want)
		}
	}
}

func TestStoredResourceOfEveryChartCRD(t *testing.T) {
	rel, err := Render(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range rel.CRDs() {
		gvr, ok := storedResource(crd)
		if !ok || gvr.Version == "" || !strings.HasPrefix(crd.GetName(), gvr.Resource+"."+gvr.Group) {
			t.Errorf("CRD %s: stored resource %v (ok %v), want its plural, group and storage version", crd.GetName(), gvr, ok)
		}
	}
}
