// Package imagesync copies container images between registries with
// go-containerregistry, the way an Application's release ships its images
// to each cluster's own registry:
//
//   - digest-preserving: the manifest bytes (of an image or an index and
//     every image it lists) are copied as they are, never re-encoded, so
//     the destination serves the source's digest;
//   - skipped when the destination already has the digest (one HEAD);
//   - resumable: blobs already in the destination are not sent again
//     (go-containerregistry checks each blob before uploading it), so a copy
//     stopped half way and run again sends only what is missing.
//
// Errors name the image, the registry and the fix, and wrap ErrUnreachable,
// ErrNotFound or ErrUnauthorized for callers that set condition reasons.
package imagesync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Kinds of failure, for errors.Is.
var (
	// ErrUnreachable: no registry answers at the host.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNotFound: the registry has no such image.
	ErrNotFound = errors.New("image not found")
	// ErrUnauthorized: the registry refused the credentials.
	ErrUnauthorized = errors.New("registry refused the credentials")
)

// Options tune one copy.
type Options struct {
	// InsecureSrc and InsecureDst: the registry speaks plain HTTP.
	InsecureSrc, InsecureDst bool
	// SrcAuth and DstAuth log in to the registries; nil is anonymous.
	SrcAuth, DstAuth authn.Authenticator
	// SrcOwner and DstOwner name what configures each registry, for the
	// fix in error messages, e.g. "AttachedCluster cluster-x
	// spec.registry.host". Empty: "the image reference".
	SrcOwner, DstOwner string
	// Progress, when set, is called as bytes are done (sent, or found
	// already present in the destination), from one goroutine at a time.
	Progress func(Progress)
	// Jobs is how many blobs are sent at once; default 4.
	Jobs int
	// Transport is the HTTP transport; default remote.DefaultTransport.
	Transport http.RoundTripper
}

// Progress of one copy: Done of Total bytes of blobs and manifests.
type Progress struct {
	Done, Total int64
}

// Result of one copy.
type Result struct {
	// Digest of the copied manifest, "sha256:...".
	Digest string
	// Skipped: the destination already had the digest (and the tag, when
	// the destination names one); nothing was sent.
	Skipped bool
	// Bytes is what was sent to the destination: blob and manifest bodies.
	Bytes int64
}

// Copy copies the image or index src to dst. dst names a tag
// (<host>/<repo>:<tag>) or a digest (<host>/<repo>@<digest>, which must be
// src's digest). Nothing is written when dst already has the digest.
func Copy(ctx context.Context, src, dst string, opts Options) (Result, error) {
	srcRef, err := parse(src, opts.InsecureSrc, "source image")
	if err != nil {
		return Result{}, err
	}
	dstRef, err := parse(dst, opts.InsecureDst, "destination image")
	if err != nil {
		return Result{}, err
	}
	srcOpts := opts.remote(ctx, opts.SrcAuth, nil)
	desc, err := remote.Get(srcRef, srcOpts...)
	if err != nil {
		return Result{}, describe(err, "read image "+src, srcRef, opts.SrcOwner)
	}
	digest := desc.Digest.String()
	if d, ok := dstRef.(name.Digest); ok && d.DigestStr() != digest {
		return Result{}, fmt.Errorf("copy image %s to %s: the destination names digest %s but the source has %s: copy to a tag or to @%s",
			src, dst, d.DigestStr(), digest, digest)
	}

	var sent atomic.Int64
	dstOpts := opts.remote(ctx, opts.DstAuth, &sent)
	what := fmt.Sprintf("copy image %s to %s", src, dst)
	present, err := has(dstRef.Context().Digest(digest), dstOpts)
	if err != nil {
		return Result{}, describe(err, what, dstRef, opts.DstOwner)
	}
	if present {
		tag, byTag := dstRef.(name.Tag)
		if !byTag {
			return Result{Digest: digest, Skipped: true}, nil
		}
		if h, err := remote.Head(tag, dstOpts...); err == nil && h.Digest.String() == digest {
			return Result{Digest: digest, Skipped: true}, nil
		}
		// The content is there under another tag: only the manifest goes.
		if err := remote.Put(tag, desc, dstOpts...); err != nil {
			return Result{}, describe(err, what, dstRef, opts.DstOwner)
		}
		return Result{Digest: digest, Bytes: sent.Load()}, nil
	}

	if err := push(ctx, dstRef, desc, dstOpts, opts.Progress); err != nil {
		return Result{}, describe(err, what, dstRef, opts.DstOwner)
	}
	return Result{Digest: digest, Bytes: sent.Load()}, nil
}

// Resolve returns the digest ref names now ("sha256:...").
func Resolve(ctx context.Context, ref string, insecure bool) (string, error) {
	r, err := parse(ref, insecure, "image")
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(r, remote.WithContext(ctx), remote.WithAuth(authn.Anonymous))
	if err != nil {
		return "", describe(err, "resolve image "+ref, r, "")
	}
	return desc.Digest.String(), nil
}

// PushTarball pushes the single image of a `docker save` tarball (what
// `kurator app push --image` takes) to dstRef.
func PushTarball(ctx context.Context, path, dstRef string, insecure bool) (Result, error) {
	return PushTarballWith(ctx, path, dstRef, Options{InsecureDst: insecure})
}

// PushTarballWith is PushTarball with the destination's auth, owner and
// progress from opts.
func PushTarballWith(ctx context.Context, path, dstRef string, opts Options) (Result, error) {
	dst, err := parse(dstRef, opts.InsecureDst, "destination image")
	if err != nil {
		return Result{}, err
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return Result{}, fmt.Errorf("read image tarball %s: %w (write one with `docker save IMAGE -o FILE`; it must hold one image)", path, err)
	}
	d, err := img.Digest()
	if err != nil {
		return Result{}, fmt.Errorf("read image tarball %s: %w", path, err)
	}
	digest := d.String()
	if dd, ok := dst.(name.Digest); ok && dd.DigestStr() != digest {
		return Result{}, fmt.Errorf("push image tarball %s to %s: the destination names digest %s but the tarball's image is %s",
			path, dstRef, dd.DigestStr(), digest)
	}
	var sent atomic.Int64
	dstOpts := opts.remote(ctx, opts.DstAuth, &sent)
	what := fmt.Sprintf("push image tarball %s to %s", path, dstRef)
	if h, err := remote.Head(dst, dstOpts...); err == nil && h.Digest.String() == digest {
		return Result{Digest: digest, Skipped: true}, nil
	}
	if err := push(ctx, dst, img, dstOpts, opts.Progress); err != nil {
		return Result{}, describe(err, what, dst, opts.DstOwner)
	}
	return Result{Digest: digest, Bytes: sent.Load()}, nil
}

// push writes t (an image, an index or a remote descriptor of either) and
// everything it references to ref, reporting progress.
func push(ctx context.Context, ref name.Reference, t remote.Taggable, ropts []remote.Option, progress func(Progress)) error {
	if progress == nil {
		return remote.Push(ref, t, ropts...)
	}
	updates := make(chan v1.Update, 64)
	done := make(chan struct{})
	var total int64
	go func() {
		defer close(done)
		for u := range updates {
			if u.Error == nil {
				total = u.Total
				progress(Progress{Done: u.Complete, Total: u.Total})
			}
		}
	}()
	err := remote.Push(ref, t, append(ropts, remote.WithProgress(updates))...)
	<-done
	if err == nil && total > 0 {
		// go-containerregistry does not count the bytes of a blob's last
		// read (the one that also returns EOF), so its count can end short
		// of the total; a finished copy is complete.
		progress(Progress{Done: total, Total: total})
	}
	return err
}

// has reports whether the registry holds the manifest d.
func has(d name.Digest, ropts []remote.Option) (bool, error) {
	_, err := remote.Head(d, ropts...)
	if err == nil {
		return true, nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return false, nil
	}
	return false, err
}

func (o Options) remote(ctx context.Context, auth authn.Authenticator, sent *atomic.Int64) []remote.Option {
	if auth == nil {
		auth = authn.Anonymous
	}
	t := o.Transport
	if t == nil {
		t = remote.DefaultTransport
	}
	if sent != nil {
		t = countingTransport{base: t, sent: sent}
	}
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = 4
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(t), remote.WithJobs(jobs)}
}

func parse(ref string, insecure bool, what string) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w (write <host>/<repository>:<tag> or <host>/<repository>@sha256:<digest>)", what, ref, err)
	}
	return r, nil
}

// describe turns a registry error into one that names the image, the
// registry and the fix; it wraps err and, where known, the kind of
// failure (ErrUnreachable, ErrNotFound, ErrUnauthorized).
func describe(err error, what string, ref name.Reference, owner string) error {
	host := ref.Context().RegistryStr()
	if owner == "" {
		owner = "the image reference"
	}
	var terr *transport.Error
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return &syncError{msg: fmt.Sprintf("%s: stopped (%v): run it again, blobs already sent are kept", what, err), err: err}
	case errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden):
		return &syncError{kind: ErrUnauthorized, err: err,
			msg: fmt.Sprintf("%s: registry %s refused the credentials: fix the Secret named by %s's secretRef (%v)", what, host, owner, err)}
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		return &syncError{kind: ErrNotFound, err: err,
			msg: fmt.Sprintf("%s: registry %s has no %s: push it first or fix %s (%v)", what, host, ref, owner, err)}
	case isNetwork(err):
		return &syncError{kind: ErrUnreachable, err: err,
			msg: fmt.Sprintf("%s: registry %s unreachable: start it or fix %s (%v)", what, host, owner, err)}
	}
	return fmt.Errorf("%s: registry %s: %w", what, host, err)
}

// syncError is a described registry error: its message says what to do,
// and errors.Is finds both its kind and its cause.
type syncError struct {
	kind error
	msg  string
	err  error
}

func (e *syncError) Error() string { return e.msg }

func (e *syncError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

func isNetwork(err error) bool {
	var nerr net.Error
	var operr *net.OpError
	var dnserr *net.DNSError
	return errors.As(err, &operr) || errors.As(err, &dnserr) || errors.As(err, &nerr) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// countingTransport adds up the request bodies sent, which is what a copy
// costs the network (blob uploads and manifests; HEADs and GETs send none).
type countingTransport struct {
	base http.RoundTripper
	sent *atomic.Int64
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.Clone(req.Context())
		req.Body = &countingBody{ReadCloser: req.Body, sent: t.sent}
	}
	return t.base.RoundTrip(req)
}

type countingBody struct {
	io.ReadCloser
	sent *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.sent.Add(int64(n))
	return n, err
}
