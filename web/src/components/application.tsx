// Application pieces: release phases in AppHub's words, a cluster's chip
// (coloured by health in lists, by release phase in the stage strip, with
// the revisions it runs and is given) and an image copy's progress bar.
// Every status shows as icon and words, with colour as a third cue.
import { CircleCheck, CircleDashed, CircleMinus, CircleX, LoaderCircle, type LucideIcon } from 'lucide-react';
import { Link } from 'react-router';
import { clusterPath } from '../api/client';
import type { ApplicationCluster, ClusterRevision, ConditionStatus, ImageSync } from '../api/types';
import { formatBytes, percent } from '../format';
import { shortName } from './DistributionBar';
import { phaseLook } from './rollout';
import { healthLook, type Tone } from './status';

// What a release phase (of the Application or of one cluster) means here:
// the rollout engine's words, said of revisions instead of canaries.
const APP_PHASE_TITLES: Record<string, string> = {
  Pending: 'Not started: the controller has not acted on it yet, or an earlier stage is still running.',
  Initializing: 'The first revision is being applied.',
  Initialized: 'Every cluster runs the stable revision; a new revision of the source starts a release.',
  Waiting: 'The release waits for approval (kurator app promote) or a confirm webhook.',
  Progressing: 'The new revision is applied stage by stage while the gates pass.',
  Promoting: 'The new revision is being applied here.',
  Succeeded: 'The new revision runs here, healthy.',
  RollingBack: 'Going back to the previous revision: a gate failed, or the release was aborted.',
  RolledBack: 'Back on the previous revision after a failed release.',
  Failed: 'The release failed; every cluster it had updated was rolled back.',
};

/** appPhaseLook is phaseLook with the sentence for an Application release. */
export function appPhaseLook(phase: string | undefined) {
  const l = phaseLook(phase);
  return { ...l, title: APP_PHASE_TITLES[l.label] ?? l.title };
}

export function AppPhaseBadge({ phase, testid }: { phase?: string; testid?: string }) {
  const l = appPhaseLook(phase);
  return (
    <span className={`badge tone-${l.tone}`} title={l.title} data-phase={l.label} data-testid={testid}>
      <l.Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

/** consistentLook: True is good; False is red unless a release is under way (then it is expected, amber). */
export function consistentLook(status: ConditionStatus | string, releasing: boolean): { tone: Tone; label: string } {
  switch (status) {
    case 'True':
      return { tone: 'ok', label: 'Consistent' };
    case 'False':
      return { tone: releasing ? 'warn' : 'error', label: releasing ? 'Releasing' : 'Diverged' };
    default:
      return { tone: 'muted', label: 'Unknown' };
  }
}

export function ConsistentBadge({ status, message, releasing, testid }: { status: ConditionStatus | string; message?: string; releasing: boolean; testid?: string }) {
  const l = consistentLook(status, releasing);
  const Icon = l.tone === 'ok' ? CircleCheck : l.tone === 'error' ? CircleX : l.tone === 'warn' ? LoaderCircle : CircleDashed;
  return (
    <span className={`badge tone-${l.tone}`} title={message || `Consistent is ${status}`} data-consistent={status} data-testid={testid}>
      <Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

/** releasing: the phases in which clusters are expected to differ. */
export function releasing(phase: string): boolean {
  return phase === 'Progressing' || phase === 'Waiting' || phase === 'RollingBack' || phase === 'Initializing';
}

/** revisionText: what a cluster runs and, when it differs, what the release gives it: "v1.2 → v1.3". */
export function revisionText(running?: string, target?: string): string {
  const run = running || 'nothing yet';
  return target && target !== running ? `${run} → ${target}` : run;
}

/** MemberChip is one cluster in the Applications list: coloured by health, with the revision it runs. */
export function MemberChip({ m }: { m: ClusterRevision }) {
  const l = healthLook(m.health);
  const title = [
    `${m.cluster}: ${l.label}`,
    m.running ? `runs ${m.running}` : 'runs nothing yet',
    m.target && m.target !== m.running ? `the release gives it ${m.target}` : '',
    m.phase ? `release phase ${m.phase}` : '',
    m.message ?? '',
  ]
    .filter(Boolean)
    .join(' \u00b7 ');
  return (
    <span className={`rchip tone-${l.tone}`} title={title} aria-label={title} data-testid={`mchip-${m.cluster}`} data-health={l.label}>
      <span className="rchip-name">
        <l.Icon size={13} aria-hidden="true" />
        <span className="ellipsis">{shortName(m.cluster)}</span>
      </span>
      <span className="mono rev" data-testid="mchip-revision">
        {revisionText(m.running, m.target)}
      </span>
    </span>
  );
}

/** AppClusterChip is one cluster in the stage strip: its release phase colour, the revision it runs and the one it is given. */
export function AppClusterChip({ c }: { c: ApplicationCluster }) {
  const l = appPhaseLook(c.phase);
  const title = [
    `${c.name}: ${l.label}`,
    c.running ? `runs ${c.running}${c.healthy ? ', healthy' : ', not healthy'}` : 'runs nothing yet',
    c.target ? `target ${c.target}` : '',
    c.message ?? '',
  ]
    .filter(Boolean)
    .join(' \u00b7 ');
  return (
    <span className={`rchip tone-${l.tone}`} title={title} aria-label={title} data-testid={`achip-${c.name}`} data-phase={l.label}>
      <Link to={clusterPath(c.name)}>
        <l.Icon size={13} aria-hidden="true" />
        <span className="ellipsis">{shortName(c.name)}</span>
      </Link>
      <span className="mono rev" data-testid="achip-revision">
        {revisionText(c.running, c.target)}
      </span>
    </span>
  );
}

interface ImageLook {
  tone: Tone;
  Icon: LucideIcon;
  title: string;
}

const IMAGE_PHASES: Record<string, ImageLook> = {
  Pending: { tone: 'muted', Icon: CircleDashed, title: 'Waits to be copied to the cluster\u2019s registry.' },
  Copying: { tone: 'warn', Icon: LoaderCircle, title: 'Being copied, layer by layer; a copy cut off resumes where it stopped.' },
  Synced: { tone: 'ok', Icon: CircleCheck, title: 'In the cluster\u2019s registry by digest (copied, or already there).' },
  Skipped: { tone: 'muted', Icon: CircleMinus, title: 'Not in AppHub\u2019s registry: the objects keep the reference they name.' },
  Failed: { tone: 'error', Icon: CircleX, title: 'The copy failed; the release waits and the cluster keeps the revision it runs.' },
};

export function imageLook(phase: string | undefined): ImageLook & { label: string } {
  const p = phase || 'Pending';
  return { ...(IMAGE_PHASES[p] ?? { tone: 'muted', Icon: CircleDashed, title: p }), label: p };
}

/** ImageProgress is one image's copy to one cluster's registry: phase, bytes of total as a bar, and the message. */
export function ImageProgress({ img }: { img: ImageSync }) {
  const l = imageLook(img.phase);
  const pct = img.phase === 'Synced' ? 100 : percent(img.bytes, img.totalBytes);
  const amount = img.totalBytes > 0 ? `${formatBytes(img.bytes)} of ${formatBytes(img.totalBytes)}` : '';
  const showBar = img.phase !== 'Skipped' && (img.totalBytes > 0 || img.phase === 'Synced');
  return (
    <li className={`image tone-${l.tone}`} data-testid="image" data-phase={l.label}>
      <div className="image-head">
        <span className={`badge tone-${l.tone}`} title={l.title}>
          <l.Icon size={14} aria-hidden="true" />
          {l.label}
        </span>
        <span className="mono ellipsis image-ref" title={img.target ? `${img.source} → ${img.target}` : img.source}>
          {img.source}
        </span>
        {amount && (
          <span className="num image-amount" data-testid="image-bytes">
            {amount}
          </span>
        )}
      </div>
      {showBar && (
        <div
          className={`meter tone-${l.tone === 'muted' ? 'ok' : l.tone}`}
          role="meter"
          aria-label={`copy of ${img.source}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={amount ? `${amount} (${pct}%)` : `${pct}%`}
        >
          <div className="meter-fill" style={{ width: `${pct}%` }} />
        </div>
      )}
      {img.target && <div className="mono small muted ellipsis" title={img.target}>→ {img.target}</div>}
      {img.message && <div className={`small wrap${img.phase === 'Failed' ? ' tone-error-fg' : ' muted'}`}>{img.message}</div>}
    </li>
  );
}
