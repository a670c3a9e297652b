import { useCallback } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, list, rolloutPath, workloadPath } from '../api/client';
import type { RolloutList, RolloutSummary } from '../api/types';
import { Ellipsis, Empty, ErrorBox, Loading, NamespaceFilter, RefreshError } from '../components/common';
import { ClusterChip, PhaseBadge, stageText } from '../components/rollout';
import { useResource } from '../live/useResource';

const TOPICS = ['rollouts', 'workloads'] as const;

export const STRATEGY_WORDS: Record<string, string> = { canary: 'Canary', ab: 'A/B test', bluegreen: 'Blue/green' };

/** failing: a rollout whose row is red (its run failed or rolls back). */
export function failing(phase: string): boolean {
  return phase === 'Failed' || phase === 'RollingBack';
}

export function RolloutsPage() {
  const [params, setParams] = useSearchParams();
  const namespace = params.get('namespace') ?? '';
  const load = useCallback((s: AbortSignal) => api.rollouts(namespace, s), [namespace]);
  const r = useResource<RolloutList>(`rollouts?${namespace}`, load, TOPICS, { keepOnKeyChange: true });
  const doc = r.data;
  const items = list(doc?.items);
  const choices = list(doc?.namespaces);
  return (
    <div className="page" data-testid="rollouts">
      <div className="page-head">
        <h1>Rollouts</h1>
        {doc && <p className="subtitle num">{items.length === 1 ? '1 rollout' : `${items.length} rollouts`}</p>}
      </div>
      <NamespaceFilter params={params} setParams={setParams} choices={choices} label="Filter rollouts" />
      {r.data ? <RefreshError error={r.error} onRetry={r.reload} /> : r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what="rollouts" />}
      {doc &&
        (items.length === 0 ? (
          doc.unavailable ? (
            <Empty title="The hub does not serve Rollouts">{doc.unavailable}</Empty>
          ) : (
            <Empty title={namespace ? `No Rollouts in ${namespace}` : 'No Rollouts yet'}>
              A Rollout delivers each new revision of a propagated Deployment stage by stage with metric gates; apply one to the hub (see <code>docs/rollouts.md</code>) and it
              shows here.
            </Empty>
          )
        ) : (
          <table className="table rollouts-table" data-testid="rollouts-table">
            <thead>
              <tr>
                <th>Rollout</th>
                <th>Workload</th>
                <th>Strategy</th>
                <th>Phase</th>
                <th>Stage</th>
                <th>Stable</th>
                <th>Canary</th>
                <th>Canary weight per cluster</th>
              </tr>
            </thead>
            <tbody>
              {items.map((ro) => (
                <RolloutRow key={`${ro.namespace}/${ro.name}`} ro={ro} />
              ))}
            </tbody>
          </table>
        ))}
    </div>
  );
}

function RolloutRow({ ro }: { ro: RolloutSummary }) {
  const id = `${ro.namespace}/${ro.name}`;
  return (
    <tr data-testid={`rollout-${id}`} data-phase={ro.phase} className={failing(ro.phase) ? 'row-error' : ''}>
      <td className="strong">
        <Link to={rolloutPath(ro.namespace, ro.name)}>
          <Ellipsis text={id} />
        </Link>
        {ro.message && <div className={`cell-msg ellipsis${failing(ro.phase) ? ' tone-error-fg' : ''}`} title={ro.message}>{ro.message}</div>}
      </td>
      <td>
        {ro.binding ? (
          <Link to={workloadPath(ro.workload.namespace, ro.binding)}>
            <Ellipsis text={`${ro.workload.kind} ${ro.workload.name}`} />
          </Link>
        ) : (
          <Ellipsis text={`${ro.workload.kind} ${ro.workload.name}`} />
        )}
      </td>
      <td>{STRATEGY_WORDS[ro.strategy] ?? ro.strategy}</td>
      <td className="nowrap">
        <PhaseBadge phase={ro.phase} /> {ro.paused && <span className="chip tone-warn">paused</span>}
      </td>
      <td className="nowrap">{stageText(ro.stage)}</td>
      <td className="mono">{ro.stable || <span className="muted">–</span>}</td>
      <td className="mono">{ro.canary || <span className="muted">–</span>}</td>
      <td>
        <div className="chips">
          {list(ro.weights).length === 0 ? (
            <span className="muted">no cluster yet</span>
          ) : (
            list(ro.weights).map((w) => <ClusterChip key={w.cluster} name={w.cluster} phase={w.phase} weight={w.weight} link={false} />)
          )}
        </div>
      </td>
    </tr>
  );
}
