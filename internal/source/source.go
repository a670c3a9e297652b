// Package source fetches one revision of an Application's source (a Git
// repository, a Helm chart repository or an OCI artifact) into an AppHub
// package, so the hub can store it as an AppVersion like an uploaded one.
//
// Every function here does network I/O bounded by the source's timeout
// and the caller's context, keeps everything in memory (no checkout on
// disk), and returns errors that name the Application field to change.
package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/pkg/apphub"
)

// Fetched is one revision of a source, ready to be stored in AppHub.
type Fetched struct {
	// Revision is the AppHub version name: "git-<commit[:12]>", the chart
	// version, or "oci-<digest hex[:12]>".
	Revision string
	// Commit is what the revision is pinned to, in full: the Git commit,
	// the chart archive's digest or the artifact's manifest digest. Passed
	// back as the revision argument it fetches the same content again.
	Commit string
	// Source says in words where the content came from, without
	// credentials: "git <url>@<commit>", "helm <chart url>", "oci
	// <repository>@<digest>".
	Source string
	// Package is the content: manifests or a chart, files at its root.
	Package apphub.Package
}

// Credentials come from the source's secretRef: username and password, or
// a bearer token. A nil *Credentials means anonymous access.
type Credentials struct {
	Username, Password, BearerToken string
}

func (c *Credentials) empty() bool {
	return c == nil || (c.Username == "" && c.Password == "" && c.BearerToken == "")
}

// DefaultTimeout bounds one fetch when the source sets no timeout.
const DefaultTimeout = 60 * time.Second

// MaxContentSize bounds the files of one revision (uncompressed): a
// source holds an application's YAML or chart, not its images or its
// build history.
const MaxContentSize = 20 << 20

// Field paths named by errors.
const (
	gitField      = "spec.source.gitRepository"
	helmField     = "spec.source.helmRepository"
	ociField      = "spec.source.ociRepository"
	chartField    = "spec.syncPolicies[].helm.chart"
	versionField  = "spec.syncPolicies[].helm.version"
	secretRefHint = "check the Secret named by %s.secretRef (username and password, or bearerToken)"
)

// withTimeout bounds ctx by the source's timeout (DefaultTimeout when
// unset or not positive).
func withTimeout(ctx context.Context, d *metav1.Duration) (context.Context, context.CancelFunc, time.Duration) {
	timeout := DefaultTimeout
	if d != nil && d.Duration > 0 {
		timeout = d.Duration
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, timeout
}

// timeoutError turns a deadline or cancellation into an error that says
// which field bounds the fetch; other errors come back unchanged.
func timeoutError(ctx context.Context, err error, field, what string, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s did not finish within %s; check that the server answers, or raise %s.timeout: %w", field, what, timeout, field, err)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("%s: %s was cancelled: %w", field, what, err)
	}
	return err
}

// redactURL removes the password from a URL for messages and
// Fetched.Source; a string that does not parse is returned as is.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// sizeBudget counts file bytes and files against the package limits.
type sizeBudget struct {
	field string // the source field, for the message
	what  string // "the files at commit abc", for the message
	bytes int64
	files int
}

func (b *sizeBudget) add(name string, size int64) error {
	b.bytes += size
	b.files++
	if b.bytes > MaxContentSize {
		return fmt.Errorf("%s: %s add up to more than %d MiB (reached at %s); a source holds an application's YAML or chart: move large files out of it, or push the manifests with kurator app push", b.field, b.what, MaxContentSize>>20, name)
	}
	if b.files > apphub.MaxFiles {
		return fmt.Errorf("%s: %s are more than %d files; a source holds an application's YAML or chart: point it at a smaller repository, or push the manifests with kurator app push", b.field, b.what, apphub.MaxFiles)
	}
	return nil
}

// listOf formats names for an error message, sorted, at most 20.
func listOf(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	const max = 20
	if len(sorted) > max {
		return strings.Join(sorted[:max], ", ") + fmt.Sprintf(" and %d more", len(sorted)-max)
	}
	return strings.Join(sorted, ", ")
}

// short returns s cut to n characters.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
