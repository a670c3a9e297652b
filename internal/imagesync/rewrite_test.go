package imagesync_test

import (
	"strings"
	"testing"

	"github.com/kurator-go/kurator/internal/imagesync"
)

const dg = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"

func TestRewrite(t *testing.T) {
	cases := []struct {
		name, ref, host, want string
	}{
		{name: "source registry host dropped", ref: "127.0.0.1:5000/mes-system:v1.2@" + dg, host: "127.0.0.1:5001", want: "127.0.0.1:5001/mes-system@" + dg},
		{name: "nested repository path kept", ref: "registry.example.com/plant/mes/mes-system@" + dg, host: "127.0.0.1:5001", want: "127.0.0.1:5001/plant/mes/mes-system@" + dg},
		{name: "docker.io/library/ dropped", ref: "docker.io/library/nginx:1.27@" + dg, host: "reg.local", want: "reg.local/nginx@" + dg},
		{name: "short official image name kept short", ref: "nginx@" + dg, host: "reg.local", want: "reg.local/nginx@" + dg},
		{name: "docker hub user image keeps its user", ref: "bitnami/redis:7@" + dg, host: "reg.local", want: "reg.local/bitnami/redis@" + dg},
		{name: "host path prefix goes first", ref: "ghcr.io/acme/app@" + dg, host: "registry.example.com/plant-1", want: "registry.example.com/plant-1/acme/app@" + dg},
		{name: "rewriting twice changes nothing", ref: "127.0.0.1:5001/mes-system@" + dg, host: "127.0.0.1:5001", want: "127.0.0.1:5001/mes-system@" + dg},
		{name: "rewriting twice with a prefix changes nothing", ref: "registry.example.com/plant-1/acme/app@" + dg, host: "registry.example.com/plant-1", want: "registry.example.com/plant-1/acme/app@" + dg},
		{name: "trailing slash on the host ignored", ref: "mes-system@" + dg, host: "127.0.0.1:5001/", want: "127.0.0.1:5001/mes-system@" + dg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := imagesync.Rewrite(tc.ref, tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Rewrite(%q, %q) = %q, want %q", tc.ref, tc.host, got, tc.want)
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	cases := []struct {
		name, ref, host, want string
	}{
		{name: "a tag without digest asks for the digest", ref: "mes-system:v1.2", host: "127.0.0.1:5001", want: "has no digest"},
		{name: "an empty host names the field", ref: "mes-system@" + dg, host: "", want: "spec.registry.host"},
		{name: "a bad host shows the form", ref: "mes-system@" + dg, host: "bad host:x", want: "host[:port][/prefix]"},
		{name: "a bad prefix says what is allowed", ref: "mes-system@" + dg, host: "reg.local/Plant One", want: "path prefix"},
		{name: "a malformed image says how to write one", ref: "Not An Image", host: "reg.local", want: "@sha256:<digest>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := imagesync.Rewrite(tc.ref, tc.host)
			if err == nil {
				t.Fatalf("Rewrite(%q, %q) = %q, want an error", tc.ref, tc.host, got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestPin(t *testing.T) {
	cases := []struct {
		name, ref, digest, want string
		fails                   bool
	}{
		{name: "a tag gets the digest after it", ref: "127.0.0.1:5000/mes-system:v1.2", digest: dg, want: "127.0.0.1:5000/mes-system:v1.2@" + dg},
		{name: "the same digest again is kept", ref: "mes-system@" + dg, digest: dg, want: "mes-system@" + dg},
		{name: "another digest is refused", ref: "mes-system@" + dg, digest: "sha256:" + strings.Repeat("0", 64), fails: true},
		{name: "a malformed digest is refused", ref: "mes-system:v1", digest: "md5:xyz", fails: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := imagesync.Pin(tc.ref, tc.digest)
			if tc.fails {
				if err == nil {
					t.Errorf("Pin = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Pin(%q, %q) = %q, %v; want %q", tc.ref, tc.digest, got, err, tc.want)
			}
		})
	}
}
