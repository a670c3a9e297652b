package dashboard

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

func TestApplicationSourceInWords(t *testing.T) {
	cases := []struct {
		name string
		src  appsv1alpha1.ApplicationSource
		helm *appsv1alpha1.HelmRelease
		want string
	}{
		{"a package without a name takes the Application's", appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Version: "v1.2"}}, nil, "package mes:v1.2"},
		{"a named package", appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Name: "mes-system", Version: "v1.2"}}, nil, "package mes-system:v1.2"},
		{"git shows the commit before the tag and branch", appsv1alpha1.ApplicationSource{GitRepository: &appsv1alpha1.GitRepositorySource{URL: "file:///srv/mes.git",
			Reference: &appsv1alpha1.GitRepositoryRef{Branch: "main", Commit: "1a2b3c"}}}, nil, "git file:///srv/mes.git (commit 1a2b3c)"},
		{"helm shows the chart and version of the sync policy", appsv1alpha1.ApplicationSource{HelmRepository: &appsv1alpha1.HelmRepositorySource{URL: "http://charts.test"}},
			&appsv1alpha1.HelmRelease{Chart: "mes", Version: "0.3.0"}, "helm http://charts.test chart mes@0.3.0"},
		{"oci shows the digest", appsv1alpha1.ApplicationSource{OCIRepository: &appsv1alpha1.OCIRepositorySource{URL: "oci://127.0.0.1:5000/mes-manifests",
			Reference: &appsv1alpha1.OCIRepositoryRef{Tag: "v1", Digest: "sha256:aa"}}}, nil, "oci 127.0.0.1:5000/mes-manifests@sha256:aa"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := &appsv1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "mes"}, Spec: appsv1alpha1.ApplicationSpec{Source: c.src,
				SyncPolicies: []appsv1alpha1.ApplicationSyncPolicy{{Destination: appsv1alpha1.ApplicationDestination{Fleet: "f"}, Helm: c.helm}}}}
			if got := ApplicationSource(app); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func deliveringApp() *appsv1alpha1.Application {
	return &appsv1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mes"},
		Spec: appsv1alpha1.ApplicationSpec{
			Source: appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Version: "v1.3"}},
			SyncPolicies: []appsv1alpha1.ApplicationSyncPolicy{
				{Destination: appsv1alpha1.ApplicationDestination{Fleet: "asia"}},
				{Destination: appsv1alpha1.ApplicationDestination{Fleet: "europe"}},
				{Destination: appsv1alpha1.ApplicationDestination{Fleet: "asia"}},
			},
			Delivery: &appsv1alpha1.Delivery{Stages: []appsv1alpha1.RolloutStage{
				{Name: "north", ClusterNames: []string{"cluster-hangzhou"}, BakeSeconds: 60},
				{Name: "others", ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "production"}}, RequireApproval: true},
			}},
		},
		Status: appsv1alpha1.ApplicationStatus{
			Revision: "v1.3",
			Delivery: appsv1alpha1.RolloutStatus{Phase: appsv1alpha1.PhaseRollingBack, StageIndex: 0, StableRevision: "v1.2", CanaryRevision: "v1.3",
				Clusters: []appsv1alpha1.ClusterRollout{
					{Name: "cluster-shanghai", Stage: 1, Phase: appsv1alpha1.ClusterPending, PrimaryRevision: "v1.2"},
					{Name: "cluster-hangzhou", Stage: 0, Phase: appsv1alpha1.ClusterRollingBack, PrimaryRevision: "v1.2", Message: "back to v1.2"},
				},
				Gates: []appsv1alpha1.GateResult{{Cluster: "cluster-hangzhou", Gate: "readiness", Reason: "NotReady", Message: "pods never Ready"}}},
			Clusters: []appsv1alpha1.ApplicationClusterStatus{
				{Name: "cluster-new", Revision: "", Message: "waits for its first release"},
				{Name: "cluster-hangzhou", Revision: "v1.3", Healthy: false, Images: []appsv1alpha1.ImageSyncStatus{
					{Source: "a", Phase: appsv1alpha1.ImageSynced}, {Source: "b", Phase: appsv1alpha1.ImageCopying, Bytes: 5, TotalBytes: 10}, {Source: "c"}}},
				{Name: "cluster-shanghai", Revision: "v1.3", Healthy: true},
			},
		},
	}
}

func TestApplicationViews(t *testing.T) {
	app := deliveringApp()
	s := ApplicationOf(app)
	if strings.Join(s.Fleets, ",") != "asia,europe" {
		t.Errorf("fleets %v, want each once in policy order", s.Fleets)
	}
	if s.Phase != "RollingBack" || s.Current != 1 || s.Clusters != 3 || s.Consistent != "Unknown" {
		t.Errorf("summary %+v", s)
	}
	if s.Message != "cluster-hangzhou readiness failed (NotReady): pods never Ready" {
		t.Errorf("message %q, want the newest failed gate", s.Message)
	}
	d := BuildApplication(app, nil)
	var order []string
	for _, c := range d.Clusters {
		order = append(order, c.Name)
	}
	if strings.Join(order, ",") != "cluster-hangzhou,cluster-shanghai,cluster-new" {
		t.Errorf("clusters %v, want by stage then name, unplaced last", order)
	}
	hz := d.Clusters[0]
	if hz.StageName != "north" || hz.Phase != "RollingBack" || hz.Target != "v1.2" || hz.Running != "v1.3" || hz.ImagesSynced != 1 || len(hz.Images) != 3 || hz.Images[2].Phase != appsv1alpha1.ImagePending {
		t.Errorf("cluster-hangzhou %+v", hz)
	}
	if d.Clusters[2].Stage != -1 || d.Clusters[2].Message != "waits for its first release" {
		t.Errorf("unplaced cluster %+v", d.Clusters[2])
	}
	if len(d.Stages) != 2 || d.Stages[0].State != StageFailed || d.Stages[1].State != StagePending ||
		!strings.HasPrefix(d.Stages[1].Rules, "waits for approval (kurator app promote); ") || !strings.Contains(d.Stages[0].Rules, "bakes 60 s") {
		t.Errorf("stages %+v", d.Stages)
	}
	if len(d.Gates) != 1 || d.Gates[0].Gate != "readiness" {
		t.Errorf("gates %+v", d.Gates)
	}
	none := &appsv1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	if d := BuildApplication(none, nil); len(d.Stages) != 1 || d.Stages[0].Name != "all" || d.Stages[0].Selects != "every cluster the sync policies select" || d.Summary.Phase != PhasePending {
		t.Errorf("no delivery: %+v", d)
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 2150: "2.1 KiB", 64 << 20: "64.0 MiB", 3 << 30: "3.0 GiB", 5 << 40: "5120.0 GiB"} {
		if got := ByteSize(n); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
