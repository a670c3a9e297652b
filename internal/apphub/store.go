// Package apphub is AppHub's store on the hub: every pushed version of an
// application is an AppVersion (its digest, format, objects and images)
// whose content, the package's canonical bundle (pkg/apphub), lives in
// immutable ConfigMaps named by the digest. Equal content is stored once,
// whichever application or version pushed it, and a version, once pushed,
// never changes: pushing it again with the same content is a no-op and
// with other content an error.
package apphub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

// Labels and annotations of the blob ConfigMaps and AppVersions.
const (
	// BlobLabel carries the first 20 hex digits of the content's digest
	// on each of its ConfigMaps: kubectl get cm -l apps.kurator.dev/blob=H.
	BlobLabel = "apps.kurator.dev/blob"
	// DigestAnnotation is the full digest a blob ConfigMap belongs to.
	DigestAnnotation = "apps.kurator.dev/digest"
	// ChunksAnnotation is how many ConfigMaps hold that content.
	ChunksAnnotation = "apps.kurator.dev/chunks"
	// contentKey is the binaryData key of a blob ConfigMap.
	contentKey = "content"
)

// ChunkSize is the most content one blob ConfigMap holds: under the API
// server's 1.5 MiB request limit with room for metadata and base64
// (binaryData is base64 in JSON, raw bytes in etcd's protobuf).
const ChunkSize = 900 << 10

// ErrVersionExists is returned (wrapped, with both digests) when a version
// is pushed again with other content.
var ErrVersionExists = errors.New("the version already exists with other content")

// Store reads and writes AppHub's versions on the hub. Client should read
// from the API server directly (not a cache): blobs are ConfigMaps, and a
// cache of every ConfigMap of the hub is not wanted for them.
type Store struct{ Client client.Client }

// PushMeta is what a push records beside the content.
type PushMeta struct {
	// Source says where the content came from ("upload", or an
	// Application's source and revision).
	Source   string
	Objects  []string
	Images   []appsv1alpha1.AppImage
	Warnings []string
}

// Push stores version of app in namespace. It returns the AppVersion and
// whether it was created: pushing an existing version with the same
// digest returns the stored one and false; with another digest it fails
// with ErrVersionExists.
func (s Store) Push(ctx context.Context, namespace, app, version string, p apphub.Package, meta PushMeta) (*appsv1alpha1.AppVersion, bool, error) {
	if err := validateApp(app); err != nil {
		return nil, false, err
	}
	if err := validateVersion(app, version); err != nil {
		return nil, false, err
	}
	data, digest, err := p.Bundle()
	if err != nil {
		return nil, false, fmt.Errorf("push %s:%s: %w", app, version, err)
	}
	name := VersionName(app, version)
	existing := &appsv1alpha1.AppVersion{}
	err = s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, existing)
	switch {
	case err == nil:
		return sameOrRefuse(existing, app, version, digest)
	case !apierrors.IsNotFound(err):
		return nil, false, fmt.Errorf("push %s:%s: read AppVersion %s/%s: %w", app, version, namespace, name, err)
	}
	blobs, err := s.writeBlobs(ctx, namespace, data, digest)
	if err != nil {
		return nil, false, fmt.Errorf("push %s:%s: %w", app, version, err)
	}
	format := p.Format
	if format == "" {
		format = apphub.DetectFormat(p.Files)
	}
	labels := map[string]string{appsv1alpha1.AppLabel: app}
	if len(validation.IsValidLabelValue(version)) == 0 {
		labels[appsv1alpha1.VersionLabel] = version
	}
	v := &appsv1alpha1.AppVersion{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   namespace,
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{appsv1alpha1.PushedAtAnnotation: time.Now().UTC().Format(time.RFC3339Nano)},
		},
		Spec: appsv1alpha1.AppVersionSpec{
			App:      app,
			Version:  version,
			Digest:   digest,
			Format:   format,
			Source:   meta.Source,
			Blobs:    blobs,
			Size:     int64(len(data)),
			Objects:  meta.Objects,
			Images:   meta.Images,
			Warnings: meta.Warnings,
		},
	}
	if err := s.Client.Create(ctx, v); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// Pushed at the same time by someone else: judge theirs.
			if err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, existing); err != nil {
				return nil, false, fmt.Errorf("push %s:%s: read AppVersion %s/%s: %w", app, version, namespace, name, err)
			}
			return sameOrRefuse(existing, app, version, digest)
		}
		return nil, false, fmt.Errorf("push %s:%s: create AppVersion %s/%s: %w", app, version, namespace, name, err)
	}
	return v, true, nil
}

// sameOrRefuse judges a push against the AppVersion already stored under
// its name.
func sameOrRefuse(existing *appsv1alpha1.AppVersion, app, version, digest string) (*appsv1alpha1.AppVersion, bool, error) {
	if existing.Spec.App != app || existing.Spec.Version != version {
		return nil, false, fmt.Errorf("push %s:%s: AppVersion %s/%s already holds %s:%s (both map to that name): push under another version string", app, version, existing.Namespace, existing.Name, existing.Spec.App, existing.Spec.Version)
	}
	if existing.Spec.Digest == digest {
		return existing, false, nil
	}
	return nil, false, fmt.Errorf("push %s:%s: %w (stored %s, pushed %s): versions are immutable; push it as a new version (e.g. %s:%s-1)", app, version, ErrVersionExists, existing.Spec.Digest, digest, app, version)
}

// blobName is the ConfigMap holding chunk i of the content with this
// digest ("sha256:<hex>").
func blobName(digest string, i int) string {
	return fmt.Sprintf("apphub-blob-%s-%d", blobID(digest), i)
}

func blobID(digest string) string {
	h := strings.TrimPrefix(digest, "sha256:")
	if len(h) > 20 {
		h = h[:20]
	}
	return h
}

// writeBlobs stores data in chunks, creating only the ConfigMaps that are
// absent, and returns their names in order.
//
// The digest names the uncompressed content, so another build (another
// compressor) may have stored the same content as other bytes: when the
// first chunk already exists with other bytes, the stored set is checked
// (it must reassemble to this digest) and kept as it is.
func (s Store) writeBlobs(ctx context.Context, namespace string, data []byte, digest string) ([]string, error) {
	chunks := (len(data) + ChunkSize - 1) / ChunkSize
	names := make([]string, chunks)
	for i := range chunks {
		chunk := data[i*ChunkSize : min((i+1)*ChunkSize, len(data))]
		names[i] = blobName(digest, i)
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:   namespace,
				Name:        names[i],
				Labels:      map[string]string{BlobLabel: blobID(digest)},
				Annotations: map[string]string{DigestAnnotation: digest, ChunksAnnotation: strconv.Itoa(chunks)},
			},
			Immutable:  ptrTo(true),
			BinaryData: map[string][]byte{contentKey: chunk},
		}
		err := s.Client.Create(ctx, cm)
		if err == nil {
			continue
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("store content %s: create ConfigMap %s/%s: %w", digest, namespace, names[i], err)
		}
		stored := &corev1.ConfigMap{}
		if err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: names[i]}, stored); err != nil {
			return nil, fmt.Errorf("store content %s: read ConfigMap %s/%s: %w", digest, namespace, names[i], err)
		}
		if bytes.Equal(stored.BinaryData[contentKey], chunk) {
			continue
		}
		if i == 0 {
			return s.adoptBlobs(ctx, namespace, digest, stored)
		}
		return nil, fmt.Errorf("store content %s: ConfigMap %s/%s holds other bytes than this content's chunk %d: delete the content's ConfigMaps (kubectl delete configmap -n %s -l %s=%s) and push again", digest, namespace, names[i], i, namespace, BlobLabel, blobID(digest))
	}
	return names, nil
}

// adoptBlobs checks that the blob set whose first chunk is first holds
// the content of digest, and returns its names.
func (s Store) adoptBlobs(ctx context.Context, namespace, digest string, first *corev1.ConfigMap) ([]string, error) {
	fix := fmt.Sprintf("delete them (kubectl delete configmap -n %s -l %s=%s) and push again", namespace, BlobLabel, blobID(digest))
	chunks, err := strconv.Atoi(first.Annotations[ChunksAnnotation])
	if err != nil || chunks < 1 {
		return nil, fmt.Errorf("store content %s: ConfigMap %s/%s has no valid %s annotation: %s", digest, namespace, first.Name, ChunksAnnotation, fix)
	}
	names := make([]string, chunks)
	for i := range names {
		names[i] = blobName(digest, i)
	}
	data, err := s.readBlobs(ctx, namespace, names)
	if err != nil {
		return nil, fmt.Errorf("store content %s: the stored copy is incomplete (%v): %s", digest, err, fix)
	}
	if got, err := apphub.ContentDigest(data); err != nil || got != digest {
		return nil, fmt.Errorf("store content %s: the stored copy does not match it (digest %s, %v): %s", digest, got, err, fix)
	}
	return names, nil
}

func (s Store) readBlobs(ctx context.Context, namespace string, names []string) ([]byte, error) {
	var data []byte
	for _, name := range names {
		cm := &corev1.ConfigMap{}
		if err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cm); err != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s: %w", namespace, name, err)
		}
		data = append(data, cm.BinaryData[contentKey]...)
	}
	return data, nil
}

// Get reads version of app: its AppVersion and its content, checked
// against the digest. A version that is not there gives the API server's
// NotFound error (apierrors.IsNotFound).
func (s Store) Get(ctx context.Context, namespace, app, version string) (*appsv1alpha1.AppVersion, apphub.Package, error) {
	name := VersionName(app, version)
	v := &appsv1alpha1.AppVersion{}
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, v); err != nil {
		return nil, apphub.Package{}, fmt.Errorf("get %s:%s: AppVersion %s/%s: %w", app, version, namespace, name, err)
	}
	if v.Spec.App != app || v.Spec.Version != version {
		return nil, apphub.Package{}, fmt.Errorf("get %s:%s: AppVersion %s/%s holds %s:%s instead (both map to that name)", app, version, namespace, name, v.Spec.App, v.Spec.Version)
	}
	p, err := s.Content(ctx, v)
	if err != nil {
		return nil, apphub.Package{}, err
	}
	return v, p, nil
}

// Content reads and checks an AppVersion's content.
func (s Store) Content(ctx context.Context, v *appsv1alpha1.AppVersion) (apphub.Package, error) {
	what := fmt.Sprintf("%s:%s (AppVersion %s/%s)", v.Spec.App, v.Spec.Version, v.Namespace, v.Name)
	data, err := s.readBlobs(ctx, v.Namespace, v.Spec.Blobs)
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read %s: content %v: delete the AppVersion and push the version again", what, err)
	}
	digest, err := apphub.ContentDigest(data)
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read %s: content unreadable (%v): delete the AppVersion and push the version again", what, err)
	}
	if digest != v.Spec.Digest {
		return apphub.Package{}, fmt.Errorf("read %s: content has digest %s, the version says %s: delete the AppVersion and push the version again", what, digest, v.Spec.Digest)
	}
	p, err := apphub.Unbundle(data)
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read %s: %w", what, err)
	}
	if v.Spec.Format != "" {
		p.Format = v.Spec.Format
	}
	return p, nil
}

// List returns app's versions in namespace, oldest first.
func (s Store) List(ctx context.Context, namespace, app string) ([]appsv1alpha1.AppVersion, error) {
	if err := validateApp(app); err != nil {
		return nil, err
	}
	list := &appsv1alpha1.AppVersionList{}
	if err := s.Client.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{appsv1alpha1.AppLabel: app}); err != nil {
		return nil, fmt.Errorf("list versions of %s in %s: %w", app, namespace, err)
	}
	versions := make([]appsv1alpha1.AppVersion, 0, len(list.Items))
	for _, v := range list.Items {
		if v.Spec.App == app {
			versions = append(versions, v)
		}
	}
	sort.SliceStable(versions, func(i, j int) bool { return versions[i].PushedBefore(&versions[j]) })
	return versions, nil
}

// VersionName is the AppVersion name of app:version: "<app>-<version>"
// when that is a DNS-1123 subdomain as it is; otherwise lowercased, every
// other character '-', shortened to fit, with "-" and 8 hex digits of a
// hash of app and version appended, so distinct versions keep distinct
// names.
func VersionName(app, version string) string {
	raw := app + "-" + version
	if len(validation.IsDNS1123Subdomain(raw)) == 0 {
		return raw
	}
	sum := sha256.Sum256([]byte(app + "\x00" + version))
	suffix := hex.EncodeToString(sum[:4])
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(raw) {
		if r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	prefix := strings.Trim(b.String(), "-")
	if limit := validation.DNS1123SubdomainMaxLength - len(suffix) - 1; len(prefix) > limit {
		prefix = strings.TrimRight(prefix[:limit], "-")
	}
	if prefix == "" {
		return suffix
	}
	return prefix + "-" + suffix
}

// validateApp accepts names that are label values (AppVersions are found
// by the AppLabel) of at most 63 characters.
func validateApp(app string) error {
	if app == "" {
		return errors.New("the application name is empty: name it, e.g. kurator app push mes:v1.2")
	}
	if errs := validation.IsValidLabelValue(app); len(errs) > 0 {
		return fmt.Errorf("application name %q: %s: use letters, digits, '-', '_' and '.' (at most 63, starting and ending with a letter or digit)", app, strings.Join(errs, "; "))
	}
	return nil
}

func validateVersion(app, version string) error {
	switch {
	case version == "":
		return fmt.Errorf("application %s: the version is empty: push NAME:VERSION, e.g. %s:v1.2", app, app)
	case len(version) > 128:
		return fmt.Errorf("application %s: version %q is longer than 128 characters: shorten it", app, version[:20]+"...")
	}
	for _, r := range version {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("application %s: version %q has a space or control character: use letters, digits and . - + _", app, version)
		}
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }
