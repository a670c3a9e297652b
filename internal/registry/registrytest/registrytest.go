// Package registrytest starts real registry processes for tests. A
// missing binary fails the test with the command that builds it (never a
// skip: the registry is built by `make registry`, a step of `make test`).
package registrytest

import (
	"context"
	"testing"
	"time"

	"github.com/kurator-go/kurator/internal/registry"
)

// Bin returns the registry binary, failing t when it is missing.
func Bin(t testing.TB) string {
	t.Helper()
	bin := registry.DefaultBin()
	if err := registry.CheckBin(bin); err != nil {
		t.Fatalf("%v (the test finds it through KURATOR_REGISTRY_BIN or the default cache)", err)
	}
	return bin
}

// Start runs a registry on a free loopback port with its storage in a
// temporary directory; it is stopped when the test ends.
func Start(t testing.TB) *registry.Registry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := registry.Start(ctx, registry.Options{Bin: Bin(t), Dir: t.TempDir(), StopWithParent: true})
	if err != nil {
		t.Fatalf("start registry: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("stop registry %s: %v", r.Host(), err)
		}
	})
	return r
}
