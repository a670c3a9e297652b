import { useCallback } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, clusterPath, list, scalePolicyPath } from '../api/client';
import type { NodePoolList, NodePoolSummary, ScalePolicyList, ScalePolicySummary } from '../api/types';
import { Chip, Ellipsis, Empty, ErrorBox, Loading, NamespaceFilter, Panel, RefreshError } from '../components/common';
import { RelTime } from '../components/RelTime';
import { ResultBadge, ScalePhaseBadge, ValueVsThreshold, executionWords } from '../components/scaling';
import { HealthBadge } from '../components/status';
import { percent, plural } from '../format';
import { useResource } from '../live/useResource';

const TOPICS = ['scaling'] as const;

export function ScalingPage() {
  const [params, setParams] = useSearchParams();
  const namespace = params.get('namespace') ?? '';
  const loadPolicies = useCallback((s: AbortSignal) => api.scalePolicies(namespace, s), [namespace]);
  const policies = useResource<ScalePolicyList>(`scalepolicies?${namespace}`, loadPolicies, TOPICS, { keepOnKeyChange: true });
  const loadPools = useCallback((s: AbortSignal) => api.nodePools(s), []);
  const pools = useResource<NodePoolList>('nodepools', loadPools, TOPICS);
  const doc = policies.data;
  const items = list(doc?.items);
  const poolItems = list(pools.data?.items);
  return (
    <div className="page" data-testid="scaling">
      <div className="page-head">
        <h1>Scaling</h1>
        {doc && (
          <p className="subtitle num">
            {plural(items.length, 'scale policy', 'scale policies')}
            {pools.data && `, ${plural(poolItems.length, 'node pool')}`}
          </p>
        )}
      </div>
      <NamespaceFilter params={params} setParams={setParams} choices={list(doc?.namespaces)} label="Filter scale policies" />
      {doc ? (
        <RefreshError error={policies.error} onRetry={policies.reload} />
      ) : policies.error ? (
        <ErrorBox error={policies.error} onRetry={policies.reload} />
      ) : (
        <Loading what="scale policies" />
      )}
      {doc &&
        (items.length === 0 ? (
          doc.unavailable ? (
            <Empty title="The hub does not serve ScalePolicies">{doc.unavailable}</Empty>
          ) : (
            <Empty title={namespace ? `No ScalePolicies in ${namespace}` : 'No ScalePolicies yet'}>
              A ScalePolicy grows workloads and node pools across clusters when a metric stays above a threshold, on a schedule, or ahead of a forecast; create
              one from the console&rsquo;s JSON with <code>kurator scale apply -f promo.json</code> and run it with <code>kurator scale trigger NAME</code> (see{' '}
              <code>docs/autoscaling.md</code>).
            </Empty>
          )
        ) : (
          <table className="table rollouts-table" data-testid="scalepolicies-table">
            <thead>
              <tr>
                <th>Policy</th>
                <th>Trigger</th>
                <th>Phase</th>
                <th title="the last evaluation's highest value against the trigger's threshold">Value</th>
                <th>Last scale</th>
                <th>Last execution</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <PolicyRow key={`${p.namespace}/${p.name}`} p={p} />
              ))}
            </tbody>
          </table>
        ))}
      <Panel title="Node pools" id="node-pools" count={pools.data ? poolItems.length : undefined}>
        {pools.data ? <RefreshError error={pools.error} onRetry={pools.reload} /> : pools.error ? <ErrorBox error={pools.error} onRetry={pools.reload} compact /> : <Loading what="node pools" />}
        {pools.data &&
          (poolItems.length === 0 ? (
            <p className="muted">{pools.data.unavailable ?? 'No NodePool yet: `kurator up` creates worker-pool in every member of the local fleet.'}</p>
          ) : (
            <NodePoolsTable pools={poolItems} />
          ))}
      </Panel>
    </div>
  );
}

function PolicyRow({ p }: { p: ScalePolicySummary }) {
  const id = `${p.namespace}/${p.name}`;
  const last = p.last;
  const bad = p.phase === 'Blocked' || last?.result === 'Failed';
  const failed = (last?.failedPods?.length ?? 0) + (last?.failedNodes?.length ?? 0);
  return (
    <tr data-testid={`scalepolicy-${id}`} data-phase={p.phase} className={bad ? 'row-error' : ''}>
      <td className="strong">
        <Link to={scalePolicyPath(p.namespace, p.name)}>
          <Ellipsis text={id} />
        </Link>
        {p.message && (
          <div className={`cell-msg ellipsis${bad ? ' tone-error-fg' : ''}`} title={p.message}>
            {p.message}
          </div>
        )}
      </td>
      <td className="wrap" data-testid="sp-trigger">
        {p.triggerText}
      </td>
      <td className="nowrap">
        <ScalePhaseBadge phase={p.phase} /> {p.suspended && p.phase !== 'Suspended' && <Chip tone="warn">suspended</Chip>}
      </td>
      <td className="nowrap">
        <ValueVsThreshold s={p} />
      </td>
      <td className="nowrap">{p.lastScale ? <RelTime time={p.lastScale} /> : <span className="muted">never</span>}</td>
      <td className="nowrap" data-testid="sp-last">
        {last ? (
          <>
            <ResultBadge result={last.result} /> <span className="muted small">{executionWords(last)}</span>
            {failed > 0 && (
              <div className="cell-msg tone-error-fg" data-testid="sp-failed">
                {[last.failedPods?.length ? plural(last.failedPods.length, 'failed pod') : '', last.failedNodes?.length ? plural(last.failedNodes.length, 'failed node') : '']
                  .filter(Boolean)
                  .join(', ')}
              </div>
            )}
          </>
        ) : (
          <span className="muted">none yet</span>
        )}
      </td>
    </tr>
  );
}

/** NodePoolsTable lists pools by cluster: nodes Ready of desired as a bar, bounds, provider, health. */
export function NodePoolsTable({ pools }: { pools: NodePoolSummary[] }) {
  return (
    <table className="table" data-testid="nodepools-table">
      <thead>
        <tr>
          <th>Cluster</th>
          <th>Pool</th>
          <th title="Ready nodes of the desired size (nodes that exist in brackets)">Ready / desired</th>
          <th className="r">Min–max</th>
          <th>Provider</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {pools.map((np) => {
          const tone = np.health === 'Healthy' ? 'ok' : np.health === 'Degraded' ? 'error' : np.health === 'Progressing' ? 'warn' : 'muted';
          const notReady = list(np.notReady);
          return (
            <tr key={`${np.namespace}/${np.name}`} data-testid={`nodepool-${np.cluster}-${np.pool}`} className={np.health === 'Degraded' ? 'row-error' : ''}>
              <td className="strong">
                <Link to={clusterPath(np.cluster)}>{np.cluster}</Link>
              </td>
              <td className="mono" title={`${np.namespace}/${np.name}`}>
                {np.pool}
              </td>
              <td className="nowrap">
                <span className="num" data-testid="np-ready">
                  {np.ready}/{np.desired}
                </span>{' '}
                <span className="muted small num">({plural(np.nodes, 'node')})</span>
                <span className={`meter np-meter tone-${tone === 'muted' ? 'ok' : tone}`} aria-hidden="true">
                  <span className="meter-fill" style={{ width: `${np.desired > 0 ? percent(np.ready, np.desired) : 0}%` }} />
                </span>
              </td>
              <td className="r num">
                {np.min}–{np.max}
              </td>
              <td>{np.provider || <span className="muted">–</span>}</td>
              <td className="wrap">
                <HealthBadge health={np.health} message={np.message} />
                {notReady.length > 0 && (
                  <div className="cell-msg tone-error-fg" data-testid="np-not-ready">
                    not Ready: {notReady.map((n) => (n.reason ? `${n.name} (${n.reason})` : n.name)).join(', ')}
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
