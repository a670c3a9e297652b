package helm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const chart = "testdata/web"

// helm runs Helm 4 against the hub and returns what it printed and how
// long it took. Its config, cache and data stay in this run's helmHome.
func helm(t *testing.T, args ...string) (string, time.Duration, error) {
	t.Helper()
	// Every call passes --timeout to Helm; this bounds Helm itself.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, helmBin, append([]string{"--kubeconfig", fleet.Kubeconfig, "--kube-context", localfleet.HubName, "--namespace", "default"}, args...)...)
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"))
	begin := time.Now()
	out, err := cmd.CombinedOutput()
	return string(out), time.Since(begin).Round(time.Millisecond), err
}

// uninstallAfter removes the release when the test ends, whatever step it
// failed at, so a failed test leaves nothing for the next one.
func uninstallAfter(t *testing.T, release string) {
	t.Cleanup(func() {
		if out, _, err := helm(t, "uninstall", release, "--ignore-not-found", "--wait", "--timeout", "1m"); err != nil {
			t.Errorf("cleanup: helm uninstall %s: %v\n%s", release, err, out)
		}
	})
}

// rolledOutEverywhere checks, once and without waiting, that every member
// runs the Deployment at n replicas of image tag, all updated, ready and
// available at its latest generation, with its Service: what `helm --wait`
// returning means if the hub's status is right.
func rolledOutEverywhere(t *testing.T, name string, n int32, tag string) error {
	t.Helper()
	var problems []string
	for _, m := range members {
		cs := fleettest.Client(t, fleet, m.Name)
		d, err := cs.AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", m.Name, err))
			continue
		}
		s := d.Status
		image := d.Spec.Template.Spec.Containers[0].Image
		if !strings.HasSuffix(image, ":"+tag) || *d.Spec.Replicas != n || s.ObservedGeneration < d.Generation ||
			s.Replicas != n || s.UpdatedReplicas != n || s.ReadyReplicas != n || s.AvailableReplicas != n {
			problems = append(problems, fmt.Sprintf("%s: image %s, spec %d, generation %d observed %d, replicas %d updated %d ready %d available %d (want %d of tag %s)",
				m.Name, image, *d.Spec.Replicas, d.Generation, s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas, n, tag))
		}
		if _, err := cs.CoreV1().Services("default").Get(context.Background(), name, metav1.GetOptions{}); err != nil {
			problems = append(problems, fmt.Sprintf("%s: service: %v", m.Name, err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// hubReads is the hub template's status in kubectl's words.
func hubReads(t *testing.T, name string) string {
	t.Helper()
	d, err := fleettest.Client(t, fleet, localfleet.HubName).AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return err.Error()
	}
	var conds []string
	for _, c := range d.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return fmt.Sprintf("spec %d, generation %d observed %d, replicas %d updated %d ready %d available %d, %s",
		*d.Spec.Replicas, d.Generation, d.Status.ObservedGeneration, d.Status.Replicas, d.Status.UpdatedReplicas,
		d.Status.ReadyReplicas, d.Status.AvailableReplicas, strings.Join(conds, " "))
}

// Helm 4's install, upgrade and uninstall, with --wait, against the hub:
// each returns only once every member is done, for divided and duplicated
// replicas alike, and kubectl rollout status agrees.
func TestHelmWaitOnTheHub(t *testing.T) {
	cases := []struct {
		name, release, scheduling string
		// replicas of the template at install and upgrade, and what each of
		// the two members then runs.
		replicas, upgraded        int32
		perMember, perMemberLater int32
	}{
		{name: "Divided: 2 replicas as 1+1, upgraded to 4 as 2+2 with a new tag",
			release: "web-divided", scheduling: "Divided", replicas: 2, perMember: 1, upgraded: 4, perMemberLater: 2},
		{name: "Duplicated: 1 replica in each cluster (the hub once read 2 of 1), upgraded to 2 in each with a new tag",
			release: "web-duplicated", scheduling: "Duplicated", replicas: 1, perMember: 1, upgraded: 2, perMemberLater: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uninstallAfter(t, tc.release)
			out, took, err := helm(t, "install", tc.release, chart, "--wait", "--timeout", "2m",
				"--set", "replicaScheduling="+tc.scheduling, "--set", fmt.Sprintf("replicas=%d", tc.replicas), "--set", "tag=1.0")
			if err != nil {
				t.Fatalf("helm install --wait: %v after %s\n%s\nhub reads: %s", err, took, out, hubReads(t, tc.release))
			}
			t.Logf("helm install --wait (%s, %d replicas) succeeded in %s", tc.scheduling, tc.replicas, took)
			if err := rolledOutEverywhere(t, tc.release, tc.perMember, "1.0"); err != nil {
				t.Errorf("helm install --wait returned before the members were done: %v\nhub reads: %s", err, hubReads(t, tc.release))
			}
			begin := time.Now()
			fleettest.Kubectl(t, fleet, "", "--context", localfleet.HubName, "rollout", "status", "deployment/"+tc.release, "--timeout", "20s")
			t.Logf("kubectl rollout status on the hub agrees in %s; hub reads: %s", time.Since(begin).Round(time.Millisecond), hubReads(t, tc.release))

			out, took, err = helm(t, "upgrade", tc.release, chart, "--wait", "--timeout", "2m",
				"--set", "replicaScheduling="+tc.scheduling, "--set", fmt.Sprintf("replicas=%d", tc.upgraded), "--set", "tag=1.1")
			if err != nil {
				t.Fatalf("helm upgrade --wait: %v after %s\n%s\nhub reads: %s", err, took, out, hubReads(t, tc.release))
			}
			t.Logf("helm upgrade --wait (%d replicas, tag 1.1) succeeded in %s", tc.upgraded, took)
			if err := rolledOutEverywhere(t, tc.release, tc.perMemberLater, "1.1"); err != nil {
				t.Errorf("helm upgrade --wait returned before the members were done: %v\nhub reads: %s", err, hubReads(t, tc.release))
			}

			out, took, err = helm(t, "uninstall", tc.release, "--wait", "--timeout", "2m")
			if err != nil {
				t.Fatalf("helm uninstall --wait: %v after %s\n%s", err, took, out)
			}
			begin = time.Now()
			fleettest.Eventually(t, 90*time.Second, tc.release+" removed from every member", func() error {
				for _, m := range members {
					cs := fleettest.Client(t, fleet, m.Name)
					_, err := cs.AppsV1().Deployments("default").Get(context.Background(), tc.release, metav1.GetOptions{})
					if err := fleettest.Absent(m.Name+": deployment "+tc.release, err); err != nil {
						return err
					}
					_, err = cs.CoreV1().Services("default").Get(context.Background(), tc.release, metav1.GetOptions{})
					if err := fleettest.Absent(m.Name+": service "+tc.release, err); err != nil {
						return err
					}
				}
				return nil
			})
			t.Logf("helm uninstall --wait returned in %s; the members had no Deployment or Service %s later", took, time.Since(begin).Round(time.Millisecond))
		})
	}
}

// Helm 3's wait (Helm 4's --wait=legacy is the same code) looks for the
// Deployment's new ReplicaSet, which only a member has: it never passes on a
// hub, however complete the hub's status, while kubectl rollout status does.
func TestHelm3StyleWaitCannotPassOnAHub(t *testing.T) {
	const release = "web-legacy"
	uninstallAfter(t, release)
	out, took, err := helm(t, "install", release, chart, "--wait=legacy", "--timeout", "15s", "--set", "replicas=2")
	if err == nil {
		t.Fatalf("helm install --wait=legacy succeeded in %s against a hub without ReplicaSets:\n%s", took, out)
	}
	t.Logf("helm install --wait=legacy failed after %s, as expected: %s", took, strings.TrimSpace(lastLine(out)))
	begin := time.Now()
	fleettest.Kubectl(t, fleet, "", "--context", localfleet.HubName, "rollout", "status", "deployment/"+release, "--timeout", "60s")
	t.Logf("while kubectl rollout status on the hub passed (%s); hub reads: %s", time.Since(begin).Round(time.Millisecond), hubReads(t, release))
	if err := rolledOutEverywhere(t, release, 1, "1.0"); err != nil {
		t.Errorf("kubectl rollout status passed before the members were done: %v", err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// A Job run in both clusters: Helm 4's --wait-for-jobs returns once the
// hub's Job is Complete, which the hub's API server accepts only with the
// job controller's rules (SuccessCriteriaMet first, a completion time, no
// active pods), and only once it completed in every member.
func TestHelmWaitForJobsOnTheHub(t *testing.T) {
	const release = "task"
	uninstallAfter(t, release)
	out, took, err := helm(t, "install", release, "testdata/task", "--wait", "--wait-for-jobs", "--timeout", "2m")
	if err != nil {
		t.Fatalf("helm install --wait --wait-for-jobs: %v after %s\n%s", err, took, out)
	}
	t.Logf("helm install --wait --wait-for-jobs succeeded in %s", took)
	for _, m := range members {
		j, err := fleettest.Client(t, fleet, m.Name).BatchV1().Jobs("default").Get(context.Background(), release, metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
			continue
		}
		complete := false
		for _, c := range j.Status.Conditions {
			complete = complete || (c.Type == "Complete" && c.Status == "True")
		}
		if !complete || j.Status.Succeeded != 2 {
			t.Errorf("helm returned before the Job completed in %s: succeeded %d, conditions %v", m.Name, j.Status.Succeeded, j.Status.Conditions)
		}
	}
	hub, err := fleettest.Client(t, fleet, localfleet.HubName).BatchV1().Jobs("default").Get(context.Background(), release, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hub Job: succeeded %d, active %d, start %v, completion %v, conditions %d", hub.Status.Succeeded, hub.Status.Active, hub.Status.StartTime, hub.Status.CompletionTime, len(hub.Status.Conditions))
	if hub.Status.Succeeded != 4 || hub.Status.CompletionTime == nil {
		t.Errorf("the hub's Job should have 4 succeeded (2 per cluster) and a completion time: %+v", hub.Status)
	}
}
