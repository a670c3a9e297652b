import { ArrowLeft, CirclePause, TriangleAlert } from 'lucide-react';
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { api, clusterPath, list } from '../api/client';
import type { ForecastView, ScaleClusterView, ScaleExecutionView, ScalePolicyDetail } from '../api/types';
import { Chip, Ellipsis, ErrorBox, Field, Loading, Panel, RefreshError } from '../components/common';
import { RelTime } from '../components/RelTime';
import { ChangeProgress, FailedList, ResultBadge, ScalePhaseBadge, ValueVsThreshold, executionWords, resultLook, verdictLook, VerdictBadge } from '../components/scaling';
import { absoluteTime } from '../format';
import { useResource } from '../live/useResource';
import { duration } from './Rollout';
import { NodePoolsTable } from './Scaling';
import { ConditionsTable, EventsTable } from './shared';

const TOPICS = ['scaling', 'events'] as const;

export function ScalePolicyPage() {
  const { namespace = '', name = '' } = useParams();
  const load = useCallback((s: AbortSignal) => api.scalePolicy(namespace, name, s), [namespace, name]);
  const r = useResource<ScalePolicyDetail>(`scalepolicy/${namespace}/${name}`, load, TOPICS);
  if (!r.data) {
    return (
      <div className="page">
        <Back />
        {r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what={`scale policy ${name}`} />}
      </div>
    );
  }
  const d = r.data;
  const s = d.summary;
  const execs = list(d.executions);
  const bad = s.phase === 'Blocked' || s.last?.result === 'Failed';
  const pausedOnly = s.suspended && !bad;
  return (
    <div className="page" data-testid="scalepolicy-page">
      <Back />
      <div className="page-head">
        <span className="kind">ScalePolicy</span>
        <h1>
          <Ellipsis text={`${s.namespace}/${s.name}`} />
        </h1>
        <ScalePhaseBadge phase={s.phase} testid="sp-phase" />
        {s.suspended && s.phase !== 'Suspended' && (
          <Chip tone="warn" title="suspend is set: the trigger is not evaluated; kurator scale trigger still runs it">
            suspended
          </Chip>
        )}
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      {(s.message || pausedOnly) && (
        <div className={`callout ${bad ? 'callout-error' : 'callout-warn'}`} role={bad ? 'alert' : 'status'} data-testid="sp-message">
          {pausedOnly ? <CirclePause size={18} aria-hidden="true" /> : <TriangleAlert size={18} aria-hidden="true" />}
          <div>
            <div className="callout-title">{s.phase === 'Blocked' ? 'The policy cannot act' : bad ? 'The last execution failed' : pausedOnly ? 'Suspended' : 'Needs attention'}</div>
            {s.message && <div className="callout-body">{s.message}</div>}
            {s.suspended && (
              <div className="callout-body">
                Resume with <code>kurator scale resume {s.name} -n {s.namespace}</code>; run it once now with <code>kurator scale trigger {s.name} -n {s.namespace}</code>.
              </div>
            )}
          </div>
        </div>
      )}
      <Panel title="Summary">
        <dl className="fields">
          <Field label="Trigger">
            <span className="wrap" data-testid="sp-trigger">
              {d.spec.trigger}
            </span>
          </Field>
          <Field label="Action">
            {list(d.spec.actions).length > 0 && (
              <ul className="plain lines" data-testid="sp-actions">
                {list(d.spec.actions).map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ul>
            )}
          </Field>
          <Field label={s.schedule ? 'Schedule' : 'Value'}>
            <ValueVsThreshold s={s} />
          </Field>
          <Field label="Evaluated">
            {s.lastEvaluation && (
              <span>
                <RelTime time={s.lastEvaluation} />
                {s.nextEvaluation && (
                  <span className="muted">
                    , next <RelTime time={s.nextEvaluation} />
                  </span>
                )}
              </span>
            )}
          </Field>
          <Field label="Last scale">{s.lastScale && <RelTime time={s.lastScale} />}</Field>
          <Field label="Scale-in">
            <span className="wrap">{d.spec.scaleIn}</span>
          </Field>
          <Field label="Timing">
            <span>
              evaluated every {d.spec.interval}; cooldown {d.spec.cooldown}
            </span>
          </Field>
          <Field label="Written as">{d.spec.form === 'console' ? 'the console\u2019s JSON (fields at the top level)' : 'spec'}</Field>
        </dl>
      </Panel>
      <Panel title="Clusters" count={list(d.clusters).length} id="windows">
        <Windows clusters={list(d.clusters)} />
      </Panel>
      {(d.forecast || s.trigger === 'predictive') && (
        <Panel title="Forecast">
          <Forecast f={d.forecast} />
        </Panel>
      )}
      <Panel title="Executions" count={execs.length} id="executions">
        <Executions execs={execs} />
      </Panel>
      {(list(d.nodePools).length > 0 || d.nodePoolsHidden) && (
        <Panel title="Node pools" count={list(d.nodePools).length}>
          {d.nodePoolsHidden ? <p className="muted wrap">{d.nodePoolsHidden}</p> : <NodePoolsTable pools={list(d.nodePools)} />}
        </Panel>
      )}
      {list(d.before).length > 0 && (
        <Panel title="Scale-in returns to">
          <ul className="plain lines" data-testid="sp-before">
            {list(d.before).map((c) => (
              <li key={c.target}>
                {c.target}: <span className="num">{c.from}</span>
              </li>
            ))}
          </ul>
        </Panel>
      )}
      <Panel title="Conditions" count={list(d.conditions).length}>
        <ConditionsTable conditions={list(d.conditions)} />
      </Panel>
      <Panel title="Events" count={list(d.events).length}>
        <EventsTable events={list(d.events)} showObject={false} />
      </Panel>
    </div>
  );
}

function Back() {
  return (
    <Link to="/scaling" className="back">
      <ArrowLeft size={14} aria-hidden="true" /> Scaling
    </Link>
  );
}

/** Windows is the last evaluation per cluster: value, lowest and highest over the window, samples and the verdict in colour. */
function Windows({ clusters }: { clusters: ScaleClusterView[] }) {
  if (clusters.length === 0) return <p className="muted">Not evaluated yet: the controller reads the metric every evaluation interval.</p>;
  return (
    <table className="table" data-testid="sp-clusters">
      <thead>
        <tr>
          <th>Cluster</th>
          <th className="r">Value</th>
          <th className="r">Min</th>
          <th className="r">Max</th>
          <th className="r">Samples</th>
          <th>Verdict</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {clusters.map((c) => {
          const tone = verdictLook(c.verdict).tone;
          return (
            <tr key={c.name} data-testid={`window-${c.name}`} data-verdict={c.verdict} className={tone === 'error' ? 'row-warn' : ''}>
              <td className="strong">
                <Link to={clusterPath(c.name)}>{c.name}</Link>
              </td>
              <td className={`r num strong tone-${tone}-fg`}>{c.value || '–'}</td>
              <td className="r num">{c.min || '–'}</td>
              <td className="r num">{c.max || '–'}</td>
              <td className="r num">{c.samples}</td>
              <td>
                <VerdictBadge verdict={c.verdict} message={c.message} />
              </td>
              <td className="wrap">{c.message}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Forecast({ f }: { f?: ForecastView }) {
  if (!f) return <p className="muted">No forecast yet: the model needs at least two seasons of history.</p>;
  return (
    <dl className="fields" data-testid="sp-forecast">
      <Field label="Crossing">
        {f.crossingTime ? (
          <span title={absoluteTime(f.crossingTime)}>
            {f.cluster ? `${f.cluster} ` : ''}crosses the threshold <RelTime time={f.crossingTime} />
          </span>
        ) : (
          <span>no crossing within the next season</span>
        )}
      </Field>
      <Field label="Scales out">
        {f.scaleAt && (
          <span title={absoluteTime(f.scaleAt)}>
            <RelTime time={f.scaleAt} />
            {f.leadTime && <span className="muted"> ({f.leadTime} ahead)</span>}
          </span>
        )}
      </Field>
      <Field label="Peak">
        {f.peak && (
          <span>
            <span className="num strong">{f.peak}</span> {f.peakTime && <RelTime time={f.peakTime} />}
          </span>
        )}
      </Field>
      <Field label="Model error">{f.error && <span title="mean absolute percentage error on the last season of history, held out">{f.error}</span>}</Field>
      <Field label="Model">{f.model && <span className="mono wrap">{f.model}</span>}</Field>
    </dl>
  );
}

/** Executions is the timeline, newest first: when, why, each change's progress, failed pods and nodes in red, the result. */
function Executions({ execs }: { execs: ScaleExecutionView[] }) {
  if (execs.length === 0) return <p className="muted">No execution yet: the trigger has not fired. `kurator scale trigger NAME` runs one now.</p>;
  return (
    <ol className="timeline executions" data-testid="sp-executions">
      {execs.map((e) => {
        const l = resultLook(e.result);
        const changes = list(e.changes);
        return (
          <li key={e.id} className={`tl-item tone-${l.tone}`} data-testid={`execution-${e.id}`} data-result={e.result}>
            <span className="tl-dot" aria-hidden="true" />
            <div className="tl-main">
              <div className="tl-head">
                <span className="strong">{executionWords(e)}</span>
                <ResultBadge result={e.result} />
                {e.seconds !== undefined && e.seconds > 0 && <span className="muted small">in {duration(e.seconds)}</span>}
                <span className="tl-time" title={absoluteTime(e.time)}>
                  <RelTime time={e.time} />
                </span>
              </div>
              {e.reason && <div className="wrap small">why: {e.reason}</div>}
              {e.message && <div className={`wrap small${e.result === 'Failed' ? ' tone-error-fg' : ''}`}>{e.message}</div>}
              {changes.length > 0 && (
                <ul className="changes" aria-label={`What execution ${e.id} changed`}>
                  {changes.map((c) => (
                    <ChangeProgress key={`${c.kind}/${c.cluster ?? ''}/${c.namespace ?? ''}/${c.name}`} c={c} result={e.result} />
                  ))}
                </ul>
              )}
              <FailedList e={e} />
            </div>
          </li>
        );
      })}
    </ol>
  );
}
