package crd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyGeneratedReportsStaleFiles runs hack/verify-generated.sh (the
// generated-files check of `make verify`) on a temporary copy of api/: a
// freshly generated copy passes; a CRD edited by hand, a CRD missing and a
// stale deepcopy file are each reported by name, with the fix.
func TestVerifyGeneratedReportsStaleFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs controller-gen three times")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the check runs controller-gen through the go command: %v", err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(repo, f), filepath.Join(root, f))
	}
	copyTree(t, filepath.Join(repo, "api"), filepath.Join(root, "api"))
	generate := exec.Command(goCmd, "tool", "controller-gen", "object", "paths=./api/...")
	generate.Dir = root
	run(t, generate)
	generate = exec.Command(goCmd, "tool", "controller-gen", "crd:allowDangerousTypes=true", "paths=./api/...", "output:crd:artifacts:config=config/crd")
	generate.Dir = root
	run(t, generate)

	check := func() (string, error) {
		cmd := exec.Command(filepath.Join(repo, "hack", "verify-generated.sh"), root)
		cmd.Env = append(os.Environ(), "GO="+goCmd)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	if out, err := check(); err != nil {
		t.Fatalf("a freshly generated copy is reported stale: %v\n%s", err, out)
	}

	fleetCRD := filepath.Join(root, "config", "crd", "fleet.kurator.dev_fleets.yaml")
	data, err := os.ReadFile(fleetCRD)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(data, []byte("maxItems: 3000"), []byte("maxItems: 2000"), 1)
	if bytes.Equal(edited, data) {
		t.Fatal("the Fleet CRD no longer holds maxItems: 3000; pick another line to edit")
	}
	writeFile(t, fleetCRD, edited)
	if err := os.Remove(filepath.Join(root, "config", "crd", "work.kurator.dev_works.yaml")); err != nil {
		t.Fatal(err)
	}
	deepcopy := filepath.Join(root, "api", "fleet", "v1alpha1", "zz_generated.deepcopy.go")
	dc, err := os.ReadFile(deepcopy)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, deepcopy, append(dc, []byte("\n// edited by hand\n")...))

	out, err := check()
	if err == nil {
		t.Fatalf("stale files are not reported; output:\n%s", out)
	}
	for _, want := range []string{
		"config/crd/fleet.kurator.dev_fleets.yaml: differs from what make generate writes",
		"maxItems: 2000", // the diff shows the edited line
		"config/crd/work.kurator.dev_works.yaml: missing; make generate writes it",
		"api/fleet/v1alpha1/zz_generated.deepcopy.go: differs",
		"generated files are stale (3); run make generate and commit the result",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, data)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
