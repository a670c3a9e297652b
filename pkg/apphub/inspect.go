package apphub

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// Images returns the images of every container and init container of the
// objects' pod templates, sorted and unique.
func Images(objs []*unstructured.Unstructured) []string {
	set := map[string]bool{}
	for _, obj := range objs {
		at, ok := podSpecPaths[obj.GetKind()]
		if !ok {
			continue
		}
		podSpec, found, _ := unstructured.NestedMap(obj.Object, at...)
		if !found {
			continue
		}
		for _, field := range []string{"initContainers", "containers"} {
			containers, _ := podSpec[field].([]any)
			for _, c := range containers {
				m, _ := c.(map[string]any)
				if image, _ := m["image"].(string); image != "" {
					set[image] = true
				}
			}
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
