package apphub

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kurator-go/kurator/pkg/overrides"
)

// podSpecPaths says where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// ContainerImage is one container's image and the JSON pointer to it.
type ContainerImage struct {
	Path, Image string
}

// ContainerImages are the images of an object's pod template (init
// containers first), with where each is: the hub rewrites them per
// cluster through the override engine.
func ContainerImages(obj *unstructured.Unstructured) []ContainerImage {
	at, ok := podSpecPaths[obj.GetKind()]
	if !ok {
		return nil
	}
	podSpec, found, _ := unstructured.NestedMap(obj.Object, at...)
	if !found {
		return nil
	}
	var out []ContainerImage
	for _, field := range []string{"initContainers", "containers"} {
		containers, _ := podSpec[field].([]any)
		for i, c := range containers {
			m, _ := c.(map[string]any)
			if image, _ := m["image"].(string); image != "" {
				out = append(out, ContainerImage{Path: "/" + strings.Join(append(slices.Clone(at), field, strconv.Itoa(i), "image"), "/"), Image: image})
			}
		}
	}
	return out
}

// Images returns the images of every container and init container of the
// objects' pod templates, sorted and unique.
func Images(objs []*unstructured.Unstructured) []string {
	set := map[string]bool{}
	for _, obj := range objs {
		for _, c := range ContainerImages(obj) {
			set[c.Image] = true
		}
	}
	images := make([]string, 0, len(set))
	for image := range set {
		images = append(images, image)
	}
	sort.Strings(images)
	return images
}

// Objects names the objects, in order: "Kind/name" for cluster-scoped
// ones (or without a namespace), else "Kind/namespace/name".
func Objects(objs []*unstructured.Unstructured) []string {
	names := make([]string, len(objs))
	for i, obj := range objs {
		names[i] = objectName(obj)
	}
	return names
}

func objectName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return obj.GetKind() + "/" + ns + "/" + obj.GetName()
	}
	return obj.GetKind() + "/" + obj.GetName()
}

// objectKey identifies an object across versions: group, kind, namespace
// and name (not the API version, which a new release may change).
func objectKey(obj *unstructured.Unstructured) string {
	gv, _ := schema.ParseGroupVersion(obj.GetAPIVersion())
	return gv.Group + "|" + obj.GetKind() + "|" + obj.GetNamespace() + "|" + obj.GetName()
}

// InAppHub is where AppHub's registry (host[/prefix]) keeps an image the
// objects name: a name without a registry lives there; a name on that
// registry's host is already there. ok is false for an image on another
// registry, which AppHub does not hold. The CLI pushes and resolves
// images with it, and the hub copies them from there.
func InAppHub(ref, registry string) (string, bool) {
	img := overrides.ParseImage(ref)
	registry = strings.TrimSuffix(registry, "/")
	host, _, _ := strings.Cut(registry, "/")
	switch img.Registry {
	case "":
		img.Registry = registry
		return img.String(), true
	case host:
		return ref, true
	}
	return "", false
}
