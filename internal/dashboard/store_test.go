package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

func receive(t *testing.T, ch <-chan notice) notice {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notice within 5s")
		return notice{}
	}
}

func TestBroadcasterMergesABurstIntoOneNotice(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := newBroadcaster(50 * time.Millisecond)
	go b.run(ctx)
	ch, done := b.subscribe()
	defer done()
	for range 500 {
		b.publish(TopicWorkloads)
	}
	b.publish(TopicClusters)
	n := receive(t, ch)
	if !slices.Equal(n.topics, []string{TopicClusters, TopicWorkloads}) {
		t.Fatalf("topics %v, want clusters and workloads in one notice", n.topics)
	}
	select {
	case extra := <-ch:
		t.Fatalf("a second notice %v for one burst", extra)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestBroadcasterTellsASlowStreamEverything(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := newBroadcaster(time.Millisecond)
	go b.run(ctx)
	ch, done := b.subscribe()
	defer done()
	// Fill the stream's buffer without reading, then one more notice is
	// dropped; the next one the stream can take names every topic.
	for i := 0; i < cap(ch)+1; i++ {
		b.publish(TopicEvents)
		deadline := time.Now().Add(5 * time.Second)
		for b.version.Load() < uint64(i+1) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	for range cap(ch) {
		<-ch
	}
	b.publish(TopicEvents)
	if n := receive(t, ch); !slices.Equal(n.topics, allTopics) {
		t.Fatalf("topics %v after a missed notice, want all %v", n.topics, allTopics)
	}
	if b.subscribers() != 1 {
		t.Fatalf("subscribers %d", b.subscribers())
	}
}

func TestUnservedReasonNamesAMissingCRDAndTheFix(t *testing.T) {
	gvk := appsv1alpha1.GroupVersion.WithKind("Rollout")
	without := meta.NewDefaultRESTMapper(nil)
	why := unservedReason(without, &appsv1alpha1.Rollout{})
	if !strings.Contains(why, "does not serve apps.kurator.dev/v1alpha1 Rollout") || !strings.Contains(why, "install Kurator's CRDs") {
		t.Fatalf("reason %q", why)
	}
	with := meta.NewDefaultRESTMapper(nil)
	with.Add(gvk, meta.RESTScopeNamespace)
	if why := unservedReason(with, &appsv1alpha1.Rollout{}); why != "" {
		t.Fatalf("a served kind is reported unserved: %q", why)
	}
}

func TestEveryTopicIncludesRolloutsAndApplications(t *testing.T) {
	for _, topic := range []string{TopicRollouts, TopicApplications} {
		if !slices.Contains(allTopics, topic) {
			t.Errorf("topics %v lack %q: a slow stream would miss its changes", allTopics, topic)
		}
	}
}

func TestApplicationsAndTheirVersionsAreOptionalKindsOfTheirTopic(t *testing.T) {
	want := map[string]bool{"*v1alpha1.Application": true, "*v1alpha1.AppVersion": true}
	for _, w := range watched {
		name := fmt.Sprintf("%T", w.obj)
		if want[name] {
			if w.topic != TopicApplications || !w.optional {
				t.Errorf("%s: topic %q optional %v, want %q and optional (a hub without the CRD still gets a dashboard)", name, w.topic, w.optional, TopicApplications)
			}
			delete(want, name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not watched: %v", want)
	}
}
