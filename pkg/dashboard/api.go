// Package dashboard builds the dashboard's views of the hub: pure functions
// from typed hub objects (clusters, Fleets, bindings, Works, policies,
// events) to the JSON documents the web UI renders. The server in
// internal/dashboard reads the objects from its informer caches and filters
// them by what the user may read; nothing here does I/O.
//
// The JSON shapes below are the API contract with web/src/api/types.ts:
// change both together.
package dashboard

import "time"

// Condition is a Kubernetes condition as the UI shows it.
type Condition struct {
	Type    string    `json:"type"`
	Status  string    `json:"status"` // "True", "False", "Unknown"
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	Since   time.Time `json:"since,omitzero"` // lastTransitionTime
}

// Usage is an amount used against an amount available, in base units
// (CPU in millicores, memory in bytes, counts as they are).
type Usage struct {
	Used  int64 `json:"used"`
	Total int64 `json:"total"`
}

// ObjectRef names a hub object.
type ObjectRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Taint is a cluster taint.
type Taint struct {
	Key    string    `json:"key"`
	Value  string    `json:"value,omitempty"`
	Effect string    `json:"effect"`
	Added  time.Time `json:"added,omitzero"`
}

// Whoami says who the dashboard acts as, and for which hub.
type Whoami struct {
	User   string   `json:"user"`
	Groups []string `json:"groups,omitempty"`
	// Mode is "kubeconfig" (the dashboard's own credentials, unlocked by its
	// login token) or "token" (the user's bearer token, checked by the hub).
	Mode string `json:"mode"`
	Hub  string `json:"hub"` // the hub's API server URL
}

// Overview is the fleet at a glance: GET /api/v1/overview.
type Overview struct {
	Totals   Totals           `json:"totals"`
	Fleets   []FleetSummary   `json:"fleets"`
	Clusters []ClusterSummary `json:"clusters"` // problems first, then by region, provider, name
	// Problems lists what needs a person, worst first (NotReady clusters,
	// invalid Fleets, unhealthy workloads, failed pods).
	Problems []Problem `json:"problems"`
	// Forbidden names what the user may not read (e.g. "clusters"), so the
	// UI can say why a section is empty.
	Forbidden []string `json:"forbidden,omitempty"`
}

// Totals are sums across the clusters the user may see.
type Totals struct {
	Clusters         int   `json:"clusters"`
	ReadyClusters    int   `json:"readyClusters"`
	Nodes            Usage `json:"nodes"`  // ready / total
	Pods             Usage `json:"pods"`   // running / total
	CPU              Usage `json:"cpu"`    // requested / allocatable, millicores
	Memory           Usage `json:"memory"` // requested / allocatable, bytes
	Workloads        int   `json:"workloads"`
	HealthyWorkloads int   `json:"healthyWorkloads"`
}

// FleetSummary is one Fleet.
type FleetSummary struct {
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Clusters  []string   `json:"clusters"`
	Valid     *Condition `json:"valid,omitempty"`
}

// ClusterSummary is one member cluster as the overview shows it.
type ClusterSummary struct {
	Name              string    `json:"name"`
	Namespace         string    `json:"namespace"`
	Region            string    `json:"region,omitempty"`
	Zone              string    `json:"zone,omitempty"`
	Provider          string    `json:"provider,omitempty"`
	Fleet             string    `json:"fleet,omitempty"`
	Ready             Condition `json:"ready"` // Status "Unknown" before the first probe
	KubernetesVersion string    `json:"kubernetesVersion,omitempty"`
	Nodes             Usage     `json:"nodes"`  // ready / total
	Pods              Usage     `json:"pods"`   // running / total
	CPU               Usage     `json:"cpu"`    // requested / allocatable, millicores
	Memory            Usage     `json:"memory"` // requested / allocatable, bytes
	FailedPods        int       `json:"failedPods"`
	Taints            []Taint   `json:"taints,omitempty"`
	Workloads         int       `json:"workloads"` // workloads placed here that the user may see
}

// Problem is one thing that needs attention.
type Problem struct {
	Severity string    `json:"severity"` // "error" or "warning"
	Object   ObjectRef `json:"object"`
	Cluster  string    `json:"cluster,omitempty"`
	Message  string    `json:"message"`
	Since    time.Time `json:"since,omitzero"`
}

// ClusterDetail is GET /api/v1/clusters/{name}.
type ClusterDetail struct {
	Summary    ClusterSummary    `json:"summary"`
	Conditions []Condition       `json:"conditions"`
	History    []Transition      `json:"history"` // condition changes, newest first
	Nodes      []Node            `json:"nodes"`
	PodIssues  []PodIssue        `json:"podIssues"` // failed or stuck pods, capped by the hub
	Workloads  []ClusterWorkload `json:"workloads"`
	Events     []Event           `json:"events"`              // newest first
	Labels     map[string]string `json:"labels,omitempty"`    // the labels placement selectors match
	APIServer  string            `json:"apiServer,omitempty"` // spec.apiEndpoint, else where the hub reads it
}

// Transition is one change of a condition, read from the hub's events.
type Transition struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // condition type, e.g. "Ready"
	From    string    `json:"from"`
	To      string    `json:"to"`
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
}

// Node is one node of a member, as the hub last collected it.
type Node struct {
	Name          string `json:"name"`
	Ready         bool   `json:"ready"`
	Reason        string `json:"reason,omitempty"` // why not ready
	Unschedulable bool   `json:"unschedulable,omitempty"`
	CPU           int64  `json:"cpu"`    // allocatable millicores
	Memory        int64  `json:"memory"` // allocatable bytes
	Pods          int64  `json:"pods"`   // allocatable pod slots
}

// PodIssue is a pod that failed or cannot start.
type PodIssue struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Reason    string `json:"reason"`
	Message   string `json:"message,omitempty"`
}

// ClusterWorkload is a workload placed on one cluster.
type ClusterWorkload struct {
	Ref     ObjectRef `json:"ref"`
	Binding string    `json:"binding"` // for the workload page link
	Desired int32     `json:"desired"`
	Ready   int32     `json:"ready"`
	Health  string    `json:"health"` // see WorkloadSummary.Health
	Applied bool      `json:"applied"`
	Message string    `json:"message,omitempty"`
}

// Event is a hub event.
type Event struct {
	Type     string    `json:"type"` // "Normal" or "Warning"
	Reason   string    `json:"reason"`
	Message  string    `json:"message"`
	Object   ObjectRef `json:"object"`
	Count    int32     `json:"count"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	Reporter string    `json:"reporter,omitempty"`
}

// WorkloadList is GET /api/v1/workloads?namespace=&fleet=&cluster=&health=.
type WorkloadList struct {
	Items []WorkloadSummary `json:"items"`
	// Namespaces, Clusters and Fleets are the filter choices: every value
	// present among the workloads the user may see (before filtering).
	Namespaces []string `json:"namespaces"`
	Clusters   []string `json:"clusters"`
	Fleets     []string `json:"fleets"`
}

// Workload health, worst last.
const (
	HealthHealthy     = "Healthy"     // every wanted replica is ready everywhere
	HealthProgressing = "Progressing" // applied, replicas still coming up
	HealthDegraded    = "Degraded"    // a member reports it unhealthy or apply failed
	HealthUnscheduled = "Unscheduled" // no placement fits
	HealthUnknown     = "Unknown"     // no status yet
)

// WorkloadSummary is one propagated resource.
type WorkloadSummary struct {
	Ref       ObjectRef         `json:"ref"`
	Binding   string            `json:"binding"`
	Policy    *ObjectRef        `json:"policy,omitempty"`
	Fleet     string            `json:"fleet,omitempty"`
	Desired   int32             `json:"desired"` // replicas wanted over the fleet
	Ready     int32             `json:"ready"`
	Health    string            `json:"health"`
	Message   string            `json:"message,omitempty"` // why not healthy
	Clusters  []WorkloadCluster `json:"clusters"`          // the distribution, by name
	Scheduled *Condition        `json:"scheduled,omitempty"`
	Updated   time.Time         `json:"updated,omitzero"`
}

// WorkloadCluster is the share of one workload on one cluster.
type WorkloadCluster struct {
	Name     string `json:"name"`
	Replicas int32  `json:"replicas"`
	Ready    int32  `json:"ready"`
	Health   string `json:"health"`
	Applied  bool   `json:"applied"`
	Message  string `json:"message,omitempty"`
	Evicting bool   `json:"evicting,omitempty"`
}

// WorkloadDetail is GET /api/v1/workloads/{namespace}/{binding}.
type WorkloadDetail struct {
	Summary    WorkloadSummary  `json:"summary"`
	Placement  Placement        `json:"placement"`
	Overrides  []ClusterRender  `json:"overrides"` // one per target cluster
	Failover   []FailoverRecord `json:"failover"`  // newest first
	Conditions []Condition      `json:"conditions"`
	Events     []Event          `json:"events"`
	// Rollout is the Rollout that delivers the workload's new revisions,
	// if any (and the user may read it).
	Rollout *ObjectRef `json:"rollout,omitempty"`
}

// Placement is the scheduler's decision for the workload, recomputed from
// the cached objects by the same core the hub and `kurator plan` use.
type Placement struct {
	Chosen   []ChosenCluster   `json:"chosen"`
	Excluded []ExcludedCluster `json:"excluded"`
	// Summary describes the policy's placement in words ("clusterNames:
	// cluster-hangzhou, cluster-shanghai; static weights 3:2").
	Summary      string `json:"summary,omitempty"`
	AffinityName string `json:"affinityName,omitempty"`
	Error        string `json:"error,omitempty"` // no placement fits
	// Differs is set when the recomputed decision is not what the binding
	// holds (the hub has not caught up yet, or a reschedule is pending).
	Differs bool `json:"differs,omitempty"`
}

// ChosenCluster is a target with its replicas.
type ChosenCluster struct {
	Name     string `json:"name"`
	Replicas int32  `json:"replicas"`
}

// ExcludedCluster is a cluster the scheduler left out, with the reason.
type ExcludedCluster struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// ClusterRender is what one member receives: the overrides that matched and
// a line diff of the template against the rendered object.
type ClusterRender struct {
	Cluster   string      `json:"cluster"`
	Overrides []ObjectRef `json:"overrides"`
	Diff      []DiffLine  `json:"diff"`
	Changed   int         `json:"changed"` // lines added + removed
	Error     string      `json:"error,omitempty"`
}

// DiffLine is one line of a unified diff of two YAML documents.
type DiffLine struct {
	Op   string `json:"op"` // " " same, "+" only in the rendered object, "-" only in the template
	Text string `json:"text"`
}

// FailoverRecord is one eviction of the workload from a cluster.
type FailoverRecord struct {
	Time    time.Time `json:"time,omitzero"`
	Cluster string    `json:"cluster"`
	Reason  string    `json:"reason"`
	Message string    `json:"message,omitempty"`
	Active  bool      `json:"active"` // the eviction task is still on the binding
}

// PolicyList is GET /api/v1/policies.
type PolicyList struct {
	Items []PolicySummary `json:"items"`
}

// PolicySummary is one Propagation or Override policy.
type PolicySummary struct {
	Ref       ObjectRef   `json:"ref"` // Kind: PropagationPolicy, ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy
	Ready     *Condition  `json:"ready,omitempty"`
	Priority  int32       `json:"priority,omitempty"`
	Selectors []string    `json:"selectors"` // resource selectors in words ("apps/v1 Deployment nginx")
	Summary   string      `json:"summary"`   // placement or overriders in words
	Claimed   int32       `json:"claimed"`
	Resources []ObjectRef `json:"resources"` // the claimed resources, up to the hub's cap
}

// RolloutList is GET /api/v1/rollouts?namespace=.
type RolloutList struct {
	Items []RolloutSummary `json:"items"`
	// Namespaces are the filter choices: every namespace among the Rollouts
	// the user may see (before filtering).
	Namespaces []string `json:"namespaces"`
	// Unavailable says why there are no Rollouts to show at all (the hub
	// has no Rollout CRD), so the UI need not guess.
	Unavailable string `json:"unavailable,omitempty"`
}

// Rollout strategies, as RolloutSummary.Strategy names them.
const (
	StrategyCanary    = "canary"
	StrategyABTest    = "ab"
	StrategyBlueGreen = "bluegreen"
)

// RolloutSummary is one Rollout as the list shows it.
type RolloutSummary struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Workload  ObjectRef `json:"workload"`
	// Binding names the workload page of the target ("" when the workload
	// is not propagated or the user may not read it).
	Binding  string `json:"binding,omitempty"`
	Strategy string `json:"strategy"` // StrategyCanary, StrategyABTest or StrategyBlueGreen
	// Phase is status.phase; "Pending" before the controller wrote any.
	Phase  string   `json:"phase"`
	Paused bool     `json:"paused,omitempty"` // spec.rolloutPolicy.suspend
	Stage  StageRef `json:"stage"`
	Stable string   `json:"stable,omitempty"`
	Canary string   `json:"canary,omitempty"`
	Failed string   `json:"failed,omitempty"` // the last revision that failed
	// Weights are the canary's share per cluster, by stage then name.
	Weights []ClusterWeight `json:"weights"`
	// Message says what needs a person: the spec or target is unusable
	// (Ready False), or the newest failed gate of a failing run.
	Message string    `json:"message,omitempty"`
	Started time.Time `json:"started,omitzero"` // status.startTime of the current run
}

// StageRef is the stage in progress: Index (0-based) of Total, by name.
type StageRef struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	Total int    `json:"total"`
}

// ClusterWeight is a cluster's canary weight.
type ClusterWeight struct {
	Cluster string `json:"cluster"`
	Stage   int    `json:"stage"`
	Phase   string `json:"phase"`
	Weight  int    `json:"weight"`
}

// RolloutDetail is GET /api/v1/rollouts/{namespace}/{name}.
type RolloutDetail struct {
	Summary RolloutSummary  `json:"summary"`
	Spec    RolloutSpecView `json:"spec"`
	// Stages are the waves in order, each with the clusters status puts
	// in it and whether it is done, current, pending, failed or rolled back.
	Stages   []RolloutStageView `json:"stages"`
	Clusters []RolloutCluster   `json:"clusters"` // by stage then name
	Gates    []GateVerdict      `json:"gates"`    // newest first
	History  []RolloutRunView   `json:"history"`  // newest first
	// LastAction is the last promote/abort the controller consumed.
	LastAction string      `json:"lastAction,omitempty"`
	Conditions []Condition `json:"conditions"`
	Events     []Event     `json:"events"` // newest first
}

// RolloutSpecView is the spec in words.
type RolloutSpecView struct {
	Service string `json:"service"` // "reviews:9080"
	// Strategy in one sentence ("canary: 10% -> 20% -> 50% of traffic, then
	// promotion").
	Strategy string `json:"strategy"`
	// Steps are the canary weights in order (canary only).
	Steps []int `json:"steps"`
	// Analysis in one sentence: interval, tolerance, warm-up.
	Analysis string          `json:"analysis"`
	Metrics  []RolloutMetric `json:"metrics"`
	Webhooks []RolloutHook   `json:"webhooks"`
	// Routing: timeout, retries, gateways and hosts in words ("" if none).
	Routing string `json:"routing,omitempty"`
	// Timeout in words ("a canary not ready within 600 s fails the run").
	Timeout string `json:"timeout"`
}

// RolloutMetric is one metric check.
type RolloutMetric struct {
	Name     string `json:"name"`
	BuiltIn  bool   `json:"builtIn"`
	Range    string `json:"range"`    // "≥ 99", "≤ 500", "90 – 100", "any value"
	Interval string `json:"interval"` // the query window, "1m"
	Query    string `json:"query,omitempty"`
}

// RolloutHook is one webhook.
type RolloutHook struct {
	Name string `json:"name"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Stage states, as RolloutStageView.State names them.
const (
	StageDone       = "done"
	StageCurrent    = "current"
	StagePending    = "pending"
	StageFailed     = "failed"
	StageRolledBack = "rolledback"
)

// RolloutStageView is one wave of clusters.
type RolloutStageView struct {
	Index    int      `json:"index"`
	Name     string   `json:"name"`
	Selects  string   `json:"selects"`  // the selector in words
	Clusters []string `json:"clusters"` // as status places them
	// Rules in words: concurrency, bake time, tolerated failures.
	Rules string `json:"rules"`
	State string `json:"state"`
}

// RolloutCluster is one cluster's state in the run.
type RolloutCluster struct {
	Name            string    `json:"name"`
	Stage           int       `json:"stage"`
	StageName       string    `json:"stageName"`
	Phase           string    `json:"phase"`
	CanaryWeight    int       `json:"canaryWeight"`
	MatchedToCanary bool      `json:"matchedToCanary,omitempty"`
	Iterations      int       `json:"iterations"`
	FailedChecks    int       `json:"failedChecks"`
	PrimaryRevision string    `json:"primaryRevision,omitempty"`
	LastCheck       time.Time `json:"lastCheck,omitzero"`
	Since           time.Time `json:"since,omitzero"` // lastTransitionTime
	Message         string    `json:"message,omitempty"`
}

// GateVerdict is one gate's verdict.
type GateVerdict struct {
	Time    time.Time `json:"time"`
	Cluster string    `json:"cluster,omitempty"` // "" for the whole rollout
	Gate    string    `json:"gate"`
	Kind    string    `json:"kind"` // metric, webhook, readiness, deadline or action
	Passed  bool      `json:"passed"`
	Value   string    `json:"value,omitempty"`
	Reason  string    `json:"reason"`
	Message string    `json:"message,omitempty"`
}

// RolloutRunView is one finished run.
type RolloutRunView struct {
	Revision string    `json:"revision"`
	From     string    `json:"from,omitempty"`
	Phase    string    `json:"phase"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	Seconds  int64     `json:"seconds,omitempty"` // end - start, when both are known
	Message  string    `json:"message,omitempty"`
}

// Change is one server-sent event on GET /api/v1/watch (event name
// "change"): which views may have changed. The UI refetches what it shows.
type Change struct {
	Topics  []string `json:"topics"` // "clusters", "fleets", "workloads", "policies", "rollouts", "events"
	Version uint64   `json:"version"`
}

// Error is the body of every non-2xx API answer.
type Error struct {
	Error string `json:"error"`
	// Hint says what to do about it ("log in again with the URL kurator up
	// printed", "ask for get on deployments in team-a").
	Hint string `json:"hint,omitempty"`
}
