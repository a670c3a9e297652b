import { CircleAlert, Server, TriangleAlert } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, clusterPath, list, objectPath, refName } from '../api/client';
import type { ClusterSummary, FleetSummary, Overview as OverviewDoc, Problem } from '../api/types';
import { Chip, Ellipsis, Empty, ErrorBox, Loading, Panel, RefreshError } from '../components/common';
import { ConditionBadge, readyWords } from '../components/status';
import { RelTime } from '../components/RelTime';
import { UsageBar } from '../components/UsageBar';
import { useResource } from '../live/useResource';
import { plural } from '../format';

const TOPICS = ['clusters', 'fleets', 'workloads'] as const;
/** A performance mark set once per page load when the overview first shows its clusters. */
export const RENDERED_MARK = 'kurator:overview-rendered';
/**
 * Problems listed before "Show all": the worst come first, and a bulk
 * release can make hundreds of workloads unhealthy at once, which would
 * push the clusters off the page (and hundreds of links into the Tab order).
 */
export const PROBLEM_ROWS = 8;

export interface ClusterGroup {
  key: string;
  region: string;
  provider: string;
  clusters: ClusterSummary[];
}

/**
 * groupClusters groups by region and provider, keeping the API's order
 * (problems first): a group comes where its first cluster does.
 */
export function groupClusters(clusters: readonly ClusterSummary[]): ClusterGroup[] {
  const groups = new Map<string, ClusterGroup>();
  for (const c of clusters) {
    const region = c.region || 'no region';
    const provider = c.provider || 'no provider';
    const key = `${region}\u0000${provider}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, region, provider, clusters: [] };
      groups.set(key, g);
    }
    g.clusters.push(c);
  }
  return [...groups.values()];
}

export function OverviewPage() {
  const load = useCallback((s: AbortSignal) => api.overview(s), []);
  const r = useResource<OverviewDoc>('overview', load, TOPICS);
  const shown = !!r.data;
  useEffect(() => {
    // the first meaningful paint the e2e test measures: cluster cards are on the page
    if (shown && typeof performance.getEntriesByName === 'function' && performance.getEntriesByName(RENDERED_MARK).length === 0) performance.mark(RENDERED_MARK);
  }, [shown]);
  if (!r.data) {
    if (r.error) return <ErrorBox error={r.error} onRetry={r.reload} />;
    return <Loading what="the overview" />;
  }
  const o = r.data;
  const clusters = list(o.clusters);
  const forbidden = new Set(o.forbidden ?? []);
  return (
    <div className="page" data-testid="overview">
      <div className="page-head">
        <h1>Overview</h1>
        <p className="subtitle">{plural(o.totals.clusters, 'cluster')} in {plural(list(o.fleets).length, 'fleet')}</p>
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      <Totals o={o} />
      <Problems problems={list(o.problems)} />
      <Panel title="Clusters" id="clusters" count={clusters.length}>
        {clusters.length === 0 ? (
          forbidden.has('clusters') ? (
            <Empty title="You may not list clusters">Ask a hub admin for list access to AttachedClusters in kurator-system.</Empty>
          ) : (
            <Empty title="No clusters yet">
              Register members with <code>kurator up</code>, or apply an AttachedCluster and a Fleet to the hub (see <code>examples/</code>).
            </Empty>
          )
        ) : (
          <div className="groups">
          {groupClusters(clusters).map((g) => (
            <div className={`group${g.clusters.length > 3 ? ' group-wide' : ''}`} key={g.key}>
              <h3 className="group-title">
                <span>{g.region}</span>
                <span className="muted">·</span>
                <span className="muted">{g.provider}</span>
                <span className="count num">{g.clusters.length}</span>
              </h3>
              <div className="cards">
                {g.clusters.map((c) => (
                  <ClusterCard key={c.name} c={c} />
                ))}
              </div>
            </div>
          ))}
          </div>
        )}
      </Panel>
      <Fleets fleets={list(o.fleets)} forbidden={forbidden.has('fleets')} />
    </div>
  );
}

function Totals({ o }: { o: OverviewDoc }) {
  const t = o.totals;
  const notReady = t.clusters - t.readyClusters;
  const unhealthy = t.workloads - t.healthyWorkloads;
  return (
    <div className="tiles" data-testid="totals">
      <div className={`tile${notReady > 0 ? ' tile-error' : ''}`}>
        <div className="tile-label">Clusters ready</div>
        <div className="tile-value num">
          {t.readyClusters}
          <span className="of">/{t.clusters}</span>
        </div>
        <div className="tile-note">{notReady > 0 ? `${notReady} not ready` : 'all ready'}</div>
      </div>
      <div className={`tile${t.nodes.used < t.nodes.total ? ' tile-error' : ''}`}>
        <div className="tile-label">Nodes ready</div>
        <div className="tile-value num">
          {t.nodes.used}
          <span className="of">/{t.nodes.total}</span>
        </div>
        <div className="tile-note">{t.nodes.total - t.nodes.used > 0 ? `${t.nodes.total - t.nodes.used} not ready` : 'all ready'}</div>
      </div>
      <div className="tile">
        <div className="tile-label">Pods running</div>
        <div className="tile-value num">
          {t.pods.used}
          <span className="of">/{t.pods.total}</span>
        </div>
        <div className="tile-note">{t.pods.total - t.pods.used > 0 ? `${t.pods.total - t.pods.used} not running` : 'all running'}</div>
      </div>
      <div className={`tile${unhealthy > 0 ? ' tile-warn' : ''}`}>
        <div className="tile-label">Workloads healthy</div>
        <div className="tile-value num">
          {t.healthyWorkloads}
          <span className="of">/{t.workloads}</span>
        </div>
        <div className="tile-note">
          {unhealthy > 0 ? <Link to="/workloads">{unhealthy} not healthy</Link> : t.workloads ? 'all healthy' : <Link to="/workloads">none yet</Link>}
        </div>
      </div>
      <div className="tile tile-wide">
        <UsageBar label="CPU" unit="cpu" usage={t.cpu} />
        <UsageBar label="Memory" unit="memory" usage={t.memory} />
      </div>
    </div>
  );
}

function Problems({ problems }: { problems: Problem[] }) {
  const [all, setAll] = useState(false);
  if (problems.length === 0) return null;
  const shown = all ? problems.length : PROBLEM_ROWS;
  // Keys name the object, not the message (a rollout's changes on every
  // refresh, and a new key would take the focus off a link).
  const seen = new Map<string, number>();
  return (
    <section className="problems" aria-labelledby="problems-title" data-testid="problems">
      <h2 id="problems-title">
        <CircleAlert size={16} aria-hidden="true" /> Needs attention <span className="count num">{problems.length}</span>
      </h2>
      <ul>
        {problems.slice(0, shown).map((p) => {
          const path = objectPath(p.object);
          const name = `${p.object.kind} ${refName(p.object)}`;
          const base = `${name}|${p.cluster ?? ''}|${p.severity}`;
          const n = seen.get(base) ?? 0;
          seen.set(base, n + 1);
          return (
            <li key={`${base}|${n}`} className={`problem sev-${p.severity === 'error' ? 'error' : 'warn'}`}>
              {p.severity === 'error' ? <CircleAlert size={15} aria-hidden="true" /> : <TriangleAlert size={15} aria-hidden="true" />}
              <span className="sr-only">{p.severity}:</span>
              {path ? (
                <Link to={path} className="problem-obj">
                  {name}
                </Link>
              ) : (
                <span className="problem-obj">{name}</span>
              )}
              {p.cluster && p.cluster !== p.object.name && (
                <Link to={clusterPath(p.cluster)} className="chip">
                  {p.cluster}
                </Link>
              )}
              <span className="problem-msg" title={p.message}>
                {p.message}
              </span>
              <span className="problem-since muted">
                <RelTime time={p.since} prefix="since " />
              </span>
            </li>
          );
        })}
      </ul>
      {problems.length > shown && (
        <div className="more">
          <span className="muted num">
            {shown} of {problems.length} shown
          </span>
          <button type="button" className="btn" onClick={() => setAll(true)}>
            Show all {problems.length}
          </button>
          <Link to="/workloads">Open the workload list</Link>
        </div>
      )}
    </section>
  );
}

export function ClusterCard({ c }: { c: ClusterSummary }) {
  const status = c.ready.status || 'Unknown';
  const tone = status === 'True' ? 'ok' : status === 'False' ? 'error' : 'warn';
  return (
    <article className={`card cluster-card card-${tone}`} data-testid={`cluster-${c.name}`} data-ready={status} aria-label={`${c.name}: ${readyWords(status)}`}>
      <header className="card-head">
        <Server size={16} aria-hidden="true" />
        <Link to={clusterPath(c.name)} className="card-title">
          <Ellipsis text={c.name} />
        </Link>
        <ConditionBadge condition={{ ...c.ready, type: 'Ready', status }} words={readyWords(status)} />
      </header>
      <div className="card-sub">
        <RelTime time={c.ready.since} prefix="since " />
        {c.kubernetesVersion && <span className="num">{c.kubernetesVersion}</span>}
        {c.zone && <span>{c.zone}</span>}
      </div>
      {status !== 'True' && (c.ready.message || c.ready.reason) && (
        <p className={`card-msg tone-${tone}-fg`} data-testid="ready-message">
          {c.ready.reason && <strong>{c.ready.reason}: </strong>}
          {c.ready.message}
        </p>
      )}
      {/* A cluster the hub cannot read keeps the figures it last collected: say so. */}
      <div className={status === 'True' ? 'figures' : 'figures stale'} data-testid="figures" data-stale={status === 'True' ? undefined : 'true'}>
        {status !== 'True' && (
          <p className="stale-note" title="The hub collects these figures from the cluster while it is Ready">
            Last collected <RelTime time={c.ready.since} />
          </p>
        )}
        <dl className="stats">
          <div className={c.nodes.used < c.nodes.total ? 'stat-bad' : ''}>
            <dt>Nodes</dt>
            <dd className="num" data-testid="nodes">
              {c.nodes.used}/{c.nodes.total}
            </dd>
          </div>
          <div>
            <dt>Pods</dt>
            <dd className="num" data-testid="pods">
              {c.pods.used}/{c.pods.total}
            </dd>
          </div>
          <div className={c.failedPods > 0 ? 'stat-bad' : ''}>
            <dt>Failed pods</dt>
            <dd className="num">{c.failedPods}</dd>
          </div>
          <div>
            <dt>Workloads</dt>
            <dd className="num">{c.workloads}</dd>
          </div>
        </dl>
        <UsageBar label="CPU" unit="cpu" usage={c.cpu} />
        <UsageBar label="Memory" unit="memory" usage={c.memory} />
      </div>
      {(c.taints?.length ?? 0) > 0 && (
        <div className="chips">
          {c.taints!.map((t) => (
            <Chip key={`${t.key}:${t.effect}`} tone="warn" title={`taint ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`}>
              {t.key}:{t.effect}
            </Chip>
          ))}
        </div>
      )}
    </article>
  );
}

function Fleets({ fleets, forbidden }: { fleets: FleetSummary[]; forbidden: boolean }) {
  return (
    <Panel title="Fleets" id="fleets" count={fleets.length}>
      {fleets.length === 0 ? (
        forbidden ? (
          <Empty title="You may not list Fleets">Ask a hub admin for list access to fleets.fleet.kurator.dev.</Empty>
        ) : (
          <Empty title="No Fleets yet">A Fleet groups clusters for placement: apply one to the hub (see <code>examples/</code>).</Empty>
        )
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Fleet</th>
              <th>Namespace</th>
              <th>Valid</th>
              <th>Members</th>
            </tr>
          </thead>
          <tbody>
            {fleets.map((f) => (
              <tr key={`${f.namespace}/${f.name}`} data-testid={`fleet-${f.name}`} className={f.valid?.status === 'False' ? 'row-error' : ''}>
                <td className="strong">
                  <Ellipsis text={f.name} />
                </td>
                <td>{f.namespace}</td>
                <td>
                  {f.valid ? (
                    <>
                      <ConditionBadge condition={f.valid} words={f.valid.status === 'True' ? 'Valid' : f.valid.status === 'False' ? 'Invalid' : 'Unknown'} />
                      {f.valid.status !== 'True' && f.valid.message && <div className="cell-msg tone-error-fg">{f.valid.message}</div>}
                    </>
                  ) : (
                    <span className="muted">not checked yet</span>
                  )}
                </td>
                <td>
                  <div className="chips">
                    {list(f.clusters).map((c) => (
                      <Link key={c} to={clusterPath(c)} className="chip">
                        {c}
                      </Link>
                    ))}
                    {list(f.clusters).length === 0 && <span className="muted">no members</span>}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
