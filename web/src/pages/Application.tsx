import { ArrowLeft, CirclePause, TriangleAlert } from 'lucide-react';
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { api, clusterPath, list } from '../api/client';
import type { ApplicationCluster, ApplicationDetail, AppVersionView } from '../api/types';
import { AppClusterChip, AppPhaseBadge, ConsistentBadge, ImageProgress, releasing, revisionText } from '../components/application';
import { Chip, Ellipsis, ErrorBox, Field, Loading, Panel, RefreshError } from '../components/common';
import { RelTime } from '../components/RelTime';
import { StageSteps, stageText } from '../components/rollout';
import { HealthBadge } from '../components/status';
import { formatBytes, plural } from '../format';
import { useResource } from '../live/useResource';
import { Gates, History } from './Rollout';
import { failing } from './Rollouts';
import { ConditionsTable, EventsTable } from './shared';

const TOPICS = ['applications', 'events'] as const;

/** shortDigest is "sha256:" and the first 12 hex digits, as the CLI writes it. */
export function shortDigest(d: string | undefined): string {
  if (!d) return '';
  const hex = d.startsWith('sha256:') ? d.slice(7) : '';
  return hex.length > 12 ? `sha256:${hex.slice(0, 12)}` : d;
}

export function ApplicationPage() {
  const { namespace = '', name = '' } = useParams();
  const load = useCallback((s: AbortSignal) => api.application(namespace, name, s), [namespace, name]);
  const r = useResource<ApplicationDetail>(`application/${namespace}/${name}`, load, TOPICS);
  if (!r.data) {
    return (
      <div className="page">
        <Back />
        {r.error ? <ErrorBox error={r.error} onRetry={r.reload} /> : <Loading what={`application ${name}`} />}
      </div>
    );
  }
  const d = r.data;
  const s = d.summary;
  const clusters = list(d.clusters);
  const bad = failing(s.phase);
  const withImages = clusters.filter((c) => list(c.images).length > 0);
  return (
    <div className="page" data-testid="application-page">
      <Back />
      <div className="page-head">
        <span className="kind">Application</span>
        <h1>
          <Ellipsis text={`${s.namespace}/${s.name}`} />
        </h1>
        <AppPhaseBadge phase={s.phase} testid="app-phase" />
        <ConsistentBadge status={s.consistent} message={s.consistentMessage} releasing={releasing(s.phase)} testid="app-consistent" />
        {s.paused && (
          <Chip tone="warn" title="spec.delivery.suspend: the release stays where it is until resumed">
            paused
          </Chip>
        )}
      </div>
      <RefreshError error={r.error} onRetry={r.reload} />
      {s.message && (
        <div className={`callout ${bad ? 'callout-error' : 'callout-warn'}`} role={bad ? 'alert' : 'status'} data-testid="app-message">
          {s.paused && !bad ? <CirclePause size={18} aria-hidden="true" /> : <TriangleAlert size={18} aria-hidden="true" />}
          <div>
            <div className="callout-title">
              {bad ? (s.phase === 'Failed' ? 'The release failed and was rolled back' : 'Rolling back every updated cluster') : s.paused ? 'Paused' : 'Needs attention'}
            </div>
            <div className="callout-body">{s.message}</div>
            {s.paused && (
              <div className="callout-body">
                Resume with <code>kurator app resume {s.name} -n {s.namespace}</code>.
              </div>
            )}
          </div>
        </div>
      )}
      <Panel title="Summary">
        <dl className="fields">
          <Field label="Source">
            <span className="wrap" data-testid="app-source">
              {s.source}
            </span>
          </Field>
          <Field label="Fleets">{list(s.fleets).length > 0 ? list(s.fleets).join(', ') : undefined}</Field>
          <Field label="Revision">
            {s.revision && (
              <span className="mono" data-testid="app-revision" title={s.digest}>
                {s.revision}
                {s.digest && <span className="muted"> ({shortDigest(s.digest)})</span>}
              </span>
            )}
          </Field>
          <Field label="Stage">
            <span data-testid="app-stage">{stageText(s.stage)}</span>
          </Field>
          <Field label="Clusters">
            <span className="num" title="clusters that run the revision, healthy, of the clusters selected">
              {s.current} of {plural(s.clusters, 'cluster')} on {s.revision || 'the revision'}
            </span>
          </Field>
          <Field label="Consistent">{s.consistentMessage && <span className="wrap">{s.consistentMessage}</span>}</Field>
          <Field label="Started">{s.started && <RelTime time={s.started} />}</Field>
          {d.lastAction && (
            <Field label="Last action">
              <span className="mono">{d.lastAction}</span>
            </Field>
          )}
        </dl>
      </Panel>
      <Panel title="Progress" id="progress">
        <StageSteps stages={list(d.stages)} chips={(st) => clusters.filter((c) => c.stage === st.index).map((c) => <AppClusterChip key={c.name} c={c} />)} />
      </Panel>
      <Panel title="Clusters" count={clusters.length}>
        <ClustersTable clusters={clusters} />
      </Panel>
      <Panel title="Image sync" count={withImages.reduce((n, c) => n + list(c.images).length, 0)}>
        {withImages.length === 0 ? (
          <p className="muted">No image to copy: the revision names no image in AppHub&rsquo;s registry, or no cluster names a registry.</p>
        ) : (
          <div className="image-clusters" data-testid="image-sync">
            {withImages.map((c) => (
              <section key={c.name} className="image-cluster" data-testid={`images-${c.name}`} aria-label={`Images copied to ${c.name}`}>
                <h3>
                  <Link to={clusterPath(c.name)}>{c.name}</Link>{' '}
                  <span className="muted small num">
                    {c.imagesSynced}/{list(c.images).length} synced{c.registry ? ` to ${c.registry}` : ''}
                  </span>
                </h3>
                <ul className="images">
                  {list(c.images).map((img) => (
                    <ImageProgress key={img.source} img={img} />
                  ))}
                </ul>
              </section>
            ))}
          </div>
        )}
      </Panel>
      <Panel title="Conditions" count={list(d.conditions).length}>
        <ConditionsTable conditions={list(d.conditions)} />
      </Panel>
      <Panel title="Gate verdicts" count={list(d.gates).length}>
        <Gates gates={list(d.gates)} whole="whole release" />
      </Panel>
      <div className="two-col">
        <Panel title="Release history" count={list(d.history).length}>
          <History runs={list(d.history)} empty="No finished release yet." />
        </Panel>
        <Panel title="Versions in AppHub" count={list(d.versions).length}>
          <Versions versions={list(d.versions)} hidden={d.versionsHidden} />
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
    <Link to="/applications" className="back">
      <ArrowLeft size={14} aria-hidden="true" /> Applications
    </Link>
  );
}

function ClustersTable({ clusters }: { clusters: ApplicationCluster[] }) {
  if (clusters.length === 0) return <p className="muted">No cluster selected yet: the sync policies select none, or the controller has not acted on this Application.</p>;
  return (
    <table className="table" data-testid="app-clusters">
      <thead>
        <tr>
          <th>Cluster</th>
          <th>Stage</th>
          <th>Phase</th>
          <th>Runs → target</th>
          <th>Health</th>
          <th>Registry</th>
          <th className="r">Images</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {clusters.map((c) => (
          <tr key={c.name} data-testid={`acluster-${c.name}`} className={c.health === 'Degraded' ? 'row-error' : ''}>
            <td className="strong">
              <Link to={clusterPath(c.name)}>{c.name}</Link>
              {c.syncPolicy && <div className="cell-msg muted">{c.syncPolicy}</div>}
            </td>
            <td className="nowrap">{c.stage < 0 ? <span className="muted">not placed yet</span> : `${c.stage + 1} ${c.stageName ?? ''}`}</td>
            <td>{c.phase ? <AppPhaseBadge phase={c.phase} /> : <span className="muted">–</span>}</td>
            <td className="mono nowrap">{revisionText(c.running, c.target)}</td>
            <td>
              <HealthBadge health={c.health} message={c.message} />
            </td>
            <td className="mono">{c.registry ? <Ellipsis text={c.registry} /> : <span className="muted">none</span>}</td>
            <td className="r num">
              {c.imagesSynced}/{list(c.images).length}
            </td>
            <td className="wrap">{c.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Versions({ versions, hidden }: { versions: AppVersionView[]; hidden?: string }) {
  if (hidden) return <p className="muted wrap">{hidden}</p>;
  if (versions.length === 0) return <p className="muted">AppHub holds no version of this application yet.</p>;
  return (
    <table className="table compact" data-testid="app-versions">
      <thead>
        <tr>
          <th>Version</th>
          <th>Digest</th>
          <th className="r">Size</th>
          <th>Run by</th>
          <th>Age</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((v) => (
          <tr key={v.version} data-testid={`version-${v.version}`}>
            <td className="mono strong">
              {v.version} {v.current && <Chip title="the revision the source names now">current</Chip>}
              <div className="cell-msg muted">
                {v.format === 'HelmChart' ? 'Helm chart' : plural(v.objects, 'object')}, {plural(v.images, 'image')}
                {v.warnings > 0 && <span className="tone-warn-fg">, {plural(v.warnings, 'warning')}</span>}
              </div>
            </td>
            <td className="mono" title={v.digest}>
              {shortDigest(v.digest)}
            </td>
            <td className="r num">{formatBytes(v.size)}</td>
            <td>
              <div className="chips">
                {list(v.clusters).length === 0 ? <span className="muted">–</span> : list(v.clusters).map((c) => <Chip key={c}>{c}</Chip>)}
              </div>
            </td>
            <td className="nowrap">
              <RelTime time={v.created} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
