// Package rbacaudit judges RBAC rules against an apiserver's audit log: which
// requests of a user were denied (the rules do not suffice), and which rules
// no audited request needs (matched by that rule and by no other), so removing
// them would break nothing that was exercised.
//
// Matching follows the RBAC authorizer: a rule matches a resource request when
// its apiGroups, resources (with "*", "res/sub" and "*/sub") and verbs cover it,
// its resourceNames (when given) name the object, and, for a rule of a Role,
// the request is in the Role's namespace.
package rbacaudit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Rule is one PolicyRule of a ClusterRole or Role with where it came from.
type Rule struct {
	// Source names the rule: "ClusterRole kurator-manager rules[3]".
	Source string
	// Role is the name of the ClusterRole or Role the rule is in.
	Role string
	// Function is the comment written above the rule: the function it serves.
	Function string
	// Namespace is the Role's namespace; empty for a ClusterRole's rule.
	Namespace                                  string
	APIGroups, Resources, Verbs, ResourceNames []string
}

func (r Rule) String() string {
	s := fmt.Sprintf("%s (apiGroups %v, resources %v, verbs %v", r.Source, r.APIGroups, r.Resources, r.Verbs)
	if len(r.ResourceNames) > 0 {
		s += fmt.Sprintf(", resourceNames %v", r.ResourceNames)
	}
	return s + ")"
}

// Request is one audited resource request.
type Request struct {
	User                         string
	Verb                         string
	Group, Resource, Subresource string
	Namespace, Name              string
	Code                         int32
	Denied                       bool
	URI                          string
	NonResource                  bool
}

func (q Request) String() string {
	res := q.Resource
	if q.Subresource != "" {
		res += "/" + q.Subresource
	}
	if q.Group != "" {
		res += "." + q.Group
	}
	where := q.Name
	if q.Namespace != "" {
		where = q.Namespace + "/" + q.Name
	}
	return fmt.Sprintf("%s %s %s (%d)", q.Verb, res, where, q.Code)
}

// ParseRules reads the rules of every ClusterRole and Role in a rendered
// multi-document manifest, with the comment above each rule.
func ParseRules(manifest []byte) ([]Rule, error) {
	var rules []Rule
	dec := yaml.NewDecoder(bytes.NewReader(manifest))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return rules, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse manifest: %w", err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		top := doc.Content[0]
		kind := scalar(top, "kind")
		if kind != "ClusterRole" && kind != "Role" {
			continue
		}
		var meta struct{ Name, Namespace string }
		if m := field(top, "metadata"); m != nil {
			if err := m.Decode(&meta); err != nil {
				return nil, fmt.Errorf("%s metadata: %w", kind, err)
			}
		}
		seq := field(top, "rules")
		if seq == nil {
			continue
		}
		for i, item := range seq.Content {
			var pr struct {
				APIGroups     []string `yaml:"apiGroups"`
				Resources     []string `yaml:"resources"`
				Verbs         []string `yaml:"verbs"`
				ResourceNames []string `yaml:"resourceNames"`
			}
			if err := item.Decode(&pr); err != nil {
				return nil, fmt.Errorf("%s %s rules[%d]: %w", kind, meta.Name, i, err)
			}
			r := Rule{
				Source:    fmt.Sprintf("%s %s rules[%d]", kind, meta.Name, i),
				Role:      meta.Name,
				Function:  comment(item),
				APIGroups: pr.APIGroups, Resources: pr.Resources, Verbs: pr.Verbs, ResourceNames: pr.ResourceNames,
			}
			if kind == "Role" {
				r.Namespace = meta.Namespace
			}
			rules = append(rules, r)
		}
	}
}

// Of returns the rules of the ClusterRoles and Roles named role, in order.
func Of(rules []Rule, role string) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.Role == role {
			out = append(out, r)
		}
	}
	return out
}

func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(m *yaml.Node, key string) string {
	if n := field(m, key); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// comment is the head comment of a sequence item (yaml.v3 puts it on the
// item or on the item's first key), without the # marks, on one line.
func comment(item *yaml.Node) string {
	c := item.HeadComment
	if c == "" && item.Kind == yaml.MappingNode && len(item.Content) > 0 {
		c = item.Content[0].HeadComment
	}
	var words []string
	for _, line := range strings.Split(c, "\n") {
		words = append(words, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#")))
	}
	return strings.TrimSpace(strings.Join(words, " "))
}

// ParseAudit reads a JSON-lines audit log and returns the completed requests
// of user (every user when empty), in log order.
func ParseAudit(r io.Reader, user string) ([]Request, error) {
	var out []Request
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ev auditv1.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, fmt.Errorf("audit log line %d: %w", n, err)
		}
		if ev.Stage != auditv1.StageResponseComplete && ev.Stage != auditv1.StagePanic {
			continue
		}
		if user != "" && ev.User.Username != user {
			continue
		}
		q := Request{User: ev.User.Username, Verb: ev.Verb, URI: ev.RequestURI}
		if ev.ResponseStatus != nil {
			q.Code = ev.ResponseStatus.Code
		}
		q.Denied = ev.Annotations["authorization.k8s.io/decision"] == "forbid" || q.Code == 403
		if ev.ObjectRef == nil {
			q.NonResource = true
		} else {
			q.Group, q.Resource, q.Subresource = ev.ObjectRef.APIGroup, ev.ObjectRef.Resource, ev.ObjectRef.Subresource
			q.Namespace, q.Name = ev.ObjectRef.Namespace, ev.ObjectRef.Name
		}
		out = append(out, q)
	}
	return out, sc.Err()
}

// Matches says whether rule allows the resource request q.
func Matches(rule Rule, q Request) bool {
	if q.NonResource {
		return false
	}
	if rule.Namespace != "" && q.Namespace != rule.Namespace {
		return false
	}
	if !has(rule.APIGroups, q.Group) || !has(rule.Verbs, q.Verb) || !resourceMatches(rule.Resources, q.Resource, q.Subresource) {
		return false
	}
	if len(rule.ResourceNames) == 0 {
		return true
	}
	// The authorizer sees no name on a create or a list (the audit log may
	// record the new object's name), so resourceNames never allow them.
	if q.Verb == "create" || q.Verb == "list" || q.Verb == "watch" && q.Name == "" || q.Verb == "deletecollection" {
		return false
	}
	return slices.Contains(rule.ResourceNames, q.Name)
}

func has(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

func resourceMatches(resources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined += "/" + sub
	}
	for _, r := range resources {
		if r == "*" || r == combined {
			return true
		}
		if sub != "" && r == "*/"+sub {
			return true
		}
	}
	return false
}

// Verdict is what the audit log says about a set of rules.
type Verdict struct {
	// Denied are the requests the apiserver refused.
	Denied []Request
	// Unneeded are the rules no allowed request needs: each request they
	// match is matched by another rule too (or they match none).
	Unneeded []Rule
	// Needed maps a rule's Source to a request only it allows.
	Needed map[string]Request
}

// Judge checks rules against the audited requests.
func Judge(rules []Rule, reqs []Request) Verdict {
	v := Verdict{Needed: map[string]Request{}}
	for _, q := range reqs {
		if q.Denied {
			v.Denied = append(v.Denied, q)
			continue
		}
		only := -1
		for i, r := range rules {
			if !Matches(r, q) {
				continue
			}
			if only >= 0 {
				only = -2
				break
			}
			only = i
		}
		if only >= 0 {
			if _, ok := v.Needed[rules[only].Source]; !ok {
				v.Needed[rules[only].Source] = q
			}
		}
	}
	for _, r := range rules {
		if _, ok := v.Needed[r.Source]; !ok {
			v.Unneeded = append(v.Unneeded, r)
		}
	}
	return v
}
