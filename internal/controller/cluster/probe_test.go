package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

func TestProbeHealth(t *testing.T) {
	tests := []struct {
		name        string
		readyz      int
		healthz     int
		down        bool
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{name: "readyz 200 is ready", readyz: 200, wantStatus: metav1.ConditionTrue, wantReason: clusterv1alpha1.ReasonClusterReady, wantMessage: "/readyz with 200"},
		{name: "readyz 404 falls back to healthz 200", readyz: 404, healthz: 200, wantStatus: metav1.ConditionTrue, wantReason: clusterv1alpha1.ReasonClusterReady, wantMessage: "/healthz with 200"},
		{name: "readyz 500 is not healthy", readyz: 500, wantStatus: metav1.ConditionFalse, wantReason: ReasonClusterNotHealthy, wantMessage: "answers /readyz with 500"},
		{name: "readyz 404 and healthz 503 is not healthy", readyz: 404, healthz: 503, wantStatus: metav1.ConditionFalse, wantReason: ReasonClusterNotHealthy, wantMessage: "/healthz with 503"},
		{name: "403 is forbidden", readyz: 403, wantStatus: metav1.ConditionFalse, wantReason: ReasonForbidden, wantMessage: "kurator join"},
		{name: "401 is forbidden", readyz: 401, wantStatus: metav1.ConditionFalse, wantReason: ReasonForbidden},
		{name: "closed port is not reachable", down: true, wantStatus: metav1.ConditionFalse, wantReason: ReasonClusterNotReachable, wantMessage: "cannot reach the API server of cluster c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				code := tt.readyz
				if r.URL.Path == "/healthz" {
					code = tt.healthz
				}
				w.WriteHeader(code)
				_, _ = w.Write([]byte("[-]etcd failed"))
			}))
			if tt.down {
				srv.Close()
			} else {
				defer srv.Close()
			}
			cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			obs := probeHealth(context.Background(), cs.Discovery().RESTClient(), "c1", 2*time.Second)
			if obs.Status != tt.wantStatus || obs.Reason != tt.wantReason || !strings.Contains(obs.Message, tt.wantMessage) {
				t.Errorf("got %s %s %q", obs.Status, obs.Reason, obs.Message)
			}
		})
	}
}
