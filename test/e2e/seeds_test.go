package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// seedDocs returns the seed documents the hub must accept: our API groups
// (api/testdata/seeds), the native kinds and Istio's VirtualServices (the
// local fleet installs Istio's CRDs on the hub).
func seedDocs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../api/testdata/seeds/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed files: %v", err)
	}
	files = append(files, "testdata/seed-001-native.yaml")
	var docs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---") {
			var head struct{ APIVersion string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if head.APIVersion == "" {
				continue
			}
			docs = append(docs, doc)
		}
	}
	return docs
}

// Every seed example applies to the hub with kubectl, unchanged, and the
// fields Karmada lacks (maxSkew, tolerations) survive: the CRDs do not prune them.
func TestSeedExamplesApplyToHub(t *testing.T) {
	docs := seedDocs(t)
	bin := filepath.Join(localfleet.DefaultBinDir(), "kubectl")
	cmd := exec.Command(bin, "--kubeconfig", fleet.Kubeconfig, "--context", localfleet.HubName, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(strings.Join(docs, "\n---\n"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply of %d seed documents: %v\n%s", len(docs), err, out)
	}
	if n := bytes.Count(out, []byte(" created")) + bytes.Count(out, []byte(" configured")) + bytes.Count(out, []byte(" unchanged")); n != len(docs) {
		t.Fatalf("want %d objects applied, kubectl said:\n%s", len(docs), out)
	}

	hub := []string{"--context", localfleet.HubName}
	checks := []struct {
		args []string
		want string
	}{
		{[]string{"get", "pp", "hierarchical-scheduling", "-o", "jsonpath={.spec.placement.spreadConstraints[*].maxSkew}"}, "2 1"},
		{[]string{"get", "pp", "hierarchical-scheduling", "-o", "jsonpath={.spec.placement.tolerations[0].value}"}, "special"},
		{[]string{"get", "pp", "nginx-propagation", "-o", "jsonpath={.spec.placement.replicaScheduling.weightPreference.staticWeightList[*].weight}"}, "60 40"},
		{[]string{"-n", "kurator-system", "get", "fleet", "global-production", "-o", "jsonpath={.spec.placement.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight}"}, "60"},
		{[]string{"-n", "kurator-system", "get", "attachedcluster", "production-cluster-01", "-o", "jsonpath={.spec.kubeconfig.secretRef.name}"}, "cluster-01-kubeconfig"},
		{[]string{"get", "op", "cross-cloud-config", "-o", "jsonpath={.spec.overrideRules[1].overriders.commandOverrider[0].value}"}, `["--region=eu-central","--compliance=gdpr"]`},
	}
	for _, c := range checks {
		if got := strings.TrimSpace(kubectl(t, append(hub, c.args...)...)); got != c.want {
			t.Errorf("kubectl %s = %q, want %q", strings.Join(c.args, " "), got, c.want)
		}
	}
}

// The hub rejects invalid placements with a message naming the field and the fix.
func TestHubRejectsContradictoryPlacement(t *testing.T) {
	bad := `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: contradictory
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    name: x
  placement:
    clusterAffinity:
      clusterNames: [cluster-hangzhou]
    clusterAffinities:
    - affinityName: a
      clusterNames: [cluster-shanghai]
`
	bin := filepath.Join(localfleet.DefaultBinDir(), "kubectl")
	cmd := exec.Command(bin, "--kubeconfig", fleet.Kubeconfig, "--context", localfleet.HubName, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(bad)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("hub accepted a placement with both clusterAffinity and clusterAffinities:\n%s", out)
	}
	if !strings.Contains(string(out), "mutually exclusive") {
		t.Fatalf("rejection should say the fields are mutually exclusive:\n%s", out)
	}
}
