import { ArrowLeft, CircleCheck, CircleX } from 'lucide-react';
import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, list, refName, workloadPath } from '../api/client';
import type { ClusterDetail, Event, Transition } from '../api/types';
import { Chip, Ellipsis, Empty, ErrorBox, Field, Loading, Panel, RefreshError } from '../components/common';
import { ConditionBadge, HealthBadge, readyWords, type Tone } from '../components/status';
import { RelTime } from '../components/RelTime';
import { UsageBar } from '../components/UsageBar';
import { formatBytes, formatCPU } from '../format';
import { useResource } from '../live/useResource';
import { ConditionsTable } from './shared';
import { EventsTable } from './shared';

const TOPICS = ['clusters', 'workloads', 'events'] as const;
/** Rows of the placed-workloads table before "Show all" (a cluster may hold hundreds). */
export const WORKLOAD_ROWS = 25;

export function ClusterPage() {
  const { name = '' } = useParams();
  const load = useCallback((s: AbortSignal) => api.cluster(name, s), [name]);
  const r = useResource<ClusterDetail>(`cluster/${name}`, load, TOPICS);
  const [shownWorkloads, setShownWorkloads] = useState(WORKLOAD_ROWS);
  if (!r.data) {
    return (
      <div className="page">
        <Back />
        {r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what={`cluster ${name}`} />}
      </div>
    );
  }
  const d = r.data;
  const c = d.summary;
  const status = c.ready.status || 'Unknown';
  const tone: Tone = status === 'True' ? 'ok' : status === 'False' ? 'error' : 'warn';
  const labels = Object.entries(d.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const nodes = list(d.nodes);
  const podIssues = list(d.podIssues);
  const workloads = list(d.workloads);
  return (
    <div className="page" data-testid={`cluster-page-${c.name}`} data-ready={status}>
      <Back />
      <div className="page-head">
        <h1>
          <Ellipsis text={c.name} />
        </h1>
        <ConditionBadge condition={{ ...c.ready, type: 'Ready', status }} words={readyWords(status)} />
        <span className="muted">
          <RelTime time={c.ready.since} prefix="since " />
        </span>
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      {status !== 'True' && (c.ready.message || c.ready.reason) && (
        <div className={`callout callout-${tone === 'error' ? 'error' : 'warn'}`} role="status">
          <CircleX size={18} aria-hidden="true" />
          <div>
            <div className="callout-title">{c.ready.reason || readyWords(status)}</div>
            {c.ready.message && <div className="callout-body">{c.ready.message}</div>}
          </div>
        </div>
      )}
      <div className="summary-grid">
        <Panel title="Summary">
          <dl className="fields">
            <Field label="Region">{c.region}</Field>
            <Field label="Zone">{c.zone}</Field>
            <Field label="Provider">{c.provider}</Field>
            <Field label="Fleet">{c.fleet}</Field>
            <Field label="Kubernetes">{c.kubernetesVersion}</Field>
            <Field label="API server">{d.apiServer && <Ellipsis text={d.apiServer} className="mono" />}</Field>
            <Field label="Namespace">{c.namespace}</Field>
            <Field label="Workloads">
              <Link to={`/workloads?cluster=${encodeURIComponent(c.name)}`}>{c.workloads}</Link>
            </Field>
          </dl>
        </Panel>
        <Panel title="Capacity">
          <dl className="stats stats-row">
            <div className={c.nodes.used < c.nodes.total ? 'stat-bad' : ''}>
              <dt>Nodes ready</dt>
              <dd className="num">
                {c.nodes.used}/{c.nodes.total}
              </dd>
            </div>
            <div>
              <dt>Pods running</dt>
              <dd className="num">
                {c.pods.used}/{c.pods.total}
              </dd>
            </div>
            <div className={c.failedPods > 0 ? 'stat-bad' : ''}>
              <dt>Failed pods</dt>
              <dd className="num">{c.failedPods}</dd>
            </div>
          </dl>
          <UsageBar label="CPU" unit="cpu" usage={c.cpu} />
          <UsageBar label="Memory" unit="memory" usage={c.memory} />
        </Panel>
      </div>
      <Panel title="Conditions" count={list(d.conditions).length}>
        <ConditionsTable conditions={list(d.conditions)} />
      </Panel>
      <div className="two-col">
        <Panel title="Condition history" count={list(d.history).length}>
          <History history={list(d.history)} />
        </Panel>
        <div className="stack">
          <Panel title="Taints" count={c.taints?.length ?? 0}>
            {(c.taints?.length ?? 0) === 0 ? (
              <p className="muted">No taints: any workload may be scheduled here.</p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Key</th>
                    <th>Value</th>
                    <th>Effect</th>
                    <th>Added</th>
                  </tr>
                </thead>
                <tbody>
                  {c.taints!.map((t) => (
                    <tr key={`${t.key}:${t.effect}`}>
                      <td className="mono">{t.key}</td>
                      <td className="mono">{t.value || <span className="muted">–</span>}</td>
                      <td>
                        <Chip tone={t.effect === 'NoExecute' ? 'error' : 'warn'}>{t.effect}</Chip>
                      </td>
                      <td>
                        <RelTime time={t.added} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Panel>
          <Panel title="Labels" count={labels.length}>
            {labels.length === 0 ? (
              <p className="muted">No labels.</p>
            ) : (
              <div className="chips">
                {labels.map(([k, v]) => (
                  <Chip key={k} title={`${k}=${v}`}>
                    <span className="mono">
                      {k}
                      {v ? `=${v}` : ''}
                    </span>
                  </Chip>
                ))}
              </div>
            )}
          </Panel>
        </div>
      </div>
      <Panel title="Nodes" count={nodes.length}>
        {nodes.length === 0 ? (
          <Empty title="No nodes reported">The hub has not collected this member&rsquo;s nodes yet, or it cannot reach the member.</Empty>
        ) : (
          <table className="table" data-testid="nodes-table">
            <thead>
              <tr>
                <th>Node</th>
                <th>Status</th>
                <th>Schedulable</th>
                <th className="r">CPU</th>
                <th className="r">Memory</th>
                <th className="r">Pods</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => (
                <tr key={n.name} className={n.ready ? '' : 'row-error'} data-testid={`node-${n.name}`} data-ready={n.ready ? 'True' : 'False'}>
                  <td className="strong">
                    <Ellipsis text={n.name} />
                  </td>
                  <td>
                    {n.ready ? (
                      <span className="badge tone-ok">
                        <CircleCheck size={14} aria-hidden="true" />
                        Ready
                      </span>
                    ) : (
                      <span className="badge tone-error" title={n.reason}>
                        <CircleX size={14} aria-hidden="true" />
                        NotReady
                      </span>
                    )}
                    {!n.ready && n.reason && <span className="cell-msg tone-error-fg"> {n.reason}</span>}
                  </td>
                  <td>{n.unschedulable ? <Chip tone="warn">cordoned</Chip> : 'yes'}</td>
                  <td className="r num">{formatCPU(n.cpu)}</td>
                  <td className="r num">{formatBytes(n.memory)}</td>
                  <td className="r num">{n.pods}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      {podIssues.length > 0 && (
        <Panel title={<span className="tone-error-fg">Pod issues</span>} count={podIssues.length}>
          <table className="table" data-testid="pod-issues">
            <thead>
              <tr>
                <th>Pod</th>
                <th>Reason</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {podIssues.map((p) => (
                <tr key={`${p.namespace}/${p.name}`} className="row-error">
                  <td className="strong">
                    <Ellipsis text={`${p.namespace}/${p.name}`} />
                  </td>
                  <td className="tone-error-fg">{p.reason}</td>
                  <td className="wrap">{p.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      )}
      <Panel title="Workloads placed here" count={workloads.length}>
        {workloads.length === 0 ? (
          <Empty title="No workloads here">
            Nothing you may read is placed on {c.name}. A PropagationPolicy whose placement includes it puts workloads here.
          </Empty>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Workload</th>
                <th className="r">Ready</th>
                <th>Health</th>
                <th>Applied</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {workloads.slice(0, shownWorkloads).map((w) => (
                <tr key={`${w.ref.kind}/${refName(w.ref)}`}>
                  <td className="muted">{w.ref.kind}</td>
                  <td className="strong">
                    <Link to={workloadPath(w.ref.namespace, w.binding)}>
                      <Ellipsis text={refName(w.ref)} />
                    </Link>
                  </td>
                  <td className="r num">
                    {w.ready}/{w.desired}
                  </td>
                  <td>
                    <HealthBadge health={w.health} message={w.message} />
                  </td>
                  <td>{w.applied ? 'yes' : <span className="tone-warn-fg">not yet</span>}</td>
                  <td className="wrap">{w.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {workloads.length > shownWorkloads && (
          <div className="more">
            <span className="muted num">
              {shownWorkloads} of {workloads.length} shown
            </span>
            <button type="button" className="btn" onClick={() => setShownWorkloads(workloads.length)}>
              Show all {workloads.length}
            </button>
            <Link to={`/workloads?cluster=${encodeURIComponent(c.name)}`}>Filter the workload list by this cluster</Link>
          </div>
        )}
      </Panel>
      <Panel title="Recent events" count={list(d.events).length}>
        <EventsTable events={list(d.events) as Event[]} />
      </Panel>
    </div>
  );
}

function Back() {
  return (
    <Link to="/" className="back">
      <ArrowLeft size={14} aria-hidden="true" /> Overview
    </Link>
  );
}

function History({ history }: { history: Transition[] }) {
  if (history.length === 0) return <p className="muted">No condition changes recorded yet.</p>;
  return (
    <ol className="timeline" data-testid="history">
      {history.map((h, i) => {
        const tone = h.to === 'True' ? (/Pressure$|Unavailable$/.test(h.type) ? 'error' : 'ok') : h.to === 'False' ? (/Pressure$|Unavailable$/.test(h.type) ? 'ok' : 'error') : 'warn';
        return (
          <li key={i} className={`tl-item tone-${tone}`}>
            <span className="tl-dot" aria-hidden="true" />
            <div className="tl-main">
              <div className="tl-head">
                <strong>{h.type}</strong>
                <span className="muted">
                  {h.from || 'none'} → {h.to}
                </span>
                <span className="tl-time muted">
                  <RelTime time={h.time} />
                </span>
              </div>
              {(h.reason || h.message) && (
                <div className="tl-msg">
                  {h.reason && <span className="strong">{h.reason}</span>}
                  {h.reason && h.message && ': '}
                  {h.message}
                </div>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
