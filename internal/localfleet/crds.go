package localfleet

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kurator-go/kurator/config/crd"
	"github.com/kurator-go/kurator/config/istio"
)

// InstallCRDs creates or updates Kurator's CRDs on the cluster behind rc and
// waits until each is Established, so objects can be applied right after.
func InstallCRDs(ctx context.Context, rc *rest.Config) error {
	crds, err := crd.CRDs()
	if err != nil {
		return err
	}
	return installCRDs(ctx, rc, crds)
}

// InstallIstioCRDs creates or updates the networking.istio.io CRDs
// (VirtualService, DestinationRule, ...) on the cluster behind rc and waits
// until each is Established. The hub holds them so Istio objects can be
// propagated; every member holds them as an Istio control plane would.
func InstallIstioCRDs(ctx context.Context, rc *rest.Config) error {
	crds, err := istio.CRDs()
	if err != nil {
		return err
	}
	return installCRDs(ctx, rc, crds)
}

// InstallKwokCRDs creates or updates kwok's ResourceUsage and
// ClusterResourceUsage CRDs on the member behind rc and waits until they are
// Established; kwok, started with --enable-crds for them, needs them first.
func InstallKwokCRDs(ctx context.Context, rc *rest.Config) error {
	crds, err := KwokCRDs()
	if err != nil {
		return err
	}
	return installCRDs(ctx, rc, crds)
}

func installCRDs(ctx context.Context, rc *rest.Config, crds []apiextensionsv1.CustomResourceDefinition) error {
	cs, err := apiextensionsclient.NewForConfig(rc)
	if err != nil {
		return err
	}
	api := cs.ApiextensionsV1().CustomResourceDefinitions()
	for i := range crds {
		want := &crds[i]
		got, err := api.Get(ctx, want.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = api.Create(ctx, want, metav1.CreateOptions{})
		case err == nil:
			want.ResourceVersion = got.ResourceVersion
			_, err = api.Update(ctx, want, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("install CRD %s: %w", want.Name, err)
		}
	}
	const wait = 60 * time.Second
	deadline := time.Now().Add(wait)
	for _, want := range crds {
		for {
			got, err := api.Get(ctx, want.Name, metav1.GetOptions{})
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established after %s (last error: %v); see the kube-apiserver log", want.Name, wait, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func established(c *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == apiextensionsv1.Established {
			return cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}
