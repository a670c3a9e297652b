package overrides

import (
	"testing"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

const sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseImage(t *testing.T) {
	tests := []struct {
		ref  string
		want Image
	}{
		{"nginx", Image{Repository: "nginx"}},
		{"nginx:1.25", Image{Repository: "nginx", Tag: "1.25"}},
		{"docker.io/library/nginx", Image{Registry: "docker.io", Repository: "library/nginx"}},
		{"library/nginx:1.25", Image{Repository: "library/nginx", Tag: "1.25"}}, // "library" is no host
		{"localhost/a", Image{Registry: "localhost", Repository: "a"}},
		{"localhost:5000/a/b:tag", Image{Registry: "localhost:5000", Repository: "a/b", Tag: "tag"}},
		{"a/b@" + sha, Image{Repository: "a/b", Digest: sha}},
		{"host.io/a/b:tag@" + sha, Image{Registry: "host.io", Repository: "a/b", Tag: "tag", Digest: sha}},
		{"registry.cn-hangzhou.aliyuncs.com/company/nginx:1.25", Image{Registry: "registry.cn-hangzhou.aliyuncs.com", Repository: "company/nginx", Tag: "1.25"}},
		{"myhost:5000/repo", Image{Registry: "myhost:5000", Repository: "repo"}},
		{"", Image{}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got := ParseImage(tt.ref)
			if got != tt.want {
				t.Errorf("ParseImage(%q) = %+v, want %+v", tt.ref, got, tt.want)
			}
			if s := got.String(); s != tt.ref {
				t.Errorf("String() = %q, want the input back", s)
			}
		})
	}
}

func TestImageOverride(t *testing.T) {
	tests := []struct {
		name      string
		image     string
		component policyv1alpha1.ImageComponent
		op        policyv1alpha1.OverriderOperator
		value     string
		want      string
	}{
		{"registry replace on an image without registry prefixes it", "nginx:1.25", policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpReplace, "registry.cn-hangzhou.aliyuncs.com/company", "registry.cn-hangzhou.aliyuncs.com/company/nginx:1.25"},
		{"registry replace swaps the host", "docker.io/library/nginx:1.25", policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpReplace, "mirror.example.com", "mirror.example.com/library/nginx:1.25"},
		{"registry add appends to the host text", "docker.io/library/nginx", policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpAdd, "-mirror", "docker.io-mirror/library/nginx"},
		{"registry remove drops the host", "localhost:5000/a/b:tag", policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpRemove, "", "a/b:tag"},
		{"repository replace keeps registry and tag", "host.io/a/b:tag", policyv1alpha1.ImageRepository, policyv1alpha1.OverriderOpReplace, "c/d", "host.io/c/d:tag"},
		{"repository add appends", "host.io/a/b:tag", policyv1alpha1.ImageRepository, policyv1alpha1.OverriderOpAdd, "-debug", "host.io/a/b-debug:tag"},
		{"repository remove leaves registry and tag", "host.io/a/b:tag", policyv1alpha1.ImageRepository, policyv1alpha1.OverriderOpRemove, "", "host.io/:tag"},
		{"tag replace with a valid tag sets it", "nginx:1.25", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, "1.27", "nginx:1.27"},
		{"tag add on an untagged image sets it", "nginx", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpAdd, "latest", "nginx:latest"},
		{"tag value that is a tag clears the digest", "host.io/a/b:tag@" + sha, policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, "v2", "host.io/a/b:v2"},
		{"tag value that is a digest clears the tag", "host.io/a/b:tag", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, sha, "host.io/a/b@" + sha},
		{"tag value that is neither leaves the image unchanged", "nginx:1.25", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, "not a tag!", "nginx:1.25"},
		{"tag value starting with a dot is invalid", "nginx:1.25", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, ".hidden", "nginx:1.25"},
		{"short digest is invalid", "nginx:1.25", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, "sha256:abc", "nginx:1.25"},
		{"tag remove clears tag and digest", "host.io/a/b:tag@" + sha, policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpRemove, "", "host.io/a/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := ParseImage(tt.image)
			if err := img.Override(tt.component, tt.op, tt.value); err != nil {
				t.Fatal(err)
			}
			if got := img.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestImageOverrideRejectsUnknownComponentAndOperator(t *testing.T) {
	img := ParseImage("nginx")
	if err := img.Override("Host", policyv1alpha1.OverriderOpReplace, "x"); err == nil {
		t.Error("unknown component accepted")
	}
	if err := img.Override(policyv1alpha1.ImageRegistry, "set", "x"); err == nil {
		t.Error("unknown operator accepted for Registry")
	}
	if err := img.Override(policyv1alpha1.ImageTag, "set", "x"); err == nil {
		t.Error("unknown operator accepted for Tag")
	}
	if img.String() != "nginx" {
		t.Errorf("rejected override changed the image to %q", img.String())
	}
}
