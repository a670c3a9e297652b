import { useCallback } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, applicationPath, list } from '../api/client';
import type { ApplicationList, ApplicationSummary } from '../api/types';
import { AppPhaseBadge, ConsistentBadge, MemberChip, releasing } from '../components/application';
import { Ellipsis, Empty, ErrorBox, Loading, NamespaceFilter, RefreshError } from '../components/common';
import { stageText } from '../components/rollout';
import { useResource } from '../live/useResource';
import { failing } from './Rollouts';

const TOPICS = ['applications'] as const;

export function ApplicationsPage() {
  const [params, setParams] = useSearchParams();
  const namespace = params.get('namespace') ?? '';
  const load = useCallback((s: AbortSignal) => api.applications(namespace, s), [namespace]);
  const r = useResource<ApplicationList>(`applications?${namespace}`, load, TOPICS, { keepOnKeyChange: true });
  const doc = r.data;
  const items = list(doc?.items);
  const choices = list(doc?.namespaces);
  return (
    <div className="page" data-testid="applications">
      <div className="page-head">
        <h1>Applications</h1>
        {doc && <p className="subtitle num">{items.length === 1 ? '1 application' : `${items.length} applications`}</p>}
      </div>
      <NamespaceFilter params={params} setParams={setParams} choices={choices} label="Filter applications" />
      {r.data ? <RefreshError error={r.error} onRetry={r.reload} /> : r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what="applications" />}
      {doc &&
        (items.length === 0 ? (
          doc.unavailable ? (
            <Empty title="The hub does not serve Applications">{doc.unavailable}</Empty>
          ) : (
            <Empty title={namespace ? `No Applications in ${namespace}` : 'No Applications yet'}>
              An Application delivers each version of a package, Git path, Helm chart or OCI artifact to the clusters of a fleet, stage by stage; push a version with{' '}
              <code>kurator app push NAME:VERSION -f DIR</code> and deploy it with <code>kurator app deploy NAME:VERSION --fleet FLEET</code> (see <code>docs/apphub.md</code>).
            </Empty>
          )
        ) : (
          <table className="table rollouts-table" data-testid="applications-table">
            <thead>
              <tr>
                <th>Application</th>
                <th>Source</th>
                <th>Revision</th>
                <th>Phase</th>
                <th>Stage</th>
                <th>Consistent</th>
                <th title="each cluster coloured by health, with the revision it runs (→ the one the release gives it)">Clusters</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <ApplicationRow key={`${a.namespace}/${a.name}`} app={a} />
              ))}
            </tbody>
          </table>
        ))}
    </div>
  );
}

function ApplicationRow({ app }: { app: ApplicationSummary }) {
  const id = `${app.namespace}/${app.name}`;
  const bad = failing(app.phase);
  const members = list(app.members);
  return (
    <tr data-testid={`application-${id}`} data-phase={app.phase} className={bad ? 'row-error' : ''}>
      <td className="strong">
        <Link to={applicationPath(app.namespace, app.name)}>
          <Ellipsis text={id} />
        </Link>
        {app.message && (
          <div className={`cell-msg ellipsis${bad ? ' tone-error-fg' : ''}`} title={app.message}>
            {app.message}
          </div>
        )}
      </td>
      <td>
        <Ellipsis text={app.source} />
      </td>
      <td className="mono" data-testid="app-revision" title={app.digest}>
        {app.revision || <span className="muted">–</span>}
      </td>
      <td className="nowrap">
        <AppPhaseBadge phase={app.phase} /> {app.paused && <span className="chip tone-warn">paused</span>}
      </td>
      <td className="nowrap">{stageText(app.stage)}</td>
      <td className="nowrap">
        <ConsistentBadge status={app.consistent} message={app.consistentMessage} releasing={releasing(app.phase)} />
        <div className="cell-msg num" title="clusters that run the revision, healthy, of the clusters selected">
          {app.current}/{app.clusters} current
        </div>
      </td>
      <td>
        <div className="chips">{members.length === 0 ? <span className="muted">no cluster yet</span> : members.map((m) => <MemberChip key={m.cluster} m={m} />)}</div>
      </td>
    </tr>
  );
}
