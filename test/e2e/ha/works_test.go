package ha

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
)

var workGVR = schema.GroupVersionResource{Group: "work.kurator.dev", Version: "v1alpha1", Resource: "works"}

// workHistory records, for every Work of one hub namespace's bindings, each
// distinct content its spec took, in the order the hub stored them (a watch
// from before the first Work, resumed across disconnects).
type workHistory struct {
	mu sync.Mutex
	// specs: Work key -> the hashes of its whole spec, one per change.
	specs map[string][]string
	// objects: Work key -> hashes of its manifests' .spec only (what a
	// member's metadata.generation counts), one per change.
	objects map[string][]string
	// target: Work key -> the member cluster and the manifest's name.
	target map[string][2]string
	err    error
}

// watchWorks starts recording the Works of bindings in namespace ns until
// the test ends.
func watchWorks(t *testing.T, ns string) *workHistory {
	t.Helper()
	rc, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	works := dyn.Resource(workGVR)
	selector := workv1alpha1.BindingNamespaceLabel + "=" + ns
	ctx, cancel := context.WithCancel(context.Background())
	list, err := works.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h := &workHistory{specs: map[string][]string{}, objects: map[string][]string{}, target: map[string][2]string{}}
	for i := range list.Items {
		h.record(&list.Items[i])
	}
	w, err := watchtools.NewRetryWatcherWithContext(ctx, list.GetResourceVersion(), &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return works.Watch(ctx, o)
		},
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			switch ev.Type {
			case watch.Added, watch.Modified:
				if u, ok := ev.Object.(*unstructured.Unstructured); ok {
					h.record(u)
				}
			case watch.Error:
				h.mu.Lock()
				h.err = fmt.Errorf("watch of Works: %v", ev.Object)
				h.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); w.Stop(); <-done })
	return h
}

func (h *workHistory) record(u *unstructured.Unstructured) {
	key := u.GetNamespace() + "/" + u.GetName()
	spec, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec")
	whole := hashJSON(spec)
	manifests, _, _ := unstructured.NestedSlice(u.Object, "spec", "workload", "manifests")
	var specs []any
	name := ""
	for _, m := range manifests {
		mm, _ := m.(map[string]any)
		// The binding controller ships the template's Namespace along;
		// the object the test follows is the other manifest.
		if mm["kind"] == "Namespace" {
			continue
		}
		specs = append(specs, mm["spec"])
		if md, ok := mm["metadata"].(map[string]any); ok && name == "" {
			name, _ = md["name"].(string)
		}
	}
	objects := hashJSON(specs)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.target[key] = [2]string{u.GetLabels()[workv1alpha1.ClusterLabel], name}
	if s := h.specs[key]; len(s) == 0 || s[len(s)-1] != whole {
		h.specs[key] = append(s, whole)
	}
	if s := h.objects[key]; len(s) == 0 || s[len(s)-1] != objects {
		h.objects[key] = append(s, objects)
	}
}

func hashJSON(v any) string {
	data, _ := json.Marshal(v) // maps marshal with sorted keys
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// count is how many Works were seen.
func (h *workHistory) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.specs)
}

// flips lists the Works whose spec went back to a content it had before a
// different one (A -> B -> A): two writers disagreeing about the content.
func (h *workHistory) flips() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for key, s := range h.specs {
		for i := 1; i < len(s); i++ {
			if slices.Contains(s[:i-1], s[i]) {
				out = append(out, fmt.Sprintf("%s: contents %v", key, s))
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// distinctObjects is, per Work, its target (cluster, name) and how many
// distinct manifest specs it carried: a member object's generation must
// equal it (every distinct spec applied once, none applied that was not in
// the Work).
func (h *workHistory) distinctObjects() map[string]struct {
	cluster, name string
	specs         int
} {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]struct {
		cluster, name string
		specs         int
	}{}
	for key, s := range h.objects {
		seen := map[string]bool{}
		for _, x := range s {
			seen[x] = true
		}
		tg := h.target[key]
		out[key] = struct {
			cluster, name string
			specs         int
		}{tg[0], tg[1], len(seen)}
	}
	return out
}

func (h *workHistory) watchErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}
