package ociimage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// VersionVar is the variable the release version is stamped into
// (cmd/kurator/app.Version, printed by `kurator version`). The linker
// ignores -X for a package a binary does not link, so the same flags serve
// every binary.
const VersionVar = "github.com/kurator-go/kurator/cmd/kurator/app.Version"

// Compile describes one reproducible `go build`: linux/amd64 unless set,
// CGO_ENABLED=0, -trimpath, no VCS stamp, no build id, symbol tables
// stripped, the version stamped. The output depends only on the source
// tree, the Go release and these fields, not on the directory or the
// machine.
type Compile struct {
	// Go is the go command; empty means $GO, else "go".
	Go string
	// Dir is the module root the package path is relative to.
	Dir string
	// Package is the main package, e.g. ./cmd/kurator-manager.
	Package string
	// Output is the binary to write.
	Output string
	// Version is stamped into VersionVar; empty leaves the default ("dev").
	Version string
	// GOOS and GOARCH; empty means linux and amd64.
	GOOS, GOARCH string
}

// LDFlags are the linker flags of c.
func (c Compile) LDFlags() string {
	f := "-s -w -buildid="
	if c.Version != "" {
		// The CLI keeps its version in cmd/kurator/app, kurator-agent in
		// its main package; the linker ignores a variable a binary lacks.
		f += " -X " + VersionVar + "=" + c.Version + " -X main.Version=" + c.Version
	}
	return f
}

// Args are the go command's arguments.
func (c Compile) Args() []string {
	return []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", c.LDFlags(), "-o", c.Output, c.Package}
}

// Env is the environment of the go command: the caller's, with the target
// platform and cgo off (later entries win).
func (c Compile) Env() []string {
	goos, goarch := c.GOOS, c.GOARCH
	if goos == "" {
		goos = "linux"
	}
	if goarch == "" {
		goarch = "amd64"
	}
	return append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
}

// Run compiles the binary.
func (c Compile) Run(ctx context.Context) error {
	if strings.ContainsAny(c.Version, " \t\n'\"") {
		return fmt.Errorf("compile %s: version %q holds a space or quote: pass a plain version such as v0.1.0", c.Package, c.Version)
	}
	goCmd := c.Go
	if goCmd == "" {
		goCmd = os.Getenv("GO")
	}
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, c.Args()...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("compile %s (%s %s in %s): %w\n%s", c.Package, goCmd, strings.Join(c.Args(), " "), c.Dir, err, out.String())
	}
	return nil
}
