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
	// Cost is the placement's hourly price; present only when the template
	// has replicas and some target is priced.
	Cost *Cost `json:"cost,omitempty"`
}

// Cost is what a placement costs an hour: for each priced target, replicas
// × (cpu cores × cpuHour + memory GiB × memoryGiBHour) of one replica's
// request, and the sum. Figures are rounded to 6 decimals.
type Cost struct {
	// CostWeight is the weight the policy gave the scheduler's Cost score
	// (annotation scheduling.karmada.io/cost-weight); 0 means the placement
	// was chosen without looking at prices.
	CostWeight int32 `json:"costWeight"`
	// CPUPerReplica (cores) and MemoryGiBPerReplica are one replica's
	// request, the sum over its containers.
	CPUPerReplica       float64 `json:"cpuPerReplica"`
	MemoryGiBPerReplica float64 `json:"memoryGiBPerReplica"`
	// Clusters are the priced targets, by cluster name.
	Clusters []ClusterCost `json:"clusters"`
	// Total is the sum of Clusters per currency, by currency; one entry when
	// the targets share a currency.
	Total []Amount `json:"total"`
	// Unpriced lists the targets without a price, by name; they are not in
	// Total.
	Unpriced []string `json:"unpriced"`
}

// ClusterCost is one target's share of a placement's cost.
type ClusterCost struct {
	Cluster  string `json:"cluster"`
	Replicas int32  `json:"replicas"`
	// CPUHour and MemoryGiBHour are the cluster's price.
	CPUHour       float64 `json:"cpuHour"`
	MemoryGiBHour float64 `json:"memoryGiBHour"`
	Currency      string  `json:"currency"`
	// Hourly is what the cluster's replicas cost an hour.
	Hourly float64 `json:"hourly"`
}

// Amount is an hourly sum in one currency.
type Amount struct {
	Currency string  `json:"currency"`
	Hourly   float64 `json:"hourly"`
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
