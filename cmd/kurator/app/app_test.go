package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/imagesync"
	"github.com/kurator-go/kurator/pkg/apphub"
)

const mesDigest = "sha256:3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

// mesApp is MES v1.3 released north (cluster-hangzhou, bake 10m) then
// others (shanghai, frankfurt, after approval): hangzhou progressing with
// its image half copied, the others still on v1.2.
func mesApp() *appsv1alpha1.Application {
	timeout := int32(900)
	return &appsv1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mes", ResourceVersion: "1", Generation: 2, CreationTimestamp: *at(90)},
		Spec: appsv1alpha1.ApplicationSpec{
			Source: appsv1alpha1.ApplicationSource{Package: &appsv1alpha1.PackageSource{Name: "mes", Version: "v1.3"}},
			SyncPolicies: []appsv1alpha1.ApplicationSyncPolicy{{
				Destination:   appsv1alpha1.ApplicationDestination{Fleet: "global-production", ClusterSelector: &appsv1alpha1.ClusterSelector{MatchLabels: map[string]string{"env": "production"}}},
				Kustomization: &appsv1alpha1.Kustomization{TargetNamespace: "mes"},
			}},
			Delivery: &appsv1alpha1.Delivery{TimeoutSeconds: &timeout, Stages: []appsv1alpha1.RolloutStage{
				{Name: "north", ClusterNames: []string{"cluster-hangzhou"}, BakeSeconds: 600},
				{Name: "others", ClusterNames: []string{"cluster-shanghai", "cluster-frankfurt"}, RequireApproval: true},
			}},
		},
		Status: appsv1alpha1.ApplicationStatus{
			ObservedGeneration: 2, Revision: "v1.3", Digest: mesDigest,
			Delivery: appsv1alpha1.RolloutStatus{
				Phase: appsv1alpha1.PhaseProgressing, StableRevision: "v1.2", CanaryRevision: "v1.3", CurrentStage: "north", StartTime: at(4),
				Clusters: []appsv1alpha1.ClusterRollout{
					{Name: "cluster-shanghai", Stage: 1, Phase: appsv1alpha1.ClusterPending, PrimaryRevision: "v1.2", Message: "waits for stage north"},
					{Name: "cluster-hangzhou", Stage: 0, Phase: appsv1alpha1.ClusterProgressing, PrimaryRevision: "v1.3", Message: "copying images"},
					{Name: "cluster-frankfurt", Stage: 1, Phase: appsv1alpha1.ClusterPending, PrimaryRevision: "v1.2", Message: "waits for stage north"},
				},
				Gates: []appsv1alpha1.GateResult{
					{Time: *at(3), Cluster: "cluster-hangzhou", Gate: "readiness", Kind: "readiness", Passed: false, Reason: "NotReady", Message: "mes-deployment 2/5 ready"},
				},
				History: []appsv1alpha1.RolloutRun{
					{Revision: "v1.2", From: "v1.1", Phase: appsv1alpha1.PhaseSucceeded, StartTime: at(80), EndTime: at(60), Message: "released everywhere"},
				},
			},
			Clusters: []appsv1alpha1.ApplicationClusterStatus{
				{Name: "cluster-frankfurt", Revision: "v1.2", Healthy: true, Registry: "127.0.0.1:5003",
					Images: []appsv1alpha1.ImageSyncStatus{{Source: "127.0.0.1:5000/mes-system:v1.2", Phase: appsv1alpha1.ImageSynced}}},
				{Name: "cluster-hangzhou", Revision: "v1.2", Healthy: true, Registry: "127.0.0.1:5001", Message: "1 image copying",
					Images: []appsv1alpha1.ImageSyncStatus{{Source: "127.0.0.1:5000/mes-system:v1.3", Target: "127.0.0.1:5001/mes-system@sha256:aa",
						Phase: appsv1alpha1.ImageCopying, Bytes: 32 << 20, TotalBytes: 64 << 20}}},
				{Name: "cluster-shanghai", Revision: "v1.2", Healthy: true, Registry: "127.0.0.1:5002",
					Images: []appsv1alpha1.ImageSyncStatus{{Source: "127.0.0.1:5000/mes-system:v1.2", Phase: appsv1alpha1.ImageSynced}}},
			},
			Conditions: []metav1.Condition{{Type: appsv1alpha1.ConditionConsistent, Status: metav1.ConditionFalse, Reason: "Releasing",
				Message: "cluster-hangzhou, cluster-shanghai, cluster-frankfurt run v1.2"}},
		},
	}
}

func TestParseAppRef(t *testing.T) {
	cases := []struct {
		in, name, version string
		fails             bool
	}{
		{in: "mes:v1.2", name: "mes", version: "v1.2"},
		{in: "mes:1.2.0+build.7", name: "mes", version: "1.2.0+build.7"},
		{in: "mes", fails: true},
		{in: "mes:", fails: true},
		{in: ":v1", fails: true},
		{in: "mes:" + strings.Repeat("x", 129), fails: true},
	}
	for _, c := range cases {
		verdict := "splits"
		if c.fails {
			verdict = "is refused"
		}
		t.Run(c.in[:min(len(c.in), 20)]+" "+verdict, func(t *testing.T) {
			n, v, err := parseAppRef(c.in)
			if c.fails {
				if err == nil || !strings.Contains(err.Error(), "NAME:VERSION") && !strings.Contains(err.Error(), "128") {
					t.Fatalf("got %s %s %v", n, v, err)
				}
				return
			}
			if err != nil || n != c.name || v != c.version {
				t.Fatalf("got %q %q %v", n, v, err)
			}
		})
	}
}

// parseStages runs the two stage flags on a command line, so the test
// sees the order a user's flags give.
func parseStages(t *testing.T, args ...string) ([]stageArg, error) {
	t.Helper()
	var s stageArgs
	fs := pflag.NewFlagSet("deploy", pflag.ContinueOnError)
	fs.Var(stageNamesFlag{&s}, "stage", "")
	fs.Var(stageSelectorFlag{&s}, "stage-selector", "")
	err := fs.Parse(args)
	return s.items, err
}

func TestStageFlagsKeepTheOrderGivenAcrossBothFlags(t *testing.T) {
	stages, err := parseStages(t, "--stage", "north=cluster-hangzhou", "--stage-selector", "europe=region=eu-central,env=production",
		"--stage", "east=cluster-shanghai, cluster-x", "--stage", "north=cluster-y", "--stage-selector", "north=tier=gold")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(stages)
	want := []stageArg{
		{name: "north", clusters: []string{"cluster-hangzhou", "cluster-y"}, selector: map[string]string{"tier": "gold"}},
		{name: "europe", selector: map[string]string{"region": "eu-central", "env": "production"}},
		{name: "east", clusters: []string{"cluster-shanghai", "cluster-x"}},
	}
	if len(stages) != len(want) {
		t.Fatalf("stages %+v (%s)", stages, got)
	}
	for i := range want {
		if stages[i].name != want[i].name || strings.Join(stages[i].clusters, ",") != strings.Join(want[i].clusters, ",") ||
			labelString(stages[i].selector) != labelString(want[i].selector) {
			t.Errorf("stage %d = %+v, want %+v", i, stages[i], want[i])
		}
	}
}

func TestStageFlagRefusals(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a stage without = is refused with the form to use", []string{"--stage", "north"}, "give NAME=cluster1,cluster2"},
		{"a stage naming no cluster is refused", []string{"--stage", "north= , "}, "stage north names no cluster"},
		{"a stage selector without labels is refused", []string{"--stage-selector", "europe="}, "give NAME=key=value"},
		{"a stage selector with a bad label is refused", []string{"--stage-selector", "europe=region"}, "labels \"region\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseStages(t, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestBuildApplicationFromFlags(t *testing.T) {
	north := stageArg{name: "north", clusters: []string{"cluster-hangzhou"}}
	europe := stageArg{name: "europe", selector: map[string]string{"region": "eu-central"}}
	others := stageArg{name: "others", clusters: []string{"cluster-shanghai"}}
	cases := []struct {
		name   string
		format string
		o      deployOptions
		check  func(t *testing.T, app *appsv1alpha1.Application)
	}{
		{"no stage flag leaves the delivery out (one stage, the controller's default)", appsv1alpha1.FormatManifests,
			deployOptions{fleet: "global-production"}, func(t *testing.T, app *appsv1alpha1.Application) {
				if app.Spec.Delivery != nil || app.Spec.SyncPolicies[0].Kustomization != nil || app.Spec.SyncPolicies[0].Destination.ClusterSelector != nil {
					t.Errorf("spec %+v", app.Spec)
				}
				if p := app.Spec.Source.Package; p == nil || p.Name != "mes" || p.Version != "v1.2" {
					t.Errorf("source %+v", app.Spec.Source)
				}
			}},
		{"stages keep their order and bake goes on every stage but the last", appsv1alpha1.FormatManifests,
			deployOptions{fleet: "global-production", stages: []stageArg{north, europe, others}, bake: 90 * time.Second}, func(t *testing.T, app *appsv1alpha1.Application) {
				st := app.Spec.Delivery.Stages
				if len(st) != 3 || st[0].Name != "north" || st[1].Name != "europe" || st[2].Name != "others" {
					t.Fatalf("stages %+v", st)
				}
				if st[0].BakeSeconds != 90 || st[1].BakeSeconds != 90 || st[2].BakeSeconds != 0 {
					t.Errorf("bake %d %d %d, want 90 90 0", st[0].BakeSeconds, st[1].BakeSeconds, st[2].BakeSeconds)
				}
				if st[1].ClusterSelector == nil || st[1].ClusterSelector.MatchLabels["region"] != "eu-central" || st[0].ClusterSelector != nil {
					t.Errorf("selectors %+v %+v", st[0].ClusterSelector, st[1].ClusterSelector)
				}
			}},
		{"approval, timeout (rounded up to seconds), selector and target namespace land in the spec", appsv1alpha1.FormatManifests,
			deployOptions{fleet: "global-production", stages: []stageArg{north, others}, requireApproval: []string{"others"}, timeout: 1500 * time.Millisecond,
				selector: map[string]string{"env": "production"}, targetNamespace: "mes"}, func(t *testing.T, app *appsv1alpha1.Application) {
				d := app.Spec.Delivery
				if d.Stages[0].RequireApproval || !d.Stages[1].RequireApproval || d.TimeoutSeconds == nil || *d.TimeoutSeconds != 2 {
					t.Errorf("delivery %+v", d)
				}
				p := app.Spec.SyncPolicies[0]
				if p.Destination.ClusterSelector.MatchLabels["env"] != "production" || p.Kustomization == nil || p.Kustomization.TargetNamespace != "mes" || p.Helm != nil {
					t.Errorf("policy %+v", p)
				}
			}},
		{"a chart takes the target namespace as a helm option", appsv1alpha1.FormatHelmChart,
			deployOptions{fleet: "global-production", targetNamespace: "mes"}, func(t *testing.T, app *appsv1alpha1.Application) {
				p := app.Spec.SyncPolicies[0]
				if p.Helm == nil || p.Helm.TargetNamespace != "mes" || p.Kustomization != nil {
					t.Errorf("policy %+v", p)
				}
			}},
		{"a timeout alone makes a delivery without stages", appsv1alpha1.FormatManifests,
			deployOptions{fleet: "f", timeout: 5 * time.Minute}, func(t *testing.T, app *appsv1alpha1.Application) {
				if d := app.Spec.Delivery; d == nil || len(d.Stages) != 0 || *d.TimeoutSeconds != 300 {
					t.Errorf("delivery %+v", d)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, err := buildApplication("default", "mes", "v1.2", c.format, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if app.Kind != "Application" || app.Namespace != "default" || app.Name != "mes" || app.Spec.SyncPolicies[0].Destination.Fleet != c.o.fleet {
				t.Errorf("object %+v", app)
			}
			c.check(t, app)
		})
	}
}

func TestBuildApplicationRefusals(t *testing.T) {
	north := stageArg{name: "north", clusters: []string{"cluster-hangzhou"}}
	cases := []struct {
		name string
		o    deployOptions
		want string
	}{
		{"no fleet is refused", deployOptions{}, "--fleet is required to create Application default/mes"},
		{"bake without stages is refused", deployOptions{fleet: "f", bake: time.Minute}, "--bake is the wait between stages"},
		{"approval without stages is refused", deployOptions{fleet: "f", requireApproval: []string{"north"}}, "there are no stages"},
		{"approval of an unknown stage lists the stages", deployOptions{fleet: "f", stages: []stageArg{north}, requireApproval: []string{"east"}},
			"no stage is called east; the stages are north"},
		{"a stage with no cluster is refused", deployOptions{fleet: "f", stages: []stageArg{{name: "empty"}}}, "stage empty selects no cluster"},
		{"a negative bake is refused", deployOptions{fleet: "f", stages: []stageArg{north}, bake: -time.Second}, "must be positive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := buildApplication("default", "mes", "v1.2", appsv1alpha1.FormatManifests, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

var seedMembers = []appMember{
	{Name: "cluster-hangzhou", Labels: map[string]string{"region": "asia-east", "env": "production"}},
	{Name: "cluster-shanghai", Labels: map[string]string{"region": "asia-east", "env": "production"}},
	{Name: "cluster-frankfurt", Labels: map[string]string{"region": "eu-central", "env": "production"}},
}

func TestCheckStagesAgainstTheFleet(t *testing.T) {
	cases := []struct {
		name     string
		stages   []stageArg
		members  []appMember
		want     string // error part; "" = accepted
		lastBake int32
	}{
		{"one stage leaves the rest for the implicit stage, so it bakes too",
			[]stageArg{{name: "north", clusters: []string{"cluster-hangzhou"}}}, seedMembers, "", 600},
		{"stages covering every cluster leave the last one without bake",
			[]stageArg{{name: "north", clusters: []string{"cluster-hangzhou"}}, {name: "others", clusters: []string{"cluster-shanghai", "cluster-frankfurt"}}}, seedMembers, "", 0},
		{"a cluster outside the fleet is refused with the fleet's clusters",
			[]stageArg{{name: "north", clusters: []string{"cluster-beijing"}}}, seedMembers,
			"stage north names cluster-beijing, which the destination (Fleet global-production) does not select: its clusters are cluster-hangzhou, cluster-shanghai, cluster-frankfurt", 0},
		{"a selector matching no cluster is refused with the clusters' labels",
			[]stageArg{{name: "us", selector: map[string]string{"region": "us-west"}}}, seedMembers,
			"stage us selects no cluster of Fleet global-production", 0},
		{"a stage whose clusters an earlier stage took is refused",
			[]stageArg{{name: "asia", selector: map[string]string{"region": "asia-east"}}, {name: "north", clusters: []string{"cluster-hangzhou"}}}, seedMembers,
			"stage north selects no cluster of Fleet global-production (earlier stages take the clusters they select first)", 0},
		{"a destination without clusters is refused", nil, nil, "Fleet global-production has no cluster the destination selects", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := deployOptions{fleet: "global-production", stages: c.stages}
			if len(c.stages) > 0 {
				o.bake = 10 * time.Minute
			}
			app, err := buildApplication("default", "mes", "v1.2", appsv1alpha1.FormatManifests, o)
			if err != nil {
				t.Fatal(err)
			}
			err = checkStages(app, c.members, o.bake)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st := app.Spec.Delivery.Stages
			if got := st[len(st)-1].BakeSeconds; got != c.lastBake {
				t.Errorf("last stage bakes %d s, want %d", got, c.lastBake)
			}
		})
	}
}

func TestStagePlanSaysWhoGoesWhen(t *testing.T) {
	d := mesApp().Spec.Delivery
	got := stagePlan(d, seedMembers)
	want := []string{
		"stage 1 north: cluster-hangzhou; bakes 10m0s healthy before the next stage",
		"stage 2 others: cluster-shanghai, cluster-frankfurt; waits for `kurator app promote` before it starts",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan with members:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	one := &appsv1alpha1.Delivery{Stages: []appsv1alpha1.RolloutStage{{Name: "north", ClusterNames: []string{"cluster-hangzhou"}, BakeSeconds: 60}}}
	got = stagePlan(one, seedMembers)
	if len(got) != 2 || got[1] != "stage 2 rest: cluster-shanghai, cluster-frankfurt" || !strings.Contains(got[0], "bakes 1m0s") {
		t.Errorf("plan with the implicit stage: %q", got)
	}
	got = stagePlan(one, nil)
	if len(got) != 2 || got[0] != "stage 1 north: cluster-hangzhou; bakes 1m0s healthy before the next stage" || got[1] != "stage 2 rest: the clusters no stage names" {
		t.Errorf("plan in words: %q", got)
	}
	if got = stagePlan(nil, nil); len(got) != 1 || got[0] != "stage 1 all: every cluster at once" {
		t.Errorf("plan without delivery: %q", got)
	}
}

func TestAppPatches(t *testing.T) {
	cases := []struct {
		name  string
		patch []byte
		want  string
	}{
		{"deploy and rollback set spec.source.package.version only", versionPatch("v1.1"), `{"spec":{"source":{"package":{"version":"v1.1"}}}}`},
		{"pause sets spec.delivery.suspend true (creating delivery when absent)", deliverySuspendPatch(true), `{"spec":{"delivery":{"suspend":true}}}`},
		{"resume sets spec.delivery.suspend false explicitly", deliverySuspendPatch(false), `{"spec":{"delivery":{"suspend":false}}}`},
		{"promote sets the action annotation", actionPatch("promote/7"), `{"metadata":{"annotations":{"apps.kurator.dev/action":"promote/7"}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if string(c.patch) != c.want {
				t.Fatalf("patch %s, want %s", c.patch, c.want)
			}
		})
	}
}

func TestAppActionRefusalsAndPlans(t *testing.T) {
	for _, c := range []struct {
		phase   appsv1alpha1.RolloutPhase
		allowed bool
		why     string
	}{
		{appsv1alpha1.PhaseProgressing, true, ""},
		{appsv1alpha1.PhaseWaiting, false, "a confirm-rollout webhook holds its start"},
		{appsv1alpha1.PhaseRollingBack, false, "already rolling back"},
		{appsv1alpha1.PhaseSucceeded, false, "last release succeeded"},
		{appsv1alpha1.PhaseFailed, false, "last release failed"},
		{"", false, "it is Pending and the controller has not started a release yet"},
	} {
		verdict := "refused"
		if c.allowed {
			verdict = "allowed"
		}
		t.Run("promote when "+string(c.phase)+" is "+verdict, func(t *testing.T) {
			app := mesApp()
			app.Status.Delivery.Phase = c.phase
			err := checkAppAction(app, actionPromote)
			if c.allowed != (err == nil) {
				t.Fatalf("err %v", err)
			}
			if err != nil && (!strings.Contains(err.Error(), c.why) || !strings.Contains(err.Error(), "kurator app status mes -n default")) {
				t.Errorf("error %q lacks %q or the status command", err, c.why)
			}
		})
	}
	app := mesApp()
	if got := appActionPlan(app, actionPromote); !strings.Contains(got, "the current stage 1/2 north's clusters (cluster-hangzhou) skip their remaining analysis") {
		t.Errorf("promote while north runs: %s", got)
	}
	app.Status.Delivery.Clusters[1].Phase = appsv1alpha1.ClusterSucceeded
	if got := appActionPlan(app, actionPromote); strings.Contains(got, "approved") {
		t.Errorf("promote while north bakes approves nothing (the engine approves the current stage only): %s", got)
	}
	app.Status.Delivery.StageIndex, app.Status.Delivery.CurrentStage = 1, "others"
	if got := appActionPlan(app, actionPromote); !strings.Contains(got, "stage 2/3 others (cluster-shanghai, cluster-frankfurt) is approved and starts") {
		t.Errorf("promote with the stage waiting for approval current: %s", got)
	}
	app.Status.Delivery.ApprovedStage = "others"
	if got := appActionPlan(app, actionPromote); strings.Contains(got, "approved") {
		t.Errorf("promote of an approved stage: %s", got)
	}
	wait := mesApp()
	wait.Status.Delivery.Phase = appsv1alpha1.PhaseWaiting
	if err := checkAppAction(wait, actionAbort); err != nil {
		t.Errorf("abort while Waiting: %v", err)
	}
	if got := appActionPlan(mesApp(), actionAbort); !strings.Contains(got, "every updated cluster (cluster-hangzhou) goes back to v1.2, newest first; v1.3 is not released further") {
		t.Errorf("abort: %s", got)
	}
}

func TestAppStatusPrint(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*appsv1alpha1.Application)
		want    []string
		notWant []string
	}{
		{"a release in stage 1 shows revision, phase, stage, consistency and a row per cluster by stage", func(*appsv1alpha1.Application) {}, []string{
			`(?m)^Application: default/mes \(package mes:v1\.3 to Fleet global-production\)$`,
			`(?m)^Revision:\s+v1\.3 \(sha256:3f2a9c1b7d4e\)$`,
			`(?m)^Phase:\s+Progressing$`,
			`(?m)^Stage:\s+1/2 north$`,
			`(?m)^Consistent:\s+False: cluster-hangzhou, cluster-shanghai, cluster-frankfurt run v1\.2 \(0 of 3 clusters run v1\.3 healthy\)$`,
			`(?m)^Started:\s+.* \(4m0s ago\)$`,
			`(?m)^CLUSTER\s+STAGE\s+PHASE\s+TARGET\s+RUNNING\s+HEALTHY\s+IMAGES\s+MESSAGE$`,
			`(?s)cluster-hangzhou\s+1 north\s+Progressing\s+v1\.3\s+v1\.2\s+true\s+0/1\s+copying images; 1 image copying\n` +
				`cluster-frankfurt\s+2 others\s+Pending\s+v1\.2\s+v1\.2\s+true\s+1/1\s+waits for stage north\n` +
				`cluster-shanghai\s+2 others\s+Pending\s+v1\.2\s+v1\.2\s+true\s+1/1\s+waits for stage north\n`,
			`(?m)^Images being copied:\n\s+cluster-hangzhou\s+127\.0\.0\.1:5000/mes-system:v1\.3 -> 127\.0\.0\.1:5001/mes-system@sha256:aa\s+32\.0 MiB of 64\.0 MiB \(50%\)$`,
			`(?m)^Last gates \(1 of 1, newest last\):$`,
			`cluster-hangzhou\s+readiness\s+FAILED NotReady\s+-\s+mes-deployment 2/5 ready`,
		}, []string{`paused`, `(?m)^Message:`}},
		{"a paused release says how to resume it", func(app *appsv1alpha1.Application) { app.Spec.Delivery.Suspend = true }, []string{
			"(?m)^Phase:\\s+Progressing \\(paused: resume with `kurator app resume mes -n default`\\)$",
			`(?m)^Message:\s+paused`,
		}, nil},
		{"a stage waiting for approval says how to approve it", func(app *appsv1alpha1.Application) {
			app.Status.Delivery.StageIndex, app.Status.Delivery.CurrentStage = 1, "others"
			app.Status.Delivery.Clusters[1].Phase = appsv1alpha1.ClusterSucceeded
		}, []string{"(?m)^Phase:\\s+Progressing \\(stage others waits for approval: `kurator app promote mes -n default`\\)$", `(?m)^Stage:\s+2/2 others$`}, nil},
		{"a failed image copy shows its message", func(app *appsv1alpha1.Application) {
			app.Status.Clusters[1].Images[0].Phase, app.Status.Clusters[1].Images[0].Message = appsv1alpha1.ImageFailed, "registry 127.0.0.1:5001 unreachable"
		}, []string{`FAILED: registry 127\.0\.0\.1:5001 unreachable`}, []string{`MiB of`}},
		{"an unusable source is the message", func(app *appsv1alpha1.Application) {
			app.Status.Conditions = append(app.Status.Conditions, metav1.Condition{Type: appsv1alpha1.ConditionSourceReady, Status: metav1.ConditionFalse,
				Message: "AppVersion mes:v1.4 not found: push it with kurator app push mes:v1.4 -f DIR"})
		}, []string{`(?m)^Message:\s+AppVersion mes:v1\.4 not found: push it`}, nil},
		{"a new Application without status says Pending and no cluster yet", func(app *appsv1alpha1.Application) {
			app.Status = appsv1alpha1.ApplicationStatus{}
		}, []string{`(?m)^Phase:\s+Pending$`, `(?m)^Revision:\s+-$`, `(?m)^Consistent:\s+Unknown \(0 of 0`, `(?m)^Clusters: <none yet`, `(?m)^Gates: <no verdict yet>$`},
			[]string{`(?m)^Started:`, `Images being copied`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := mesApp()
			c.edit(app)
			var b bytes.Buffer
			printAppStatus(&b, app, rolloutNow)
			matchAll(t, b.String(), c.want, c.notWant)
		})
	}
}

func TestAppHistoryPrintsReleasesThenClusters(t *testing.T) {
	var b bytes.Buffer
	printAppHistory(&b, mesApp())
	matchAll(t, b.String(), []string{
		`(?m)^REVISION\s+FROM\s+PHASE\s+START\s+DURATION\s+MESSAGE$`,
		`(?m)^v1\.2\s+v1\.1\s+Succeeded\s+\S+ \S+\s+20m0s\s+released everywhere$`,
		`(?s)CLUSTER\s+RUNNING\s+HEALTHY\ncluster-hangzhou\s+v1\.2\s+true\ncluster-frankfurt\s+v1\.2\s+true\ncluster-shanghai\s+v1\.2\s+true\n$`,
	}, nil)
	b.Reset()
	printAppHistory(&b, &appsv1alpha1.Application{})
	if b.String() != "No finished release yet.\n\nClusters: <none selected yet>\n" {
		t.Errorf("empty history: %q", b.String())
	}
}

func mesVersion(version string, minutesAgo int) appsv1alpha1.AppVersion {
	return appsv1alpha1.AppVersion{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mes-" + strings.ReplaceAll(version, ".", "-"), CreationTimestamp: *at(minutesAgo)},
		Spec: appsv1alpha1.AppVersionSpec{App: "mes", Version: version, Digest: mesDigest, Format: appsv1alpha1.FormatManifests,
			Blobs: []string{"apphub-blob-3f2a9c1b7d4e5f607182-0"}, Size: 2150, Objects: []string{"Deployment/mes-deployment"},
			Images:   []appsv1alpha1.AppImage{{Ref: "mes-system:" + version, Digest: "sha256:bb"}},
			Warnings: []string{"Deployment mes-deployment: spec.selector was missing; defaulted to app=mes-deployment (set it in the YAML to choose your own)"}},
	}
}

func TestGetApplicationsVersionsAndAdaptationsRows(t *testing.T) {
	var b bytes.Buffer
	idle := mesApp()
	idle.Name, idle.Spec.Source = "erp", appsv1alpha1.ApplicationSource{GitRepository: &appsv1alpha1.GitRepositorySource{URL: "https://git.example/erp.git",
		Reference: &appsv1alpha1.GitRepositoryRef{Branch: "main"}}}
	idle.Status = appsv1alpha1.ApplicationStatus{Revision: "git-1a2b3c4", Delivery: appsv1alpha1.RolloutStatus{Phase: appsv1alpha1.PhaseSucceeded},
		Clusters:   []appsv1alpha1.ApplicationClusterStatus{{Name: "cluster-hangzhou", Revision: "git-1a2b3c4", Healthy: true}},
		Conditions: []metav1.Condition{{Type: appsv1alpha1.ConditionConsistent, Status: metav1.ConditionTrue}}}
	if err := printApplications(&b, []appsv1alpha1.Application{*mesApp(), *idle}, true); err != nil {
		t.Fatal(err)
	}
	matchAll(t, b.String(), []string{
		`(?m)^NAMESPACE\s+NAME\s+SOURCE\s+REVISION\s+PHASE\s+STAGE\s+CONSISTENT\s+CLUSTERS\s+AGE\s+FLEETS\s+MESSAGE$`,
		`(?s)default\s+erp\s+git https://git\.example/erp\.git \(branch main\)\s+git-1a2b3c4\s+Succeeded\s+1/2 north\s+True\s+1/1\s+\S+\s+global-production\s+-\n` +
			`default\s+mes\s+package mes:v1\.3\s+v1\.3\s+Progressing\s+1/2 north\s+False\s+0/3\s+\S+\s+global-production\s+-\n`,
	}, nil)

	b.Reset()
	chart := mesVersion("0.3.0", 5)
	chart.Spec.App, chart.Spec.Format, chart.Spec.Objects, chart.Spec.Source = "erp", appsv1alpha1.FormatHelmChart, nil, "helmRepository http://charts.test chart erp 0.3.0"
	if err := printAppVersions(&b, []appsv1alpha1.AppVersion{mesVersion("v1.3", 10), chart, mesVersion("v1.2", 30)}, true); err != nil {
		t.Fatal(err)
	}
	matchAll(t, b.String(), []string{
		`(?m)^NAMESPACE\s+APP\s+VERSION\s+FORMAT\s+DIGEST\s+SIZE\s+OBJECTS\s+IMAGES\s+AGE\s+SOURCE\s+WARNINGS$`,
		`(?s)default\s+erp\s+0\.3\.0\s+HelmChart\s+sha256:3f2a9c1b7d4e\s+2\.1 KiB\s+0\s+1\s+\S+\s+helmRepository http://charts\.test chart erp 0\.3\.0\s+1\n` +
			`default\s+mes\s+v1\.2\s+Manifests\s+sha256:3f2a9c1b7d4e\s+2\.1 KiB\s+1\s+1\s+\S+\s+-\s+1\n` +
			`default\s+mes\s+v1\.3\s+Manifests`,
	}, nil)

	b.Reset()
	sa := appsv1alpha1.StorageAdaptation{ObjectMeta: metav1.ObjectMeta{Name: "plant-storage", CreationTimestamp: *at(3)},
		Spec: appsv1alpha1.StorageAdaptationSpec{Classes: []appsv1alpha1.StorageClassMapping{{Trait: "ceph", StorageClassName: "rook-ceph-block"}, {Trait: "nfs", StorageClassName: "nfs-client"}}}}
	if err := printStorageAdaptations(&b, []appsv1alpha1.StorageAdaptation{sa}); err != nil {
		t.Fatal(err)
	}
	matchAll(t, b.String(), []string{
		`(?m)^NAME\s+CLUSTER-LABEL\s+CLASSES\s+FROM-CLASS\s+NAMESPACES\s+AGE$`,
		`(?m)^plant-storage\s+storage\.kurator\.dev/type\s+ceph=rook-ceph-block,nfs=nfs-client\s+\(any\)\s+\(all\)\s+\S+$`,
	}, nil)
}

func TestDescribeApplicationAndVersion(t *testing.T) {
	var b bytes.Buffer
	describeApplication(&b, mesApp(), rolloutNow)
	matchAll(t, b.String(), []string{
		`(?m)^Source:\s+package mes:v1\.3$`,
		`(?m)^  policy-0: Fleet global-production, clusters labelled env=production; into namespace mes$`,
		`(?m)^Delivery:\s+a cluster not healthy on a new revision within 900 s fails the release$`,
		`(?m)^  1 north \[current\]: selects clusters cluster-hangzhou; all clusters at once; bakes 600 s before the next stage; any failed cluster rolls back; holds cluster-hangzhou$`,
		`(?m)^  2 others \[pending\]: selects clusters cluster-shanghai, cluster-frankfurt; waits for approval \(kurator app promote\); all clusters at once;.*holds cluster-frankfurt, cluster-shanghai$`,
		`(?m)^Previous:\s+v1\.2\nReleasing:\s+v1\.3$`,
		`(?m)^  CLUSTER\s+STAGE\s+PHASE\s+TARGET\s+RUNNING`,
		`(?m)^  REVISION\s+FROM\s+PHASE`,
	}, nil)

	b.Reset()
	describeApplication(&b, &appsv1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "new"}}, rolloutNow)
	matchAll(t, b.String(), []string{`(?m)^Clusters:\n  <none yet: the controller has not selected any cluster>$`, `(?m)^History:\n  No finished release yet\.$`}, []string{`Clusters: <none`})

	b.Reset()
	v := mesVersion("v1.2", 30)
	v.Spec.Images = append(v.Spec.Images, appsv1alpha1.AppImage{Ref: "busybox:1.36"})
	describeAppVersion(&b, &v, []appsv1alpha1.Application{*mesApp()}, rolloutNow)
	matchAll(t, b.String(), []string{
		`(?m)^App:\s+mes\nVersion:\s+v1\.2\nFormat:\s+Manifests\nDigest:\s+` + mesDigest + `$`,
		`(?m)^Size:\s+2\.1 KiB gzipped, in 1 blob\(s\): apphub-blob-3f2a9c1b7d4e5f607182-0$`,
		`(?m)^Source:\s+upload$`,
		`(?m)^  Deployment/mes-deployment$`,
		`(?m)^  mes-system:v1\.2\s+sha256:bb$`,
		`(?m)^  busybox:1\.36\s+not in AppHub's registry at push time$`,
		`(?m)^  Deployment mes-deployment: spec\.selector was missing`,
		`(?m)^Deployed:\s+mes \(cluster-frankfurt, cluster-hangzhou, cluster-shanghai\)$`,
	}, nil)
}

func TestDeployedBy(t *testing.T) {
	app := mesApp()
	other := mesApp()
	other.Name, other.Spec.Source.Package.Name = "mes-test", "mes"
	other.Status.Clusters = nil
	unrelated := mesApp()
	unrelated.Name, unrelated.Spec.Source.Package.Name = "erp", "erp"
	apps := []appsv1alpha1.Application{*unrelated, *other, *app}
	if got := deployedBy(apps, "mes", "v1.2"); got != "mes (cluster-frankfurt, cluster-hangzhou, cluster-shanghai)" {
		t.Errorf("v1.2: %q", got)
	}
	if got := deployedBy(apps, "mes", "v1.3"); got != "mes (releasing, no cluster runs it yet); mes-test (releasing, no cluster runs it yet)" {
		t.Errorf("v1.3: %q", got)
	}
	if got := deployedBy(apps, "mes", "v1.1"); got != "" {
		t.Errorf("v1.1: %q", got)
	}
}

// hubObjects is a hub with the seed fleet, its three clusters and the
// versions v1.1 and v1.2 of mes in AppHub.
func hubObjects() []client.Object {
	fleet := &fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: "global-production"}}
	objs := []client.Object{fleet}
	for _, m := range seedMembers {
		fleet.Spec.Clusters = append(fleet.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: m.Name, Kind: "AttachedCluster"})
		objs = append(objs, &clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: m.Name, Labels: m.Labels}})
	}
	for i, v := range []string{"v1.1", "v1.2"} {
		av := mesVersion(v, 60-i*10)
		objs = append(objs, &av)
	}
	return objs
}

func fakeHub(objs ...client.Object) client.Client {
	return fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).WithStatusSubresource(&appsv1alpha1.Application{}).Build()
}

func TestDeployCreatesThenChangesOnlyTheVersion(t *testing.T) {
	ctx := context.Background()
	c := fakeHub(hubObjects()...)
	var out bytes.Buffer
	o := deployOptions{fleet: "global-production", stages: []stageArg{{name: "north", clusters: []string{"cluster-hangzhou"}}}, bake: 10 * time.Minute}
	if err := runDeploy(ctx, c, &out, "default", "mes", "v1.1", o, []string{"--fleet", "--stage", "--bake"}, false); err != nil {
		t.Fatal(err)
	}
	matchAll(t, out.String(), []string{
		`(?m)^created Application default/mes: mes:v1\.1 to Fleet global-production \(3 clusters\)$`,
		`(?m)^  stage 1 north: cluster-hangzhou; bakes 10m0s healthy before the next stage$`,
		`(?m)^  stage 2 rest: cluster-shanghai, cluster-frankfurt$`,
		"kurator app status mes -n default -w",
	}, nil)
	app, err := getApp(ctx, c, "default", "mes")
	if err != nil {
		t.Fatal(err)
	}
	if app.Spec.Delivery.Stages[0].BakeSeconds != 600 || app.Spec.Source.Package.Version != "v1.1" {
		t.Fatalf("created spec %+v", app.Spec)
	}

	cases := []struct {
		name    string
		version string
		changed []string
		update  bool
		want    string // output or error part
		fails   bool
		after   func(t *testing.T, app *appsv1alpha1.Application)
	}{
		{"a version not in AppHub is refused, listing what is", "v9", nil, false,
			"mes:v9 is not in AppHub (namespace default): its versions are v1.1, v1.2; push it first with `kurator app push mes:v9 -f DIR -n default`", true, nil},
		{"other flags on an existing Application are refused without --update-spec", "v1.2", []string{"--stage"}, false,
			"Application default/mes exists: deploy changes only its version (v1.1 -> v1.2) and --stage would change more", true, nil},
		{"the version alone changes, and the stages stay", "v1.2", nil, false,
			"Application default/mes exists: only its version changes, v1.1 -> v1.2", false, func(t *testing.T, app *appsv1alpha1.Application) {
				if app.Spec.Source.Package.Version != "v1.2" || len(app.Spec.Delivery.Stages) != 1 || app.Spec.Delivery.Stages[0].BakeSeconds != 600 {
					t.Errorf("spec %+v", app.Spec)
				}
			}},
		{"the same version again changes nothing", "v1.2", nil, false, "already delivers mes:v1.2; nothing changes", false, nil},
		{"--update-spec replaces the stages", "v1.1", []string{"--stage"}, true, "updated Application default/mes: v1.2 -> v1.1 with a new sync policy and stages", false,
			func(t *testing.T, app *appsv1alpha1.Application) {
				if app.Spec.Source.Package.Version != "v1.1" || app.Spec.Delivery != nil {
					t.Errorf("spec %+v", app.Spec)
				}
			}},
	}
	for _, c2 := range cases {
		t.Run(c2.name, func(t *testing.T) {
			out.Reset()
			err := runDeploy(ctx, c, &out, "default", "mes", c2.version, deployOptions{fleet: "global-production"}, c2.changed, c2.update)
			if c2.fails {
				if err == nil || !strings.Contains(err.Error(), c2.want) {
					t.Fatalf("err %v, want %q", err, c2.want)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), c2.want) {
				t.Fatalf("err %v, output:\n%s\nwant %q", err, out.String(), c2.want)
			}
			if c2.after != nil {
				app, err := getApp(ctx, c, "default", "mes")
				if err != nil {
					t.Fatal(err)
				}
				c2.after(t, app)
			}
		})
	}
}

func TestDeployRefusesAMissingFleet(t *testing.T) {
	c := fakeHub(hubObjects()...)
	err := runDeploy(context.Background(), c, &bytes.Buffer{}, "default", "mes", "v1.2", deployOptions{fleet: "nowhere"}, nil, false)
	if err == nil || !strings.Contains(err.Error(), "spec.syncPolicies[0].destination.fleet: Fleet nowhere is in neither namespace default nor kurator-system") {
		t.Fatalf("err %v", err)
	}
}

func TestRollback(t *testing.T) {
	ctx := context.Background()
	mes := mesApp()
	mes.Spec.Source.Package.Version = "v1.2"
	git := mesApp()
	git.Name, git.Spec.Source = "mes-git", appsv1alpha1.ApplicationSource{GitRepository: &appsv1alpha1.GitRepositorySource{URL: "file:///srv/mes.git"}}
	imported := mesVersion("git-1a2b3c4", 5)
	imported.Name, imported.Spec.App, imported.Spec.Source = "mes-git-git-1a2b3c4", "mes-git", "gitRepository file:///srv/mes.git commit 1a2b3c4d"
	c := fakeHub(append(hubObjects(), mes, git, &imported)...)
	cases := []struct {
		name, app, to string
		want          string
		fails         bool
	}{
		{"rolling back to a version in AppHub sets it and says how it is staged", "mes", "v1.1",
			"Application default/mes: rolling back from v1.2 to v1.1, released as spec.delivery says:\n  stage 1 north: cluster-hangzhou; bakes 10m0s healthy before the next stage\n  stage 2 others: cluster-shanghai, cluster-frankfurt; waits for `kurator app promote` before it starts\n", false},
		{"a version not in AppHub is refused", "mes", "v0.9", "mes:v0.9 is not in AppHub", true},
		{"a Git source names the field to pin", "mes-git", "git-1a2b3c4",
			"it takes its source from gitRepository, not an AppHub package; pin spec.source.gitRepository.ref.commit to the revision of git-1a2b3c4 instead (AppHub imported git-1a2b3c4 from gitRepository file:///srv/mes.git commit 1a2b3c4d)", true},
		{"a missing Application says how to list them", "nope", "v1.1", "Application default/nope not found: list them with `kurator get applications -n default`", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runRollback(ctx, c, &out, "default", tc.app, tc.to)
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("err %v, output:\n%s\nwant:\n%s", err, out.String(), tc.want)
			}
			app, err := getApp(ctx, c, "default", tc.app)
			if err != nil || app.Spec.Source.Package.Version != tc.to {
				t.Fatalf("version after rollback: %v %+v", err, app.Spec.Source)
			}
		})
	}
}

// fakeApps serves gets from a queue and one fake watch per watch call.
type fakeApps struct {
	gets    []*appsv1alpha1.Application
	watches []*watch.FakeWatcher
	rvs     []string
}

func (f *fakeApps) get(context.Context) (*appsv1alpha1.Application, error) {
	app := f.gets[0]
	f.gets = f.gets[1:]
	return app, nil
}

func (f *fakeApps) watch(_ context.Context, rv string) (watch.Interface, error) {
	f.rvs = append(f.rvs, rv)
	w := f.watches[0]
	f.watches = f.watches[1:]
	return w, nil
}

func appWithRV(app *appsv1alpha1.Application, rv string, edit func(*appsv1alpha1.Application)) *appsv1alpha1.Application {
	app = app.DeepCopy()
	app.ResourceVersion = rv
	edit(app)
	return app
}

func TestWatchAppPrintsABlockPerChangeUntilTheReleaseEnds(t *testing.T) {
	start := mesApp()
	w := watch.NewFakeWithChanSize(10, false)
	w.Modify(appWithRV(start, "2", func(app *appsv1alpha1.Application) { app.Annotations = map[string]string{"a": "b"} }))
	w.Modify(appWithRV(start, "3", func(app *appsv1alpha1.Application) { app.Status.Clusters[1].Images[0].Bytes = 48 << 20 }))
	w.Action(watch.Bookmark, appWithRV(start, "4", func(*appsv1alpha1.Application) {}))
	// A Succeeded status of the previous generation does not end the watch.
	w.Modify(appWithRV(start, "5", func(app *appsv1alpha1.Application) {
		app.Generation, app.Status.Delivery.Phase = 3, appsv1alpha1.PhaseSucceeded
	}))
	w.Modify(appWithRV(start, "6", func(app *appsv1alpha1.Application) {
		app.Generation, app.Status.ObservedGeneration, app.Status.Delivery.Phase = 3, 3, appsv1alpha1.PhaseSucceeded
	}))
	src := &fakeApps{gets: []*appsv1alpha1.Application{start}, watches: []*watch.FakeWatcher{w}}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := watchApp(ctx, src, &out, false, func() time.Time { return rolloutNow }); err != nil {
		t.Fatalf("watch: %v\n%s", err, out.String())
	}
	text := out.String()
	if n := strings.Count(text, "--- "+rolloutNow.Format(time.TimeOnly)+" ---\n"); n != 4 {
		t.Errorf("%d blocks, want 4 (start, 48 MiB, stale Succeeded, Succeeded):\n%s", n, text)
	}
	for _, want := range []string{`48\.0 MiB of 64\.0 MiB \(75%\)`, `(?m)^Application default/mes: release of v1\.3 succeeded\.$`} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("output lacks %s:\n%s", want, text)
		}
	}
	if strings.Count(text, "release of") != 1 {
		t.Errorf("the stale Succeeded ended the watch:\n%s", text)
	}
}

func TestWatchAppFailsWhenTheApplicationIsDeleted(t *testing.T) {
	w := watch.NewFakeWithChanSize(1, false)
	w.Delete(mesApp())
	src := &fakeApps{gets: []*appsv1alpha1.Application{mesApp()}, watches: []*watch.FakeWatcher{w}}
	err := watchApp(context.Background(), src, &bytes.Buffer{}, false, time.Now)
	if err == nil || !strings.Contains(err.Error(), "Application default/mes was deleted") {
		t.Fatalf("err %v", err)
	}
}

func TestAppVerbsAreRegisteredWithHelp(t *testing.T) {
	for verb, example := range map[string]string{
		"deploy":   "kurator app deploy mes:v1.2 --fleet global-production --stage north=cluster-hangzhou --bake 10m",
		"rollback": "kurator app rollback mes --to v1.1", "promote": "kurator app promote mes", "abort": "kurator app abort mes",
		"pause": "kurator app pause mes", "resume": "kurator app resume mes", "status": "kurator app status mes -w", "history": "kurator app history mes",
		"versions": "kurator app versions mes", "push": "kurator app push mes:v1.2 -f mes/ --image mes-system:v1.2=mes-system-v1.2.tar", "diff": "kurator app diff mes v1.2 v1.3",
	} {
		out, err := runKurator(t, "", "app", verb, "--help")
		if err != nil || !strings.Contains(out, example) || !strings.Contains(out, "--kubeconfig") || !strings.Contains(out, "-n, --namespace string") {
			t.Errorf("app %s --help: %v\n%s", verb, err, out)
		}
	}
}

func TestVersionsTableNamesWhatRunsEachVersion(t *testing.T) {
	var b bytes.Buffer
	versions := []appsv1alpha1.AppVersion{mesVersion("v1.2", 30), mesVersion("v1.3", 10), mesVersion("v1.4", 1)}
	if err := printVersionTable(&b, versions, []appsv1alpha1.Application{*mesApp()}); err != nil {
		t.Fatal(err)
	}
	matchAll(t, b.String(), []string{
		`(?m)^VERSION\s+FORMAT\s+DIGEST\s+SIZE\s+OBJECTS\s+IMAGES\s+AGE\s+DEPLOYED$`,
		`(?s)v1\.2\s+Manifests\s+sha256:3f2a9c1b7d4e\s+2\.1 KiB\s+1\s+1\s+\S+\s+mes \(cluster-frankfurt, cluster-hangzhou, cluster-shanghai\)\n` +
			`v1\.3\s+Manifests\s+sha256:3f2a9c1b7d4e\s+2\.1 KiB\s+1\s+1\s+\S+\s+mes \(releasing, no cluster runs it yet\)\n` +
			`v1\.4\s+Manifests\s+\S+\s+2\.1 KiB\s+1\s+1\s+\S+\s+-\n$`,
	}, nil)
}

// mesYAML is seed 000's mes-app.yaml as written (no selector, no labels).
const mesYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mes-deployment
spec:
  replicas: 5
  template:
    spec:
      containers:
      - name: mes-container
        image: mes-system:v1.2
        ports:
        - containerPort: 8080
`

func TestAppHubRefFollowsTheManagersRule(t *testing.T) {
	cases := []struct {
		ref, host, want string
		ours            bool
	}{
		{"mes-system:v1.2", "127.0.0.1:5000", "127.0.0.1:5000/mes-system:v1.2", true},
		{"plants/mes-system:v1.2", "127.0.0.1:5000/apphub", "127.0.0.1:5000/apphub/plants/mes-system:v1.2", true},
		{"library/nginx:1.27", "127.0.0.1:5000", "127.0.0.1:5000/library/nginx:1.27", true},
		{"mes-system@sha256:" + strings.Repeat("a", 64), "127.0.0.1:5000", "127.0.0.1:5000/mes-system@sha256:" + strings.Repeat("a", 64), true},
		{"mes-system", "127.0.0.1:5000", "127.0.0.1:5000/mes-system", true},
		{"127.0.0.1:5000/mes-system:v1.2", "127.0.0.1:5000", "127.0.0.1:5000/mes-system:v1.2", true},
		{"docker.io/library/nginx:1.27", "127.0.0.1:5000", "", false},
		{"registry.example.com/plants/mes-system:v1.2", "127.0.0.1:5000", "", false},
	}
	for _, c := range cases {
		verdict := "is AppHub's " + c.want
		if !c.ours {
			verdict = "is another registry's"
		}
		t.Run(c.ref+" "+verdict, func(t *testing.T) {
			got, ours := apphub.InAppHub(c.ref, c.host)
			if ours != c.ours || got != c.want {
				t.Fatalf("got %q %t", got, ours)
			}
		})
	}
}

func TestParseImageArgs(t *testing.T) {
	got, err := parseImageArgs([]string{"mes-system:v1.2=/tmp/mes.tar", "nginx=a=b.tar"})
	if err != nil || len(got) != 2 || got[0] != (imageArg{"mes-system:v1.2", "/tmp/mes.tar"}) || got[1] != (imageArg{"nginx", "a=b.tar"}) {
		t.Fatalf("got %+v %v", got, err)
	}
	for _, bad := range []string{"mes-system:v1.2", "=x.tar", "mes=", "UPPER:x=y.tar"} {
		if _, err := parseImageArgs([]string{bad}); err == nil || !strings.Contains(err.Error(), "--image") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

// fakePush records what push sends where.
type fakePush struct {
	files    map[string][]byte
	registry *appHubRegistry
	present  map[string]string // AppHub refs the registry holds -> digest
	pushed   []string
	stored   *appsv1alpha1.AppVersion
	storeErr error
	existing bool
}

func (f *fakePush) deps() pushDeps {
	return pushDeps{
		load: func(string) (apphub.Package, error) { return apphub.Package{Files: f.files}, nil },
		registry: func(context.Context) (appHubRegistry, bool, error) {
			if f.registry == nil {
				return appHubRegistry{}, false, nil
			}
			return *f.registry, true, nil
		},
		pushTarball: func(_ context.Context, path, dst string, _ bool, progress func(imagesync.Progress)) (imagesync.Result, error) {
			f.pushed = append(f.pushed, path+" -> "+dst)
			progress(imagesync.Progress{Done: 0, Total: 4 << 20})
			progress(imagesync.Progress{Done: 2 << 20, Total: 4 << 20})
			progress(imagesync.Progress{Done: 4 << 20, Total: 4 << 20})
			f.present[dst] = "sha256:" + strings.Repeat("c", 64)
			return imagesync.Result{Digest: f.present[dst], Bytes: 4 << 20}, nil
		},
		resolve: func(_ context.Context, ref string, _ bool) (string, error) {
			if d, ok := f.present[ref]; ok {
				return d, nil
			}
			return "", fmt.Errorf("resolve image %s: %w", ref, imagesync.ErrNotFound)
		},
		store: func(_ context.Context, ns, app, version string, p apphub.Package, objects []string, images []appsv1alpha1.AppImage, warnings []string) (*appsv1alpha1.AppVersion, bool, error) {
			if f.storeErr != nil {
				return nil, false, f.storeErr
			}
			_, digest, err := p.Bundle()
			if err != nil {
				return nil, false, err
			}
			f.stored = &appsv1alpha1.AppVersion{ObjectMeta: metav1.ObjectMeta{Namespace: ns}, Spec: appsv1alpha1.AppVersionSpec{App: app, Version: version,
				Digest: digest, Format: appsv1alpha1.FormatManifests, Size: 2150, Objects: objects, Images: images, Warnings: warnings}}
			return f.stored, !f.existing, nil
		},
	}
}

func TestPush(t *testing.T) {
	mesFiles := map[string][]byte{"mes-app.yaml": []byte(mesYAML)}
	hub := &appHubRegistry{Host: "127.0.0.1:5000", Insecure: true}
	cases := []struct {
		name    string
		fp      *fakePush
		images  []imageArg
		want    []string // output lines (regexps)
		err     string   // error part; "" = succeeds
		stored  []appsv1alpha1.AppImage
		notWant []string
	}{
		{"seed 000's YAML with its image tarball: the image goes first, its digest is recorded, the selector warning shows",
			&fakePush{files: mesFiles, registry: hub, present: map[string]string{}}, []imageArg{{"mes-system:v1.2", "mes.tar"}},
			[]string{
				`(?m)^warning: Deployment mes-deployment: spec\.selector was missing; defaulted to app=mes-deployment`,
				`(?m)^pushing image mes-system:v1\.2 from mes\.tar to 127\.0\.0\.1:5000/mes-system:v1\.2$`,
				`(?m)^  mes-system:v1\.2: 2\.0 MiB of 4\.0 MiB \(50%\)$`,
				`(?m)^pushed image mes-system:v1\.2 \(sha256:cccccccccccc, 4\.0 MiB sent in \d+\.\ds\)$`,
				`(?m)^pushed mes:v1\.2 \(sha256:[0-9a-f]{12}, 1 object, 1 image, 2\.1 KiB\)$`,
			}, "", []appsv1alpha1.AppImage{{Ref: "mes-system:v1.2", Digest: "sha256:" + strings.Repeat("c", 64)}}, []string{`not in AppHub`}},
		{"an image not in AppHub's registry is a warning and is recorded without digest",
			&fakePush{files: mesFiles, registry: hub, present: map[string]string{}}, nil,
			[]string{`(?m)^warning: image mes-system:v1\.2 is not in AppHub's registry 127\.0\.0\.1:5000 \(not there\): push it with --image mes-system:v1\.2=TARBALL`, `(?m)^pushed mes:v1\.2 `},
			"", []appsv1alpha1.AppImage{{Ref: "mes-system:v1.2"}}, nil},
		{"an image already in AppHub's registry gets its digest",
			&fakePush{files: mesFiles, registry: hub, present: map[string]string{"127.0.0.1:5000/mes-system:v1.2": "sha256:" + strings.Repeat("d", 64)}}, nil,
			[]string{`(?m)^pushed mes:v1\.2 `}, "", []appsv1alpha1.AppImage{{Ref: "mes-system:v1.2", Digest: "sha256:" + strings.Repeat("d", 64)}}, []string{`warning: image`}},
		{"without AppHub's registry a tarball is refused with the fix",
			&fakePush{files: mesFiles, present: map[string]string{}}, []imageArg{{"mes-system:v1.2", "mes.tar"}},
			nil, "AppHub has no registry: start the fleet with kurator up --registries, or create the ConfigMap kurator-system/kurator-apphub", nil, nil},
		{"without AppHub's registry and no tarball the version is pushed with a warning",
			&fakePush{files: mesFiles, present: map[string]string{}}, nil,
			[]string{`(?m)^warning: AppHub has no registry: .*; the images' digests are not recorded$`, `(?m)^pushed mes:v1\.2 `}, "", []appsv1alpha1.AppImage{{Ref: "mes-system:v1.2"}}, nil},
		{"the same content again says so",
			&fakePush{files: mesFiles, registry: hub, present: map[string]string{}, existing: true}, nil,
			[]string{`(?m)^mes:v1\.2 is already in AppHub with the same content \(sha256:[0-9a-f]{12}\)$`}, "", []appsv1alpha1.AppImage{{Ref: "mes-system:v1.2"}}, []string{`(?m)^pushed mes`}},
		{"other content under an existing version fails with the store's message",
			&fakePush{files: mesFiles, registry: hub, present: map[string]string{}, storeErr: errors.New("push mes:v1.2: the version already exists with other content (stored sha256:aa, pushed sha256:bb): versions are immutable; push it as a new version (e.g. mes:v1.2-1)")}, nil,
			nil, "versions are immutable; push it as a new version", nil, nil},
		{"a tarball for an image of another registry is refused: clusters would not copy it from AppHub",
			&fakePush{files: map[string][]byte{"d.yaml": []byte(strings.Replace(mesYAML, "mes-system:v1.2", "registry.example.com/mes-system:v1.2", 1))}, registry: hub, present: map[string]string{}},
			[]imageArg{{"registry.example.com/mes-system:v1.2", "mes.tar"}}, nil, "the image names registry registry.example.com, so clusters copy it from there", nil, nil},
		{"an image of another registry is left unresolved, with a note",
			&fakePush{files: map[string][]byte{"d.yaml": []byte(strings.Replace(mesYAML, "mes-system:v1.2", "registry.example.com/mes-system:v1.2", 1))}, registry: hub, present: map[string]string{}}, nil,
			[]string{`(?m)^image registry\.example\.com/mes-system:v1\.2 names registry registry\.example\.com: clusters copy it from there$`}, "",
			[]appsv1alpha1.AppImage{{Ref: "registry.example.com/mes-system:v1.2"}}, []string{`warning: image`}},
		{"a package without objects is refused",
			&fakePush{files: map[string][]byte{"README.md": []byte("# mes\n"), "empty.yaml": []byte("---\n")}, registry: hub, present: map[string]string{}}, nil,
			nil, "has no Kubernetes object", nil, nil},
		{"a document without kind is refused naming the file",
			&fakePush{files: map[string][]byte{"bad.yaml": []byte("apiVersion: v1\nmetadata:\n  name: x\n")}, registry: hub, present: map[string]string{}}, nil,
			nil, "bad.yaml", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runPush(context.Background(), c.fp.deps(), &out, "default", "mes", "v1.2", "mes/", c.images)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q\n%s", err, c.err, out.String())
				}
				if c.fp.stored != nil {
					t.Errorf("stored a version after refusing: %+v", c.fp.stored)
				}
				return
			}
			if err != nil {
				t.Fatalf("push: %v\n%s", err, out.String())
			}
			matchAll(t, out.String(), c.want, c.notWant)
			st := c.fp.stored
			if st == nil || strings.Join(st.Spec.Objects, ",") != "Deployment/default/mes-deployment" || len(st.Spec.Warnings) != 1 {
				t.Fatalf("stored %+v", st)
			}
			if fmt.Sprint(st.Spec.Images) != fmt.Sprint(c.stored) {
				t.Errorf("images %+v, want %+v", st.Spec.Images, c.stored)
			}
		})
	}
}

func TestDiffRendersAsTheApplicationDoes(t *testing.T) {
	v13 := strings.Replace(strings.Replace(mesYAML, "mes-system:v1.2", "mes-system:v1.3", 1), "replicas: 5", "replicas: 6", 1)
	content := map[string]apphub.Package{
		"v1.2":  {Files: map[string][]byte{"mes-app.yaml": []byte(mesYAML)}},
		"v1.3":  {Files: map[string][]byte{"mes-app.yaml": []byte(v13)}},
		"v1.2b": {Files: map[string][]byte{"other-name.yaml": []byte(mesYAML)}},
	}
	get := func(_ context.Context, ns, app, version string) (*appsv1alpha1.AppVersion, apphub.Package, error) {
		p, ok := content[version]
		if !ok || app != "mes" {
			return nil, apphub.Package{}, fmt.Errorf("get %s:%s: not found", app, version)
		}
		return &appsv1alpha1.AppVersion{}, p, nil
	}
	withApp := fakeHub(mesApp())
	cases := []struct {
		name    string
		c       client.Client
		v1, v2  string
		want    []string
		notWant []string
		err     string
	}{
		{"the Application's target namespace is used", withApp, "v1.2", "v1.3", []string{
			`(?m)^# mes:v1\.2 -> mes:v1\.3, rendered as Application default/mes's first sync policy renders them$`,
			`(?m)^--- a/Deployment/mes/mes-deployment$`, `(?m)^\+\+\+ b/Deployment/mes/mes-deployment$`,
			`(?m)^-  replicas: 5$`, `(?m)^\+  replicas: 6$`, `(?m)^-      - image: mes-system:v1\.2$`, `(?m)^\+      - image: mes-system:v1\.3$`,
		}, nil, ""},
		{"without the Application the defaults of the namespace are used", fakeHub(), "v1.2", "v1.3",
			[]string{`with the defaults \(no Application mes in namespace default\)`, `(?m)^--- a/Deployment/default/mes-deployment$`}, nil, ""},
		{"equal objects from other files are no difference", withApp, "v1.2", "v1.2b",
			[]string{`(?m)^no difference between mes:v1\.2 and mes:v1\.2b, rendered as Application default/mes's first sync policy renders them$`}, []string{`---`}, ""},
		{"a missing version fails with the store's error", withApp, "v1.2", "v9", nil, nil, "get mes:v9: not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runDiff(context.Background(), c.c, get, &out, "default", "mes", c.v1, c.v2)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			matchAll(t, out.String(), c.want, c.notWant)
		})
	}
}

func TestRenderOptionsOfTheFirstSyncPolicy(t *testing.T) {
	app := mesApp()
	app.Spec.SyncPolicies[0].Kustomization.Path = "deploy"
	app.Spec.SyncPolicies[0].Kustomization.CommonMetadata = &appsv1alpha1.CommonMetadata{Labels: map[string]string{"plant": "all"}}
	o, err := renderOptions(app, "default", "mes:v1.2")
	if err != nil || o.Path != "deploy" || o.TargetNamespace != "mes" || o.DefaultNamespace != "default" || o.Labels["plant"] != "all" || o.Package != "mes:v1.2" {
		t.Fatalf("kustomization options %+v %v", o, err)
	}
	app.Spec.SyncPolicies[0] = appsv1alpha1.ApplicationSyncPolicy{Helm: &appsv1alpha1.HelmRelease{Chart: "charts/mes", TargetNamespace: "mes",
		Values: &apiextensionsv1.JSON{Raw: []byte(`{"replicas":3}`)}}}
	o, err = renderOptions(app, "default", "mes:v1.2")
	if err != nil || o.Path != "charts/mes" || o.ReleaseName != "mes" || o.Values["replicas"] != float64(3) {
		t.Fatalf("helm options %+v %v", o, err)
	}
	app.Spec.SyncPolicies[0].Helm.Values.Raw = []byte(`[1]`)
	if _, err := renderOptions(app, "default", "mes:v1.2"); err == nil || !strings.Contains(err.Error(), "spec.syncPolicies[0].helm.values") {
		t.Fatalf("bad values: %v", err)
	}
}
