package agent

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func TestMeterCountsRequestsAndBodyBytes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(strings.Repeat("x", 300)))
	}))
	defer srv.Close()
	var m Meter
	c := &http.Client{Transport: m.Wrap(http.DefaultTransport)}
	for range 2 {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPut, srv.URL, strings.NewReader(strings.Repeat("y", 120)))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if got := m.Snapshot(); got != (Traffic{Requests: 2, BytesSent: 240, BytesReceived: 600}) {
		t.Errorf("traffic %+v, want 2 requests, 240 bytes sent, 600 received", got)
	}
}

func TestHubMapperKnowsTheKindsTheAgentTouchesWithoutDiscovery(t *testing.T) {
	m := hubMapper()
	for _, tt := range []struct {
		gk   string
		want string
	}{
		{gk: "Work." + workv1alpha1.GroupVersion.Group, want: "works"},
		{gk: "AttachedCluster." + clusterv1alpha1.GroupVersion.Group, want: "attachedclusters"},
		{gk: "Lease." + coordinationv1.GroupName, want: "leases"},
	} {
		kind, group, _ := strings.Cut(tt.gk, ".")
		mapping, err := m.RESTMapping(schema.GroupKind{Group: group, Kind: kind})
		if err != nil {
			t.Errorf("%s: %v", tt.gk, err)
			continue
		}
		if mapping.Resource.Resource != tt.want {
			t.Errorf("%s maps to %s, want %s", tt.gk, mapping.Resource.Resource, tt.want)
		}
	}
}
