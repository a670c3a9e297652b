package plan

// The types below are the JSON contract of `kurator plan -o json`, documented
// field by field in docs/plan.md. Keep them stable: add fields, never rename
// or remove them. Fields without omitempty are always present so consumers
// need not tell "absent" from "empty".

// Output is the decision for every resource template of the input.
type Output struct {
	// Workloads are in (apiVersion, kind, namespace, name) order.
	Workloads []Workload `json:"workloads"`
}

// Workload is the decision for one resource template.
type Workload struct {
	Resource ResourceRef `json:"resource"`
	// Policy is the PropagationPolicy or ClusterPropagationPolicy that claims
	// the resource; nil when none does (the resource stays on the hub).
	Policy *PolicyRef `json:"policy"`
	// Replicas the template asks for; 0 for kinds without replicas.
	Replicas int32 `json:"replicas"`
	// Targets are sorted by cluster name and leave out clusters given no
	// replicas; for kinds without replicas every target has 0.
	Targets []Target `json:"targets"`
	// Excluded lists the other clusters with the reason, by cluster name.
	Excluded []Exclusion `json:"excluded"`
	// Error says why the resource could not be placed or rendered; "" when
	// it was.
	Error string `json:"error"`
	// Manifests are the objects each target cluster would receive, by
	// cluster name; only with Options.Render.
	Manifests map[string][]map[string]any `json:"manifests,omitempty"`
}

// ResourceRef names a resource template.
type ResourceRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Namespace is "" for cluster-scoped kinds.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// PolicyRef names a propagation policy.
type PolicyRef struct {
	// Kind is PropagationPolicy or ClusterPropagationPolicy.
	Kind string `json:"kind"`
	// Namespace is "" for a ClusterPropagationPolicy.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Target is one cluster the resource goes to.
type Target struct {
	Cluster  string `json:"cluster"`
	Replicas int32  `json:"replicas"`
}

// Exclusion is a cluster the resource does not go to, and why.
type Exclusion struct {
	Cluster string `json:"cluster"`
	Reason  string `json:"reason"`
}
