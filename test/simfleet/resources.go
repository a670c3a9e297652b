package simfleet

import (
	"encoding/json"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// workloadKind says how a resource turns ready and which pods it implies.
type workloadKind int

const (
	notWorkload workloadKind = iota
	deploymentKind
	statefulSetKind
	daemonSetKind
	jobKind
)

// resource is one served resource. The table is fixed and shared by every
// cluster; a resource's idx indexes the per-cluster stores.
type resource struct {
	idx        int
	group      string
	version    string
	name       string // plural, e.g. "deployments"
	singular   string
	kind       string
	shortNames []string
	namespaced bool
	// synthetic resources (nodes, pods) are computed, not stored: read only.
	synthetic bool
	workload  workloadKind
	// hasStatus: the resource has a status subresource (writes to the main
	// resource keep the stored status).
	hasStatus bool
}

// gv is the resource's group/version as apiVersion spells it.
func (r *resource) gv() string {
	if r.group == "" {
		return r.version
	}
	return r.group + "/" + r.version
}

// groupResource is the "deployments.apps" form Stats and errors use.
func (r *resource) groupResource() string {
	if r.group == "" {
		return r.name
	}
	return r.name + "." + r.group
}

// resources is every resource the fleet serves, in discovery order.
var resources = func() []*resource {
	rs := []*resource{
		{version: "v1", name: "namespaces", singular: "namespace", kind: "Namespace", shortNames: []string{"ns"}, hasStatus: true},
		{version: "v1", name: "nodes", singular: "node", kind: "Node", shortNames: []string{"no"}, synthetic: true},
		{version: "v1", name: "pods", singular: "pod", kind: "Pod", shortNames: []string{"po"}, namespaced: true, synthetic: true},
		{version: "v1", name: "services", singular: "service", kind: "Service", shortNames: []string{"svc"}, namespaced: true, hasStatus: true},
		{version: "v1", name: "configmaps", singular: "configmap", kind: "ConfigMap", shortNames: []string{"cm"}, namespaced: true},
		{version: "v1", name: "secrets", singular: "secret", kind: "Secret", namespaced: true},
		{version: "v1", name: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount", shortNames: []string{"sa"}, namespaced: true},
		{group: "apps", version: "v1", name: "deployments", singular: "deployment", kind: "Deployment", shortNames: []string{"deploy"}, namespaced: true, workload: deploymentKind, hasStatus: true},
		{group: "apps", version: "v1", name: "statefulsets", singular: "statefulset", kind: "StatefulSet", shortNames: []string{"sts"}, namespaced: true, workload: statefulSetKind, hasStatus: true},
		{group: "apps", version: "v1", name: "daemonsets", singular: "daemonset", kind: "DaemonSet", shortNames: []string{"ds"}, namespaced: true, workload: daemonSetKind, hasStatus: true},
		{group: "batch", version: "v1", name: "jobs", singular: "job", kind: "Job", namespaced: true, workload: jobKind, hasStatus: true},
	}
	for i, r := range rs {
		r.idx = i
	}
	return rs
}()

// Indexes of the resources the code refers to by name.
var (
	namespacesRes = mustResource("", "v1", "namespaces")
	nodesRes      = mustResource("", "v1", "nodes")
	podsRes       = mustResource("", "v1", "pods")
	servicesRes   = mustResource("", "v1", "services")
)

func mustResource(group, version, name string) *resource {
	if r := lookupResource(group, version, name); r != nil {
		return r
	}
	panic("simfleet: no resource " + name)
}

func lookupResource(group, version, name string) *resource {
	for _, r := range resources {
		if r.group == group && r.version == version && r.name == name {
			return r
		}
	}
	return nil
}

// parseGVR reads "apps/v1/deployments", "v1/namespaces" or the kubectl form
// "deployments.v1.apps" / "namespaces.v1".
func parseGVR(s string) (*resource, error) {
	var group, version, name string
	if strings.Contains(s, "/") {
		parts := strings.Split(s, "/")
		switch len(parts) {
		case 2:
			version, name = parts[0], parts[1]
		case 3:
			group, version, name = parts[0], parts[1], parts[2]
		default:
			return nil, fmt.Errorf("simfleet: resource %q: want group/version/resource or version/resource", s)
		}
	} else {
		parts := strings.SplitN(s, ".", 3)
		if len(parts) < 2 {
			return nil, fmt.Errorf("simfleet: resource %q: want resource.version[.group]", s)
		}
		name, version = parts[0], parts[1]
		if len(parts) == 3 {
			group = parts[2]
		}
	}
	r := lookupResource(group, version, name)
	if r == nil {
		return nil, fmt.Errorf("simfleet: resource %q is not served", s)
	}
	return r, nil
}

// discovery holds the discovery documents, encoded once and shared by every
// cluster (they are the same for all of them).
type discovery struct {
	api       []byte            // /api
	apis      []byte            // /apis
	groups    map[string][]byte // /apis/<group>
	resources map[string][]byte // /api/v1, /apis/<group>/<version>: key gv()
}

func newDiscovery(serverAddress string) *discovery {
	d := &discovery{groups: map[string][]byte{}, resources: map[string][]byte{}}
	d.api = mustJSON(metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: serverAddress},
		},
	})
	var groupList metav1.APIGroupList
	groupList.TypeMeta = metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}
	lists := map[string]*metav1.APIResourceList{}
	var order []string
	for _, r := range resources {
		gv := r.gv()
		l, ok := lists[gv]
		if !ok {
			l = &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv}
			lists[gv] = l
			order = append(order, gv)
			if r.group != "" {
				g := metav1.APIGroup{
					TypeMeta:         metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
					Name:             r.group,
					Versions:         []metav1.GroupVersionForDiscovery{{GroupVersion: gv, Version: r.version}},
					PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: r.version},
				}
				d.groups[r.group] = mustJSON(g)
				g.TypeMeta = metav1.TypeMeta{}
				groupList.Groups = append(groupList.Groups, g)
			}
		}
		verbs := metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}
		if r.synthetic {
			verbs = metav1.Verbs{"get", "list", "watch"}
		}
		l.APIResources = append(l.APIResources, metav1.APIResource{
			Name: r.name, SingularName: r.singular, Namespaced: r.namespaced, Kind: r.kind,
			Verbs: verbs, ShortNames: r.shortNames,
		})
		if r.hasStatus {
			l.APIResources = append(l.APIResources, metav1.APIResource{
				Name: r.name + "/status", Namespaced: r.namespaced, Kind: r.kind,
				Verbs: metav1.Verbs{"get", "patch", "update"},
			})
		}
	}
	for _, gv := range order {
		d.resources[gv] = mustJSON(lists[gv])
	}
	d.apis = mustJSON(groupList)
	return d
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("simfleet: encode %T: %v", v, err))
	}
	return b
}
