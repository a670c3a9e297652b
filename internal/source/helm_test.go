package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

// chartArchive packages testdata/charts/mes as the given version, as
// `helm package` does.
func chartArchive(t testing.TB, version string) []byte {
	t.Helper()
	c, err := loader.LoadDir("testdata/charts/mes")
	if err != nil {
		t.Fatal(err)
	}
	c.Metadata.Version = version
	p, err := chartutil.Save(c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chartRepo is a chart repository served over loopback HTTP behind basic
// authentication: mes 1.1.0 (a URL relative to the index), 1.2.0 (an
// absolute URL), 1.3.0-rc.1 (a pre-release), and broken 1.0.0 whose index
// digest is wrong.
type chartRepo struct {
	url      string
	archives map[string][]byte // by version
	requests atomic.Int64
}

const (
	repoUser     = "mes"
	repoPassword = "s3cret"
)

func startChartRepo(t testing.TB) *chartRepo {
	t.Helper()
	cr := &chartRepo{archives: map[string][]byte{}}
	files := map[string][]byte{}
	idx := repo.NewIndexFile()
	mux := http.NewServeMux()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr.requests.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != repoUser || p != repoPassword {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cr.url = srv.URL + "/stable"
	for _, v := range []struct {
		version, base string
	}{
		{"1.1.0", ""}, // relative: "charts/mes-1.1.0.tgz"
		{"1.2.0", srv.URL + "/stable/charts"},
		{"1.3.0-rc.1", ""},
	} {
		archive := chartArchive(t, v.version)
		cr.archives[v.version] = archive
		c, err := loader.LoadArchive(strings.NewReader(string(archive)))
		if err != nil {
			t.Fatal(err)
		}
		filename := "mes-" + v.version + ".tgz"
		if v.base == "" {
			filename = "charts/" + filename
		}
		if err := idx.MustAdd(c.Metadata, filename, v.base, "sha256:"+sha256Hex(archive)); err != nil {
			t.Fatal(err)
		}
		files["/stable/charts/mes-"+v.version+".tgz"] = archive
	}
	broken := chartArchive(t, "1.0.0")
	brokenChart, _ := loader.LoadArchive(strings.NewReader(string(broken)))
	brokenChart.Metadata.Name = "broken"
	if err := idx.MustAdd(brokenChart.Metadata, "charts/broken-1.0.0.tgz", "", "sha256:"+strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	files["/stable/charts/broken-1.0.0.tgz"] = broken
	idx.SortEntries()
	index, err := yaml.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	files["/stable/index.yaml"] = index
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	})
	return cr
}

func TestHelmRepository(t *testing.T) {
	cr := startChartRepo(t)
	creds := &Credentials{Username: repoUser, Password: repoPassword}
	cases := []struct {
		name      string
		url       string
		chart     string
		version   string
		creds     *Credentials
		want      string
		wantURL   string
		wantError []string
	}{
		{name: "no version: the latest stable, 1.2.0, by its absolute URL", chart: "mes", want: "1.2.0", wantURL: "/stable/charts/mes-1.2.0.tgz"},
		{name: "pinned 1.1.0, by its URL relative to the index", chart: "mes", version: "1.1.0", want: "1.1.0", wantURL: "/stable/charts/mes-1.1.0.tgz"},
		{name: "range ~1.1: 1.1.0", chart: "mes", version: "~1.1", want: "1.1.0"},
		{name: "range >=1.0 <2.0: 1.2.0, the pre-release left out", chart: "mes", version: ">=1.0 <2.0", want: "1.2.0"},
		{name: "pre-release pinned exactly: 1.3.0-rc.1", chart: "mes", version: "1.3.0-rc.1", want: "1.3.0-rc.1"},
		{name: "URL given as index.yaml: same chart", url: cr.url + "/index.yaml", chart: "mes", want: "1.2.0"},
		{name: "unknown chart: error names helm.chart and lists the charts", chart: "erp",
			wantError: []string{"spec.syncPolicies[].helm.chart", `"erp"`, "charts there: broken, mes"}},
		{name: "unknown version: error names helm.version and lists the versions", chart: "mes", version: "9.9.9",
			wantError: []string{"spec.syncPolicies[].helm.version", "9.9.9", "versions there: 1.3.0-rc.1, 1.2.0, 1.1.0"}},
		{name: "no version in range: error names helm.version", chart: "mes", version: "^2.0",
			wantError: []string{"spec.syncPolicies[].helm.version", "matching ^2.0"}},
		{name: "version that is no range: error names helm.version", chart: "mes", version: "latest!",
			wantError: []string{"spec.syncPolicies[].helm.version", "neither a version"}},
		{name: "empty chart: error names helm.chart", chart: "",
			wantError: []string{"spec.syncPolicies[].helm.chart is empty"}},
		{name: "archive digest differs from the index: refused", chart: "broken",
			wantError: []string{"spec.source.helmRepository", "the index says sha256:000"}},
		{name: "no credentials: error names secretRef", chart: "mes", creds: &Credentials{},
			wantError: []string{"spec.source.helmRepository.secretRef", "401"}},
		{name: "wrong password: error names secretRef", chart: "mes", creds: &Credentials{Username: repoUser, Password: "no"},
			wantError: []string{"secretRef", "401"}},
		{name: "no repository at the URL: error names url", url: cr.url + "/../missing", chart: "mes",
			wantError: []string{"spec.source.helmRepository.url", "404"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if url == "" {
				url = cr.url
			}
			c := tc.creds
			if c == nil {
				c = creds
			}
			got, err := Helm(context.Background(), &appsv1alpha1.HelmRepositorySource{URL: url}, tc.chart, tc.version, c)
			if tc.wantError != nil {
				if err == nil {
					t.Fatalf("want an error with %q, got %s", tc.wantError, got.Revision)
				}
				t.Logf("error: %v", err)
				for _, s := range tc.wantError {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkChart(t, got, tc.want, cr.archives[tc.want])
			if tc.wantURL != "" && !strings.HasSuffix(got.Source, tc.wantURL) {
				t.Errorf("source %q, want helm …%s", got.Source, tc.wantURL)
			}
		})
	}
}

// checkChart asserts a fetched chart is the mes chart at version, with
// the archive's digest.
func checkChart(t *testing.T, got Fetched, version string, archive []byte) {
	t.Helper()
	if got.Revision != version {
		t.Errorf("revision %s, want %s", got.Revision, version)
	}
	if got.Commit != "sha256:"+sha256Hex(archive) {
		t.Errorf("commit %s, want the archive's digest sha256:%s", got.Commit, sha256Hex(archive))
	}
	if got.Package.Format != appsv1alpha1.FormatHelmChart || apphub.DetectFormat(got.Package.Files) != appsv1alpha1.FormatHelmChart {
		t.Errorf("format %s, detected %s; want HelmChart", got.Package.Format, apphub.DetectFormat(got.Package.Files))
	}
	if !strings.Contains(string(got.Package.Files["Chart.yaml"]), "version: "+version) {
		t.Errorf("Chart.yaml = %q, want version %s", got.Package.Files["Chart.yaml"], version)
	}
	for _, f := range []string{"values.yaml", "templates/deployment.yaml", "templates/pvc.yaml"} {
		if len(got.Package.Files[f]) == 0 {
			t.Errorf("no %s in the package (files %v)", f, keys(got.Package.Files))
		}
	}
	if _, _, err := got.Package.Bundle(); err != nil {
		t.Errorf("the package does not bundle for AppHub: %v", err)
	}
}

func TestHelmRejectsBadRepositories(t *testing.T) {
	cases := []struct {
		name string
		src  *appsv1alpha1.HelmRepositorySource
		want string
	}{
		{name: "empty URL names url", src: &appsv1alpha1.HelmRepositorySource{}, want: "spec.source.helmRepository.url is empty"},
		{name: "ftp URL names url", src: &appsv1alpha1.HelmRepositorySource{URL: "ftp://charts"}, want: "spec.source.helmRepository.url"},
		{name: "unknown type names type", src: &appsv1alpha1.HelmRepositorySource{URL: "https://charts", Type: "s3"}, want: "spec.source.helmRepository.type"},
		{name: "oci type with an http URL names url", src: &appsv1alpha1.HelmRepositorySource{URL: "https://charts", Type: "oci"}, want: "type oci takes an oci://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Helm(context.Background(), tc.src, "mes", "", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestHangingServersTimeOut: a server that never answers fails the fetch
// after the source's timeout, with an error naming that field.
func TestHangingServersTimeOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	}))
	defer srv.Close()
	timeout := &metav1.Duration{Duration: 300 * time.Millisecond}
	host := strings.TrimPrefix(srv.URL, "http://")
	cases := []struct {
		name  string
		fetch func() error
		want  string
	}{
		{name: "helm index repository", want: "spec.source.helmRepository.timeout", fetch: func() error {
			_, err := Helm(context.Background(), &appsv1alpha1.HelmRepositorySource{URL: srv.URL, Timeout: timeout}, "mes", "", nil)
			return err
		}},
		{name: "helm oci registry", want: "spec.source.helmRepository.timeout", fetch: func() error {
			_, err := Helm(context.Background(), &appsv1alpha1.HelmRepositorySource{URL: "oci://" + host + "/charts", Timeout: timeout}, "mes", "", nil)
			return err
		}},
		{name: "oci artifact", want: "spec.source.ociRepository.timeout", fetch: func() error {
			_, err := OCI(context.Background(), &appsv1alpha1.OCIRepositorySource{URL: "oci://" + host + "/apps/mes", Timeout: timeout}, "", nil)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.fetch()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
			t.Logf("error: %v", err)
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("took %s; the 300ms timeout was not honoured", elapsed)
			}
		})
	}
}

func TestHelmHonoursTheCallersContext(t *testing.T) {
	cr := startChartRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Helm(ctx, &appsv1alpha1.HelmRepositorySource{URL: cr.url}, "mes", "", &Credentials{Username: repoUser, Password: repoPassword})
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("error %v, want a cancelled fetch", err)
	}
	if n := cr.requests.Load(); n != 0 {
		t.Errorf("%d requests reached the repository after the context was cancelled", n)
	}
}
