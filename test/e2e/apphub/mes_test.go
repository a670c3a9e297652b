package apphub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/imagesync"
	"github.com/kurator-go/kurator/internal/testimage"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// registryOf is the registry host each member's AttachedCluster names.
func registryOf(t *testing.T, cluster string) string {
	t.Helper()
	var ac struct {
		Spec struct {
			Registry struct {
				Host string `json:"host"`
			} `json:"registry"`
		} `json:"spec"`
	}
	out := fleettest.Kubectl(t, fleet, "", "-n", "kurator-system", "get", "attachedcluster", cluster, "-o", "json")
	if err := jsonUnmarshal(out, &ac); err != nil {
		t.Fatal(err)
	}
	if ac.Spec.Registry.Host == "" {
		t.Fatalf("AttachedCluster %s names no registry (kurator up --registries sets one)", cluster)
	}
	return ac.Spec.Registry.Host
}

// imageTarball writes the MES image of a version as a docker-save tarball
// (what a user uploads with the package) and returns its path and digest.
func imageTarball(t *testing.T, tag string) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mes-system-"+tag+".tar")
	digest, err := testimage.WriteTarball(path, testimage.Options{Name: "mes-system", Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return path, digest
}

// The MES staged release: three versions pushed to AppHub with their
// images; v1.2 goes to hangzhou first and to shanghai and frankfurt after
// the gate, each plant pulling from its own registry by digest and getting
// its own storage class; v1.3 never turns healthy, is rolled back in
// stage 1 and never reaches stage 2; then a rollback to v1.1 converges.
func TestMESStagedReleaseSyncsImagesAdaptsStorageAndRollsBack(t *testing.T) {
	ctx := context.Background()
	// The plants' storage plugins, as cluster labels the adaptation reads.
	for c, trait := range map[string]string{hangzhou: "ceph", shanghai: "nfs", frankfurt: "ebs"} {
		fleettest.Kubectl(t, fleet, "", "-n", "kurator-system", "label", "--overwrite", "attachedcluster", c, "storage.kurator.dev/type="+trait)
	}
	adaptation, err := os.ReadFile("../../../examples/apphub/storage-adaptation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	apply(t, string(adaptation))

	digests := map[string]string{}
	for _, v := range []string{"v1.1", "v1.2", "v1.3"} {
		tarball, digest := imageTarball(t, v)
		digests[v] = digest
		start := time.Now()
		out := fleettest.Kurator(t, fleet, "app", "push", "mes:"+v, "-f", "testdata/mes/"+v, "--image", "mes-system:"+v+"="+tarball)
		t.Logf("kurator app push mes:%s (%s): %s", v, time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
	}
	// A version is immutable: other content under v1.2 is refused.
	if out, err := kuratorErr(t, "app", "push", "mes:v1.2", "-f", "testdata/mes/v1.1"); err == nil || !strings.Contains(out+err.Error(), "already exists") {
		t.Fatalf("pushing other content as mes:v1.2: err %v, output %q; want a refusal naming the existing version", err, out)
	}

	example, err := os.ReadFile("../../../examples/apphub/mes-application.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	apply(t, string(example))
	// Stage order, from what the members run.
	firstSeen := map[string]time.Time{}
	readyAt := map[string]time.Time{}
	watch := func(app *appsv1alpha1.Application) {
		for _, c := range app.Status.Clusters {
			if c.Revision == app.Status.Revision && firstSeen[c.Name].IsZero() {
				firstSeen[c.Name] = time.Now()
			}
			if c.Revision == app.Status.Revision && c.Healthy && readyAt[c.Name].IsZero() {
				readyAt[c.Name] = time.Now()
			}
		}
	}
	app := waitPhase(t, "default", "mes", "v1.2", appsv1alpha1.PhaseSucceeded, 4*time.Minute, watch)
	t.Logf("MES v1.2 staged over 2 stages (15 s bake) on 3 clusters: push-to-fleet-Ready %s", time.Since(start).Round(100*time.Millisecond))
	for _, c := range []string{shanghai, frankfurt} {
		if !firstSeen[c].After(readyAt[hangzhou]) {
			t.Errorf("%s got v1.2 at %s, before hangzhou was healthy on it (%s)", c, firstSeen[c].Format(time.TimeOnly), readyAt[hangzhou].Format(time.TimeOnly))
		}
	}
	if s, msg := condition(app, appsv1alpha1.ConditionConsistent); s != "True" {
		t.Fatalf("Consistent %s after v1.2: %s", s, msg)
	}

	classes := map[string]string{hangzhou: "rook-ceph-block", shanghai: "nfs-client", frankfurt: "gp3"}
	for _, c := range members {
		reg := registryOf(t, c)
		// The plant's registry holds the image by digest.
		d, err := imagesync.Resolve(ctx, reg+"/mes-system@"+digests["v1.2"], true)
		if err != nil || d != digests["v1.2"] {
			t.Fatalf("%s's registry %s: mes-system@%s: %v (digest %s)", c, reg, digests["v1.2"], err, d)
		}
		cl := fleettest.Client(t, fleet, c)
		dep, err := cl.AppsV1().Deployments("mes").Get(ctx, "mes-deployment", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if img, want := dep.Spec.Template.Spec.Containers[0].Image, reg+"/mes-system@"+digests["v1.2"]; img != want {
			t.Errorf("%s runs image %s, want %s (its own registry, by digest)", c, img, want)
		}
		if sel := dep.Spec.Selector.MatchLabels["app"]; sel != "mes-deployment" {
			t.Errorf("%s: selector %v, want the defaulted app=mes-deployment", c, dep.Spec.Selector.MatchLabels)
		}
		pvc, err := cl.CoreV1().PersistentVolumeClaims("mes").Get(ctx, "mes-data", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := deref(pvc.Spec.StorageClassName); got != classes[c] {
			t.Errorf("%s: claim mes-data storage class %q, want %q", c, got, classes[c])
		}
	}

	// v1.3 never turns healthy: stopped and rolled back in stage 1.
	fleettest.Kurator(t, fleet, "app", "deploy", "mes:v1.3")
	var reachedStage2 []string
	watchStage2 := func(app *appsv1alpha1.Application) {
		for _, c := range app.Status.Clusters {
			if (c.Name == shanghai || c.Name == frankfurt) && c.Revision == "v1.3" {
				reachedStage2 = append(reachedStage2, c.Name)
			}
		}
	}
	badStart := time.Now()
	app = waitPhase(t, "default", "mes", "v1.3", appsv1alpha1.PhaseFailed, 4*time.Minute, watchStage2)
	t.Logf("MES v1.3 failed in stage 1 and rolled back in %s", time.Since(badStart).Round(100*time.Millisecond))
	if len(reachedStage2) > 0 {
		t.Fatalf("v1.3 reached stage 2 clusters %v", reachedStage2)
	}
	for _, c := range app.Status.Clusters {
		if c.Revision != "v1.2" || !c.Healthy {
			t.Errorf("after the failed v1.3, %s runs %q (healthy %v), want v1.2", c.Name, c.Revision, c.Healthy)
		}
	}
	if s, msg := condition(app, appsv1alpha1.ConditionConsistent); s != "False" {
		t.Errorf("Consistent %s after the failed v1.3 (%s): the fleet does not run the source's version", s, msg)
	}
	history := fleettest.Kurator(t, fleet, "app", "history", "mes")
	for _, want := range []string{"v1.2", "v1.3", "Succeeded", "Failed"} {
		if !strings.Contains(history, want) {
			t.Errorf("kurator app history mes lacks %q:\n%s", want, history)
		}
	}

	// Rollback to v1.1 converges everywhere.
	rbStart := time.Now()
	fleettest.Kurator(t, fleet, "app", "rollback", "mes", "--to", "v1.1")
	fleettest.Eventually(t, 4*time.Minute, "every plant on v1.1 and Consistent", func() error {
		app := getApp(t, "default", "mes")
		if s, msg := condition(app, appsv1alpha1.ConditionConsistent); s != "True" || app.Status.Revision != "v1.1" {
			return fmt.Errorf("Consistent %s (%s); %s", s, msg, describe(app))
		}
		return nil
	})
	t.Logf("rollback to v1.1 converged on 3 clusters in %s", time.Since(rbStart).Round(100*time.Millisecond))
	for _, c := range members {
		dep, err := fleettest.Client(t, fleet, c).AppsV1().Deployments("mes").Get(ctx, "mes-deployment", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if img := dep.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, "@"+digests["v1.1"]) {
			t.Errorf("%s runs %s after the rollback, want mes-system@%s", c, img, digests["v1.1"])
		}
	}

	// Deleting the Application removes it from every plant.
	fleettest.Kubectl(t, fleet, "", "delete", "application", "mes", "-n", "default")
	for _, c := range members {
		fleettest.Eventually(t, time.Minute, c+": mes-deployment gone", func() error {
			_, err := fleettest.Client(t, fleet, c).AppsV1().Deployments("mes").Get(ctx, "mes-deployment", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("still there (%v)", err)
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
