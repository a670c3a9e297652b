// Package registry runs the CNCF distribution registry (built once by
// hack/registry/build.sh) as a local process on loopback: filesystem
// storage in a directory of its own, plain HTTP, deletes enabled. The
// image-sync tests, the benches and `kurator up --registries` use it.
package registry

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Version is the pinned distribution release (hack/registry/go.mod).
const Version = "v3.1.2"

// DefaultBin is the registry binary: $KURATOR_REGISTRY_BIN/registry, else
// the versioned cache hack/registry/build.sh builds into.
func DefaultBin() string {
	dir := os.Getenv("KURATOR_REGISTRY_BIN")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = filepath.Join(os.TempDir(), "cache")
		}
		dir = filepath.Join(cache, "kurator", "registry-"+Version, "bin")
	}
	return filepath.Join(dir, "registry")
}

// CheckBin returns an error saying how to build the registry when bin is
// not an executable file.
func CheckBin(bin string) error {
	st, err := os.Stat(bin)
	if err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return nil
	}
	return fmt.Errorf("registry binary %s is missing: build it once with `make registry` (hack/registry/build.sh %s), about 2 minutes cold",
		bin, filepath.Dir(bin))
}

// Options configure one registry process.
type Options struct {
	// Bin is the registry binary; empty means DefaultBin().
	Bin string
	// Dir holds the config file, the log and the storage. Empty: a new
	// temporary directory, removed by Stop.
	Dir string
	// Port is the loopback port to listen on; 0 picks a free one.
	Port int
	// StopWithParent kills the registry when the starting process dies
	// (tests). Without it the registry outlives its starter (the local
	// fleet records its pid and `kurator down` stops it).
	StopWithParent bool
}

// Registry is one running registry process.
type Registry struct {
	host    string
	dir     string
	ownDir  bool
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

// Host is where the registry listens, "127.0.0.1:<port>" (an image
// reference prefix: <host>/<repository>:<tag>).
func (r *Registry) Host() string { return r.host }

// Port is the registry's TCP port.
func (r *Registry) Port() int {
	_, p, _ := net.SplitHostPort(r.host)
	n, _ := strconv.Atoi(p)
	return n
}

// PID is the registry's process id.
func (r *Registry) PID() int { return r.cmd.Process.Pid }

// Dir holds the registry's config file, log and storage.
func (r *Registry) Dir() string { return r.dir }

// ConfigPath is the registry's config file.
func (r *Registry) ConfigPath() string { return filepath.Join(r.dir, configName) }

// LogPath is the file the registry's output goes to.
func (r *Registry) LogPath() string { return r.logPath }

// Args are the registry's command-line arguments after the binary.
func (r *Registry) Args() []string { return r.cmd.Args[1:] }

const (
	configName = "config.yml"
	logName    = "registry.log"
	// startTimeout bounds the wait for /v2/ when ctx has no deadline; a
	// registry answers in well under a second.
	startTimeout = 30 * time.Second
	// bindTries is how often a picked port is replaced when another
	// process took it between the check and the registry's bind.
	bindTries = 5
)

// Start runs a registry and returns once GET /v2/ answers 200.
func Start(ctx context.Context, opts Options) (*Registry, error) {
	if opts.Bin == "" {
		opts.Bin = DefaultBin()
	}
	if err := CheckBin(opts.Bin); err != nil {
		return nil, err
	}
	ownDir := opts.Dir == ""
	if ownDir {
		d, err := os.MkdirTemp("", "kurator-registry-")
		if err != nil {
			return nil, fmt.Errorf("registry: temporary directory: %w", err)
		}
		opts.Dir = d
	}
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	var lastErr error
	for try := 0; try < bindTries; try++ {
		port := opts.Port
		if port == 0 {
			p, err := FreePort()
			if err != nil {
				lastErr = err
				break
			}
			port = p
		}
		r, err := start(ctx, opts, port, ownDir)
		if err == nil {
			return r, nil
		}
		lastErr = err
		if opts.Port != 0 || !errors.Is(err, errAddrInUse) {
			break
		}
	}
	if ownDir {
		os.RemoveAll(opts.Dir)
	}
	return nil, lastErr
}

var errAddrInUse = errors.New("address already in use")

func start(ctx context.Context, opts Options, port int, ownDir bool) (*Registry, error) {
	host := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg, err := WriteConfig(opts.Dir, host)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(opts.Dir, logName)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", host, err)
	}
	defer logf.Close()
	logStart, _ := logf.Seek(0, 2)

	cmd := exec.Command(opts.Bin, Args(cfg)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if opts.StopWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("registry %s: start %s: %w", host, opts.Bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r := &Registry{host: host, dir: opts.Dir, ownDir: ownDir, logPath: logPath, cmd: cmd, done: done}

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		// A ping is abandoned as soon as the process exits: something else
		// holding the port may accept the connection and never answer.
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		go func() {
			select {
			case <-done:
				cancel()
			case <-pingCtx.Done():
			}
		}()
		err := Ping(pingCtx, host)
		cancel()
		if err == nil {
			return r, nil
		}
		select {
		case <-done:
			out := logTail(logPath, logStart)
			if strings.Contains(out, "address already in use") {
				return nil, fmt.Errorf("registry %s exited: port %d: %w (log %s): pass another port or stop what listens there", host, port, errAddrInUse, logPath)
			}
			return nil, fmt.Errorf("registry %s exited before answering /v2/ (log %s):\n%s", host, logPath, out)
		case <-ctx.Done():
			r.kill()
			return nil, fmt.Errorf("registry %s did not answer GET /v2/ in time (%v; log %s): %w", host, err, logPath, ctx.Err())
		case <-tick.C:
		}
	}
}

// Env is what the registry's environment needs besides the caller's: no
// trace exporter (by default it sends every request's spans to an OTLP
// collector on localhost and logs an error when there is none).
var Env = []string{"OTEL_TRACES_EXPORTER=none"}

// Args are the registry's arguments for the config file cfg.
func Args(cfg string) []string { return []string{"serve", cfg} }

// WriteConfig writes the configuration of a registry on host (127.0.0.1:port)
// whose storage is dir/data, and returns the config file's path:
// filesystem storage, plain HTTP, deletes enabled (so tests and the benches
// can remove blobs), warnings only in the log, no access log, no debug
// listener. The upload secret is kept when the file exists, so uploads
// begun before a restart can go on after it.
func WriteConfig(dir, host string) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", fmt.Errorf("registry %s: %w", host, err)
	}
	path := filepath.Join(dir, configName)
	secret := ""
	if old, err := os.ReadFile(path); err == nil {
		if _, rest, ok := strings.Cut(string(old), "\n  secret: "); ok {
			secret, _, _ = strings.Cut(rest, "\n")
		}
	}
	if secret == "" {
		b := make([]byte, 16)
		if _, err := cryptorand.Read(b); err != nil {
			return "", err
		}
		secret = hex.EncodeToString(b)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
  headers:
    X-Content-Type-Options: [nosniff]
`, strconv.Quote(filepath.Join(dir, "data")), host, secret)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("registry %s: write config %s: %w", host, path, err)
	}
	return path, nil
}

// Ping answers nil when GET http://host/v2/ returns 200, the Docker
// registry API's version check. host is host:port.
func Ping(ctx context.Context, host string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/v2/", nil)
	if err != nil {
		return fmt.Errorf("registry %s: %w", host, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("registry %s unreachable: %w", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("registry %s: GET /v2/ answered %s", host, resp.Status)
	}
	return nil
}

// Stop ends the registry (SIGTERM, then SIGKILL after 5 s) and removes
// its directory when Start made it.
func (r *Registry) Stop() error {
	if r == nil {
		return nil
	}
	select {
	case <-r.done:
	default:
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			r.kill()
		}
	}
	if r.ownDir {
		if err := os.RemoveAll(r.dir); err != nil {
			return fmt.Errorf("registry %s: remove %s: %w", r.host, r.dir, err)
		}
	}
	return nil
}

func (r *Registry) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// Done is closed when the registry process has exited.
func (r *Registry) Done() <-chan struct{} { return r.done }

// logTail returns the last lines the registry wrote since offset.
func logTail(path string, offset int64) string {
	data, err := os.ReadFile(path)
	if err != nil || int64(len(data)) < offset {
		return ""
	}
	data = bytes.TrimSpace(data[offset:])
	if lines := bytes.Split(data, []byte("\n")); len(lines) > 20 {
		data = bytes.Join(lines[len(lines)-20:], []byte("\n"))
	}
	return string(data)
}

// FreePort returns a loopback port that was free a moment ago, below the
// kernel's ephemeral range (where outgoing connections could take it
// before the registry binds it).
func FreePort() (int, error) {
	low, high := 10000, 32768
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if start, err := strconv.Atoi(f[0]); err == nil && start > low+1000 {
				high = start
			}
		}
	}
	for range 200 {
		port := low + rand.IntN(high-low)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port on 127.0.0.1 between %d and %d: stop other registries or fleets (`kurator down`)", low, high)
}
