// Command istiocrds writes config/istio/networking.istio.io.yaml: the
// networking.istio.io CRDs of the istio.io/api module that go.mod pins
// (`make generate` runs it from the repository root).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kurator-go/kurator/config/istio"
)

func main() {
	out := flag.String("out", filepath.Join("config", "istio", istio.FileName), "file to write")
	goCmd := flag.String("go", envOr("GO", "go"), "go command used to find the istio.io/api module")
	flag.Parse()
	if err := run(*goCmd, *out); err != nil {
		fmt.Fprintln(os.Stderr, "istiocrds:", err)
		os.Exit(1)
	}
}

func run(goCmd, out string) error {
	cmd := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}} {{.Version}}", istio.ModulePath)
	cmd.Stderr = os.Stderr
	res, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s list -m %s: %w; run it from the repository root (go mod download %s fetches the module)", goCmd, istio.ModulePath, err, istio.ModulePath)
	}
	dir, version, ok := strings.Cut(strings.TrimSpace(string(res)), " ")
	if !ok || dir == "" {
		return fmt.Errorf("module %s is not downloaded (go list gave %q); run go mod download %s", istio.ModulePath, res, istio.ModulePath)
	}
	src, err := os.ReadFile(filepath.Join(dir, istio.SourcePath))
	if err != nil {
		return err
	}
	data, err := istio.Filter(src, version)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
