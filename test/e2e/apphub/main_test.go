// Package apphub tests AppHub end to end on a real local fleet with a
// CNCF distribution registry for AppHub and one per member: versions
// pushed with the CLI, a staged release whose images are copied to each
// plant's registry and whose storage is adapted per plant, a bad version
// stopped and rolled back in its first stage, a rollback to an older
// version, Git, Helm and OCI sources, and the gates between stages
// (approval, webhooks, and Prometheus metrics of traffic that the traffic
// generator sends along the members' Istio routes).
package apphub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/cmd/kurator/app"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-apphub", NodesPerMember: 2, Registries: true, Prometheus: true, TrafficGen: true}, true, &fleet,
		func(_ context.Context, st *localfleet.State) (func(), error) {
			var err error
			hub, err = fleettest.HubClient(st)
			return func() {}, err
		}))
}

const (
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai"
	frankfurt = "cluster-frankfurt"
)

var members = []string{hangzhou, shanghai, frankfurt}

func apply(t *testing.T, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "apply", "-f", "-")
}

func getApp(t *testing.T, ns, name string) *appsv1alpha1.Application {
	t.Helper()
	var app appsv1alpha1.Application
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &app); err != nil {
		t.Fatal(err)
	}
	return &app
}

// waitPhase polls the Application until its release of rev reaches
// phase; the other terminal phase for rev fails the test at once.
func waitPhase(t *testing.T, ns, name, rev string, phase appsv1alpha1.RolloutPhase, timeout time.Duration, each func(*appsv1alpha1.Application)) *appsv1alpha1.Application {
	t.Helper()
	var last *appsv1alpha1.Application
	fleettest.Eventually(t, timeout, fmt.Sprintf("Application %s/%s: revision %s %s", ns, name, rev, phase), func() error {
		last = getApp(t, ns, name)
		if each != nil {
			each(last)
		}
		d := last.Status.Delivery
		if last.Status.Revision != rev || d.CanaryRevision != rev {
			return fmt.Errorf("%s", describe(last))
		}
		other := map[appsv1alpha1.RolloutPhase]appsv1alpha1.RolloutPhase{appsv1alpha1.PhaseSucceeded: appsv1alpha1.PhaseFailed, appsv1alpha1.PhaseFailed: appsv1alpha1.PhaseSucceeded}[phase]
		switch d.Phase {
		case phase:
			return nil
		case other:
			t.Fatalf("Application %s/%s: revision %s is %s, want %s: %s", ns, name, rev, d.Phase, phase, describe(last))
		}
		return fmt.Errorf("%s", describe(last))
	})
	return last
}

func describe(app *appsv1alpha1.Application) string {
	var b strings.Builder
	fmt.Fprintf(&b, "revision %s, phase %s, stage %q; ", app.Status.Revision, app.Status.Delivery.Phase, app.Status.Delivery.CurrentStage)
	for _, c := range app.Status.Delivery.Clusters {
		fmt.Fprintf(&b, "[%s %s target=%s %q] ", c.Name, c.Phase, c.PrimaryRevision, c.Message)
	}
	for _, c := range app.Status.Conditions {
		if c.Status != "True" {
			fmt.Fprintf(&b, "%s=%s %s: %s; ", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	return b.String()
}

func condition(app *appsv1alpha1.Application, typ string) (string, string) {
	for _, c := range app.Status.Conditions {
		if c.Type == typ {
			return string(c.Status), c.Message
		}
	}
	return "", ""
}

// kuratorErr runs the CLI and returns its output and error (for refusals).
func kuratorErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv("KUBECONFIG", fleet.Kubeconfig)
	var out bytes.Buffer
	root := app.NewRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
