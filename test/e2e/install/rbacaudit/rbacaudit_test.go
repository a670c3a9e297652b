package rbacaudit

import (
	"strings"
	"testing"
)

func TestMatches(t *testing.T) {
	read := Rule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}
	scale := Rule{APIGroups: []string{"*"}, Resources: []string{"*/scale"}, Verbs: []string{"update"}}
	works := Rule{APIGroups: []string{"work.kurator.dev"}, Resources: []string{"works"}, Verbs: []string{"create"}}
	status := Rule{APIGroups: []string{"apps"}, Resources: []string{"deployments/status"}, Verbs: []string{"update"}}
	lease := Rule{Namespace: "kurator-system", APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"},
		ResourceNames: []string{"kurator-manager"}, Verbs: []string{"update", "create"}}
	cases := []struct {
		name string
		rule Rule
		q    Request
		want bool
	}{
		{"a wildcard read covers a subresource read", read, Request{Verb: "get", Group: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"a wildcard read does not cover a write", read, Request{Verb: "patch", Group: "apps", Resource: "deployments"}, false},
		{"*/scale covers the scale of any kind", scale, Request{Verb: "update", Group: "apps", Resource: "statefulsets", Subresource: "scale"}, true},
		{"*/scale does not cover the resource itself", scale, Request{Verb: "update", Group: "apps", Resource: "statefulsets"}, false},
		{"*/scale does not cover another subresource", scale, Request{Verb: "update", Group: "apps", Resource: "statefulsets", Subresource: "status"}, false},
		{"a resource rule does not cover its status", works, Request{Verb: "create", Group: "work.kurator.dev", Resource: "works", Subresource: "status"}, false},
		{"another group does not match", works, Request{Verb: "create", Group: "cluster.kurator.dev", Resource: "works"}, false},
		{"res/sub covers that subresource", status, Request{Verb: "update", Group: "apps", Resource: "deployments", Subresource: "status"}, true},
		{"a Role rule matches in its namespace", lease, Request{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: "kurator-system", Name: "kurator-manager"}, true},
		{"a Role rule does not match in another namespace", lease, Request{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: "default", Name: "kurator-manager"}, false},
		{"resourceNames do not match another name", lease, Request{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: "kurator-system", Name: "other"}, false},
		{"resourceNames never allow a create, even with the new name logged", lease, Request{Verb: "create", Group: "coordination.k8s.io", Resource: "leases", Namespace: "kurator-system", Name: "kurator-manager"}, false},
		{"a non-resource request matches no resource rule", read, Request{Verb: "get", NonResource: true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Matches(c.rule, c.q); got != c.want {
				t.Fatalf("Matches(%v, %v) = %v, want %v", c.rule, c.q, got, c.want)
			}
		})
	}
}

const manifest = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: kurator-manager
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kurator-manager
rules:
  # detector: read templates
  # of any kind.
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["get", "list", "watch"]
  # binding controller: write Works.
  - apiGroups: ["work.kurator.dev"]
    resources: ["works"]
    verbs: ["create", "update"]
  # status: Work status.
  - apiGroups: ["work.kurator.dev"]
    resources: ["works/status"]
    verbs: ["patch"]
  # overlap: also Works.
  - apiGroups: ["work.kurator.dev"]
    resources: ["works"]
    verbs: ["update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: kurator-manager
  namespace: kurator-system
rules:
  # leader election: the Lease.
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["create"]
`

func TestParseRulesKeepsEachRulesComment(t *testing.T) {
	rules, err := ParseRules([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ source, function, namespace string }{
		{"ClusterRole kurator-manager rules[0]", "detector: read templates of any kind.", ""},
		{"ClusterRole kurator-manager rules[1]", "binding controller: write Works.", ""},
		{"ClusterRole kurator-manager rules[2]", "status: Work status.", ""},
		{"ClusterRole kurator-manager rules[3]", "overlap: also Works.", ""},
		{"Role kurator-manager rules[0]", "leader election: the Lease.", "kurator-system"},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %d rules, want %d: %v", len(rules), len(want), rules)
	}
	for i, w := range want {
		if rules[i].Source != w.source || rules[i].Function != w.function || rules[i].Namespace != w.namespace {
			t.Errorf("rule %d = %q %q %q, want %q %q %q", i, rules[i].Source, rules[i].Function, rules[i].Namespace, w.source, w.function, w.namespace)
		}
	}
}

const auditLog = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1","stage":"RequestReceived","requestURI":"/apis/work.kurator.dev/v1alpha1/namespaces/karmada-es-a/works","verb":"create","user":{"username":"system:serviceaccount:kurator-system:kurator-manager"},"objectRef":{"resource":"works","namespace":"karmada-es-a","apiGroup":"work.kurator.dev","apiVersion":"v1alpha1"}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1","stage":"ResponseComplete","requestURI":"/apis/work.kurator.dev/v1alpha1/namespaces/karmada-es-a/works","verb":"create","user":{"username":"system:serviceaccount:kurator-system:kurator-manager"},"objectRef":{"resource":"works","namespace":"karmada-es-a","name":"w","apiGroup":"work.kurator.dev","apiVersion":"v1alpha1"},"responseStatus":{"metadata":{},"code":201},"annotations":{"authorization.k8s.io/decision":"allow"}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"2","stage":"ResponseComplete","requestURI":"/apis/work.kurator.dev/v1alpha1/namespaces/karmada-es-a/works/w","verb":"update","user":{"username":"system:serviceaccount:kurator-system:kurator-manager"},"objectRef":{"resource":"works","namespace":"karmada-es-a","name":"w","apiGroup":"work.kurator.dev","apiVersion":"v1alpha1"},"responseStatus":{"metadata":{},"code":200},"annotations":{"authorization.k8s.io/decision":"allow"}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"3","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"system:serviceaccount:kurator-system:kurator-manager"},"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"annotations":{"authorization.k8s.io/decision":"allow"}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"4","stage":"ResponseComplete","requestURI":"/api/v1/nodes","verb":"delete","user":{"username":"system:serviceaccount:kurator-system:kurator-manager"},"objectRef":{"resource":"nodes","name":"n1","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":403},"annotations":{"authorization.k8s.io/decision":"forbid"}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5","stage":"ResponseComplete","requestURI":"/apis","verb":"get","user":{"username":"system:serviceaccount:kurator-system:kurator-manager"},"responseStatus":{"metadata":{},"code":200}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6","stage":"ResponseComplete","requestURI":"/api/v1/namespaces","verb":"create","user":{"username":"admin"},"objectRef":{"resource":"namespaces","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201}}
`

func TestJudgeNamesDeniedRequestsAndUnneededRules(t *testing.T) {
	rules, err := ParseRules([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := ParseAudit(strings.NewReader(auditLog), "system:serviceaccount:kurator-system:kurator-manager")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 5 {
		t.Fatalf("want the 5 completed requests of the manager, got %d: %v", len(reqs), reqs)
	}
	v := Judge(rules, reqs)
	if len(v.Denied) != 1 || v.Denied[0].Resource != "nodes" || v.Denied[0].Verb != "delete" {
		t.Errorf("denied = %v, want the delete of node n1", v.Denied)
	}
	// rules[0] alone allows the list of pods, rules[1] alone the create of a
	// Work; the update of a Work is allowed by rules[1] and rules[3], so it
	// makes neither needed; nothing patches Work status and nothing creates
	// a Lease.
	var unneeded []string
	for _, r := range v.Unneeded {
		unneeded = append(unneeded, r.Source)
	}
	want := []string{"ClusterRole kurator-manager rules[2]", "ClusterRole kurator-manager rules[3]", "Role kurator-manager rules[0]"}
	if strings.Join(unneeded, "; ") != strings.Join(want, "; ") {
		t.Errorf("unneeded = %v, want %v", unneeded, want)
	}
	if q := v.Needed["ClusterRole kurator-manager rules[1]"]; q.Verb != "create" {
		t.Errorf("rules[1] should be needed by the create of a Work, got %v", q)
	}
	if q := v.Needed["ClusterRole kurator-manager rules[0]"]; q.Resource != "pods" {
		t.Errorf("rules[0] should be needed by the list of pods, got %v", q)
	}
}

func TestOfKeepsOnlyTheNamedRolesRules(t *testing.T) {
	rules, err := ParseRules([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		role string
		want int
	}{
		{"the ClusterRole's four and the Role's one rule of kurator-manager", "kurator-manager", 5},
		{"a role the manifest does not hold has no rules", "kurator-dashboard", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Of(rules, c.role)
			if len(got) != c.want {
				t.Fatalf("Of(%s) = %d rules, want %d: %v", c.role, len(got), c.want, got)
			}
			for _, r := range got {
				if r.Role != c.role {
					t.Errorf("Of(%s) returned %s of role %q", c.role, r.Source, r.Role)
				}
			}
		})
	}
}
