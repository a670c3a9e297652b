package install

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/cmd/kurator/app"
	"github.com/kurator-go/kurator/internal/install"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/pkg/nodepool"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
	"github.com/kurator-go/kurator/test/e2e/install/rbacaudit"
)

// kuratorGroups are the API groups whose CRDs the chart installs.
var kuratorGroups = []string{
	"cluster.kurator.dev", "fleet.kurator.dev", "work.kurator.dev", "apps.kurator.dev",
	"networking.kurator.dev", "autoscaling.kurator.dev", "policy.karmada.io",
	"autoscaling.karmada.io", "multicluster.x-k8s.io",
}

// kurator runs the kurator CLI in-process and returns what it printed and
// its error.
func kurator(args ...string) (string, error) {
	var out bytes.Buffer
	root := app.NewRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

func mustKurator(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kurator(args...)
	if err != nil {
		t.Fatalf("kurator %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// kubeconfigOf is the admin kubeconfig file of one member.
func kubeconfigOf(t *testing.T, cluster string) string {
	t.Helper()
	c, ok := fleet.Cluster(cluster)
	if !ok {
		t.Fatalf("no cluster %s in the fleet", cluster)
	}
	return c.Kubeconfig
}

func clientsOf(t *testing.T, cluster string) (kubernetes.Interface, client.Client, apiextensionsclient.Interface) {
	t.Helper()
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(rc, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(rc), c, apiextensionsclient.NewForConfigOrDie(rc)
}

// tokenKubeconfig writes a kubeconfig for cluster that authenticates with a
// token requested for ServiceAccount ns/sa, and returns its path.
func tokenKubeconfig(t *testing.T, cluster, ns, sa string) string {
	t.Helper()
	cs, _, _ := clientsOf(t, cluster)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("request a token for ServiceAccount %s/%s in %s: %v", ns, sa, cluster, err)
	}
	admin, err := clientcmd.LoadFromFile(kubeconfigOf(t, cluster))
	if err != nil {
		t.Fatal(err)
	}
	cl := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cluster] = cl
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts[cluster] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: sa}
	cfg.CurrentContext = cluster
	path := filepath.Join(work, cluster+"-"+ns+"-"+sa+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInstallRunNginxUpgradeUninstall installs the hub into the management
// cluster, runs the manager as the installed ServiceAccount through seed
// 001's nginx and the other controllers' writes, judges the RBAC from the
// audit log, upgrades in place and uninstalls. The steps depend on each
// other, so they are subtests of one test.
func TestInstallRunNginxUpgradeUninstall(t *testing.T) {
	kc := kubeconfigOf(t, mgmt)
	cs, hub, ext := clientsOf(t, mgmt)
	ctx := context.Background()

	ok := t.Run("install", func(t *testing.T) {
		begin := time.Now()
		out := mustKurator(t, "install", "center-manager", "--kubeconfig", kc, "--wait", "--timeout", "3m")
		took := time.Since(begin)
		t.Logf("FIGURE install to Ready on the local fleet: %s\n%s", took.Round(10*time.Millisecond), out)
		checkInstalled(t, cs, ext, 2)
	})
	if !ok {
		t.FailNow()
	}

	ok = t.Run("manager as the ServiceAccount runs nginx", func(t *testing.T) {
		// The installed replicas run on kwok (no process); the one process
		// leading is this test's. Scale them to 0 all the same, as a user
		// trying this on a real cluster would.
		scale, err := cs.AppsV1().Deployments(systemNS).GetScale(ctx, install.ManagerDeployment, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		scale.Spec.Replicas = 0
		if _, err := cs.AppsV1().Deployments(systemNS).UpdateScale(ctx, install.ManagerDeployment, scale, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		stop := startManager(t, tokenKubeconfig(t, mgmt, systemNS, saName))
		defer stop()
		for _, m := range fleet.Members {
			if m.Name == mgmt {
				continue
			}
			kcBytes, err := member.FlattenKubeconfigFile(kubeconfigOf(t, m.Name), "")
			if err != nil {
				t.Fatal(err)
			}
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err = join.Join(jctx, hub, join.Options{Name: m.Name, Kubeconfig: kcBytes, Fleet: "global-production",
				Region: m.Region, Zone: m.Zone, Provider: m.Provider})
			cancel()
			if err != nil {
				t.Fatalf("join %s into %s: %v", m.Name, mgmt, err)
			}
		}
		fleettest.Kubectl(t, fleet, seedNginx(t), "--context", mgmt, "apply", "-f", "-")
		fleettest.Kubectl(t, fleet, exerciseObjects, "--context", mgmt, "apply", "-f", "-")

		checkNginx(t, cs)
		checkExercised(t, cs, hub)
		registerPull(t, cs, hub)
		// A clean stop releases the Lease (its update is audited).
		stop()
		checkManagerLog(t)
	})
	if !ok {
		t.FailNow()
	}

	ok = t.Run("dashboard as its ServiceAccount shows the fleet to a viewer", func(t *testing.T) {
		installDashboard(t, cs, kc)
		base, stop := startDashboard(t, tokenKubeconfig(t, mgmt, systemNS, dashSA))
		defer stop()
		browseDashboard(t, base, viewerToken(t, cs))
		// A clean stop ends its watches, so they are audited as complete.
		stop()
		checkDashboardLog(t)
	})
	if !ok {
		t.FailNow()
	}

	t.Run("RBAC is sufficient and every rule is needed", func(t *testing.T) {
		rel, err := install.Render(install.Options{Values: map[string]any{
			"dashboard": map[string]any{"enabled": true, "tls": map[string]any{"secretName": dashTLSSecret}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rules, err := rbacaudit.ParseRules([]byte(rel.Manifest))
		if err != nil {
			t.Fatal(err)
		}
		dash := rbacaudit.Of(rules, dashSA)
		// The manager's ClusterRole and Role; the agents' roles
		// (agent-rbac.yaml) are not the manager's.
		manager := rbacaudit.Of(rules, saName)
		t.Run("manager", func(t *testing.T) {
			judgeAudit(t, "manager", saUser, manager, "charts/kurator/templates/rbac.yaml")
		})
		t.Run("dashboard", func(t *testing.T) {
			judgeAudit(t, "dashboard", dashUser, dash, "charts/kurator/templates/dashboard-rbac.yaml")
		})
	})

	t.Run("upgrade in place keeps user objects", func(t *testing.T) {
		upgrade(t, cs, hub, ext, kc)
	})

	t.Run("uninstall keeps CRDs and user objects unless --purge", func(t *testing.T) {
		uninstall(t, cs, hub, ext, kc)
	})
}

// checkInstalled: every object of the chart exists and is valid.
func checkInstalled(t *testing.T, cs kubernetes.Interface, ext apiextensionsclient.Interface, replicas int32) {
	t.Helper()
	ctx := context.Background()
	fleettest.Eventually(t, time.Minute, "the manager Deployment is available on kwok nodes", func() error {
		d, err := cs.AppsV1().Deployments(systemNS).Get(ctx, install.ManagerDeployment, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != replicas || d.Status.UpdatedReplicas != replicas || d.Status.ObservedGeneration != d.Generation {
			return fmt.Errorf("%d/%d available, %d updated (generation %d, observed %d)", d.Status.AvailableReplicas, replicas, d.Status.UpdatedReplicas, d.Generation, d.Status.ObservedGeneration)
		}
		pods, err := cs.CoreV1().Pods(systemNS).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=manager"})
		if err != nil {
			return err
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
				continue
			}
			n, err := cs.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("pod %s on node %q: %w", p.Name, p.Spec.NodeName, err)
			}
			if n.Annotations[nodepool.KwokAnnotation] == "" {
				return fmt.Errorf("pod %s runs on %s, not a kwok node", p.Name, n.Name)
			}
			if p.Spec.ServiceAccountName != saName {
				return fmt.Errorf("pod %s runs as ServiceAccount %q, want %s", p.Name, p.Spec.ServiceAccountName, saName)
			}
			running++
		}
		if running != int(replicas) {
			return fmt.Errorf("%d manager pods running, want %d", running, replicas)
		}
		return nil
	})
	if _, err := cs.CoreV1().ServiceAccounts(systemNS).Get(ctx, saName, metav1.GetOptions{}); err != nil {
		t.Errorf("ServiceAccount: %v", err)
	}
	if svc, err := cs.CoreV1().Services(systemNS).Get(ctx, "kurator-manager-metrics", metav1.GetOptions{}); err != nil {
		t.Errorf("metrics Service: %v", err)
	} else if svc.Spec.ClusterIP == "" || len(svc.Spec.Ports) == 0 {
		t.Errorf("metrics Service has no cluster IP or port: %+v", svc.Spec)
	}
	if replicas > 1 {
		if pdb, err := cs.PolicyV1().PodDisruptionBudgets(systemNS).Get(ctx, install.ManagerDeployment, metav1.GetOptions{}); err != nil {
			t.Errorf("PodDisruptionBudget: %v", err)
		} else if pdb.Status.ObservedGeneration != pdb.Generation && pdb.Status.ExpectedPods == 0 {
			t.Errorf("PodDisruptionBudget selects no pods: %+v", pdb.Status)
		}
	}
	if _, err := cs.RbacV1().ClusterRoles().Get(ctx, saName, metav1.GetOptions{}); err != nil {
		t.Errorf("ClusterRole: %v", err)
	}
	if b, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, saName, metav1.GetOptions{}); err != nil {
		t.Errorf("ClusterRoleBinding: %v", err)
	} else if len(b.Subjects) != 1 || b.Subjects[0].Name != saName || b.Subjects[0].Namespace != systemNS {
		t.Errorf("ClusterRoleBinding binds %+v, want ServiceAccount %s/%s", b.Subjects, systemNS, saName)
	}
	if _, err := cs.RbacV1().Roles(systemNS).Get(ctx, saName, metav1.GetOptions{}); err != nil {
		t.Errorf("Role: %v", err)
	}
	if _, err := cs.RbacV1().RoleBindings(systemNS).Get(ctx, saName, metav1.GetOptions{}); err != nil {
		t.Errorf("RoleBinding: %v", err)
	}
	want, err := os.ReadDir("../../../charts/kurator/files/crds")
	if err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 30*time.Second, "every Kurator CRD is Established", func() error {
		crds, err := ext.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		n := 0
		for _, c := range crds.Items {
			if !isKuratorGroup(c.Spec.Group) {
				continue
			}
			n++
			if !crdEstablished(&c) {
				return fmt.Errorf("CRD %s is not Established", c.Name)
			}
		}
		if n != len(want) {
			return fmt.Errorf("%d Kurator CRDs, want the chart's %d", n, len(want))
		}
		return nil
	})
}

func isKuratorGroup(g string) bool {
	for _, k := range kuratorGroups {
		if g == k {
			return true
		}
	}
	return false
}

func crdEstablished(c *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

// startManager runs kurator-manager against the management cluster with
// kubeconfig; stop ends it with SIGTERM (it releases the Lease) and may be
// called more than once.
func startManager(t *testing.T, kubeconfig string) (stop func()) {
	t.Helper()
	return startProcess(t, "kurator-manager", managerLog(), managerBin,
		"--kubeconfig="+kubeconfig,
		"--leader-election-namespace="+systemNS,
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
		"--cluster-probe-interval=1s",
		"--cluster-failure-threshold=3s",
		"--cluster-success-threshold=3s",
	).stop
}

// process is a binary of this tree the test runs, logging to a file.
type process struct {
	done chan error
	// stop ends it with SIGTERM (killing it after 30 s); it may be called
	// more than once.
	stop func()
}

// startProcess starts bin with args, its output in logPath; it dies with
// the test binary.
func startProcess(t *testing.T, name, logPath, bin string, args ...string) *process {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	stopped := false
	p.stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			if err != nil {
				t.Logf("%s exited: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within 30s of SIGTERM; killed (log %s)", name, logPath)
		}
	}
	return p
}

func managerLog() string { return filepath.Join(work, "kurator-manager.log") }

// seedNginx is seed 001's nginx Deployment and nginx-propagation, as the
// example file has them.
func seedNginx(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../../examples/seed-001/seed-001.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, d := range strings.Split(string(data), "\n---\n") {
		if strings.Contains(d, "kind: Deployment\nmetadata:\n  name: nginx\n") || strings.Contains(d, "name: nginx-propagation\n") {
			docs = append(docs, d)
		}
	}
	if len(docs) != 2 {
		t.Fatalf("found %d of seed 001's nginx Deployment and nginx-propagation in examples/seed-001/seed-001.yaml, want 2", len(docs))
	}
	return strings.Join(docs, "\n---\n")
}

// exerciseObjects make the controllers beyond nginx's path write what only
// they write: a ScalePolicy whose target is missing (its status), a
// CronFederatedHPA on an unpropagated Deployment (scale subresource and its
// status), and a Rollout of a small propagated Deployment (its finalizer,
// status and saved revision).
const exerciseObjects = `apiVersion: autoscaling.kurator.dev/v1alpha1
kind: ScalePolicy
metadata: {name: missing-target, namespace: default}
spec:
  targetClusters: [cluster-hangzhou]
  trigger: {type: resource, metric: cpu, threshold: 70, duration: 5m}
  action:
    deployment: {name: not-there, replicas: "+50%"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cron-target, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: cron-target}}
  template:
    metadata: {labels: {app: cron-target}}
    spec:
      containers: [{name: app, image: nginx:1.25}]
---
apiVersion: autoscaling.karmada.io/v1alpha1
kind: CronFederatedHPA
metadata: {name: cron-target, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cron-target}
  rules:
  - {name: every-minute, schedule: "*/1 * * * *", targetReplicas: 2}
---
apiVersion: v1
kind: Namespace
metadata: {name: rollout-demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews, namespace: rollout-demo}
spec:
  replicas: 1
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews}}
    spec:
      containers: [{name: app, image: nginx:1.25, ports: [{containerPort: 9080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: rollout-demo}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 9080}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: reviews, namespace: rollout-demo}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: reviews}
  - {apiVersion: v1, kind: Service, name: reviews}
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou]}
    replicaScheduling: {replicaSchedulingType: Duplicated}
---
apiVersion: apps.kurator.dev/v1alpha1
kind: Rollout
metadata: {name: reviews, namespace: rollout-demo}
spec:
  workload: {apiVersion: apps/v1, kind: Deployment, name: reviews}
  serviceName: reviews
  port: 9080
  rolloutPolicy:
    trafficRouting:
      timeoutSeconds: 2
      canaryStrategy: {maxWeight: 50, stepWeight: 50}
  stages:
  - {name: hangzhou, clusterNames: [cluster-hangzhou]}
`

// checkNginx: the hub shows 10/10 and the members run 6 and 4.
func checkNginx(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	want := map[string]int32{"cluster-hangzhou": 6, "cluster-shanghai": 4}
	fleettest.Eventually(t, 2*time.Minute, "nginx 10/10 on the hub, 6 in cluster-hangzhou and 4 in cluster-shanghai", func() error {
		for cluster, n := range want {
			d, err := fleettest.Client(t, fleet, cluster).AppsV1().Deployments("default").Get(ctx, "nginx", metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", cluster, err)
			}
			if ptr.Deref(d.Spec.Replicas, 0) != n || d.Status.ReadyReplicas != n {
				return fmt.Errorf("%s: nginx %d/%d ready, want %d", cluster, d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 0), n)
			}
		}
		d, err := cs.AppsV1().Deployments("default").Get(ctx, "nginx", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.Replicas != 10 || d.Status.ReadyReplicas != 10 {
			return fmt.Errorf("hub: nginx %d/%d ready, want 10/10", d.Status.ReadyReplicas, d.Status.Replicas)
		}
		return nil
	})
}

// checkExercised waits until each exercise object got what only its
// controller writes.
func checkExercised(t *testing.T, cs kubernetes.Interface, hub client.Client) {
	t.Helper()
	ctx := context.Background()
	fleettest.Eventually(t, 90*time.Second, "ScalePolicy missing-target reports its missing target in status", func() error {
		out := fleettest.Kubectl(t, fleet, "", "--context", mgmt, "-n", "default", "get", "scalepolicy", "missing-target", "-o", "jsonpath={.status.conditions[*].message}")
		if !strings.Contains(out, "not-there") {
			return fmt.Errorf("status conditions say %q, want them to name Deployment not-there", out)
		}
		return nil
	})
	fleettest.Eventually(t, 30*time.Second, "Rollout reviews saved its revision", func() error {
		var ro appsv1alpha1.Rollout
		if err := hub.Get(ctx, client.ObjectKey{Namespace: "rollout-demo", Name: "reviews"}, &ro); err != nil {
			return err
		}
		revs, err := cs.AppsV1().ControllerRevisions("rollout-demo").List(ctx, metav1.ListOptions{LabelSelector: appsv1alpha1.RolloutLabel})
		if err != nil {
			return err
		}
		if len(revs.Items) == 0 {
			return fmt.Errorf("no ControllerRevision labelled %s (Rollout status: %+v)", appsv1alpha1.RolloutLabel, ro.Status.Conditions)
		}
		return nil
	})
	// The cron rule fires at the next minute.
	fleettest.Eventually(t, 90*time.Second, "CronFederatedHPA scaled cron-target to 2 and recorded it", func() error {
		d, err := cs.AppsV1().Deployments("default").Get(ctx, "cron-target", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if ptr.Deref(d.Spec.Replicas, 0) != 2 {
			return fmt.Errorf("cron-target has %d replicas, want 2", ptr.Deref(d.Spec.Replicas, 0))
		}
		out := fleettest.Kubectl(t, fleet, "", "--context", mgmt, "-n", "default", "get", "cronfederatedhpa", "cron-target", "-o", "jsonpath={.status.executionHistories[*].successfulExecutions[*].appliedReplicas}")
		if !strings.Contains(out, "2") {
			return fmt.Errorf("execution history says %q, want appliedReplicas 2", out)
		}
		return nil
	})
}

// checkManagerLog: the manager logged no forbidden request.
func checkManagerLog(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(managerLog())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("the manager was refused something (add the rule to charts/kurator/templates/rbac.yaml): %s", line)
		}
	}
}

// judgeAudit reads what the management cluster's apiserver audited of user
// (who: "manager" or "dashboard") and judges the rules of its roles, from
// the chart file named by file, with it.
func judgeAudit(t *testing.T, who, user string, rules []rbacaudit.Rule, file string) {
	if len(rules) == 0 {
		t.Fatalf("the chart renders no ClusterRole or Role rules for the %s", who)
	}
	f, err := os.Open(auditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reqs, err := rbacaudit.ParseAudit(f, user)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) == 0 {
		t.Fatalf("the audit log %s holds no request of %s", auditLog, user)
	}
	v := rbacaudit.Judge(rules, reqs)
	t.Logf("FIGURE %d audited requests of the %s, %d rules", len(reqs), who, len(rules))
	for _, q := range v.Denied {
		t.Errorf("the %s was denied %s (%s): the RBAC does not suffice; add a rule to %s", who, q, q.URI, file)
	}
	for _, r := range rules {
		if q, ok := v.Needed[r.Source]; ok {
			t.Logf("%s [%s] is needed by: %s", r.Source, r.Function, q)
		}
	}
	for _, r := range v.Unneeded {
		if q, ok := checkedInside(r, reqs); ok {
			t.Logf("%s [%s] is checked by the apiserver inside %s, which was allowed", r.Source, r.Function, q)
			continue
		}
		t.Errorf("%s [%s] allowed no request of the %s that no other rule allows: remove it from %s or exercise it", r, r.Function, who, file)
	}
}

// upgrade installs again with a changed Deployment (1 replica, another
// image tag) after turning a CRD back to an older shape: the objects are
// updated in place and the user's objects survive.
func upgrade(t *testing.T, cs kubernetes.Interface, hub client.Client, ext apiextensionsclient.Interface, kc string) {
	ctx := context.Background()
	d, err := cs.AppsV1().Deployments(systemNS).Get(ctx, install.ManagerDeployment, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const crdName = "propagationpolicies.policy.karmada.io"
	crd, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crdName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantColumns := len(crd.Spec.Versions[0].AdditionalPrinterColumns)
	if wantColumns == 0 {
		t.Fatalf("CRD %s has no printer columns to take away", crdName)
	}
	// An older shape: no printer columns (as if version A lacked them).
	crd.Spec.Versions[0].AdditionalPrinterColumns = nil
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Update(ctx, crd, metav1.UpdateOptions{FieldManager: "kurator-install"}); err != nil {
		t.Fatal(err)
	}
	ppUID := userObjectUID(t, hub, "default", "nginx-propagation")
	acUID := attachedClusterUID(t, hub, "cluster-hangzhou")

	out := mustKurator(t, "install", "center-manager", "--kubeconfig", kc, "--set", "replicas=1", "--image", "ghcr.io/kurator-go/kurator-manager:v9.9.9-upgrade", "--wait", "--timeout", "3m")
	t.Logf("upgrade:\n%s", out)

	after, err := cs.AppsV1().Deployments(systemNS).Get(ctx, install.ManagerDeployment, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.UID != d.UID {
		t.Errorf("the manager Deployment was replaced (UID %s -> %s), want it updated in place", d.UID, after.UID)
	}
	if got := after.Spec.Template.Spec.Containers[0].Image; got != "ghcr.io/kurator-go/kurator-manager:v9.9.9-upgrade" {
		t.Errorf("manager image after the upgrade = %s", got)
	}
	if ptr.Deref(after.Spec.Replicas, 0) != 1 {
		t.Errorf("manager replicas after the upgrade = %d, want 1", ptr.Deref(after.Spec.Replicas, 0))
	}
	checkInstalled(t, cs, ext, 1)
	crdAfter, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crdName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if crdAfter.UID != crd.UID {
		t.Errorf("CRD %s was replaced (UID changed), want it updated in place", crdName)
	}
	if got := len(crdAfter.Spec.Versions[0].AdditionalPrinterColumns); got != wantColumns {
		t.Errorf("CRD %s has %d printer columns after the upgrade, want the chart's %d back", crdName, got, wantColumns)
	}
	if got := userObjectUID(t, hub, "default", "nginx-propagation"); got != ppUID {
		t.Errorf("PropagationPolicy nginx-propagation did not survive the upgrade (UID %s -> %s)", ppUID, got)
	}
	if got := attachedClusterUID(t, hub, "cluster-hangzhou"); got != acUID {
		t.Errorf("AttachedCluster cluster-hangzhou did not survive the upgrade (UID %s -> %s)", acUID, got)
	}
}

func userObjectUID(t *testing.T, hub client.Client, ns, name string) string {
	t.Helper()
	out := fleettest.Kubectl(t, fleet, "", "--context", mgmt, "-n", ns, "get", "propagationpolicy", name, "-o", "jsonpath={.metadata.uid}")
	if out == "" {
		t.Fatalf("PropagationPolicy %s/%s has no UID", ns, name)
	}
	return out
}

func attachedClusterUID(t *testing.T, hub client.Client, name string) string {
	t.Helper()
	return fleettest.Kubectl(t, fleet, "", "--context", mgmt, "-n", join.Namespace, "get", "attachedcluster", name, "-o", "jsonpath={.metadata.uid}")
}

// uninstall: the release's objects go, the CRDs and user objects stay and
// the CLI says so; --purge removes the CRDs.
func uninstall(t *testing.T, cs kubernetes.Interface, hub client.Client, ext apiextensionsclient.Interface, kc string) {
	ctx := context.Background()
	out := mustKurator(t, "uninstall", "--kubeconfig", kc)
	t.Logf("uninstall:\n%s", out)
	if !strings.Contains(out, "CRD") || !strings.Contains(strings.ToLower(out), "kept") && !strings.Contains(strings.ToLower(out), "keep") {
		t.Errorf("uninstall should say it keeps the CRDs and user objects:\n%s", out)
	}
	if !strings.Contains(out, "--purge") {
		t.Errorf("uninstall should say how to remove the CRDs too (--purge):\n%s", out)
	}
	fleettest.Eventually(t, time.Minute, "the release's objects are gone", func() error {
		if _, err := cs.AppsV1().Deployments(systemNS).Get(ctx, install.ManagerDeployment, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("Deployment %s: %v", install.ManagerDeployment, err)
		}
		if _, err := cs.RbacV1().ClusterRoles().Get(ctx, saName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("ClusterRole %s: %v", saName, err)
		}
		if _, err := cs.CoreV1().ServiceAccounts(systemNS).Get(ctx, saName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("ServiceAccount %s: %v", saName, err)
		}
		if _, err := cs.AppsV1().Deployments(systemNS).Get(ctx, "kurator-dashboard", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("Deployment kurator-dashboard: %v", err)
		}
		if _, err := cs.RbacV1().ClusterRoles().Get(ctx, dashSA, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("ClusterRole %s: %v", dashSA, err)
		}
		return nil
	})
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "propagationpolicies.policy.karmada.io", metav1.GetOptions{}); err != nil {
		t.Errorf("uninstall without --purge removed the PropagationPolicy CRD: %v", err)
	}
	userObjectUID(t, hub, "default", "nginx-propagation")

	out = mustKurator(t, "uninstall", "--kubeconfig", kc, "--purge")
	t.Logf("uninstall --purge:\n%s", out)
	fleettest.Eventually(t, time.Minute, "--purge removed every Kurator CRD", func() error {
		crds, err := ext.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		var left []string
		for _, c := range crds.Items {
			if isKuratorGroup(c.Spec.Group) {
				left = append(left, c.Name)
			}
		}
		if len(left) > 0 {
			// Seen: objects with the manager's finalizers (Fleets, Works,
			// Rollouts) hold their CRDs in Terminating once the manager is
			// gone; --purge must remove those finalizers.
			return fmt.Errorf("CRDs left (instances with the manager's finalizers keep a CRD terminating after the manager is uninstalled; kurator uninstall --purge must clear them): %v", left)
		}
		return nil
	})
}
