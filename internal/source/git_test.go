package source

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// testRepo is a repository the test wrote with go-git: two commits on
// master (v1 tagged, annotated), and a branch release at v1.
type testRepo struct {
	dir            string
	first, second  string // commit hashes
	v1YAML, v2YAML string
}

const appYAMLPath = "deploy/app.yaml"

func configMapYAML(version string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mes-config\ndata:\n  version: " + version + "\n"
}

func makeTestRepo(t testing.TB, root, name string) testRepo {
	t.Helper()
	dir := filepath.Join(root, name)
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	tr := testRepo{dir: dir, v1YAML: configMapYAML("v1"), v2YAML: configMapYAML("v2")}
	commit := func(msg string, files map[string]string) string {
		t.Helper()
		for p, content := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := wt.Add(p); err != nil {
				t.Fatal(err)
			}
		}
		h, err := wt.Commit(msg, &git.CommitOptions{Author: testSignature()})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	tr.first = commit("v1", map[string]string{appYAMLPath: tr.v1YAML, "README.md": "mes\n"})
	if _, err := repo.CreateTag("v1", plumbing.NewHash(tr.first), &git.CreateTagOptions{Tagger: testSignature(), Message: "v1"}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("release"), plumbing.NewHash(tr.first))); err != nil {
		t.Fatal(err)
	}
	tr.second = commit("v2", map[string]string{appYAMLPath: tr.v2YAML})
	return tr
}

func testSignature() *object.Signature {
	return &object.Signature{Name: "Kurator Test", Email: "test@kurator.dev", When: time.Unix(1700000000, 0)}
}

// gitCases are the checks every transport runs: what is fetched for a
// ref or revision, and the errors for refs that do not exist.
func gitCases(tr testRepo) []struct {
	name      string
	ref       *appsv1alpha1.GitRepositoryRef
	revision  string
	want      string // commit
	wantYAML  string
	wantError []string
} {
	return []struct {
		name      string
		ref       *appsv1alpha1.GitRepositoryRef
		revision  string
		want      string
		wantYAML  string
		wantError []string
	}{
		{name: "no ref: master's head, the second commit", want: tr.second, wantYAML: tr.v2YAML},
		{name: "branch release: the first commit", ref: &appsv1alpha1.GitRepositoryRef{Branch: "release"}, want: tr.first, wantYAML: tr.v1YAML},
		{name: "annotated tag v1: the first commit", ref: &appsv1alpha1.GitRepositoryRef{Tag: "v1", Branch: "master"}, want: tr.first, wantYAML: tr.v1YAML},
		{name: "commit wins over tag and branch", ref: &appsv1alpha1.GitRepositoryRef{Commit: tr.first, Tag: "v1", Branch: "master"}, want: tr.first, wantYAML: tr.v1YAML},
		{name: "revision of the first commit on branch master: rollback to v1", ref: &appsv1alpha1.GitRepositoryRef{Branch: "master"}, revision: tr.first, want: tr.first, wantYAML: tr.v1YAML},
		{name: "revision name git-<12>: the first commit", revision: "git-" + tr.first[:12], want: tr.first, wantYAML: tr.v1YAML},
		{name: "unknown branch: error names ref.branch and lists the branches", ref: &appsv1alpha1.GitRepositoryRef{Branch: "nope"},
			wantError: []string{"spec.source.gitRepository.ref.branch", `"nope"`, "master, release"}},
		{name: "unknown tag: error names ref.tag and lists the tags", ref: &appsv1alpha1.GitRepositoryRef{Tag: "v9"},
			wantError: []string{"spec.source.gitRepository.ref.tag", `"v9"`, "tags there: v1"}},
		{name: "unknown commit: error names ref.commit", ref: &appsv1alpha1.GitRepositoryRef{Commit: strings.Repeat("a", 40)},
			wantError: []string{"spec.source.gitRepository.ref.commit", "not found"}},
	}
}

func runGitCases(t *testing.T, url string, tr testRepo, creds *Credentials) {
	t.Helper()
	for _, tc := range gitCases(tr) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: url, Reference: tc.ref}, tc.revision, creds)
			if tc.wantError != nil {
				if err == nil {
					t.Fatalf("want an error with %q, got revision %s", tc.wantError, got.Revision)
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
			if got.Commit != tc.want || got.Revision != "git-"+tc.want[:12] {
				t.Errorf("commit %s revision %s, want %s", got.Commit, got.Revision, tc.want)
			}
			if string(got.Package.Files[appYAMLPath]) != tc.wantYAML {
				t.Errorf("%s = %q, want %q", appYAMLPath, got.Package.Files[appYAMLPath], tc.wantYAML)
			}
			if string(got.Package.Files["README.md"]) != "mes\n" {
				t.Errorf("README.md = %q, want it from the first commit", got.Package.Files["README.md"])
			}
			if len(got.Package.Files) != 2 {
				t.Errorf("files %v, want only README.md and %s (no .git)", keys(got.Package.Files), appYAMLPath)
			}
			if got.Package.Format != appsv1alpha1.FormatManifests {
				t.Errorf("format %s, want Manifests", got.Package.Format)
			}
			if !strings.HasPrefix(got.Source, "git ") || !strings.HasSuffix(got.Source, "@"+tc.want) {
				t.Errorf("source %q, want git <url>@%s", got.Source, tc.want)
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestGitLocalRepository(t *testing.T) {
	tr := makeTestRepo(t, t.TempDir(), "mes")
	t.Run("file URL", func(t *testing.T) { runGitCases(t, "file://"+tr.dir, tr, nil) })
	t.Run("plain path", func(t *testing.T) { runGitCases(t, tr.dir, tr, nil) })
}

func TestGitDefaultBranchMainWhenNoMaster(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(configMapYAML("main")), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if _, err := wt.Add("app.yaml"); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("main", &git.CommitOptions{Author: testSignature()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: dir}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Commit != h.String() {
		t.Errorf("commit %s, want main's head %s", got.Commit, h)
	}
}

func TestGitRejectsContentOverTheLimit(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (MaxContentSize/16)+1)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if _, err := wt.Add("big.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("big", &git.CommitOptions{Author: testSignature()}); err != nil {
		t.Fatal(err)
	}
	_, err = Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: dir}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "20 MiB") || !strings.Contains(err.Error(), "big.bin") {
		t.Fatalf("error %v, want one naming the 20 MiB limit and big.bin", err)
	}
}

func TestGitRejectsBadURLsAndRevisions(t *testing.T) {
	cases := []struct {
		name     string
		url      string
		revision string
		want     string
	}{
		{name: "empty URL names url", url: "", want: "spec.source.gitRepository.url is empty"},
		{name: "unknown scheme names url", url: "svn://example/repo", want: "scheme svn is not supported"},
		{name: "directory without a repository names url", url: t.TempDir(), want: "spec.source.gitRepository.url: no Git repository"},
		{name: "revision that is no commit", url: "/nowhere", revision: "v1.2", want: `revision "v1.2" is not a commit`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: tc.url}, tc.revision, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestGitTimeoutNamesTheField(t *testing.T) {
	// A server that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = Git(context.Background(), &appsv1alpha1.GitRepositorySource{
		URL:     "git://" + ln.Addr().String() + "/mes",
		Timeout: &metav1.Duration{Duration: 300 * time.Millisecond},
	}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "spec.source.gitRepository.timeout") {
		t.Fatalf("error %v, want one naming spec.source.gitRepository.timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("took %s; the 300ms timeout was not honoured", elapsed)
	}
}

func TestLocalPath(t *testing.T) {
	cases := []struct {
		url       string
		wantLocal bool
		wantPath  string
	}{
		{url: "file:///srv/git/mes", wantLocal: true, wantPath: "/srv/git/mes"},
		{url: "/srv/git/mes", wantLocal: true, wantPath: "/srv/git/mes"},
		{url: "./mes", wantLocal: true, wantPath: "./mes"},
		{url: "https://example.com/mes.git"},
		{url: "git://127.0.0.1:9418/mes"},
		{url: "ssh://git@example.com/mes.git"},
		{url: "git@example.com:org/mes.git"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			p, local, err := localPath(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if local != tc.wantLocal || p != tc.wantPath {
				t.Errorf("localPath = %q, %v; want %q, %v", p, local, tc.wantPath, tc.wantLocal)
			}
		})
	}
}

// requireGit returns the git binary, skipping the test without one (CI
// installs it, so there it fails instead).
func requireGit(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git binary not found: .ci/run installs Debian's git; %v", err)
		}
		t.Skip("no git binary")
	}
	return bin
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startGitDaemon serves root's repositories with a real git daemon.
func startGitDaemon(t testing.TB, root string) string {
	t.Helper()
	bin := requireGit(t)
	out, err := exec.Command(bin, "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	// git-daemon itself, not "git daemon" (which would run it as a child
	// that outlives a killed parent); its per-connection children end
	// with their connections.
	daemon := filepath.Join(strings.TrimSpace(string(out)), "git-daemon")
	port := freePort(t)
	cmd := exec.Command(daemon, "--reuseaddr", "--export-all", "--informative-errors",
		"--base-path="+root, "--listen=127.0.0.1", "--port="+strconv.Itoa(port), root)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "git://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("git daemon did not listen on %s: %v; stderr: %s", addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling the port, with a deadline
	}
}

func TestGitDaemon(t *testing.T) {
	root := t.TempDir()
	tr := makeTestRepo(t, root, "mes")
	base := startGitDaemon(t, root)
	runGitCases(t, base+"/mes", tr, nil)

	t.Run("missing repository names url", func(t *testing.T) {
		_, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: base + "/nothere"}, "", nil)
		if err == nil || !strings.Contains(err.Error(), "spec.source.gitRepository") {
			t.Fatalf("error %v, want one naming spec.source.gitRepository", err)
		}
		t.Logf("error: %v", err)
	})
}

// TestGitSmartHTTPWithCredentials serves the repository with git's own
// http-backend behind basic authentication.
func TestGitSmartHTTPWithCredentials(t *testing.T) {
	bin := requireGit(t)
	out, err := exec.Command(bin, "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("no git-http-backend: %v", err)
	}
	root := t.TempDir()
	tr := makeTestRepo(t, root, "mes")
	cgiHandler := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "mes" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/mes"

	runGitCases(t, url, tr, &Credentials{Username: "mes", Password: "s3cret"})

	t.Run("no credentials: error names secretRef", func(t *testing.T) {
		_, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: url}, "", nil)
		if err == nil || !strings.Contains(err.Error(), "spec.source.gitRepository.secretRef") {
			t.Fatalf("error %v, want one naming spec.source.gitRepository.secretRef", err)
		}
	})
	t.Run("wrong password: error names secretRef", func(t *testing.T) {
		_, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: url}, "", &Credentials{Username: "mes", Password: "wrong"})
		if err == nil || !strings.Contains(err.Error(), "secretRef") {
			t.Fatalf("error %v, want one naming secretRef", err)
		}
	})
	t.Run("password in the URL is not shown", func(t *testing.T) {
		withPassword := strings.Replace(url, "http://", "http://mes:s3cret@", 1)
		got, err := Git(context.Background(), &appsv1alpha1.GitRepositorySource{URL: withPassword}, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got.Source, "s3cret") {
			t.Errorf("source %q shows the password", got.Source)
		}
	})
}
