// The JSON API contract, field for field with pkg/dashboard/api.go (change
// both together). A Go slice without omitempty is JSON null when nil: such
// fields are List<T>, and the UI reads them through list() in ./client.ts. Times are RFC 3339 strings; a Go `omitzero` time is absent
// when zero, an `omitempty` field is absent when empty.

/** A Go slice: an array, or null when the server's slice was nil. */
export type List<T> = T[] | null;

/** A Kubernetes condition as the UI shows it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  /** lastTransitionTime */
  since?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** An amount used against an amount available, in base units (CPU in millicores, memory in bytes). */
export interface Usage {
  used: number;
  total: number;
}

/** Names a hub object. */
export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  added?: string;
}

/** GET /api/v1/whoami */
export interface Whoami {
  user: string;
  groups?: string[];
  /** "kubeconfig" (the dashboard's own credentials, unlocked by its login token) or "token" (the user's bearer token). */
  mode: string;
  /** the hub's API server URL */
  hub: string;
}

/** GET /api/v1/overview */
export interface Overview {
  totals: Totals;
  fleets: List<FleetSummary>;
  /** problems first, then by region, provider, name */
  clusters: List<ClusterSummary>;
  /** what needs a person, worst first */
  problems: List<Problem>;
  /** what the user may not read (e.g. "clusters") */
  forbidden?: string[];
}

export interface Totals {
  clusters: number;
  readyClusters: number;
  /** ready / total */
  nodes: Usage;
  /** running / total */
  pods: Usage;
  /** requested / allocatable, millicores */
  cpu: Usage;
  /** requested / allocatable, bytes */
  memory: Usage;
  workloads: number;
  healthyWorkloads: number;
}

export interface FleetSummary {
  namespace: string;
  name: string;
  clusters: List<string>;
  valid?: Condition;
}

export interface ClusterSummary {
  name: string;
  namespace: string;
  region?: string;
  zone?: string;
  provider?: string;
  fleet?: string;
  /** Status "Unknown" before the first probe */
  ready: Condition;
  kubernetesVersion?: string;
  nodes: Usage;
  pods: Usage;
  cpu: Usage;
  memory: Usage;
  failedPods: number;
  taints?: Taint[];
  /** workloads placed here that the user may see */
  workloads: number;
}

export interface Problem {
  severity: 'error' | 'warning' | string;
  object: ObjectRef;
  cluster?: string;
  message: string;
  since?: string;
}

/** GET /api/v1/clusters/{name} */
export interface ClusterDetail {
  summary: ClusterSummary;
  conditions: List<Condition>;
  /** condition changes, newest first */
  history: List<Transition>;
  nodes: List<Node>;
  podIssues: List<PodIssue>;
  workloads: List<ClusterWorkload>;
  /** newest first */
  events: List<Event>;
  labels?: Record<string, string>;
  apiServer?: string;
}

export interface Transition {
  time: string;
  type: string;
  from: string;
  to: string;
  reason?: string;
  message?: string;
}

export interface Node {
  name: string;
  ready: boolean;
  reason?: string;
  unschedulable?: boolean;
  /** allocatable millicores */
  cpu: number;
  /** allocatable bytes */
  memory: number;
  /** allocatable pod slots */
  pods: number;
}

export interface PodIssue {
  namespace: string;
  name: string;
  reason: string;
  message?: string;
}

export interface ClusterWorkload {
  ref: ObjectRef;
  /** the binding's name, for the workload page link */
  binding: string;
  desired: number;
  ready: number;
  health: Health;
  applied: boolean;
  message?: string;
}

export interface Event {
  type: 'Normal' | 'Warning' | string;
  reason: string;
  message: string;
  object: ObjectRef;
  count: number;
  first?: string;
  last?: string;
  reporter?: string;
}

/** GET /api/v1/workloads?namespace=&fleet=&cluster=&health= */
export interface WorkloadList {
  items: List<WorkloadSummary>;
  /** filter choices: every value among the workloads the user may see (before filtering) */
  namespaces: List<string>;
  clusters: List<string>;
  fleets: List<string>;
}

/** Workload health, worst last. */
export type Health = 'Healthy' | 'Progressing' | 'Degraded' | 'Unscheduled' | 'Unknown';
export const HEALTHS: readonly Health[] = ['Healthy', 'Progressing', 'Degraded', 'Unscheduled', 'Unknown'];

export interface WorkloadSummary {
  ref: ObjectRef;
  binding: string;
  policy?: ObjectRef;
  fleet?: string;
  /** replicas wanted over the fleet */
  desired: number;
  ready: number;
  health: Health;
  /** why not healthy */
  message?: string;
  /** the distribution, by name */
  clusters: List<WorkloadCluster>;
  scheduled?: Condition;
  updated?: string;
}

export interface WorkloadCluster {
  name: string;
  replicas: number;
  ready: number;
  health: Health;
  applied: boolean;
  message?: string;
  evicting?: boolean;
}

/** GET /api/v1/workloads/{namespace}/{binding} */
export interface WorkloadDetail {
  summary: WorkloadSummary;
  placement: Placement;
  /** one per target cluster */
  overrides: List<ClusterRender>;
  /** newest first */
  failover: List<FailoverRecord>;
  conditions: List<Condition>;
  events: List<Event>;
  /** the Rollout that delivers the workload's new revisions, if any */
  rollout?: ObjectRef;
}

export interface Placement {
  chosen: List<ChosenCluster>;
  excluded: List<ExcludedCluster>;
  summary?: string;
  affinityName?: string;
  /** no placement fits */
  error?: string;
  /** the recomputed decision is not what the binding holds */
  differs?: boolean;
}

export interface ChosenCluster {
  name: string;
  replicas: number;
}

export interface ExcludedCluster {
  name: string;
  reason: string;
}

export interface ClusterRender {
  cluster: string;
  overrides: List<ObjectRef>;
  diff: List<DiffLine>;
  /** lines added + removed */
  changed: number;
  error?: string;
}

export interface DiffLine {
  /** " " same, "+" only in the rendered object, "-" only in the template */
  op: ' ' | '+' | '-';
  text: string;
}

export interface FailoverRecord {
  time?: string;
  cluster: string;
  reason: string;
  message?: string;
  /** the eviction task is still on the binding */
  active: boolean;
}

/** GET /api/v1/policies */
export interface PolicyList {
  items: List<PolicySummary>;
}

export interface PolicySummary {
  /** Kind: PropagationPolicy, ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy */
  ref: ObjectRef;
  ready?: Condition;
  priority?: number;
  /** resource selectors in words */
  selectors: List<string>;
  /** placement or overriders in words */
  summary: string;
  claimed: number;
  /** the claimed resources, up to the hub's cap */
  resources: List<ObjectRef>;
}

/** GET /api/v1/rollouts?namespace= */
export interface RolloutList {
  items: List<RolloutSummary>;
  /** every namespace among the Rollouts the user may see (before filtering) */
  namespaces: List<string>;
  /** why there are no Rollouts at all (the hub has no Rollout CRD) */
  unavailable?: string;
}

export type RolloutStrategy = 'canary' | 'ab' | 'bluegreen';

/** Rollout phases; "Pending" before the controller wrote a status. */
export type RolloutPhase = 'Pending' | 'Initializing' | 'Initialized' | 'Waiting' | 'Progressing' | 'RollingBack' | 'Succeeded' | 'Failed';

export interface RolloutSummary {
  namespace: string;
  name: string;
  workload: ObjectRef;
  /** the target's workload page, when it is propagated and readable */
  binding?: string;
  strategy: RolloutStrategy;
  phase: RolloutPhase | string;
  paused?: boolean;
  stage: StageRef;
  stable?: string;
  canary?: string;
  /** the last revision that failed */
  failed?: string;
  /** the canary's share per cluster, by stage then name */
  weights: List<ClusterWeight>;
  /** what needs a person */
  message?: string;
  started?: string;
}

/** The stage in progress: index (0-based) of total. */
export interface StageRef {
  index: number;
  name?: string;
  total: number;
}

export interface ClusterWeight {
  cluster: string;
  stage: number;
  phase: string;
  weight: number;
}

/** GET /api/v1/rollouts/{namespace}/{name} */
export interface RolloutDetail {
  summary: RolloutSummary;
  spec: RolloutSpecView;
  stages: List<RolloutStageView>;
  /** by stage then name */
  clusters: List<RolloutCluster>;
  /** newest first */
  gates: List<GateVerdict>;
  /** newest first */
  history: List<RolloutRunView>;
  lastAction?: string;
  conditions: List<Condition>;
  events: List<Event>;
}

/** The spec in words. */
export interface RolloutSpecView {
  service: string;
  strategy: string;
  /** canary weights in order (canary only) */
  steps: List<number>;
  analysis: string;
  metrics: List<RolloutMetric>;
  webhooks: List<RolloutHook>;
  routing?: string;
  timeout: string;
}

export interface RolloutMetric {
  name: string;
  builtIn: boolean;
  /** "≥ 99 %", "≤ 500 ms", "any value" */
  range: string;
  interval: string;
  query?: string;
}

export interface RolloutHook {
  name: string;
  type: string;
  url: string;
}

export type StageState = 'done' | 'current' | 'pending' | 'failed' | 'rolledback';

export interface RolloutStageView {
  index: number;
  name: string;
  /** the selector in words */
  selects: string;
  clusters: List<string>;
  /** concurrency, bake time, tolerated failures in words */
  rules: string;
  state: StageState;
}

export interface RolloutCluster {
  name: string;
  stage: number;
  stageName: string;
  phase: string;
  canaryWeight: number;
  matchedToCanary?: boolean;
  iterations: number;
  failedChecks: number;
  primaryRevision?: string;
  lastCheck?: string;
  since?: string;
  message?: string;
}

export interface GateVerdict {
  time: string;
  /** absent for the whole rollout */
  cluster?: string;
  gate: string;
  /** metric, webhook, readiness, deadline or action */
  kind: string;
  passed: boolean;
  value?: string;
  reason: string;
  message?: string;
}

export interface RolloutRunView {
  revision: string;
  from?: string;
  phase: string;
  start?: string;
  end?: string;
  /** end - start, when both are known */
  seconds?: number;
  message?: string;
}

/** GET /api/v1/applications?namespace= */
export interface ApplicationList {
  items: List<ApplicationSummary>;
  /** every namespace among the Applications the user may see (before filtering) */
  namespaces: List<string>;
  /** why there are no Applications at all (the hub has no Application CRD) */
  unavailable?: string;
}

export interface ApplicationSummary {
  namespace: string;
  name: string;
  /** the source in words: "package mes:v1.2", "git https://… (branch main)" */
  source: string;
  /** destination fleets, in policy order */
  fleets: List<string>;
  /** status.revision: the AppVersion the source is at now */
  revision?: string;
  digest?: string;
  /** status.delivery.phase; "Pending" before the controller wrote a status */
  phase: RolloutPhase | string;
  paused?: boolean;
  stage: StageRef;
  /** the Consistent condition's status ("Unknown" when absent) */
  consistent: ConditionStatus;
  consistentMessage?: string;
  /** clusters selected, and how many run the revision healthy */
  clusters: number;
  current: number;
  /** each cluster with the revision it runs and its health, by stage then name */
  members: List<ClusterRevision>;
  /** what needs a person */
  message?: string;
  started?: string;
  created?: string;
}

export interface ClusterRevision {
  cluster: string;
  /** the revision it runs (its Work's), "" before any */
  running?: string;
  /** the revision the release gives it */
  target?: string;
  phase?: string;
  /** Healthy, Progressing, Degraded or Unknown */
  health: Health;
  message?: string;
}

/** GET /api/v1/applications/{namespace}/{name} */
export interface ApplicationDetail {
  summary: ApplicationSummary;
  stages: List<RolloutStageView>;
  /** by stage then name; clusters the release has not placed (stage -1) last */
  clusters: List<ApplicationCluster>;
  /** newest first */
  gates: List<GateVerdict>;
  /** newest first */
  history: List<RolloutRunView>;
  lastAction?: string;
  /** Consistent first */
  conditions: List<Condition>;
  events: List<Event>;
  /** the app's AppVersions in AppHub, newest first */
  versions: List<AppVersionView>;
  /** why versions is empty although AppHub may hold some */
  versionsHidden?: string;
}

export interface ApplicationCluster {
  name: string;
  syncPolicy?: string;
  /** -1 while the release has not placed the cluster */
  stage: number;
  stageName?: string;
  phase?: string;
  /** the revision the release gives it */
  target?: string;
  /** the revision it runs */
  running?: string;
  healthy: boolean;
  health: Health;
  registry?: string;
  imagesSynced: number;
  images: List<ImageSync>;
  message?: string;
}

/** Image sync phases. */
export type ImagePhase = 'Pending' | 'Copying' | 'Synced' | 'Skipped' | 'Failed';

export interface ImageSync {
  source: string;
  target?: string;
  digest?: string;
  phase: ImagePhase | string;
  bytes: number;
  totalBytes: number;
  message?: string;
}

export interface AppVersionView {
  version: string;
  /** Manifests or HelmChart */
  format: string;
  digest: string;
  /** gzipped content, bytes */
  size: number;
  objects: number;
  images: number;
  warnings: number;
  source?: string;
  created?: string;
  /** the source's revision now */
  current?: boolean;
  /** clusters that run it */
  clusters: List<string>;
}

// Scale policies and node pools (pkg/dashboard/scale.go).

/** GET /api/v1/scalepolicies?namespace= */
export interface ScalePolicyList {
  items: List<ScalePolicySummary>;
  namespaces: List<string>;
  /** why there are no ScalePolicies at all (the hub has no ScalePolicy CRD) */
  unavailable?: string;
}

export type ScalePhase = 'Pending' | 'Watching' | 'ScaledOut' | 'CoolingDown' | 'Suspended' | 'Blocked';

export interface ScalePolicySummary {
  namespace: string;
  name: string;
  /** resource, cron or predictive */
  trigger: string;
  /** "cpu above 70% for 5m in north-cluster, south-cluster" */
  triggerText: string;
  targets: List<string>;
  phase: ScalePhase | string;
  suspended?: boolean;
  /** "81.2%" */
  value?: string;
  /** "70%" */
  threshold?: string;
  /** the value is at or above the threshold */
  over?: boolean;
  /** a cron trigger's schedule and zone */
  schedule?: string;
  lastScale?: string;
  lastEvaluation?: string;
  nextEvaluation?: string;
  last?: ScaleExecutionView;
  /** what needs a person: Ready False, a conflict, a failed last execution */
  message?: string;
  created?: string;
}

/** GET /api/v1/scalepolicies/{namespace}/{name} */
export interface ScalePolicyDetail {
  summary: ScalePolicySummary;
  spec: ScaleSpecView;
  clusters: List<ScaleClusterView>;
  forecast?: ForecastView;
  /** the sizes a scale-in returns to */
  before: List<ScaleChangeView>;
  /** newest first */
  executions: List<ScaleExecutionView>;
  nodePools: List<NodePoolSummary>;
  /** why nodePools is empty although the hub may hold some */
  nodePoolsHidden?: string;
  conditions: List<Condition>;
  events: List<Event>;
}

export interface ScaleSpecView {
  trigger: string;
  actions: List<string>;
  cooldown: string;
  interval: string;
  scaleIn: string;
  /** console (the console's top-level JSON) or spec */
  form: string;
}

export type Verdict = 'Above' | 'Below' | 'Mixed' | 'NoData';

export interface ScaleClusterView {
  name: string;
  value?: string;
  min?: string;
  max?: string;
  samples: number;
  verdict: Verdict | string;
  message?: string;
}

export interface ForecastView {
  model?: string;
  cluster?: string;
  crossingTime?: string;
  /** the crossing less the lead time: when the policy acts */
  scaleAt?: string;
  leadTime?: string;
  peak?: string;
  peakTime?: string;
  error?: string;
}

export type ExecutionResult = 'InProgress' | 'Succeeded' | 'Failed';

export interface ScaleExecutionView {
  id: number;
  time: string;
  trigger: string;
  /** Out or In */
  direction: string;
  reason: string;
  result: ExecutionResult | string;
  message?: string;
  completed?: string;
  seconds?: number;
  changes: List<ScaleChangeView>;
  failedPods: List<FailedObject>;
  failedNodes: List<FailedObject>;
}

export interface ScaleChangeView {
  kind: string;
  namespace?: string;
  name: string;
  cluster?: string;
  from: number;
  to: number;
  ready: number;
  /** "north-cluster worker-pool", "Deployment default/order-service" */
  target: string;
  /** "north-cluster worker-pool 3 → 5" */
  text: string;
  /** "4/5 Ready" */
  progress: string;
  done: boolean;
}

export interface FailedObject {
  cluster?: string;
  namespace?: string;
  name: string;
  reason?: string;
}

/** GET /api/v1/nodepools?namespace= */
export interface NodePoolList {
  items: List<NodePoolSummary>;
  namespaces: List<string>;
  unavailable?: string;
}

export interface NodePoolSummary {
  namespace: string;
  name: string;
  cluster: string;
  pool: string;
  desired: number;
  nodes: number;
  ready: number;
  min: number;
  max: number;
  /** kwok or clusterAPI */
  provider: string;
  health: Health;
  message?: string;
  notReady: List<FailedObject>;
  created?: string;
}

/** One server-sent event on GET /api/v1/watch (event name "change"). */
export interface Change {
  topics: List<Topic>;
  version: number;
}

export type Topic = 'clusters' | 'fleets' | 'workloads' | 'policies' | 'rollouts' | 'applications' | 'scaling' | 'events';

/** The body of every non-2xx API answer. */
export interface ErrorBody {
  error: string;
  hint?: string;
}
