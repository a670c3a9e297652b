// Rollout pieces: phase colours, the stage progress strip and a cluster's
// chip with its canary weight. Every status shows as icon and words, with
// colour as a third cue.
import { CircleCheck, CircleDashed, CircleHelp, CircleX, LoaderCircle, Undo2, type LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { clusterPath, list } from '../api/client';
import type { RolloutCluster, RolloutStageView, StageRef, StageState } from '../api/types';
import { shortName } from './DistributionBar';
import type { Tone } from './status';

interface Look {
  tone: Tone;
  Icon: LucideIcon;
  title: string;
}

// Rollout and cluster phases share most words; their meaning for a person:
const PHASES: Record<string, Look> = {
  Pending: { tone: 'muted', Icon: CircleDashed, title: 'Not started: the controller has not acted on it yet, or an earlier stage is still running.' },
  Initializing: { tone: 'warn', Icon: LoaderCircle, title: 'The primaries, Services and routes are being created.' },
  Initialized: { tone: 'ok', Icon: CircleCheck, title: 'Every cluster serves the stable revision; a new revision of the workload starts a run.' },
  Waiting: { tone: 'warn', Icon: LoaderCircle, title: 'A confirm-rollout hook holds the start.' },
  Progressing: { tone: 'warn', Icon: LoaderCircle, title: 'The canary takes traffic step by step while its gates pass.' },
  Promoting: { tone: 'warn', Icon: LoaderCircle, title: 'The primary is given the new revision; traffic moves back to it once it is ready.' },
  Succeeded: { tone: 'ok', Icon: CircleCheck, title: 'The new revision is stable here.' },
  RollingBack: { tone: 'error', Icon: Undo2, title: 'Going back to the stable revision: a gate failed beyond its tolerance, or the run was aborted.' },
  RolledBack: { tone: 'error', Icon: Undo2, title: 'Back on the stable revision after a failed run.' },
  Failed: { tone: 'error', Icon: CircleX, title: 'The run failed and was rolled back.' },
};

/** phaseLook maps a rollout's or a cluster's phase to colour, icon and a sentence. */
export function phaseLook(phase: string | undefined): Look & { label: string } {
  const p = phase || 'Pending';
  const l = PHASES[p] ?? { tone: 'muted' as Tone, Icon: CircleHelp, title: p };
  return { ...l, label: p };
}

export function PhaseBadge({ phase, testid }: { phase: string; testid?: string }) {
  const l = phaseLook(phase);
  return (
    <span className={`badge tone-${l.tone}`} title={l.title} data-phase={l.label} data-testid={testid}>
      <l.Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

/** stageText is "1/2 shanghai", as the CLI writes it. */
export function stageText(s: StageRef): string {
  if (s.index >= s.total) return `${s.total}/${s.total} done`; // every stage passed
  return `${s.index + 1}/${s.total}${s.name ? ` ${s.name}` : ''}`;
}

const STAGE_WORDS: Record<StageState, string> = {
  done: 'done',
  current: 'in progress',
  pending: 'pending',
  failed: 'failed',
  rolledback: 'rolled back',
};

const STAGE_TONE: Record<StageState, Tone> = { done: 'ok', current: 'warn', pending: 'muted', failed: 'error', rolledback: 'error' };

/** WeightMeter is a canary weight as a bar and a number. */
export function WeightMeter({ weight, tone }: { weight: number; tone: Tone }) {
  const w = Math.max(0, Math.min(100, weight));
  return (
    <span className="weight" title={`canary weight ${w}%`}>
      <span className={`meter tone-${tone}`} aria-hidden="true">
        <span className="meter-fill" style={{ width: `${w}%` }} />
      </span>
      <span className="weight-num num">{w}%</span>
    </span>
  );
}

/** ClusterChip is one cluster of a rollout: its phase colour, name and canary weight. */
export function ClusterChip({ cluster, name, phase, weight, message, link = true }: { cluster?: RolloutCluster; name: string; phase: string; weight: number; message?: string; link?: boolean }) {
  const l = phaseLook(phase);
  const title = [`${name}: ${l.label}`, `canary weight ${weight}%`, cluster && cluster.failedChecks > 0 ? `${cluster.failedChecks} failed checks` : '', message ?? '']
    .filter(Boolean)
    .join(' \u00b7 ');
  const label = (
    <>
      <l.Icon size={13} aria-hidden="true" />
      <span className="ellipsis">{shortName(name)}</span>
    </>
  );
  return (
    <span className={`rchip tone-${l.tone}`} title={title} aria-label={title} data-testid={`rchip-${name}`} data-phase={l.label} data-weight={weight}>
      {link ? <Link to={clusterPath(name)}>{label}</Link> : <span className="rchip-name">{label}</span>}
      <WeightMeter weight={weight} tone={l.tone} />
    </span>
  );
}

/** StageStrip shows a Rollout's stages as steps, the current one highlighted, each with its clusters' chips. */
export function StageStrip({ stages, clusters }: { stages: RolloutStageView[]; clusters: RolloutCluster[] }) {
  return (
    <StageSteps
      stages={stages}
      chips={(s) =>
        clusters
          .filter((c) => c.stage === s.index)
          .map((c) => <ClusterChip key={c.name} cluster={c} name={c.name} phase={c.phase} weight={c.canaryWeight} message={c.message} />)
      }
    />
  );
}

/** StageSteps shows stages as steps, the current one highlighted; chips gives each stage's cluster chips. */
export function StageSteps({ stages, chips }: { stages: RolloutStageView[]; chips: (s: RolloutStageView) => ReactNode[] }) {
  if (stages.length === 0) return <p className="muted">No stage yet.</p>;
  return (
    <ol className="stages" aria-label="Stages" data-testid="stage-strip">
      {stages.map((s) => {
        const mine = chips(s);
        const tone = STAGE_TONE[s.state] ?? 'muted';
        return (
          <li
            key={s.index}
            className={`stage stage-${s.state} tone-${tone}`}
            aria-current={s.state === 'current' ? 'step' : undefined}
            data-testid={`stage-${s.index}`}
            data-state={s.state}
          >
            <div className="stage-head">
              <span className="stage-num num" aria-hidden="true">
                {s.index + 1}
              </span>
              <span className="stage-name ellipsis" title={s.name}>
                {s.name}
              </span>
              <span className={`badge tone-${tone}`}>{STAGE_WORDS[s.state] ?? s.state}</span>
            </div>
            <div className="stage-rules" title={`${s.selects}; ${s.rules}`}>
              {s.selects}
              {s.rules && <> · {s.rules}</>}
            </div>
            <div className="chips">
              {mine.length === 0 && list(s.clusters).length === 0 && <span className="muted small">no cluster yet</span>}
              {mine}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
