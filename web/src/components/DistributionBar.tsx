import { Link } from 'react-router';
import { clusterPath } from '../api/client';
import type { WorkloadCluster } from '../api/types';
import { healthLook } from './status';

export interface Segment {
  name: string;
  replicas: number;
  /** share of the bar in percent (equal shares when no cluster has replicas) */
  share: number;
  title: string;
  tone: string;
}

/** segments sizes one bar segment per cluster by its replicas. */
export function segments(clusters: readonly WorkloadCluster[]): Segment[] {
  const total = clusters.reduce((n, c) => n + Math.max(0, c.replicas), 0);
  return clusters.map((c) => {
    const share = total > 0 ? (Math.max(0, c.replicas) / total) * 100 : 100 / clusters.length;
    const look = healthLook(c.health);
    const parts = [
      total > 0 ? `${c.name}: ${c.replicas} of ${total} replicas (${Math.round(share)}%), ${c.ready} ready` : `${c.name}: placed`,
      look.label,
    ];
    if (!c.applied) parts.push('not applied yet');
    if (c.evicting) parts.push('being evicted');
    if (c.message) parts.push(c.message);
    return { name: c.name, replicas: c.replicas, share, title: parts.join(' \u00b7 '), tone: c.evicting ? 'muted' : look.tone };
  });
}

/** shortName drops the common "cluster-" prefix for a segment's label; the title has the full name. */
export function shortName(name: string): string {
  return name.replace(/^cluster-/, '');
}

/** DistributionBar shows where a workload's replicas run, one segment per cluster. */
export function DistributionBar({ clusters, link = false }: { clusters: readonly WorkloadCluster[]; link?: boolean }) {
  if (clusters.length === 0) return <span className="muted">not placed</span>;
  const segs = segments(clusters);
  return (
    <div className="dist" role="list" aria-label="Replicas per cluster">
      {segs.map((s) => {
        const text = (
          <>
            <span className="dist-name">{shortName(s.name)}</span>
            <span className="dist-count num">{s.replicas}</span>
          </>
        );
        return (
          <div
            key={s.name}
            role="listitem"
            className={`dist-seg tone-${s.tone}`}
            style={{ flexGrow: s.share, flexBasis: 0 }}
            title={s.title}
            aria-label={s.title}
            data-testid={`dist-${s.name}`}
            data-replicas={s.replicas}
          >
            {link ? (
              <Link to={clusterPath(s.name)} tabIndex={-1}>
                {text}
              </Link>
            ) : (
              text
            )}
          </div>
        );
      })}
    </div>
  );
}
