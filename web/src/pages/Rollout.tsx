import { ArrowLeft, CircleCheck, CircleX, CirclePause, TriangleAlert } from 'lucide-react';
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { api, clusterPath, list, workloadPath } from '../api/client';
import type { GateVerdict, RolloutDetail, RolloutRunView } from '../api/types';
import { Chip, Ellipsis, ErrorBox, Field, Loading, Panel, RefreshError } from '../components/common';
import { PhaseBadge, StageStrip, WeightMeter, phaseLook, stageText } from '../components/rollout';
import { RelTime } from '../components/RelTime';
import { absoluteTime } from '../format';
import { useResource } from '../live/useResource';
import { failing, STRATEGY_WORDS } from './Rollouts';
import { ConditionsTable, EventsTable } from './shared';

const TOPICS = ['rollouts', 'workloads', 'events'] as const;

export function RolloutPage() {
  const { namespace = '', name = '' } = useParams();
  const load = useCallback((s: AbortSignal) => api.rollout(namespace, name, s), [namespace, name]);
  const r = useResource<RolloutDetail>(`rollout/${namespace}/${name}`, load, TOPICS);
  if (!r.data) {
    return (
      <div className="page">
        <Back />
        {r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what={`rollout ${name}`} />}
      </div>
    );
  }
  const d = r.data;
  const s = d.summary;
  const sp = d.spec;
  const clusters = list(d.clusters);
  const bad = failing(s.phase);
  return (
    <div className="page" data-testid="rollout-page">
      <Back />
      <div className="page-head">
        <span className="kind">Rollout</span>
        <h1>
          <Ellipsis text={`${s.namespace}/${s.name}`} />
        </h1>
        <PhaseBadge phase={s.phase} testid="rollout-phase" />
        {s.paused && (
          <Chip tone="warn" title="spec.rolloutPolicy.suspend: no step and no check until resumed">
            paused
          </Chip>
        )}
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      {s.message && (
        <div className={`callout ${bad ? 'callout-error' : 'callout-warn'}`} role={bad ? 'alert' : 'status'} data-testid="rollout-message">
          {s.paused && !bad ? <CirclePause size={18} aria-hidden="true" /> : <TriangleAlert size={18} aria-hidden="true" />}
          <div>
            <div className="callout-title">{bad ? (s.phase === 'Failed' ? 'The run failed and was rolled back' : 'Rolling back every cluster') : s.paused ? 'Paused' : 'Needs attention'}</div>
            <div className="callout-body">{s.message}</div>
            {s.paused && (
              <div className="callout-body">
                Resume with <code>kurator rollout resume {s.name} -n {s.namespace}</code>.
              </div>
            )}
          </div>
        </div>
      )}
      <div className="summary-grid">
        <Panel title="Summary">
          <dl className="fields">
            <Field label="Workload">
              {s.binding ? (
                <Link to={workloadPath(s.workload.namespace, s.binding)} data-testid="rollout-workload">
                  {s.workload.kind} {s.workload.name}
                </Link>
              ) : (
                `${s.workload.kind} ${s.workload.name}`
              )}
            </Field>
            <Field label="Service">
              <span className="mono">{sp.service}</span>
            </Field>
            <Field label="Strategy">{STRATEGY_WORDS[s.strategy] ?? s.strategy}</Field>
            <Field label="Stage">
              <span data-testid="rollout-stage">{stageText(s.stage)}</span>
            </Field>
            <Field label="Stable">{s.stable && <span className="mono">{s.stable}</span>}</Field>
            <Field label="Canary">{s.canary && <span className="mono">{s.canary}</span>}</Field>
            {s.failed && (
              <Field label="Failed">
                <span className="mono tone-error-fg" title="not tried again until the workload changes">
                  {s.failed}
                </span>
              </Field>
            )}
            <Field label="Started">{s.started && <RelTime time={s.started} />}</Field>
            {d.lastAction && (
              <Field label="Last action">
                <span className="mono">{d.lastAction}</span>
              </Field>
            )}
          </dl>
        </Panel>
        <Panel title="How it rolls out">
          <div className="rollout-words">
            <p className="wrap" data-testid="rollout-strategy">
              {sp.strategy}
            </p>
            {list(sp.steps).length > 0 && (
              <div className="chips" aria-label="Canary weight steps">
                {list(sp.steps).map((w, i) => (
                  <Chip key={i}>{w}%</Chip>
                ))}
              </div>
            )}
            <p className="wrap muted" data-testid="rollout-analysis">
              {sp.analysis}.
            </p>
            <p className="wrap muted">{sp.timeout}.</p>
            {sp.routing && <p className="wrap muted">Routing: {sp.routing}.</p>}
          </div>
        </Panel>
      </div>
      <Panel title="Progress" id="progress">
        <StageStrip stages={list(d.stages)} clusters={clusters} />
      </Panel>
      <Panel title="Clusters" count={clusters.length}>
        {clusters.length === 0 ? (
          <p className="muted">No cluster placed in a stage yet: the controller has not started this Rollout.</p>
        ) : (
          <table className="table" data-testid="rollout-clusters">
            <thead>
              <tr>
                <th>Cluster</th>
                <th>Stage</th>
                <th>Phase</th>
                <th>Canary weight</th>
                <th className="r">Iterations</th>
                <th className="r">Failed checks</th>
                <th>Last check</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {clusters.map((c) => {
                const l = phaseLook(c.phase);
                return (
                  <tr key={c.name} data-testid={`rcluster-${c.name}`} className={l.tone === 'error' ? 'row-error' : ''}>
                    <td className="strong">
                      <Link to={clusterPath(c.name)}>{c.name}</Link>
                    </td>
                    <td className="nowrap">
                      {c.stage + 1} {c.stageName}
                    </td>
                    <td>
                      <PhaseBadge phase={c.phase} />
                    </td>
                    <td>
                      <WeightMeter weight={c.canaryWeight} tone={l.tone} />
                      {c.matchedToCanary && <Chip title="matched requests go to the canary">matched</Chip>}
                    </td>
                    <td className="r num">{c.iterations}</td>
                    <td className={`r num${c.failedChecks > 0 ? ' tone-error-fg' : ''}`}>{c.failedChecks}</td>
                    <td className="nowrap">
                      <RelTime time={c.lastCheck} />
                    </td>
                    <td className="wrap">{c.message}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel title="Gate verdicts" count={list(d.gates).length}>
        <Gates gates={list(d.gates)} />
      </Panel>
      <Panel title="Metrics and webhooks" count={list(sp.metrics).length + list(sp.webhooks).length}>
        {list(sp.metrics).length === 0 && list(sp.webhooks).length === 0 ? (
          <p className="muted">No metric or webhook: each step waits only for readiness.</p>
        ) : (
          <table className="table compact" data-testid="rollout-metrics">
            <thead>
              <tr>
                <th>Check</th>
                <th>Passes when</th>
                <th>Over</th>
              </tr>
            </thead>
            <tbody>
              {list(sp.metrics).map((m) => (
                <tr key={`m-${m.name}`}>
                  <td className="strong" title={m.query ?? 'built-in Istio metric'}>
                    {m.name}
                    {m.query && <code className="query mono small">{m.query}</code>}
                  </td>
                  <td className="num">{m.range}</td>
                  <td className="num">{m.interval}</td>
                </tr>
              ))}
              {list(sp.webhooks).map((h) => (
                <tr key={`h-${h.name}`}>
                  <td className="strong">{h.name}</td>
                  <td>{h.type} webhook</td>
                  <td className="mono ellipsis" title={h.url}>
                    {h.url}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <div className="two-col">
        <Panel title="History" count={list(d.history).length}>
          <History runs={list(d.history)} />
        </Panel>
        <Panel title="Conditions" count={list(d.conditions).length}>
          <ConditionsTable conditions={list(d.conditions)} />
        </Panel>
      </div>
      <Panel title="Events" count={list(d.events).length}>
        <EventsTable events={list(d.events)} showObject={false} />
      </Panel>
    </div>
  );
}

function Back() {
  return (
    <Link to="/rollouts" className="back">
      <ArrowLeft size={14} aria-hidden="true" /> Rollouts
    </Link>
  );
}

/** Gates lists gate verdicts (newest first); failures are red with their message. whole names a verdict about no one cluster. */
export function Gates({ gates, whole = 'whole rollout' }: { gates: GateVerdict[]; whole?: string }) {
  if (gates.length === 0) return <p className="muted">No verdict yet.</p>;
  return (
    <table className="table" data-testid="rollout-gates">
      <thead>
        <tr>
          <th>Time</th>
          <th>Cluster</th>
          <th>Gate</th>
          <th>Verdict</th>
          <th className="r">Value</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {gates.map((g, i) => (
          <tr key={i} className={g.passed ? '' : 'row-error'} data-testid="gate" data-passed={g.passed}>
            <td className="nowrap" title={absoluteTime(g.time)}>
              <RelTime time={g.time} />
            </td>
            <td>{g.cluster ?? <span className="muted">{whole}</span>}</td>
            <td className="strong" title={g.kind}>
              {g.gate}
            </td>
            <td className="nowrap">
              {g.passed ? (
                <span className="badge tone-ok" title={g.reason}>
                  <CircleCheck size={14} aria-hidden="true" /> passed
                </span>
              ) : (
                <span className="badge tone-error" title={g.reason}>
                  <CircleX size={14} aria-hidden="true" /> failed{g.reason ? `: ${g.reason}` : ''}
                </span>
              )}
            </td>
            <td className="r num">{g.value ?? ''}</td>
            <td className={`wrap${g.passed ? '' : ' tone-error-fg'}`}>{g.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** duration writes seconds as "4m 10s". */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || seconds < 0) return '–';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (m === 0) return `${s}s`;
  const h = Math.floor(m / 60);
  if (h === 0) return s ? `${m}m ${s}s` : `${m}m`;
  return `${h}h ${m % 60}m`;
}

/** History lists finished runs (or releases), newest first. */
export function History({ runs, empty = 'No finished run yet.' }: { runs: RolloutRunView[]; empty?: string }) {
  if (runs.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="table compact" data-testid="rollout-history">
      <thead>
        <tr>
          <th>Revision</th>
          <th>From</th>
          <th>Outcome</th>
          <th>Started</th>
          <th className="r">Took</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((h, i) => (
          <tr key={i} title={h.message} className={h.phase === 'Failed' ? 'row-error' : ''}>
            <td className="mono">{h.revision}</td>
            <td className="mono">{h.from ?? '–'}</td>
            <td>
              <PhaseBadge phase={h.phase} />
              {h.message && <div className="cell-msg wrap">{h.message}</div>}
            </td>
            <td className="nowrap">
              <RelTime time={h.start} />
            </td>
            <td className="r num">{duration(h.seconds)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
