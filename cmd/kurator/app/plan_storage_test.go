package app

import (
	"regexp"
	"testing"
)

// kurator plan --render over the apphub storage example prints each
// plant's claims with its own storage class.
func TestPlanRenderShowsStorageClassPerCluster(t *testing.T) {
	out, err := runKurator(t, "", "plan", "--render",
		"-f", "../../../examples/apphub/storage-adaptation.yaml", "-f", "../../../examples/apphub/storage-plan.yaml")
	if err != nil {
		t.Fatalf("plan failed: %v", err)
	}
	for cluster, class := range map[string]string{
		"cluster-hangzhou":  "rook-ceph-block",
		"cluster-shanghai":  "nfs-client",
		"cluster-frankfurt": "gp3",
	} {
		// The PVC's document for the cluster, up to the next document.
		re := regexp.MustCompile(`(?s)# cluster ` + cluster + `: PersistentVolumeClaim mes/mes-uploads\n[^#]*storageClassName: ` + class + `\n`)
		if !re.MatchString(out) {
			t.Errorf("%s: no PVC with storageClassName %s in:\n%s", cluster, class, out)
		}
	}
}
