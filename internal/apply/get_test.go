package apply

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// watchStub is a member watch holding at most one object.
type watchStub struct {
	obj    *unstructured.Unstructured
	synced bool
}

func (w *watchStub) Ensure(context.Context, string, schema.GroupVersionResource) error { return nil }
func (w *watchStub) Get(string, schema.GroupVersionResource, string, string) (*unstructured.Unstructured, bool) {
	return w.obj, w.synced
}

func deploymentAt(generation int64) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetName("web")
	u.SetGeneration(generation)
	return u
}

func TestGetAnswersNotSyncedWhileTheWatchLagsTheApply(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	key := objectKey{cluster: "member1", gvr: gvr, namespace: "default", name: "web"}
	cases := []struct {
		name       string
		watched    *unstructured.Unstructured
		synced     bool
		applied    int64 // 0: never applied by this Applier
		wantSynced bool
	}{
		{name: "never applied: the watch answers", watched: deploymentAt(3), synced: true, wantSynced: true},
		{name: "watch holds the applied generation", watched: deploymentAt(4), synced: true, applied: 4, wantSynced: true},
		{name: "watch holds a newer generation (a later edit)", watched: deploymentAt(5), synced: true, applied: 4, wantSynced: true},
		{name: "watch still holds the spec before the apply", watched: deploymentAt(3), synced: true, applied: 4, wantSynced: false},
		{name: "watch has not seen the create yet", watched: nil, synced: true, applied: 1, wantSynced: false},
		{name: "watch not synced", watched: deploymentAt(4), synced: false, applied: 4, wantSynced: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := New(&watchStub{obj: c.watched, synced: c.synced})
			if c.applied > 0 {
				a.remember(key, appliedState{hash: "h", generation: c.applied})
			}
			got, synced := a.Get(key.cluster, gvr, key.namespace, key.name)
			if synced != c.wantSynced {
				t.Fatalf("synced %v, want %v", synced, c.wantSynced)
			}
			if synced && got != c.watched {
				t.Fatalf("answered %v, want the watched object", got)
			}
		})
	}
}
