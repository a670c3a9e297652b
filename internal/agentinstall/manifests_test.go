package agentinstall

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

func validOptions() Options {
	return Options{
		ClusterName: "north-cluster",
		HubURL:      "https://hub.example.com:6443",
		HubCA:       []byte("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"),
		Token:       "abc123.0123456789abcdef",
		Image:       "ghcr.io/kurator-go/kurator-agent:v0.1.0",
	}
}

func TestObjectsRunTheAgentWithItsOwnCredentialsOnly(t *testing.T) {
	o := validOptions()
	o.HeartbeatInterval = 10 * time.Second
	objs, err := Objects(o)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, obj := range objs {
		refs = append(refs, refOf(obj))
	}
	want := "Namespace/kurator-system,ServiceAccount kurator-system/kurator-agent,ClusterRole/kurator-agent-member," +
		"ClusterRoleBinding/kurator-agent-member,Secret kurator-system/kurator-agent-hub,Deployment kurator-system/kurator-agent"
	if strings.Join(refs, ",") != want {
		t.Fatalf("objects\n %s\nwant\n %s", strings.Join(refs, ","), want)
	}

	role := objs[2].(*rbacv1.ClusterRole)
	if r := role.Rules[0]; r.APIGroups[0] != "*" || r.Resources[0] != "*" || r.Verbs[0] != "*" {
		t.Errorf("member ClusterRole %+v, want every verb on every resource (a Work may hold any kind)", role.Rules)
	}
	binding := objs[3].(*rbacv1.ClusterRoleBinding)
	if s := binding.Subjects; len(s) != 1 || s[0].Kind != "ServiceAccount" || s[0].Namespace != "kurator-system" || s[0].Name != "kurator-agent" {
		t.Errorf("binding subjects %+v, want only the agent's ServiceAccount", s)
	}

	secret := objs[4].(*corev1.Secret)
	if string(secret.Data["token"]) != o.Token || string(secret.Data["ca.crt"]) != string(o.HubCA) || len(secret.Data) != 2 {
		t.Errorf("Secret data %v, want token and ca.crt only", secret.Data)
	}

	d := objs[5].(*appsv1.Deployment)
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || *d.Spec.Replicas != 1 {
		t.Errorf("Deployment strategy %s replicas %d, want Recreate and 1 (two agents of one cluster would fight)", d.Spec.Strategy.Type, *d.Spec.Replicas)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName != "kurator-agent" {
		t.Errorf("serviceAccountName %q", pod.ServiceAccountName)
	}
	c := pod.Containers[0]
	if c.Image != o.Image {
		t.Errorf("image %s, want %s", c.Image, o.Image)
	}
	args := strings.Join(c.Args, " ")
	for _, a := range []string{"--cluster-name=north-cluster", "--hub-url=https://hub.example.com:6443",
		"--token-file=/etc/kurator-agent/hub/token", "--hub-ca-file=/etc/kurator-agent/hub/ca.crt",
		"--credentials-dir=/var/lib/kurator-agent", "--heartbeat-interval=10s"} {
		if !strings.Contains(args, a) {
			t.Errorf("args %q lack %s", args, a)
		}
	}
	if strings.Contains(args, o.Token) {
		t.Errorf("the token is on the command line (visible in the Pod spec): %s", args)
	}
	if c.SecurityContext == nil || !*c.SecurityContext.ReadOnlyRootFilesystem || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v, want a read-only root and no privilege escalation", c.SecurityContext)
	}
}

func TestObjectsWithoutCAUseTheSystemRoots(t *testing.T) {
	o := validOptions()
	o.HubCA = nil
	objs, err := Objects(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := objs[4].(*corev1.Secret).Data["ca.crt"]; ok {
		t.Error("Secret has ca.crt without a CA")
	}
	if args := strings.Join(objs[5].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Args, " "); strings.Contains(args, "--hub-ca-file") {
		t.Errorf("args %q pass --hub-ca-file without a CA", args)
	}
}

func TestOptionsValidateNamesTheFlag(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Options)
		flag   string
	}{
		{"no name is refused naming --name", func(o *Options) { o.ClusterName = "" }, "--name"},
		{"a name that is no DNS label is refused", func(o *Options) { o.ClusterName = "North_Cluster" }, "--name"},
		{"a name too long for the hub's execution namespace is refused", func(o *Options) { o.ClusterName = strings.Repeat("a", 49) }, "at most 48"},
		{"no hub is refused naming --hub", func(o *Options) { o.HubURL = "" }, "--hub"},
		{"a plain-HTTP hub is refused", func(o *Options) { o.HubURL = "http://hub:6443" }, "--hub"},
		{"no token is refused naming kurator token create", func(o *Options) { o.Token = "" }, "kurator token create"},
		{"a malformed token is refused naming --token", func(o *Options) { o.Token = "nope" }, "--token"},
		{"no image is refused naming --image", func(o *Options) { o.Image = "" }, "--image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := validOptions()
			tc.mutate(&o)
			_, err := Objects(o)
			if err == nil || !strings.Contains(err.Error(), tc.flag) {
				t.Fatalf("error %v, want one naming %s", err, tc.flag)
			}
		})
	}
}

func TestYAMLIsAStreamKubectlApplies(t *testing.T) {
	objs, err := Objects(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	data, err := YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "creationTimestamp") || strings.Contains(string(data), "status:") {
		t.Errorf("rendered YAML holds creationTimestamp or status:\n%s", data)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096)
	var kinds []string
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if u.GetAPIVersion() == "" || u.GetName() == "" {
			t.Errorf("document without apiVersion or name: %v", u.Object)
		}
		kinds = append(kinds, u.GetKind())
	}
	if strings.Join(kinds, ",") != "Namespace,ServiceAccount,ClusterRole,ClusterRoleBinding,Secret,Deployment" {
		t.Errorf("kinds %v", kinds)
	}
}

func TestDefaultImage(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"v0.3.0", "ghcr.io/kurator-go/kurator-agent:v0.3.0"},
		{"dev", "ghcr.io/kurator-go/kurator-agent:latest"},
		{"", "ghcr.io/kurator-go/kurator-agent:latest"},
	} {
		if got := DefaultImage(tc.version); got != tc.want {
			t.Errorf("DefaultImage(%q) = %s, want %s", tc.version, got, tc.want)
		}
	}
}
