package agentinstall

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// The agent's objects in the member cluster.
const (
	// Namespace of the agent in the member.
	Namespace = "kurator-system"
	// Name of the agent's ServiceAccount and Deployment.
	Name = "kurator-agent"
	// MemberRBACName names the agent's ClusterRole and ClusterRoleBinding in
	// the member. It differs from the hub's ClusterRole kurator-agent, which
	// a cluster that is hub and member at once must keep as it is (and from
	// the hub's per-cluster kurator-agent:<cluster>).
	MemberRBACName = "kurator-agent-member"
	// HubSecretName holds what the agent needs to reach the hub: the
	// bootstrap token and the hub's CA.
	HubSecretName = "kurator-agent-hub"
	// CredentialsSecretName is where the agent keeps its key and
	// certificate in the member (written by the agent).
	CredentialsSecretName = "kurator-agent-credentials"
	// Secret keys of HubSecretName.
	TokenKey = "token"
	CAKey    = "ca.crt"
	// DefaultImageRepository is the agent's image repository.
	DefaultImageRepository = "ghcr.io/kurator-go/kurator-agent"
)

// hubMount and credentialsDir are the agent's paths in its container.
const (
	hubMount       = "/etc/kurator-agent/hub"
	credentialsDir = "/var/lib/kurator-agent"
)

// partOf labels every object the install writes, so uninstall and people
// find them.
var partOf = map[string]string{"app.kubernetes.io/name": Name, "app.kubernetes.io/part-of": "kurator"}

// Options describe one agent install.
type Options struct {
	// ClusterName is the cluster's name on the hub.
	ClusterName string
	// HubURL is the hub's kube-apiserver as the member reaches it.
	HubURL string
	// HubCA is the PEM of the CA that signs the hub's serving certificate;
	// empty uses the member's system roots.
	HubCA []byte
	// HubTLSServerName, when set, is the name the hub's certificate is
	// checked against instead of HubURL's host.
	HubTLSServerName string
	// Token is the bootstrap token ("<id>.<secret>").
	Token string
	// Image is the agent's image reference.
	Image string
	// HeartbeatInterval is the agent's --heartbeat-interval (0: its default).
	HeartbeatInterval time.Duration
}

// DefaultImage is the agent image of a CLI version: a release's own tag,
// latest for a development build.
func DefaultImage(version string) string {
	if version == "" || version == "dev" || strings.ContainsAny(version, "+ ") {
		return DefaultImageRepository + ":latest"
	}
	return DefaultImageRepository + ":" + version
}

// Validate reports the first problem, naming the flag that fixes it.
func (o Options) Validate() error {
	if o.ClusterName == "" {
		return fmt.Errorf("--name is required: the name the cluster gets on the hub")
	}
	if errs := validation.IsDNS1123Label(o.ClusterName); len(errs) > 0 {
		return fmt.Errorf("--name %q: %s", o.ClusterName, strings.Join(errs, "; "))
	}
	// The hub's execution namespace of the cluster is a prefix plus its name.
	if limit := validation.DNS1123LabelMaxLength - len(workv1alpha1.ExecutionNamespacePrefix); len(o.ClusterName) > limit {
		return fmt.Errorf("--name %q: at most %d characters (the hub's namespace %s<name> is a DNS label)", o.ClusterName, limit, workv1alpha1.ExecutionNamespacePrefix)
	}
	if o.HubURL == "" {
		return fmt.Errorf("--hub is required: the hub's API server URL as the member reaches it (printed by `kurator token create`)")
	}
	u, err := url.Parse(o.HubURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("--hub %q: give an https URL of the hub's API server, e.g. https://hub.example.com:6443", o.HubURL)
	}
	if o.Token == "" {
		return fmt.Errorf("--token is required: create one on the hub with `kurator token create`")
	}
	if _, err := ParseToken(o.Token); err != nil {
		return fmt.Errorf("--token: %w", err)
	}
	if o.Image == "" {
		return fmt.Errorf("--image is empty: give the agent's image, e.g. %s", DefaultImage(""))
	}
	return nil
}

// Objects are the member-side objects of the agent, in apply order:
// namespace, ServiceAccount, ClusterRole, ClusterRoleBinding, Secret,
// Deployment.
func Objects(o Options) ([]client.Object, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: Namespace},
	}
	sa := &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: meta(Name, Namespace),
	}
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: meta(MemberRBACName, ""),
		// A Work may hold any kind, RBAC objects included (which takes
		// escalate and bind), so the agent may do anything on its own
		// cluster, as the hub's kubeconfig of a Push cluster usually may.
		// It holds no credentials of any other cluster.
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"get"}},
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: meta(MemberRBACName, ""),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: MemberRBACName},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: Name, Namespace: Namespace}},
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: meta(HubSecretName, Namespace),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{TokenKey: []byte(o.Token)},
	}
	args := []string{
		"--cluster-name=" + o.ClusterName,
		"--hub-url=" + o.HubURL,
		"--token-file=" + hubMount + "/" + TokenKey,
		"--credentials-dir=" + credentialsDir,
	}
	if len(o.HubCA) > 0 {
		secret.Data[CAKey] = o.HubCA
		args = append(args, "--hub-ca-file="+hubMount+"/"+CAKey)
	}
	if o.HubTLSServerName != "" {
		args = append(args, "--hub-tls-server-name="+o.HubTLSServerName)
	}
	if o.HeartbeatInterval > 0 {
		args = append(args, "--heartbeat-interval="+o.HeartbeatInterval.String())
	}
	one := int32(1)
	no, yes := false, true
	uid := int64(65532)
	labels := map[string]string{"app.kubernetes.io/name": Name}
	deploy := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(Name, Namespace),
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			// Two agents of one cluster would fight over its Lease and Works.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: Name,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   &yes,
						RunAsUser:      &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  "agent",
						Image: o.Image,
						Args:  args,
						Env: []corev1.EnvVar{{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{
							FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no,
							ReadOnlyRootFilesystem:   &yes,
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "hub", MountPath: hubMount, ReadOnly: true},
							{Name: "credentials", MountPath: credentialsDir},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "hub", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: HubSecretName}}},
						{Name: "credentials", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
	return []client.Object{ns, sa, role, binding, secret, deploy}, nil
}

func meta(name, namespace string) metav1.ObjectMeta {
	l := make(map[string]string, len(partOf))
	for k, v := range partOf {
		l[k] = v
	}
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: l}
}

// unstructuredOf converts a typed object to the form server-side apply
// takes, without status and creationTimestamp.
func unstructuredOf(o client.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("convert %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	return u, nil
}

// YAML renders the objects as one multi-document YAML stream, for
// `--dry-run -o yaml` and kubectl apply -f.
func YAML(objs []client.Object) ([]byte, error) {
	var b strings.Builder
	for i, o := range objs {
		u, err := unstructuredOf(o)
		if err != nil {
			return nil, err
		}
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(data)
	}
	return []byte(b.String()), nil
}
