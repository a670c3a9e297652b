package install

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// badTarget is the cluster the bad installs aim at, in badNS; nothing of
// this package installs there, so "nothing written" is checked exactly.
const (
	badTarget = "cluster-shanghai"
	badNS     = "kurator-bad"
)

// closedPortKubeconfig is the target's kubeconfig with its server moved to
// a loopback port nothing listens on.
func closedPortKubeconfig(t *testing.T) (path, server string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg, err := clientcmd.LoadFromFile(kubeconfigOf(t, badTarget))
	if err != nil {
		t.Fatal(err)
	}
	server = "https://127.0.0.1:" + strconv.Itoa(port)
	for _, c := range cfg.Clusters {
		c.Server = server
	}
	path = filepath.Join(work, "unreachable.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path, server
}

// viewerKubeconfig is a kubeconfig of the target for a ServiceAccount that
// may only read (ClusterRole view).
func viewerKubeconfig(t *testing.T) string {
	t.Helper()
	cs, _, _ := clientsOf(t, badTarget)
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: "default"}}
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "viewer", Namespace: "default"}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return tokenKubeconfig(t, badTarget, "default", "viewer")
}

// TestBadInputWritesNothing: each bad install stops with a message naming
// the problem and the fix, before it writes anything to the cluster.
func TestBadInputWritesNothing(t *testing.T) {
	unreachable, server := closedPortKubeconfig(t)
	admin := kubeconfigOf(t, badTarget)
	cases := []struct {
		name string
		args []string
		// want are substrings of the error message (case-insensitive).
		want []string
	}{
		{
			name: "a kubeconfig whose server is unreachable names the server and the kubeconfig",
			args: []string{"--kubeconfig", unreachable},
			want: []string{strings.TrimPrefix(server, "https://"), "--kubeconfig"},
		},
		{
			name: "a user who may not create CRDs is told which permission is missing",
			args: []string{"--kubeconfig", viewerKubeconfig(t)},
			want: []string{"customresourcedefinitions", "cluster-admin"},
		},
		{
			name: "an image reference that does not parse names the reference and --image",
			args: []string{"--kubeconfig", admin, "--image", "UPPER CASE::x"},
			want: []string{"UPPER CASE::x", "--image"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"install", "center-manager", "--namespace", badNS, "--timeout", "20s"}, c.args...)
			begin := time.Now()
			out, err := kurator(args...)
			if err == nil {
				t.Fatalf("kurator %s succeeded, want it refused:\n%s", strings.Join(args, " "), out)
			}
			msg := strings.ToLower(err.Error() + "\n" + out)
			for _, w := range c.want {
				if !strings.Contains(msg, strings.ToLower(w)) {
					t.Errorf("the message should contain %q:\n%v\n%s", w, err, out)
				}
			}
			t.Logf("refused in %s: %v", time.Since(begin).Round(time.Millisecond), err)
			nothingWritten(t)
		})
	}
}

// nothingWritten: the target has no release namespace, no Kurator CRD and
// none of the chart's cluster-wide objects.
func nothingWritten(t *testing.T) {
	t.Helper()
	cs, _, ext := clientsOf(t, badTarget)
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Get(ctx, badNS, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s exists after a refused install (err %v)", badNS, err)
	}
	crds, err := ext.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds.Items {
		if isKuratorGroup(c.Spec.Group) {
			t.Errorf("CRD %s exists after a refused install", c.Name)
		}
	}
	if _, err := cs.RbacV1().ClusterRoles().Get(ctx, saName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ClusterRole %s exists after a refused install (err %v)", saName, err)
	}
}
