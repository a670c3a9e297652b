package overrides

import (
	"fmt"
	"regexp"
	"strings"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// Image is a container image reference split into the components an
// imageOverrider changes. No normalisation happens: "nginx" stays "nginx"
// (it is not expanded to docker.io/library/nginx), so an override changes only
// what it names and String gives back the input otherwise.
type Image struct {
	// Registry is the first path segment when it looks like a host: it
	// contains "." or ":" or is "localhost". Otherwise empty.
	Registry string
	// Repository is the path after the registry, without tag or digest.
	Repository string
	// Tag follows the last ":" after the last "/"; empty when absent.
	Tag string
	// Digest follows "@", e.g. sha256:...; empty when absent.
	Digest string
}

// ParseImage splits ref. It never fails, and String gives back exactly ref for
// every input, so an image no overrider touches is byte-for-byte unchanged.
func ParseImage(ref string) Image {
	var img Image
	rest := ref
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		first := ref[:i]
		// The docker rule: only a segment that cannot be a user name is a host.
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			img.Registry = first
			rest = ref[i+1:]
		}
	}
	// Empty tags and digests are not split off, so that a dangling ":" or
	// "@" stays in Repository and String reproduces the input exactly.
	if i := strings.IndexByte(rest, '@'); i >= 0 && i < len(rest)-1 {
		img.Digest = rest[i+1:]
		rest = rest[:i]
	}
	// A ":" before the last "/" belongs to the path, not to a tag.
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') && i < len(rest)-1 {
		img.Tag = rest[i+1:]
		rest = rest[:i]
	}
	img.Repository = rest
	return img
}

// String joins the components back into a reference.
func (img Image) String() string {
	var b strings.Builder
	b.Grow(len(img.Registry) + len(img.Repository) + len(img.Tag) + len(img.Digest) + 3)
	if img.Registry != "" {
		b.WriteString(img.Registry)
		b.WriteByte('/')
	}
	b.WriteString(img.Repository)
	if img.Tag != "" {
		b.WriteByte(':')
		b.WriteString(img.Tag)
	}
	if img.Digest != "" {
		b.WriteByte('@')
		b.WriteString(img.Digest)
	}
	return b.String()
}

var (
	// The grammar of github.com/distribution/reference.
	tagPattern    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
)

// Override changes one component. add appends value to the component's text,
// replace sets it, remove clears it. For Tag, a value is used only if it is a
// valid tag (then any digest goes) or a valid digest (then any tag goes);
// anything else leaves the image unchanged, as Karmada does. Remove on Tag
// clears both tag and digest.
func (img *Image) Override(component policyv1alpha1.ImageComponent, op policyv1alpha1.OverriderOperator, value string) error {
	var field *string
	switch component {
	case policyv1alpha1.ImageRegistry:
		field = &img.Registry
	case policyv1alpha1.ImageRepository:
		field = &img.Repository
	case policyv1alpha1.ImageTag:
		return img.overrideTag(op, value)
	default:
		return fmt.Errorf("unknown component %q (want Registry, Repository or Tag)", component)
	}
	switch op {
	case policyv1alpha1.OverriderOpAdd:
		*field += value
	case policyv1alpha1.OverriderOpReplace:
		*field = value
	case policyv1alpha1.OverriderOpRemove:
		*field = ""
	default:
		return fmt.Errorf("unknown operator %q (want add, remove or replace)", op)
	}
	return nil
}

func (img *Image) overrideTag(op policyv1alpha1.OverriderOperator, value string) error {
	switch op {
	case policyv1alpha1.OverriderOpAdd, policyv1alpha1.OverriderOpReplace:
		switch {
		case tagPattern.MatchString(value):
			img.Tag, img.Digest = value, ""
		case digestPattern.MatchString(value):
			img.Tag, img.Digest = "", value
		}
	case policyv1alpha1.OverriderOpRemove:
		img.Tag, img.Digest = "", ""
	default:
		return fmt.Errorf("unknown operator %q (want add, remove or replace)", op)
	}
	return nil
}
