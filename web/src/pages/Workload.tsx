import { ArrowLeft, CircleAlert, CircleCheck, CircleSlash, TriangleAlert } from 'lucide-react';
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { api, clusterPath, list, objectPath, refName, rolloutPath } from '../api/client';
import type { ClusterRender, FailoverRecord, Placement, WorkloadDetail } from '../api/types';
import { DiffView } from '../components/DiffView';
import { DistributionBar } from '../components/DistributionBar';
import { Chip, Ellipsis, ErrorBox, Field, Loading, Panel, RefreshError } from '../components/common';
import { ConditionBadge, HealthBadge } from '../components/status';
import { RelTime } from '../components/RelTime';
import { plural } from '../format';
import { useResource } from '../live/useResource';
import { ConditionsTable, EventsTable } from './shared';

const TOPICS = ['workloads', 'clusters', 'policies', 'rollouts', 'events'] as const;

export function WorkloadPage() {
  const { namespace = '-', binding = '' } = useParams();
  const load = useCallback((s: AbortSignal) => api.workload(namespace, binding, s), [namespace, binding]);
  const r = useResource<WorkloadDetail>(`workload/${namespace}/${binding}`, load, TOPICS);
  if (!r.data) {
    return (
      <div className="page">
        <Back />
        {r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what={`workload ${binding}`} />}
      </div>
    );
  }
  const d = r.data;
  const w = d.summary;
  const wclusters = list(w.clusters);
  return (
    <div className="page" data-testid="workload-page">
      <Back />
      <div className="page-head">
        <span className="kind">{w.ref.kind}</span>
        <h1>
          <Ellipsis text={refName(w.ref)} />
        </h1>
        <HealthBadge health={w.health} message={w.message} />
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      {w.message && w.health !== 'Healthy' && (
        <div className={`callout ${w.health === 'Progressing' ? 'callout-warn' : 'callout-error'}`} role="status">
          <TriangleAlert size={18} aria-hidden="true" />
          <div>
            <div className="callout-title">{w.health}</div>
            <div className="callout-body">{w.message}</div>
          </div>
        </div>
      )}
      <div className="summary-grid">
        <Panel title="Summary">
          <dl className="fields">
            <Field label="Namespace">{w.ref.namespace || <span className="muted">cluster-scoped</span>}</Field>
            <Field label="API version">{w.ref.apiVersion}</Field>
            <Field label="Binding">
              <span className="mono">{w.binding}</span>
            </Field>
            <Field label="Policy">
              {w.policy &&
                (objectPath(w.policy) ? (
                  <Link to={objectPath(w.policy)!}>
                    {w.policy.kind} {refName(w.policy)}
                  </Link>
                ) : (
                  `${w.policy.kind} ${refName(w.policy)}`
                ))}
            </Field>
            <Field label="Fleet">{w.fleet}</Field>
            {d.rollout && (
              <Field label="Rollout">
                <Link to={rolloutPath(d.rollout.namespace ?? w.ref.namespace ?? 'default', d.rollout.name)} data-testid="workload-rollout">
                  {refName(d.rollout)}
                </Link>
              </Field>
            )}
            <Field label="Ready">
              <span className="num" data-testid="ready-count">
                {w.ready}/{w.desired}
              </span>
            </Field>
            <Field label="Scheduled">{w.scheduled && <ConditionBadge condition={w.scheduled} words={w.scheduled.status === 'True' ? 'Scheduled' : w.scheduled.reason || w.scheduled.status} />}</Field>
            <Field label="Updated">{w.updated && <RelTime time={w.updated} />}</Field>
          </dl>
        </Panel>
        <Panel title="Distribution">
          <DistributionBar clusters={wclusters} link />
          <table className="table compact" data-testid="members">
            <thead>
              <tr>
                <th>Cluster</th>
                <th className="r">Replicas</th>
                <th className="r">Ready</th>
                <th>Health</th>
                <th>Note</th>
              </tr>
            </thead>
            <tbody>
              {wclusters.map((c) => (
                <tr key={c.name}>
                  <td className="strong">
                    <Link to={clusterPath(c.name)}>{c.name}</Link>
                  </td>
                  <td className="r num">{c.replicas}</td>
                  <td className="r num">{c.ready}</td>
                  <td>
                    <HealthBadge health={c.health} message={c.message} />
                  </td>
                  <td className="wrap">
                    {c.evicting && <Chip tone="warn">evicting</Chip>} {!c.applied && <Chip tone="warn">not applied</Chip>} {c.message}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      </div>
      <PlacementPanel p={d.placement} />
      <Panel title="Overrides per cluster" count={list(d.overrides).length}>
        <Overrides renders={list(d.overrides)} />
      </Panel>
      <div className="two-col">
        <Panel title="Failover history" count={list(d.failover).length}>
          <Failover records={list(d.failover)} />
        </Panel>
        <Panel title="Conditions" count={list(d.conditions).length}>
          <ConditionsTable conditions={list(d.conditions)} />
        </Panel>
      </div>
      <Panel title="Events" count={list(d.events).length}>
        <EventsTable events={list(d.events)} />
      </Panel>
    </div>
  );
}

function Back() {
  return (
    <Link to="/workloads" className="back">
      <ArrowLeft size={14} aria-hidden="true" /> Workloads
    </Link>
  );
}

function PlacementPanel({ p }: { p: Placement }) {
  const chosen = list(p.chosen);
  const excluded = list(p.excluded);
  return (
    <Panel title="Placement decision" id="placement">
      {p.summary && (
        <p className="placement-summary" data-testid="placement-summary">
          {p.affinityName && <Chip>affinity {p.affinityName}</Chip>} {p.summary}
        </p>
      )}
      {p.error && (
        <div className="callout callout-error" role="alert">
          <CircleSlash size={18} aria-hidden="true" />
          <div>
            <div className="callout-title">No placement fits</div>
            <div className="callout-body">{p.error}</div>
          </div>
        </div>
      )}
      {p.differs && (
        <div className="callout callout-warn" role="status" data-testid="placement-differs">
          <TriangleAlert size={18} aria-hidden="true" />
          <div>
            <div className="callout-title">The hub has not applied this decision yet</div>
            <div className="callout-body">
              Recomputed from the current objects, the placement differs from what the binding holds: the scheduler has not caught up yet, or a reschedule is pending.
            </div>
          </div>
        </div>
      )}
      <div className="two-col tight">
        <div>
          <h3 className="sub">
            <CircleCheck size={15} aria-hidden="true" className="tone-ok-fg" /> Chosen <span className="count num">{chosen.length}</span>
          </h3>
          {chosen.length === 0 ? (
            <p className="muted">No cluster chosen.</p>
          ) : (
            <table className="table compact" data-testid="chosen">
              <thead>
                <tr>
                  <th>Cluster</th>
                  <th className="r">Replicas</th>
                </tr>
              </thead>
              <tbody>
                {chosen.map((c) => (
                  <tr key={c.name} data-testid={`chosen-${c.name}`}>
                    <td className="strong">
                      <Link to={clusterPath(c.name)}>{c.name}</Link>
                    </td>
                    <td className="r num">{c.replicas}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <h3 className="sub">
            <CircleSlash size={15} aria-hidden="true" className="muted" /> Excluded <span className="count num">{excluded.length}</span>
          </h3>
          {excluded.length === 0 ? (
            <p className="muted">No cluster was left out.</p>
          ) : (
            <ul className="excluded" data-testid="excluded">
              {excluded.map((e) => (
                <li key={e.name} data-testid={`excluded-${e.name}`}>
                  <Link to={clusterPath(e.name)} className="strong">
                    {e.name}
                  </Link>
                  <span className="muted"> — </span>
                  <span>{e.reason}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </Panel>
  );
}

function Overrides({ renders }: { renders: ClusterRender[] }) {
  if (renders.length === 0) return <p className="muted">Not placed on any cluster yet, so nothing is rendered.</p>;
  return (
    <div className="renders">
      {renders.map((r) => (
        <details key={r.cluster} className="render" open={r.changed > 0 || !!r.error} data-testid={`render-${r.cluster}`}>
          <summary>
            <Link to={clusterPath(r.cluster)} className="strong" onClick={(e) => e.stopPropagation()}>
              {r.cluster}
            </Link>
            {list(r.overrides).length === 0 ? (
              <span className="muted">no override policy applies</span>
            ) : (
              list(r.overrides).map((o) => (
                <Link key={refName(o) + o.kind} to={objectPath(o) ?? '/policies'} className="chip" onClick={(e) => e.stopPropagation()}>
                  {o.kind} {refName(o)}
                </Link>
              ))
            )}
            <span className="render-changed num">{r.changed > 0 ? plural(r.changed, 'line') + ' changed' : 'unchanged'}</span>
          </summary>
          {r.error && (
            <div className="callout callout-error compact" role="alert">
              <CircleAlert size={16} aria-hidden="true" />
              <div className="callout-title">{r.error}</div>
            </div>
          )}
          {list(r.diff).length > 0 && <DiffView diff={list(r.diff)} />}
        </details>
      ))}
    </div>
  );
}

function Failover({ records }: { records: FailoverRecord[] }) {
  if (records.length === 0) return <p className="muted">Never evicted from a cluster.</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>When</th>
          <th>Cluster</th>
          <th>Reason</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {records.map((f, i) => (
          <tr key={i}>
            <td className="nowrap">
              <RelTime time={f.time} />
            </td>
            <td className="strong">
              <Link to={clusterPath(f.cluster)}>{f.cluster}</Link>
            </td>
            <td className="wrap">
              <strong>{f.reason}</strong>
              {f.message && <div className="cell-msg">{f.message}</div>}
            </td>
            <td>{f.active ? <Chip tone="warn">evicting</Chip> : <span className="muted">done</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
