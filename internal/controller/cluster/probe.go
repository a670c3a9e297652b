package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// probeHealth asks the API server's /readyz, falling back to /healthz when
// /readyz does not exist, and turns the answer into an Observation.
func probeHealth(ctx context.Context, rc rest.Interface, cluster string, timeout time.Duration) Observation {
	for _, path := range []string{"/readyz", "/healthz"} {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		var code int
		body, err := rc.Get().AbsPath(path).Do(pctx).StatusCode(&code).Raw()
		cancel()
		switch {
		case code == http.StatusNotFound && path == "/readyz":
			continue
		case code == http.StatusOK:
			return Observation{Status: metav1.ConditionTrue, Reason: clusterv1alpha1.ReasonClusterReady,
				Message: fmt.Sprintf("the API server answers %s with 200", path)}
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			return forbidden(cluster, fmt.Sprintf("GET %s", path), err)
		case code == 0 || err != nil && !isStatusError(err):
			return Observation{Status: metav1.ConditionFalse, Reason: ReasonClusterNotReachable,
				Message: fmt.Sprintf("cannot reach the API server of cluster %s (%v): check that it runs and that the hub can reach the server address in its kubeconfig Secret", cluster, err)}
		default:
			return Observation{Status: metav1.ConditionFalse, Reason: ReasonClusterNotHealthy,
				Message: fmt.Sprintf("the API server of cluster %s answers %s with %d (%s): check its failing checks with kubectl get --raw '%s?verbose'", cluster, path, code, excerpt(body, err), path)}
		}
	}
	return Observation{Status: metav1.ConditionFalse, Reason: ReasonClusterNotHealthy,
		Message: fmt.Sprintf("the API server of cluster %s serves neither /readyz nor /healthz: check the server address in its kubeconfig Secret", cluster)}
}

func isStatusError(err error) bool {
	var se apierrors.APIStatus
	return errors.As(err, &se)
}

func excerpt(body []byte, err error) string {
	s := strings.TrimSpace(string(body))
	if s == "" && err != nil {
		s = err.Error()
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func forbidden(cluster, what string, err error) Observation {
	return Observation{Status: metav1.ConditionFalse, Reason: ReasonForbidden,
		Message: fmt.Sprintf("cluster %s refuses %s (%v): give the kubeconfig's user read access to /readyz, /version, discovery, nodes and pods (kurator join grants it), or recreate the Secret with kurator join", cluster, what, err)}
}
