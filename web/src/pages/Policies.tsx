import { useCallback, useEffect } from 'react';
import { Link, useLocation } from 'react-router';
import { api, list, policyAnchor, refName, workloadPathFor } from '../api/client';
import type { PolicyList, PolicySummary } from '../api/types';
import { Ellipsis, Empty, ErrorBox, Loading, Panel, RefreshError } from '../components/common';
import { ConditionBadge } from '../components/status';
import { useResource } from '../live/useResource';

const TOPICS = ['policies', 'workloads'] as const;
const KINDS = [
  { kind: 'PropagationPolicy', title: 'Propagation policies' },
  { kind: 'ClusterPropagationPolicy', title: 'Cluster propagation policies' },
  { kind: 'OverridePolicy', title: 'Override policies' },
  { kind: 'ClusterOverridePolicy', title: 'Cluster override policies' },
] as const;

export function PoliciesPage() {
  const load = useCallback((s: AbortSignal) => api.policies(s), []);
  const r = useResource<PolicyList>('policies', load, TOPICS);
  const { hash } = useLocation();
  const ready = !!r.data;
  useEffect(() => {
    if (ready && hash) document.getElementById(decodeURIComponent(hash.slice(1)))?.scrollIntoView({ block: 'center' });
  }, [ready, hash]);
  if (!r.data) return r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what="policies" />;
  const items = list(r.data.items);
  return (
    <div className="page" data-testid="policies">
      <div className="page-head">
        <h1>Policies</h1>
        <p className="subtitle num">{items.length} policies</p>
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      {items.length === 0 && (
        <Empty title="No policies yet">
          A PropagationPolicy says where resources go: apply one with a Deployment, e.g. <code>kubectl apply -f examples/nginx/</code>.
        </Empty>
      )}
      {KINDS.map(({ kind, title }) => {
        const ps = items.filter((p) => p.ref.kind === kind);
        if (ps.length === 0) return null;
        return (
          <Panel key={kind} title={title} count={ps.length} id={kind.toLowerCase()}>
            <PolicyTable policies={ps} override={kind.includes('Override')} />
          </Panel>
        );
      })}
      {(() => {
        const other = items.filter((p) => !KINDS.some((k) => k.kind === p.ref.kind));
        return other.length > 0 ? (
          <Panel title="Other policies" count={other.length}>
            <PolicyTable policies={other} override={false} />
          </Panel>
        ) : null;
      })()}
    </div>
  );
}

function PolicyTable({ policies, override }: { policies: PolicySummary[]; override: boolean }) {
  return (
    <table className="table policies-table">
      <thead>
        <tr>
          <th className="p-name">Name</th>
          <th className="p-ready">Ready</th>
          <th className="p-sel">Selectors</th>
          <th className="p-sum">{override ? 'Overriders' : 'Placement'}</th>
          <th className="r p-claimed">Claims</th>
          <th className="p-res">Resources</th>
        </tr>
      </thead>
      <tbody>
        {policies.map((p) => {
          const resources = list(p.resources);
          return (
            <tr key={refName(p.ref)} id={policyAnchor(p.ref)} data-testid={`policy-${refName(p.ref)}`} className={p.ready?.status === 'False' ? 'row-error' : ''}>
              <td className="strong">
                <Ellipsis text={refName(p.ref)} />
                {p.priority ? <div className="cell-msg">priority {p.priority}</div> : null}
              </td>
              <td>
                {p.ready ? <ConditionBadge condition={p.ready} words={p.ready.status === 'True' ? 'Ready' : p.ready.reason || 'NotReady'} /> : <span className="muted">–</span>}
                {p.ready?.status === 'False' && p.ready.message && <div className="cell-msg tone-error-fg">{p.ready.message}</div>}
              </td>
              <td>
                <ul className="plain">
                  {list(p.selectors).map((s) => (
                    <li key={s} className="mono ellipsis" title={s}>
                      {s}
                    </li>
                  ))}
                </ul>
              </td>
              <td className="wrap">{p.summary}</td>
              <td className="r num">{p.claimed}</td>
              <td>
                {resources.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="plain">
                    {resources.map((res) => (
                      <li key={`${res.kind}/${refName(res)}`}>
                        <Link to={workloadPathFor(res)} title={`${res.kind} ${refName(res)}`}>
                          <span className="muted">{res.kind}</span> {refName(res)}
                        </Link>
                      </li>
                    ))}
                    {p.claimed > resources.length && <li className="muted">and {p.claimed - resources.length} more</li>}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
