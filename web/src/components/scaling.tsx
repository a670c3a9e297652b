// Scaling pieces: a ScalePolicy's phase, a cluster window's verdict and an
// execution's result in words and colour, the value against its
// threshold, one target's progress ("3 → 5", nodes or replicas ready of
// wanted) and the failed pods and nodes in red. Every status shows as icon
// and words, with colour as a third cue.
import {
  CircleCheck,
  CircleDashed,
  CircleHelp,
  CirclePause,
  CircleX,
  Eye,
  LoaderCircle,
  TrendingDown,
  TrendingUp,
  TriangleAlert,
  Waves,
  type LucideIcon,
} from 'lucide-react';
import type { FailedObject, ScaleChangeView, ScaleExecutionView, ScalePolicySummary } from '../api/types';
import { percent } from '../format';
import type { Tone } from './status';

interface Look {
  tone: Tone;
  Icon: LucideIcon;
  title: string;
}

const PHASES: Record<string, Look> = {
  Pending: { tone: 'muted', Icon: CircleDashed, title: 'The controller has not evaluated this policy yet.' },
  Watching: { tone: 'ok', Icon: Eye, title: 'Nothing is scaled out; the trigger is evaluated every interval.' },
  ScaledOut: { tone: 'warn', Icon: TrendingUp, title: 'The action was applied; the policy waits for the condition to clear.' },
  CoolingDown: { tone: 'warn', Icon: LoaderCircle, title: 'The condition has cleared; the scale-in waits for the cooldown.' },
  Suspended: { tone: 'muted', Icon: CirclePause, title: 'The trigger is not evaluated (spec.suspend); `kurator scale trigger` still runs it.' },
  Blocked: { tone: 'error', Icon: CircleX, title: 'The policy cannot act: a target is missing, it conflicts with another, or no metric can be read. The message says which.' },
};

/** scalePhaseLook maps a ScalePolicy phase to colour, icon and a sentence. */
export function scalePhaseLook(phase: string | undefined): Look & { label: string } {
  const p = phase || 'Pending';
  return { ...(PHASES[p] ?? { tone: 'muted', Icon: CircleHelp, title: p }), label: p };
}

export function ScalePhaseBadge({ phase, testid }: { phase: string; testid?: string }) {
  const l = scalePhaseLook(phase);
  return (
    <span className={`badge tone-${l.tone}`} title={l.title} data-phase={l.label} data-testid={testid}>
      <l.Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

const VERDICTS: Record<string, Look> = {
  Above: { tone: 'error', Icon: TrendingUp, title: 'Held above the threshold for the whole duration: the trigger fires here.' },
  Mixed: { tone: 'warn', Icon: Waves, title: 'Crossed the threshold within the window, so no action (a flapping metric does not scale).' },
  Below: { tone: 'ok', Icon: TrendingDown, title: 'Under the scale-in threshold for the whole duration.' },
  NoData: { tone: 'muted', Icon: CircleHelp, title: 'No samples in the window: the metric cannot be read here.' },
};

/** verdictLook: Above is red (hot: the trigger fires), Mixed amber, Below green, NoData grey. */
export function verdictLook(verdict: string | undefined): Look & { label: string } {
  const v = verdict || 'NoData';
  return { ...(VERDICTS[v] ?? { tone: 'muted', Icon: CircleHelp, title: v }), label: v === 'NoData' ? 'No data' : v };
}

export function VerdictBadge({ verdict, message }: { verdict: string; message?: string }) {
  const l = verdictLook(verdict);
  return (
    <span className={`badge tone-${l.tone}`} title={message ? `${l.title} ${message}` : l.title} data-verdict={verdict || 'NoData'}>
      <l.Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

const RESULTS: Record<string, Look> = {
  InProgress: { tone: 'warn', Icon: LoaderCircle, title: 'Asked for; not every target is ready yet.' },
  Succeeded: { tone: 'ok', Icon: CircleCheck, title: 'Every target reached its size, ready.' },
  Failed: { tone: 'error', Icon: CircleX, title: 'A change was refused, or the targets did not become ready in time.' },
};

export function resultLook(result: string | undefined): Look & { label: string } {
  const r = result || 'InProgress';
  const words: Record<string, string> = { InProgress: 'In progress' };
  return { ...(RESULTS[r] ?? { tone: 'muted', Icon: CircleHelp, title: r }), label: words[r] ?? r };
}

export function ResultBadge({ result, testid }: { result: string; testid?: string }) {
  const l = resultLook(result);
  return (
    <span className={`badge tone-${l.tone}`} title={l.title} data-result={result} data-testid={testid}>
      <l.Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

/** numeric reads "81.2%" as 81.2 (NaN when it is not a number). */
export function numeric(v: string | undefined): number {
  return v ? Number.parseFloat(v.replace('%', '')) : Number.NaN;
}

/** ValueVsThreshold is the last value against the trigger's threshold: the figures, and a bar with the threshold marked. */
export function ValueVsThreshold({ s }: { s: ScalePolicySummary }) {
  if (s.schedule) {
    return (
      <span className="mono" title="a cron trigger: it fires at these times">
        {s.schedule}
      </span>
    );
  }
  if (!s.threshold) return <span className="muted">–</span>;
  const v = numeric(s.value);
  const t = numeric(s.threshold);
  const tone: Tone = s.over ? 'error' : 'ok';
  const title = s.value ? `${s.value} ${s.over ? 'at or above' : 'below'} the threshold ${s.threshold}` : `not evaluated yet; threshold ${s.threshold}`;
  return (
    <span className="vt" title={title} data-testid="value-vs-threshold" data-over={s.over ? 'true' : 'false'}>
      <span className={`num strong${s.over ? ' tone-error-fg' : ''}`}>{s.value || '–'}</span>
      <span className="muted num"> / {s.threshold}</span>
      <span className={`meter vt-meter tone-${tone}`} aria-hidden="true">
        <span className="meter-fill" style={{ width: `${Number.isFinite(v) ? Math.min(100, Math.max(0, v)) : 0}%` }} />
        {Number.isFinite(t) && <span className="vt-mark" style={{ left: `${Math.min(100, Math.max(0, t))}%` }} />}
      </span>
    </span>
  );
}

/** changeTone: done is green; a target still short of its size is amber while the execution runs, red once it failed. */
export function changeTone(c: ScaleChangeView, result: string): Tone {
  if (c.done) return 'ok';
  return result === 'Failed' ? 'error' : 'warn';
}

/** ChangeProgress is one target of an execution: "north-cluster worker-pool", "3 → 5" and a bar of ready of wanted. */
export function ChangeProgress({ c, result }: { c: ScaleChangeView; result: string }) {
  const tone = changeTone(c, result);
  const pct = c.done ? 100 : percent(c.ready, c.to);
  const fromTo = `${c.from} → ${c.to}`;
  return (
    <li className={`change tone-${tone}`} data-testid="change" data-done={c.done ? 'true' : 'false'}>
      <span className="change-target strong ellipsis" title={c.target}>
        {c.target}
      </span>
      <span className="mono change-fromto">{fromTo}</span>
      <span
        className={`meter change-meter tone-${tone}`}
        role="meter"
        aria-label={`${c.target} ${fromTo}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={c.progress}
      >
        <span className="meter-fill" style={{ width: `${pct}%` }} />
      </span>
      <span className="num change-progress" data-testid="change-progress">
        ({c.progress})
      </span>
    </li>
  );
}

/** failedText is "north-cluster/default/order-service-x: ImagePullBackOff", as the CLI writes it. */
export function failedText(f: FailedObject): string {
  const ref = [f.cluster, f.namespace, f.name].filter(Boolean).join('/');
  return f.reason ? `${ref}: ${f.reason}` : ref;
}

/** FailedList lists the execution's failed pods and nodes, in red. */
export function FailedList({ e }: { e: ScaleExecutionView }) {
  const pods = e.failedPods ?? [];
  const nodes = e.failedNodes ?? [];
  if (pods.length === 0 && nodes.length === 0) return null;
  return (
    <ul className="failed" aria-label={`Failed pods and nodes of execution ${e.id}`}>
      {nodes.map((n) => (
        <li key={`node-${failedText(n)}`} className="tone-error-fg" data-testid="failed-node">
          <TriangleAlert size={13} aria-hidden="true" /> node <span className="mono">{failedText(n)}</span>
        </li>
      ))}
      {pods.map((p) => (
        <li key={`pod-${failedText(p)}`} className="tone-error-fg" data-testid="failed-pod">
          <TriangleAlert size={13} aria-hidden="true" /> pod <span className="mono">{failedText(p)}</span>
        </li>
      ))}
    </ul>
  );
}

/** executionWords is "#2 manual, scale out". */
export function executionWords(e: ScaleExecutionView): string {
  return `#${e.id} ${e.trigger || '?'}, scale ${(e.direction || '?').toLowerCase()}`;
}
