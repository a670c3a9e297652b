import { Search, X } from 'lucide-react';
import { useCallback, useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, list, refName, workloadPath, type WorkloadFilters } from '../api/client';
import { HEALTHS, type WorkloadList, type WorkloadSummary } from '../api/types';
import { DistributionBar } from '../components/DistributionBar';
import { Ellipsis, Empty, ErrorBox, Loading, RefreshError } from '../components/common';
import { HealthBadge } from '../components/status';
import { useResource } from '../live/useResource';

const TOPICS = ['workloads', 'clusters', 'policies'] as const;
export const FILTER_KEYS = ['namespace', 'fleet', 'cluster', 'health', 'q'] as const;

/** filtersFrom reads the list's filters from the URL's query. */
export function filtersFrom(params: URLSearchParams): WorkloadFilters {
  const f: Record<string, string> = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f as WorkloadFilters;
}

/** withFilter is the query with one filter set (or removed when empty), other parameters kept. */
export function withFilter(params: URLSearchParams, key: (typeof FILTER_KEYS)[number], value: string): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(key, value);
  else next.delete(key);
  return next;
}

/**
 * matches applies the filters in the browser too: the server filters the
 * same way, and `q` (a substring of kind, namespace, name or policy) is the
 * browser's alone.
 */
export function matches(w: WorkloadSummary, f: WorkloadFilters): boolean {
  if (f.namespace && (w.ref.namespace ?? '') !== f.namespace) return false;
  if (f.fleet && (w.fleet ?? '') !== f.fleet) return false;
  if (f.cluster && !list(w.clusters).some((c) => c.name === f.cluster)) return false;
  if (f.health && w.health !== f.health) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = [w.ref.kind, w.ref.namespace ?? '', w.ref.name, w.binding, w.policy?.name ?? ''].join(' ').toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

export function WorkloadsPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFrom(params), [params]);
  const { q: _q, ...serverFilters } = filters;
  const serverKey = JSON.stringify(serverFilters);
  // serverKey stands for serverFilters: a new function only when a server filter changes
  const load = useCallback((s: AbortSignal) => api.workloads(serverFilters, s), [serverKey]);
  const r = useResource<WorkloadList>(`workloads?${serverKey}`, load, TOPICS, { keepOnKeyChange: true });
  const set = (key: (typeof FILTER_KEYS)[number], value: string) => setParams(withFilter(params, key, value), { replace: key === 'q' });
  const anyFilter = FILTER_KEYS.some((k) => filters[k]);

  const doc = r.data;
  const items = doc ? list(doc.items).filter((w) => matches(w, filters)) : [];
  return (
    <div className="page" data-testid="workloads">
      <div className="page-head">
        <h1>Workloads</h1>
        {doc && (
          <p className="subtitle num">
            {items.length === list(doc.items).length ? `${items.length} propagated resources` : `${items.length} of ${list(doc.items).length} shown`}
          </p>
        )}
      </div>
      <form className="filters" role="search" aria-label="Filter workloads" onSubmit={(e) => e.preventDefault()}>
        <label className="search">
          <Search size={15} aria-hidden="true" />
          <span className="sr-only">Search</span>
          <input
            type="search"
            placeholder="Search name, kind, policy"
            value={filters.q ?? ''}
            onChange={(e) => set('q', e.target.value)}
            data-testid="filter-q"
          />
        </label>
        <FilterSelect label="Namespace" name="namespace" value={filters.namespace} choices={list(doc?.namespaces)} onChange={set} />
        <FilterSelect label="Fleet" name="fleet" value={filters.fleet} choices={list(doc?.fleets)} onChange={set} />
        <FilterSelect label="Cluster" name="cluster" value={filters.cluster} choices={list(doc?.clusters)} onChange={set} />
        <FilterSelect label="Health" name="health" value={filters.health} choices={[...HEALTHS]} onChange={set} />
        {anyFilter && (
          <Link to="/workloads" className="btn btn-ghost">
            <X size={14} aria-hidden="true" /> Clear filters
          </Link>
        )}
      </form>
      {r.data ? <RefreshError error={r.error} onRetry={r.reload} /> : r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what="workloads" />}
      {doc &&
        (items.length === 0 ? (
          anyFilter ? (
            <Empty title="No workloads match these filters">
              <Link to="/workloads">Clear the filters</Link> to see every workload you may read.
            </Empty>
          ) : (
            <Empty title="No workloads yet">
              Apply a Deployment and a PropagationPolicy to the hub, e.g. <code>kubectl apply -f examples/nginx/</code>; it shows here once the hub binds it.
            </Empty>
          )
        ) : (
          <table className="table workloads-table" data-testid="workloads-table">
            <thead>
              <tr>
                <th className="w-kind">Kind</th>
                <th className="w-name">Workload</th>
                <th className="w-policy">Policy</th>
                <th className="r w-ready">Ready</th>
                <th className="w-health">Health</th>
                <th className="w-dist">Distribution</th>
              </tr>
            </thead>
            <tbody>
              {items.map((w) => (
                <WorkloadRow key={`${w.ref.namespace ?? ''}/${w.binding}`} w={w} />
              ))}
            </tbody>
          </table>
        ))}
    </div>
  );
}

function WorkloadRow({ w }: { w: WorkloadSummary }) {
  const id = `${w.ref.namespace || '-'}/${w.binding}`;
  return (
    <tr data-testid={`workload-${id}`} data-health={w.health} className={w.health === 'Degraded' || w.health === 'Unscheduled' ? 'row-error' : ''}>
      <td className="muted">{w.ref.kind}</td>
      <td className="strong">
        <Link to={workloadPath(w.ref.namespace, w.binding)}>
          <Ellipsis text={refName(w.ref)} />
        </Link>
        {w.message && w.health !== 'Healthy' && <div className="cell-msg ellipsis" title={w.message}>{w.message}</div>}
      </td>
      <td>{w.policy ? <Ellipsis text={refName(w.policy)} /> : <span className="muted">–</span>}</td>
      <td className="r num">
        {w.ready}/{w.desired}
      </td>
      <td>
        <HealthBadge health={w.health} message={w.message} />
      </td>
      <td>
        <DistributionBar clusters={list(w.clusters)} />
      </td>
    </tr>
  );
}

function FilterSelect({
  label,
  name,
  value,
  choices,
  onChange,
}: {
  label: string;
  name: (typeof FILTER_KEYS)[number];
  value?: string;
  choices: string[];
  onChange: (k: (typeof FILTER_KEYS)[number], v: string) => void;
}) {
  // a value from a shared link stays selectable even when it is not among the choices
  const all = value && !choices.includes(value) ? [value, ...choices] : choices;
  return (
    <label className="select">
      <span>{label}</span>
      <select name={name} value={value ?? ''} onChange={(e) => onChange(name, e.target.value)} data-testid={`filter-${name}`}>
        <option value="">All</option>
        {all.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}
