package dashboard

import (
	"strings"
	"testing"
	"time"

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

func TestApplicationClusterHealth(t *testing.T) {
	cases := []struct {
		name string
		c    ApplicationCluster
		want string
	}{
		{"healthy on the revision is Healthy", ApplicationCluster{Phase: "Succeeded", Running: "v1.2", Healthy: true}, HealthHealthy},
		{"healthy on an older revision is still Healthy (the revision shows beside it)", ApplicationCluster{Phase: "Pending", Running: "v1.1", Healthy: true}, HealthHealthy},
		{"a failed cluster is Degraded even while its objects are healthy", ApplicationCluster{Phase: "Failed", Running: "v1.3", Healthy: true}, HealthDegraded},
		{"a cluster being rolled back is Degraded", ApplicationCluster{Phase: "RollingBack", Running: "v1.3"}, HealthDegraded},
		{"a cluster rolled back and healthy again is Healthy", ApplicationCluster{Phase: "RolledBack", Running: "v1.2", Healthy: true}, HealthHealthy},
		{"a cluster the release is updating is Progressing", ApplicationCluster{Phase: "Progressing", Running: "v1.3"}, HealthProgressing},
		{"a cluster nothing was applied to yet is Unknown", ApplicationCluster{Running: ""}, HealthUnknown},
		{"an unhealthy cluster outside a release step is Degraded", ApplicationCluster{Phase: "Succeeded", Running: "v1.2"}, HealthDegraded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ApplicationClusterHealth(c.c); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestApplicationSummaryMembersCarryRevisionAndHealth(t *testing.T) {
	s := ApplicationOf(deliveringApp())
	var got []string
	for _, m := range s.Members {
		got = append(got, m.Cluster+"="+m.Running+"/"+m.Health)
	}
	want := "cluster-hangzhou=v1.3/Degraded,cluster-shanghai=v1.3/Healthy,cluster-new=/Unknown"
	if strings.Join(got, ",") != want {
		t.Fatalf("members %v, want %s (by stage then name, unplaced last)", got, want)
	}
	if none := ApplicationOf(&appsv1alpha1.Application{}); none.Members == nil {
		t.Fatal("members of an Application without status is nil: the JSON would be null")
	}
}

func TestApplicationsInFiltersByNamespaceAndOffersEveryNamespace(t *testing.T) {
	apps := []appsv1alpha1.Application{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "plant-b", Name: "mes"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "plant-a", Name: "mes"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "plant-a", Name: "erp"}},
	}
	cases := []struct {
		name, namespace, want string
	}{
		{"no namespace lists all, by namespace then name", "", "plant-a/erp,plant-a/mes,plant-b/mes"},
		{"a namespace keeps only its own", "plant-b", "plant-b/mes"},
		{"an unknown namespace lists none", "plant-z", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ApplicationsIn(apps, c.namespace)
			var got []string
			for _, s := range l.Items {
				got = append(got, s.Namespace+"/"+s.Name)
			}
			if strings.Join(got, ",") != c.want {
				t.Errorf("items %v, want %s", got, c.want)
			}
			if strings.Join(l.Namespaces, ",") != "plant-a,plant-b" || l.Items == nil {
				t.Errorf("namespaces %v (items nil: %v), want every namespace before filtering", l.Namespaces, l.Items == nil)
			}
		})
	}
}

func TestApplicationVersionsNewestFirstWithTheClustersRunningThem(t *testing.T) {
	app := &appsv1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mes-north"},
		Spec:       appsv1alpha1.ApplicationSpec{Source: appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Name: "mes", Version: "v1.2"}}},
		Status: appsv1alpha1.ApplicationStatus{Revision: "v1.2", Clusters: []appsv1alpha1.ApplicationClusterStatus{
			{Name: "cluster-shanghai", Revision: "v1.2"}, {Name: "cluster-hangzhou", Revision: "v1.2"}, {Name: "cluster-frankfurt", Revision: "v1.1"}}},
	}
	t0 := metav1.NewTime(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Hour))
	version := func(ns, appName, v string, created metav1.Time, pushedAt string) appsv1alpha1.AppVersion {
		av := appsv1alpha1.AppVersion{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: appName + "-" + v, CreationTimestamp: created},
			Spec: appsv1alpha1.AppVersionSpec{App: appName, Version: v, Digest: "sha256:" + v, Format: appsv1alpha1.FormatManifests, Size: 2150,
				Objects: []string{"Deployment/mes", "Service/mes"}, Images: []appsv1alpha1.AppImage{{Ref: "mes-system:" + v}}}}
		if pushedAt != "" {
			av.Annotations = map[string]string{appsv1alpha1.PushedAtAnnotation: pushedAt}
		}
		return av
	}
	versions := []appsv1alpha1.AppVersion{
		version("default", "mes", "v1.1", t0, "2026-03-01T10:00:00.100Z"),
		version("default", "mes", "v1.3", t1, "2026-03-01T11:00:00.900Z"),
		version("default", "mes", "v1.2", t1, "2026-03-01T11:00:00.200Z"), // same second as v1.3, pushed before it
		version("default", "mes-north", "v9", t1, ""),                     // the Application's own name is not its AppHub name
		version("other", "mes", "v2.0", t1, ""),                           // another namespace's AppHub
	}
	got := ApplicationVersions(app, versions)
	var order []string
	for _, v := range got {
		order = append(order, v.Version)
	}
	if strings.Join(order, ",") != "v1.3,v1.2,v1.1" {
		t.Fatalf("versions %v, want mes's in default, newest first (pushed-at breaks the tie within a second)", order)
	}
	v12 := got[1]
	if !v12.Current || strings.Join(v12.Clusters, ",") != "cluster-hangzhou,cluster-shanghai" || v12.Objects != 2 || v12.Images != 1 || v12.Size != 2150 || v12.Digest != "sha256:v1.2" {
		t.Errorf("v1.2 %+v, want current, run by hangzhou and shanghai", v12)
	}
	if got[0].Current || len(got[0].Clusters) != 0 || got[0].Clusters == nil {
		t.Errorf("v1.3 %+v, want not current, run by no cluster (an empty list, not null)", got[0])
	}
	if strings.Join(got[2].Clusters, ",") != "cluster-frankfurt" {
		t.Errorf("v1.1 clusters %v, want frankfurt", got[2].Clusters)
	}
}

func TestApplicationConditionsConsistentFirst(t *testing.T) {
	app := deliveringApp()
	app.Status.Conditions = []metav1.Condition{
		{Type: "Ready", Status: metav1.ConditionTrue},
		{Type: appsv1alpha1.ConditionSourceReady, Status: metav1.ConditionTrue},
		{Type: appsv1alpha1.ConditionConsistent, Status: metav1.ConditionFalse, Message: "a release is in progress: v1.2 on cluster-shanghai; v1.3 on cluster-hangzhou"},
		{Type: appsv1alpha1.ConditionImagesSynced, Status: metav1.ConditionTrue},
	}
	d := BuildApplication(app, nil)
	var types []string
	for _, c := range d.Conditions {
		types = append(types, c.Type)
	}
	if strings.Join(types, ",") != "Consistent,Ready,SourceReady,ImagesSynced" {
		t.Fatalf("conditions %v, want Consistent first, the others in status order", types)
	}
	if d.Conditions[0].Message == "" || d.Versions == nil {
		t.Fatalf("Consistent lost its message, or versions is nil: %+v", d)
	}
}

func TestApplicationTerminalWaitsForARevisionNotTakenUpYet(t *testing.T) {
	app := &appsv1alpha1.Application{}
	app.Status.Revision = "v1.2"
	app.Status.Delivery.Phase = appsv1alpha1.PhaseInitialized
	if ApplicationTerminal(app) {
		t.Error("Initialized while v1.2's images are still being copied counts as over")
	}
	app.Status.Delivery.StableRevision, app.Status.Delivery.Phase = "v1.2", appsv1alpha1.PhaseSucceeded
	if !ApplicationTerminal(app) {
		t.Error("v1.2 released and Succeeded does not count as over")
	}
	app.Status.Revision, app.Status.Delivery.FailedRevision, app.Status.Delivery.Phase = "v1.3", "v1.3", appsv1alpha1.PhaseFailed
	if !ApplicationTerminal(app) {
		t.Error("v1.3 failed does not count as over")
	}
}
