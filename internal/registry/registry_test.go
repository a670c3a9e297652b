package registry_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kurator-go/kurator/internal/registry"
	"github.com/kurator-go/kurator/internal/registry/registrytest"
)

func TestStartAnswersV2AndStopEndsIt(t *testing.T) {
	bin := registrytest.Bin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := registry.Start(ctx, registry.Options{Bin: bin, StopWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := r.Dir()
	if !strings.HasPrefix(r.Host(), "127.0.0.1:") || r.Port() == 0 {
		t.Errorf("Host() = %q, Port() = %d; want 127.0.0.1:<port>", r.Host(), r.Port())
	}
	if err := registry.Ping(ctx, r.Host()); err != nil {
		t.Fatalf("running registry: %v", err)
	}
	cfg, err := os.ReadFile(r.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"addr: " + r.Host(), "rootdirectory: ", "enabled: true"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config %s lacks %q:\n%s", r.ConfigPath(), want, cfg)
		}
	}
	if log, _ := os.ReadFile(r.LogPath()); strings.Contains(string(log), "No HTTP secret") {
		t.Errorf("registry log warns of a missing http.secret:\n%s", log)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	default:
		t.Error("process still running after Stop")
	}
	if err := registry.Ping(ctx, r.Host()); err == nil {
		t.Errorf("registry %s still answers after Stop", r.Host())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary dir %s left after Stop (stat: %v)", dir, err)
	}
}

func TestStartKeepsAGivenDirAndPort(t *testing.T) {
	bin := registrytest.Bin(t)
	dir := t.TempDir()
	port, err := registry.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	r, err := registry.Start(context.Background(), registry.Options{Bin: bin, Dir: dir, Port: port, StopWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1:" + strconv.Itoa(port); r.Host() != want {
		t.Errorf("Host() = %q, want %q", r.Host(), want)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.yml")); err != nil {
		t.Errorf("a caller's dir must be kept after Stop: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	bin := registrytest.Bin(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port

	cases := []struct {
		name string
		opts registry.Options
		want []string
	}{
		{
			name: "missing binary names make registry",
			opts: registry.Options{Bin: filepath.Join(t.TempDir(), "registry")},
			want: []string{"is missing", "make registry"},
		},
		{
			name: "taken port says so and asks for another",
			opts: registry.Options{Bin: bin, Port: takenPort, StopWithParent: true},
			want: []string{"exited", "address already in use", "another port"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := registry.Start(ctx, tc.opts)
			if err == nil {
				r.Stop()
				t.Fatal("Start succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestWriteConfigKeepsTheUploadSecret(t *testing.T) {
	dir := t.TempDir()
	secret := func() string {
		t.Helper()
		path, err := registry.WriteConfig(dir, "127.0.0.1:5000")
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(string(data), "\n  secret: ")
		if !ok {
			t.Fatalf("config has no http.secret:\n%s", data)
		}
		s, _, _ := strings.Cut(rest, "\n")
		return s
	}
	first := secret()
	if len(first) != 32 {
		t.Errorf("secret %q, want 32 hex digits", first)
	}
	if again := secret(); again != first {
		t.Errorf("rewriting the config changed the secret from %q to %q; uploads begun before a restart would fail", first, again)
	}
}
