package overrides

import (
	"errors"
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

// Override changes one component the way Karmada's imageOverrider does.
// Registry and Repository: add appends value to the component's text,
// replace sets it, remove clears it. Tag treats tag and digest as one
// "version": add appends value to the tag (to the digest when there is no
// tag), replace sets it to value, and the result is used only if it is a
// valid tag (then any digest goes) or a valid digest (then any tag goes);
// anything else leaves the image unchanged. Remove on Tag clears both.
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
	case policyv1alpha1.OverriderOpAdd:
		version := img.Tag
		if version == "" {
			version = img.Digest
		}
		img.setVersion(version + value)
	case policyv1alpha1.OverriderOpReplace:
		img.setVersion(value)
	case policyv1alpha1.OverriderOpRemove:
		img.Tag, img.Digest = "", ""
	default:
		return fmt.Errorf("unknown operator %q (want add, remove or replace)", op)
	}
	return nil
}

// setVersion makes v the tag or the digest, whichever it is; otherwise
// nothing changes.
func (img *Image) setVersion(v string) {
	switch {
	case tagPattern.MatchString(v):
		img.Tag, img.Digest = v, ""
	case digestPattern.MatchString(v):
		img.Tag, img.Digest = "", v
	}
}

// CheckReference reports whether ref is an image reference Karmada can parse
// (the grammar of github.com/distribution/reference, with the sha256, sha384
// and sha512 digests of github.com/opencontainers/go-digest):
//
//	reference := name [ ":" tag ] [ "@" digest ]
//	name      := [ host [ ":" port ] "/" ] component ( "/" component )*
//
// Karmada fails the whole override when it cannot parse an image it is asked
// to change, rather than guess; so does Apply.
func CheckReference(ref string) error {
	if ref == "" {
		return errors.New("the image is empty")
	}
	name, tag, digest := ref, "", ""
	hasTag, hasDigest := false, false
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name, digest, hasDigest = name[:i], name[i+1:], true
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag, hasTag = name[:i], name[i+1:], true
	}
	if !validName(name) || (hasTag && !validTag(tag)) || (hasDigest && !digestPattern.MatchString(digest)) {
		if lower := strings.ToLower(ref); lower != ref && CheckReference(lower) == nil {
			return fmt.Errorf("image %q is not a valid reference: the repository name must be lowercase", ref)
		}
		return fmt.Errorf("image %q is not a valid reference (want [registry/]repository[:tag][@digest])", ref)
	}
	if len(name) > 255 {
		return fmt.Errorf("image %q is not a valid reference: the name is longer than 255 characters", ref)
	}
	if hasDigest {
		algorithm, hex, _ := strings.Cut(digest, ":")
		size, known := digestSizes[algorithm]
		if !known {
			return fmt.Errorf("image %q: unsupported digest algorithm %q (want sha256, sha384 or sha512)", ref, algorithm)
		}
		if len(hex) != size || strings.Trim(hex, "0123456789abcdef") != "" {
			return fmt.Errorf("image %q: a %s digest is %d lowercase hex digits", ref, algorithm, size)
		}
	}
	return nil
}

// digestSizes is the length in hex digits of each digest algorithm Karmada
// can verify.
var digestSizes = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// validName checks the name part of a reference: path components separated
// by "/", the first of which may instead be a host with an optional port.
func validName(name string) bool {
	first, rest, more := strings.Cut(name, "/")
	if !more {
		return validComponent(first)
	}
	if !validComponent(first) && !validHost(first) {
		return false
	}
	for {
		var c string
		c, rest, more = strings.Cut(rest, "/")
		if !validComponent(c) {
			return false
		}
		if !more {
			return true
		}
	}
}

// validComponent: lowercase letters and digits in runs joined by ".", "_",
// "__" or any number of "-".
func validComponent(c string) bool {
	if c == "" || !isLowerAlnum(c[0]) || !isLowerAlnum(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); {
		if isLowerAlnum(c[i]) {
			i++
			continue
		}
		j := i
		for j < len(c) && !isLowerAlnum(c[j]) {
			j++
		}
		switch sep := c[i:j]; {
		case sep == "." || sep == "_" || sep == "__":
		case strings.Trim(sep, "-") == "":
		default:
			return false
		}
		i = j
	}
	return true
}

// validHost: a DNS name (labels of letters, digits and inner "-", joined by
// ".") or a bracketed IPv6 address, then an optional ":port".
func validHost(h string) bool {
	host, port := h, ""
	hasPort := false
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 2 || strings.Trim(h[1:end], "0123456789abcdefABCDEF:") != "" {
			return false
		}
		host, port = h[:end+1], h[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port, hasPort = port[1:], true
		}
	} else {
		host, port, hasPort = strings.Cut(h, ":")
		for rest, more := host, true; more; {
			var label string
			label, rest, more = strings.Cut(rest, ".")
			if label == "" || label[0] == '-' || label[len(label)-1] == '-' ||
				strings.Trim(label, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "" {
				return false
			}
		}
	}
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	return true
}

// validTag: a word character, then up to 127 word characters, "." or "-".
func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isLowerAlnum(c) && !(c >= 'A' && c <= 'Z') && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }
