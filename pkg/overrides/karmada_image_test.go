package overrides

// Vectors from Karmada v1.19's image tests, in our inputs. Each case names
// the Karmada file, test function and case it mirrors (karmada: ...).
//
//   pkg/util/imageparser/parser_test.go       TestParse, TestSplitHostname, Example*
//   pkg/util/imageparser/lifted_test.go       TestTagRegexp, TestDigestRegexp, TestAnchored
//   pkg/util/overridemanager/imageoverride_test.go  TestParseJSONPatchesByImageOverrider

import (
	"strings"
	"testing"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

const (
	karmadaDigest  = "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c"
	karmadaDigest2 = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
)

func TestKarmadaImageParse(t *testing.T) {
	tests := []struct {
		karmada string
		image   string
		want    Image
	}{
		{"parser_test.go TestParse/simple", "pause", Image{Repository: "pause"}},
		{"parser_test.go TestParse/repository", "subpath/imagename:v1.0.0", Image{Repository: "subpath/imagename", Tag: "v1.0.0"}},
		{"parser_test.go TestParse/normal", "fictional.registry.example/imagename:v1.0.0", Image{Registry: "fictional.registry.example", Repository: "imagename", Tag: "v1.0.0"}},
		{"parser_test.go TestParse/hostname with port", "fictional.registry.example:10443/subpath/imagename:v1.0.0", Image{Registry: "fictional.registry.example:10443", Repository: "subpath/imagename", Tag: "v1.0.0"}},
		{"parser_test.go TestParse/digest", "fictional.registry.example:10443/subpath/imagename@" + karmadaDigest, Image{Registry: "fictional.registry.example:10443", Repository: "subpath/imagename", Digest: karmadaDigest}},
		// TestSplitHostname splits a name without tag; ParseImage does the
		// same split on the whole reference.
		{"parser_test.go TestSplitHostname/empty image got nothing", "", Image{}},
		{"parser_test.go TestSplitHostname/simple repository", "imagename", Image{Repository: "imagename"}},
		{"parser_test.go TestSplitHostname/repository with sub-path", "subpath/imagename", Image{Repository: "subpath/imagename"}},
		{"parser_test.go TestSplitHostname/canonical image", "fictional.registry.example/subpath/imagename", Image{Registry: "fictional.registry.example", Repository: "subpath/imagename"}},
		{"parser_test.go TestSplitHostname/hostname with port", "fictional.registry.example:10443/subpath/imagename", Image{Registry: "fictional.registry.example:10443", Repository: "subpath/imagename"}},
		{"parser_test.go TestSplitHostname/hostname with IP", "10.10.10.10:10443/subpath/imagename", Image{Registry: "10.10.10.10:10443", Repository: "subpath/imagename"}},
	}
	for _, tt := range tests {
		t.Run(tt.karmada, func(t *testing.T) {
			got := ParseImage(tt.image)
			if got != tt.want {
				t.Errorf("ParseImage(%q) = %+v, want %+v", tt.image, got, tt.want)
			}
			if s := got.String(); s != tt.image {
				t.Errorf("String() = %q, want the input back", s)
			}
			// TestParse also requires each image to be a valid reference.
			if tt.image != "" {
				if err := CheckReference(tt.image); err != nil {
					t.Errorf("CheckReference(%q) = %v, want nil", tt.image, err)
				}
			}
		})
	}
}

// TestKarmadaImageExamples replays the Example functions of parser_test.go:
// a sequence of overrides on one image, each printing the image.
func TestKarmadaImageExamples(t *testing.T) {
	type step struct {
		component policyv1alpha1.ImageComponent
		op        policyv1alpha1.OverriderOperator
		value     string
		want      string
	}
	tests := []struct {
		karmada string
		image   string
		steps   []step
	}{
		{"parser_test.go ExampleComponents_SetHostname", "imagename:v1.0.0", []step{
			{policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpReplace, "fictional.registry.example", "fictional.registry.example/imagename:v1.0.0"},
			{policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpReplace, "gcr.io", "gcr.io/imagename:v1.0.0"},
			{policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpRemove, "", "imagename:v1.0.0"},
		}},
		{"parser_test.go ExampleComponents_SetRepository", "gcr.io/kube-apiserver:v1.19.0", []step{
			{policyv1alpha1.ImageRepository, policyv1alpha1.OverriderOpReplace, "kube-controller-manager", "gcr.io/kube-controller-manager:v1.19.0"},
		}},
		{"parser_test.go ExampleComponents_SetTagOrDigest", "gcr.io/kube-apiserver", []step{
			{policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, "v1.19.0", "gcr.io/kube-apiserver:v1.19.0"},
			{policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpRemove, "", "gcr.io/kube-apiserver"},
			{policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, karmadaDigest, "gcr.io/kube-apiserver@" + karmadaDigest},
			{policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpRemove, "", "gcr.io/kube-apiserver"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.karmada, func(t *testing.T) {
			img := ParseImage(tt.image)
			for i, s := range tt.steps {
				if err := img.Override(s.component, s.op, s.value); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if got := img.String(); got != s.want {
					t.Errorf("step %d (%s %s %q): %q, want %q", i, s.component, s.op, s.value, got, s.want)
				}
			}
		})
	}

	t.Run("parser_test.go ExampleComponents_String", func(t *testing.T) {
		img := Image{Registry: "fictional.registry.example", Repository: "karmada-scheduler", Tag: "v1.0.0"}
		if got := img.String(); got != "fictional.registry.example/karmada-scheduler:v1.0.0" {
			t.Errorf("String() = %q", got)
		}
	})
}

// TestKarmadaTagAndDigestValues: a Tag value is used when it is a valid tag
// or digest, and ignored otherwise.
func TestKarmadaTagAndDigestValues(t *testing.T) {
	sha384 := "sha384:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		karmada string
		value   string
		want    string // from nginx:1.25
	}{
		{"lifted_test.go TestTagRegexp latest", "latest", "nginx:latest"},
		{"lifted_test.go TestTagRegexp v1.0.0", "v1.0.0", "nginx:v1.0.0"},
		{"lifted_test.go TestTagRegexp v1.0.0-alpha", "v1.0.0-alpha", "nginx:v1.0.0-alpha"},
		{"lifted_test.go TestTagRegexp my-tag", "my-tag", "nginx:my-tag"},
		{"lifted_test.go TestDigestRegexp sha256", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"lifted_test.go TestDigestRegexp sha384", sha384, "nginx@" + sha384},
		{"lifted_test.go TestAnchored/Anchored single regex mismatch: spaces around a tag make it no tag", " v1.0.0 ", "nginx:1.25"},
	}
	for _, tt := range tests {
		t.Run(tt.karmada, func(t *testing.T) {
			img := ParseImage("nginx:1.25")
			if err := img.Override(policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, tt.value); err != nil {
				t.Fatal(err)
			}
			if got := img.String(); got != tt.want {
				t.Errorf("Tag replace %q: %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

// Workloads of TestParseJSONPatchesByImageOverrider, one container each
// unless named otherwise.
const (
	karmadaJob = `
apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: default}
spec:
  template:
    spec:
      containers:
      - {name: perl, image: "perl:5.34.0"}
`
	karmadaDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, labels: {app: nginx}}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - {name: nginx, image: "fictional.registry.example/imagename:v1.0.0"}
`
	karmadaPod = `
apiVersion: v1
kind: Pod
metadata: {name: nginx, namespace: default, labels: {app: nginx}}
spec:
  containers:
  - {name: nginx, image: "fictional.registry.example/imagename:v1.0.0"}
`
	karmadaDeploymentTwoContainers = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec:
  template:
    spec:
      containers:
      - {name: nginx, image: "fictional.registry.example/imagename:v1.0.0"}
      - {name: nginx, image: "registry.k8s.io/nginx-slim:0.8"}
`
)

// karmadaTemplateKind is karmadaDeployment as another pod-template kind.
func karmadaTemplateKind(kind string) string {
	return strings.Replace(karmadaDeployment, "kind: Deployment", "kind: "+kind, 1)
}

func TestKarmadaImageOverrider(t *testing.T) {
	const c0 = "/spec/template/spec/containers/0/image"
	const c1 = "/spec/template/spec/containers/1/image"
	predicate := func(path string) *policyv1alpha1.ImagePredicate { return &policyv1alpha1.ImagePredicate{Path: path} }
	tests := []struct {
		name    string
		karmada string
		doc     string
		o       policyv1alpha1.ImageOverrider
		want    map[string]string // image per JSON pointer
	}{
		{"Job: registry add without predicate prefixes the registry",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Job, component: Registry, operator: add",
			karmadaJob, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpAdd, Value: "registry.k8s.io"},
			map[string]string{c0: "registry.k8s.io/perl:5.34.0"}},
		{"Job: registry add with a predicate prefixes the registry",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with predicate, resource kind: Job, component: Registry, operator: add",
			karmadaJob, policyv1alpha1.ImageOverrider{Predicate: predicate(c0), Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpAdd, Value: "registry.k8s.io"},
			map[string]string{c0: "registry.k8s.io/perl:5.34.0"}},
		{"registry add appends to the host",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Registry, operator: add",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpAdd, Value: ".test"},
			map[string]string{c0: "fictional.registry.example.test/imagename:v1.0.0"}},
		{"registry replace swaps the host",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Registry, operator: replace",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpReplace, Value: "fictional.registry.us"},
			map[string]string{c0: "fictional.registry.us/imagename:v1.0.0"}},
		{"registry remove drops the host and ignores the value",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Registry, operator: remove",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpRemove, Value: "fictional.registry.us"},
			map[string]string{c0: "imagename:v1.0.0"}},
		{"repository add appends a path",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Repository, operator: add",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpAdd, Value: "/nginx"},
			map[string]string{c0: "fictional.registry.example/imagename/nginx:v1.0.0"}},
		{"repository replace keeps host and tag",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Repository, operator: replace",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/nginx:v1.0.0"}},
		{"repository remove leaves host/:tag",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Repository, operator: remove",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpRemove, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/:v1.0.0"}},
		{"tag add of a digest gives neither a tag nor a digest, so the image stays",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Tag, operator: add",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: karmadaDigest2},
			map[string]string{c0: "fictional.registry.example/imagename:v1.0.0"}},
		{"tag replace with a digest swaps the tag for the digest",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Tag, operator: replace",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: karmadaDigest2},
			map[string]string{c0: "fictional.registry.example/imagename@" + karmadaDigest2}},
		{"tag remove drops the tag and ignores the value",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Deployment, component: Tag, operator: remove",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpRemove, Value: karmadaDigest2},
			map[string]string{c0: "fictional.registry.example/imagename"}},
		{"Pod containers are found under spec",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: Pod",
			karmadaPod, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{"/spec/containers/0/image": "fictional.registry.example/nginx:v1.0.0"}},
		{"StatefulSet containers are found under the pod template",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: StatefulSet",
			karmadaTemplateKind("StatefulSet"), policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/nginx:v1.0.0"}},
		{"ReplicaSet containers are found under the pod template",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: ReplicaSet",
			karmadaTemplateKind("ReplicaSet"), policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/nginx:v1.0.0"}},
		{"DaemonSet containers are found under the pod template",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource kind: DaemonSet",
			karmadaTemplateKind("DaemonSet"), policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/nginx:v1.0.0"}},
		{"without a predicate every container changes",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with empty predicate, resource has more than one container",
			karmadaDeploymentTwoContainers, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/nginx:v1.0.0", c1: "registry.k8s.io/nginx:0.8"}},
		{"a predicate on the only container changes it",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with predicate, resource has one container",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Predicate: predicate(c0), Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/nginx:v1.0.0"}},
		{"a predicate on the second container leaves the first alone",
			"imageoverride_test.go TestParseJSONPatchesByImageOverrider/imageOverrider with predicate, resource has more than one container",
			karmadaDeploymentTwoContainers, policyv1alpha1.ImageOverrider{Predicate: predicate(c1), Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "nginx"},
			map[string]string{c0: "fictional.registry.example/imagename:v1.0.0", c1: "registry.k8s.io/nginx:0.8"}},
		// Not in Karmada's tables; the result imageoverride.go gives
		// (overrideImage: Tag add appends to TagOrDigest).
		{"tag add appends to the tag: v1.0.0 + -debug is v1.0.0-debug",
			"imageoverride.go overrideImage, Tag/add (issue 9)",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: "-debug"},
			map[string]string{c0: "fictional.registry.example/imagename:v1.0.0-debug"}},
		{"tag add that makes an invalid tag leaves the image unchanged",
			"imageoverride.go overrideImage, Tag/add with SetTagOrDigest ignoring the result",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: "/debug"},
			map[string]string{c0: "fictional.registry.example/imagename:v1.0.0"}},
		{"tag add on an untagged image sets the tag",
			"imageoverride.go overrideImage, Tag/add on an empty TagOrDigest",
			strings.Replace(karmadaJob, "perl:5.34.0", "perl", 1), policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: "5.34.0"},
			map[string]string{c0: "perl:5.34.0"}},
		{"tag add on a digest appends to the digest when the result is still a digest",
			"imageoverride.go overrideImage, Tag/add on a digest",
			strings.Replace(karmadaJob, "perl:5.34.0", "perl@"+karmadaDigest, 1), policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: "00"},
			map[string]string{c0: "perl@" + karmadaDigest + "00"}},
		{"tag replace with an invalid value leaves the image unchanged",
			"parser.go SetTagOrDigest ignores input that is neither a tag nor a digest",
			karmadaDeployment, policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "not a tag"},
			map[string]string{c0: "fictional.registry.example/imagename:v1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, tt.doc, policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{tt.o}})
			if err != nil {
				t.Fatalf("%v (karmada: %s)", err, tt.karmada)
			}
			for path, want := range tt.want {
				got, err := getPointer(out.Object, path)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if got != want {
					t.Errorf("%s = %q, want %q (karmada: %s)", path, got, want, tt.karmada)
				}
			}
		})
	}
}

// TestKarmadaImageOverriderTagAddSequence checks that two Tag adds compose:
// the second appends to what the first produced.
func TestKarmadaImageOverriderTagAddSequence(t *testing.T) {
	out, err := applyOne(t, karmadaDeployment, policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{
		{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: "-debug"},
		{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: ".1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := container(t, out, 0)["image"]; got != "fictional.registry.example/imagename:v1.0.0-debug.1" {
		t.Errorf("image = %v", got)
	}
}

// TestImageOverriderTaggedDigest keeps a digest pinned next to a tag when only
// the registry or repository changes. Karmada v1.19 drops it (its parser keeps
// the tag only); these vectors are those of Karmada PR #7886 (open upstream),
// which fixes that. A deliberate difference, listed in docs/karmada-parity.md.
func TestImageOverriderTaggedDigest(t *testing.T) {
	image := "registry.example/team/app:v1@" + karmadaDigest
	tests := []struct {
		name      string
		component policyv1alpha1.ImageComponent
		op        policyv1alpha1.OverriderOperator
		value     string
		want      string
	}{
		{"registry replace keeps tag and digest", policyv1alpha1.ImageRegistry, policyv1alpha1.OverriderOpReplace, "mirror.example", "mirror.example/team/app:v1@" + karmadaDigest},
		{"repository replace keeps tag and digest", policyv1alpha1.ImageRepository, policyv1alpha1.OverriderOpReplace, "other/app", "registry.example/other/app:v1@" + karmadaDigest},
		{"tag replace drops the digest", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpReplace, "v2", "registry.example/team/app:v2"},
		{"tag remove drops tag and digest", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpRemove, "", "registry.example/team/app"},
		{"tag add appends to the tag and drops the digest", policyv1alpha1.ImageTag, policyv1alpha1.OverriderOpAdd, "-debug", "registry.example/team/app:v1-debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := ParseImage(image)
			if err := img.Override(tt.component, tt.op, tt.value); err != nil {
				t.Fatal(err)
			}
			if got := img.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckReference: the images Karmada's parser (distribution/reference
// with go-digest) accepts and refuses.
func TestCheckReference(t *testing.T) {
	tests := []struct {
		ref     string
		wantErr string // "" = valid
	}{
		{"nginx", ""},
		{"nginx:1.25", ""},
		{"library/nginx:1.25", ""},
		{"docker.io/library/nginx:1.25", ""},
		{"localhost:5000/a/b:tag", ""},
		{"localhost:5000", ""}, // name "localhost", tag "5000"
		{"Registry.Example.COM/team/app", ""},
		{"[::1]:5000/foo:bar", ""},
		{"[fe80::1]/foo", ""},
		{"a.b-c.d:443/x__y/z-w.v--u_t:Tag_1.0-rc", ""},
		{"nginx:" + strings.Repeat("x", 128), ""},
		{"app@" + karmadaDigest, ""},
		{"app:v1@" + karmadaDigest, ""},
		{"app@sha512:" + strings.Repeat("ab", 64), ""},
		{"", "the image is empty"},
		{"Nginx", "must be lowercase"},
		{"team/Nginx:1", "must be lowercase"},
		{"nginx:", "not a valid reference"},
		{":1.25", "not a valid reference"},
		{"nginx:.hidden", "not a valid reference"},
		{"nginx:" + strings.Repeat("x", 129), "not a valid reference"},
		{"a//b", "not a valid reference"},
		{"/a", "not a valid reference"},
		{"a/", "not a valid reference"},
		{"a..b", "not a valid reference"},
		{"a___b", "not a valid reference"},
		{"a-", "not a valid reference"},
		{"my_host:5000/a", "not a valid reference"},
		{"host:port/a", "not a valid reference"},
		{"-host.io/a", "not a valid reference"},
		{"[::1]", "not a valid reference"},
		{"[zz]/a", "not a valid reference"},
		{"nginx latest", "not a valid reference"},
		{"app@sha256:abc", "not a valid reference"},
		{"app@@" + karmadaDigest, "not a valid reference"},
		{"app@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm"},
		{"app@sha256:" + strings.Repeat("a", 32), "64 lowercase hex digits"},
		{"app@sha256:" + strings.ToUpper(karmadaDigest[7:]), "64 lowercase hex digits"},
		{strings.Repeat("a", 256), "longer than 255"},
	}
	for _, tt := range tests {
		name := tt.ref
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		t.Run(name, func(t *testing.T) {
			err := CheckReference(tt.ref)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckReference(%q) = %v, want valid", tt.ref, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckReference(%q) = %v, want an error containing %q", tt.ref, err, tt.wantErr)
			}
		})
	}
}

// TestImageOverriderRefusesWhatKarmadaCannotParse: Karmada's overrideImage
// fails on an image imageparser.Parse rejects, with or without a predicate,
// and the whole Apply fails with it.
func TestImageOverriderRefusesWhatKarmadaCannotParse(t *testing.T) {
	tag := policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "v2"}
	withPredicate := tag
	withPredicate.Predicate = &policyv1alpha1.ImagePredicate{Path: "/spec/template/spec/containers/0/image"}
	tests := []struct {
		name    string
		doc     string
		o       policyv1alpha1.ImageOverrider
		wantErr string
	}{
		{"an uppercase image", strings.Replace(karmadaDeployment, "imagename", "ImageName", 1), tag,
			`path /spec/template/spec/containers/0/image: image "fictional.registry.example/ImageName:v1.0.0" is not a valid reference: the repository name must be lowercase`},
		{"an uppercase image at the predicate path", strings.Replace(karmadaDeployment, "imagename", "ImageName", 1), withPredicate,
			"must be lowercase"},
		{"a container without an image", strings.Replace(karmadaDeployment, `image: "fictional.registry.example/imagename:v1.0.0"`, `image: null`, 1), tag,
			"path /spec/template/spec/containers/0/image: the image is empty"},
		{"a container that is not an object", strings.Replace(karmadaPod, `- {name: nginx, image: "fictional.registry.example/imagename:v1.0.0"}`, "- just-a-string", 1), tag,
			"path /spec/containers/0: is a string, want a container"},
		{"containers that are not a list", strings.Replace(karmadaPod, "containers:\n  - {name: nginx, image: \"fictional.registry.example/imagename:v1.0.0\"}", "containers: nginx", 1), tag,
			"path /spec/containers: is a string, want a list of containers"},
		{"an image that is not a string", strings.Replace(karmadaPod, `image: "fictional.registry.example/imagename:v1.0.0"`, "image: 5", 1), tag,
			"path /spec/containers/0/image: is a number, want an image string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, tt.doc, policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{tt.o}})
			if err == nil {
				t.Fatalf("no error; object %v", out.Object)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
