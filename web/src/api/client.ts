// The one place that talks to the dashboard's JSON API: typed fetches, and
// the one function (describeError) that turns a failed answer into a message
// and a hint a person can act on.
import type {
  ApplicationDetail,
  ApplicationList,
  ClusterDetail,
  ErrorBody,
  Health,
  List,
  NodePoolList,
  ObjectRef,
  Overview,
  PolicyList,
  RolloutDetail,
  RolloutList,
  ScalePolicyDetail,
  ScalePolicyList,
  Whoami,
  WorkloadDetail,
  WorkloadList,
} from './types';

/** list reads a Go slice that may be JSON null. */
export function list<T>(xs: List<T> | undefined): T[] {
  return xs ?? [];
}

/** An API call that did not give the document asked for. */
export class ApiError extends Error {
  readonly status: number; // 0 when the server could not be reached
  readonly hint: string;
  readonly path: string;
  constructor(path: string, status: number, message: string, hint: string) {
    super(message);
    this.name = 'ApiError';
    this.path = path;
    this.status = status;
    this.hint = hint;
  }
}

const LOGIN_HINT = 'Open the URL that `kurator up` or `kurator dashboard` printed, or paste a bearer token on the login page.';

/**
 * describeError turns an HTTP status and the answer's body (normally the
 * API's {error, hint}; maybe text or HTML from a proxy) into what the page
 * shows. status 0 means the request never got an answer.
 */
export function describeError(path: string, status: number, body: unknown): ApiError {
  let error = '';
  let hint = '';
  if (body && typeof body === 'object') {
    const b = body as Partial<ErrorBody>;
    if (typeof b.error === 'string') error = b.error.trim();
    if (typeof b.hint === 'string') hint = b.hint.trim();
  } else if (typeof body === 'string') {
    error = plainText(body);
  }
  if (status === 0) {
    return new ApiError(
      path,
      0,
      error ? `Cannot reach the dashboard server: ${error}` : 'Cannot reach the dashboard server.',
      hint || 'Check that `kurator dashboard` (or `kurator up`) is still running; the page reconnects by itself.',
    );
  }
  const fallback: Record<number, [string, string]> = {
    400: ['The dashboard did not understand the request.', 'Check the filters in the address bar.'],
    401: ['You are not logged in, or your session has expired.', LOGIN_HINT],
    403: ['You may not read this.', 'Ask a hub admin for get/list access to it, or log in as another user.'],
    404: ['Not found: it may have been deleted or renamed.', 'Go back to the list and pick another one.'],
    503: ['The dashboard is not ready yet.', 'It is still loading the hub\u2019s objects; the page retries on the next change.'],
  };
  const [defMessage, defHint] = fallback[status] ?? [
    status >= 500 ? `The dashboard server failed (HTTP ${status}).` : `The request failed (HTTP ${status}).`,
    status >= 500 ? 'Look at the log of `kurator dashboard`; the page retries on the next change.' : '',
  ];
  return new ApiError(path, status, error || defMessage, hint || defHint);
}

/** plainText strips tags and squeezes space, so an HTML error page from a proxy reads as a sentence. */
function plainText(s: string): string {
  const t = s.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, ' ').replace(/<[^>]+>/g, ' ');
  const squeezed = t.replace(/\s+/g, ' ').trim();
  return squeezed.length > 200 ? `${squeezed.slice(0, 200)}\u2026` : squeezed;
}

let onUnauthorized: (() => void) | null = null;

/** setUnauthorizedHandler is called by the app: a 401 anywhere sends the user to /login. */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

/** apiGet fetches one JSON document; it throws ApiError for anything but 2xx JSON. */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' }, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw describeError(path, 0, e instanceof Error ? e.message : '');
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // keep the text: describeError reads it as a sentence
  }
  if (!res.ok) {
    const err = describeError(path, res.status, body);
    if (res.status === 401 && onUnauthorized) onUnauthorized();
    throw err;
  }
  if (typeof body !== 'object' || body === null) {
    throw new ApiError(path, res.status, 'The dashboard answered with something that is not JSON.', 'Check that the address is the dashboard\u2019s and not a proxy\u2019s.');
  }
  return body as T;
}

const enc = encodeURIComponent;

export interface WorkloadFilters {
  namespace?: string;
  fleet?: string;
  cluster?: string;
  health?: Health | '';
  q?: string;
}

/** workloadQuery is the query string of GET /api/v1/workloads (only the set filters). */
export function workloadQuery(f: WorkloadFilters): string {
  const p = new URLSearchParams();
  for (const k of ['namespace', 'fleet', 'cluster', 'health', 'q'] as const) {
    const v = f[k];
    if (v) p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const api = {
  whoami: (signal?: AbortSignal) => apiGet<Whoami>('/api/v1/whoami', signal),
  overview: (signal?: AbortSignal) => apiGet<Overview>('/api/v1/overview', signal),
  cluster: (name: string, signal?: AbortSignal) => apiGet<ClusterDetail>(`/api/v1/clusters/${enc(name)}`, signal),
  workloads: (f: WorkloadFilters, signal?: AbortSignal) => apiGet<WorkloadList>(`/api/v1/workloads${workloadQuery(f)}`, signal),
  workload: (namespace: string, binding: string, signal?: AbortSignal) =>
    apiGet<WorkloadDetail>(`/api/v1/workloads/${enc(namespace || '-')}/${enc(binding)}`, signal),
  policies: (signal?: AbortSignal) => apiGet<PolicyList>('/api/v1/policies', signal),
  rollouts: (namespace: string | undefined, signal?: AbortSignal) =>
    apiGet<RolloutList>(`/api/v1/rollouts${namespace ? `?namespace=${enc(namespace)}` : ''}`, signal),
  rollout: (namespace: string, name: string, signal?: AbortSignal) => apiGet<RolloutDetail>(`/api/v1/rollouts/${enc(namespace)}/${enc(name)}`, signal),
  applications: (namespace: string | undefined, signal?: AbortSignal) =>
    apiGet<ApplicationList>(`/api/v1/applications${namespace ? `?namespace=${enc(namespace)}` : ''}`, signal),
  application: (namespace: string, name: string, signal?: AbortSignal) =>
    apiGet<ApplicationDetail>(`/api/v1/applications/${enc(namespace)}/${enc(name)}`, signal),
  scalePolicies: (namespace: string | undefined, signal?: AbortSignal) =>
    apiGet<ScalePolicyList>(`/api/v1/scalepolicies${namespace ? `?namespace=${enc(namespace)}` : ''}`, signal),
  scalePolicy: (namespace: string, name: string, signal?: AbortSignal) =>
    apiGet<ScalePolicyDetail>(`/api/v1/scalepolicies/${enc(namespace)}/${enc(name)}`, signal),
  nodePools: (signal?: AbortSignal) => apiGet<NodePoolList>('/api/v1/nodepools', signal),
  /** logout ends the session cookie's session (a bearer-token user has nothing to end). */
  logout: async (): Promise<void> => {
    const res = await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin' }).catch((e: unknown) => {
      throw describeError('/api/v1/logout', 0, e instanceof Error ? e.message : '');
    });
    if (!res.ok && res.status !== 401) throw describeError('/api/v1/logout', res.status, await res.text());
  },
};

/** The watch stream's URL (server-sent events, event name "change"). */
export const WATCH_URL = '/api/v1/watch';

// Page paths: every link is built here.

export function clusterPath(name: string): string {
  return `/clusters/${enc(name)}`;
}

/** workloadPath is a workload page; cluster-scoped bindings use namespace "-". */
export function workloadPath(namespace: string | undefined, binding: string): string {
  return `/workloads/${enc(namespace || '-')}/${enc(binding)}`;
}

/** bindingName is the hub's name for a template's binding: "<name>-<kind>" (api/work/v1alpha1.BindingName). */
export function bindingName(ref: ObjectRef): string {
  return `${ref.name}-${ref.kind.toLowerCase()}`;
}

/** workloadPathFor links a resource template to its workload page. */
export function workloadPathFor(ref: ObjectRef): string {
  return workloadPath(ref.namespace, bindingName(ref));
}

/** rolloutPath is a rollout's page. */
export function rolloutPath(namespace: string, name: string): string {
  return `/rollouts/${enc(namespace)}/${enc(name)}`;
}

/** applicationPath is an Application's page. */
export function applicationPath(namespace: string, name: string): string {
  return `/applications/${enc(namespace)}/${enc(name)}`;
}

/** scalePolicyPath is a ScalePolicy's page. */
export function scalePolicyPath(namespace: string, name: string): string {
  return `/scaling/${enc(namespace)}/${enc(name)}`;
}

export function loginPath(next?: string): string {
  return next && next !== '/' && !next.startsWith('/login') ? `/login?next=${enc(next)}` : '/login';
}

/** refName is how the UI writes an object: "namespace/name" or "name". */
export function refName(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet', 'Service', 'ConfigMap', 'Secret']);

/** objectPath is the page of a hub object the UI has one for, or undefined. */
export function objectPath(ref: ObjectRef): string | undefined {
  switch (ref.kind) {
    case 'Cluster':
    case 'AttachedCluster':
      return clusterPath(ref.name);
    case 'ResourceBinding':
    case 'ClusterResourceBinding':
      return workloadPath(ref.namespace, ref.name);
    case 'PropagationPolicy':
    case 'ClusterPropagationPolicy':
    case 'OverridePolicy':
    case 'ClusterOverridePolicy':
      return `/policies#${policyAnchor(ref)}`;
    case 'Rollout':
      return rolloutPath(ref.namespace ?? 'default', ref.name);
    case 'Application':
      return applicationPath(ref.namespace ?? 'default', ref.name);
    case 'ScalePolicy':
      return scalePolicyPath(ref.namespace ?? 'default', ref.name);
    case 'NodePool':
      return '/scaling#node-pools';
    default:
      return WORKLOAD_KINDS.has(ref.kind) ? workloadPathFor(ref) : undefined;
  }
}

/** policyAnchor is the id of a policy's row on the policies page. */
export function policyAnchor(ref: ObjectRef): string {
  return `${ref.kind}-${ref.namespace ?? ''}-${ref.name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
