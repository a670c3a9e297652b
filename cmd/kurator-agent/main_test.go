package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, args ...string) options {
	t.Helper()
	var o options
	fs := flag.NewFlagSet("kurator-agent", flag.ContinueOnError)
	o.bind(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestFlagsAreCheckedWithTheFix(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "defaults with a name and a hub are accepted", args: []string{"--cluster-name", "edge", "--hub-url", "https://hub:6443"}},
		{name: "a missing cluster name is refused", args: []string{"--hub-url", "https://hub:6443"}, want: "--cluster-name is required"},
		{name: "a plain HTTP hub is refused", args: []string{"--cluster-name", "edge", "--hub-url", "http://hub:6443"}, want: "https://"},
		{name: "a certificate TTL below the API minimum is refused", args: []string{"--cluster-name", "edge", "--hub-url", "https://hub", "--certificate-ttl", "5m"}, want: "minimum 10m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parse(t, tt.args...)
			err := o.check()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("check = %v, want %q", err, tt.want)
			}
		})
	}
	if o := parse(t); o.heartbeatInterval.String() != "30s" || o.certificateTTL.String() != "24h0m0s" {
		t.Errorf("defaults: heartbeat %s, TTL %s; want 30s and 24h", o.heartbeatInterval, o.certificateTTL)
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("abcdef.0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := (&options{tokenFile: file}).bootstrapToken(); err != nil || tok != "abcdef.0123456789abcdef" {
		t.Errorf("token %q, %v; want the file's token, trimmed", tok, err)
	}
	if tok, err := (&options{tokenFile: filepath.Join(dir, "gone")}).bootstrapToken(); err != nil || tok != "" {
		t.Errorf("missing token file: %q, %v; want no token and no error (stored credentials suffice)", tok, err)
	}
	if _, err := (&options{token: "a", tokenFile: file}).bootstrapToken(); err == nil {
		t.Error("both --token and --token-file accepted, want refused")
	}
}
