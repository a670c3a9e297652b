// Status colours and words: every status shows as an icon and text, with
// colour as a third cue (never colour alone).
import { CircleCheck, CircleDashed, CircleHelp, CircleSlash, CircleX, LoaderCircle, TriangleAlert, type LucideIcon } from 'lucide-react';
import type { Condition, Health } from '../api/types';

export type Tone = 'ok' | 'warn' | 'error' | 'muted';

interface Look {
  tone: Tone;
  Icon: LucideIcon;
  label: string;
}

const HEALTH: Record<Health, Look & { title: string }> = {
  Healthy: { tone: 'ok', Icon: CircleCheck, label: 'Healthy', title: 'Every wanted replica is ready on every cluster.' },
  Progressing: { tone: 'warn', Icon: LoaderCircle, label: 'Progressing', title: 'Applied; replicas are still coming up.' },
  Degraded: { tone: 'error', Icon: CircleX, label: 'Degraded', title: 'A member reports it unhealthy, or applying it failed.' },
  Unscheduled: { tone: 'error', Icon: CircleSlash, label: 'Unscheduled', title: 'No placement fits: no cluster was chosen.' },
  Unknown: { tone: 'muted', Icon: CircleHelp, label: 'Unknown', title: 'No status from the members yet.' },
};

/** healthLook maps a workload health to its colour, icon and words (unknown values read as Unknown). */
export function healthLook(h: string | undefined): Look & { title: string } {
  return HEALTH[(h ?? 'Unknown') as Health] ?? { ...HEALTH.Unknown, label: h || 'Unknown' };
}

export function HealthBadge({ health, message }: { health: string; message?: string }) {
  const l = healthLook(health);
  return (
    <span className={`badge tone-${l.tone}`} title={message ? `${l.label}: ${message}` : l.title} data-health={l.label}>
      <l.Icon size={14} aria-hidden="true" />
      {l.label}
    </span>
  );
}

// Conditions whose True is bad news (node pressure and the like).
const NEGATIVE = /Pressure$|^NetworkUnavailable$|^Unschedulable$|^Stalled$|^Failed$|^Degraded$|^Conflict$/;

/** conditionTone: a condition's colour by its type's polarity (Ready=True is good, MemoryPressure=True bad). */
export function conditionTone(c: Pick<Condition, 'type' | 'status'>): Tone {
  if (c.status === 'Unknown' || !c.status) return 'warn';
  const good = NEGATIVE.test(c.type) ? c.status === 'False' : c.status === 'True';
  return good ? 'ok' : 'error';
}

function toneIcon(t: Tone): LucideIcon {
  switch (t) {
    case 'ok':
      return CircleCheck;
    case 'warn':
      return TriangleAlert;
    case 'error':
      return CircleX;
    case 'muted':
      return CircleDashed;
  }
}

/** ConditionBadge shows "Ready", "NotReady" style words for a condition. */
export function ConditionBadge({ condition, words }: { condition: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>; words?: string }) {
  const tone = conditionTone(condition);
  const Icon = toneIcon(tone);
  const label = words ?? `${condition.type}: ${condition.status}`;
  const title = [condition.reason, condition.message].filter(Boolean).join(': ') || `${condition.type} is ${condition.status}`;
  return (
    <span className={`badge tone-${tone}`} title={title}>
      <Icon size={14} aria-hidden="true" />
      {label}
    </span>
  );
}

/** readyWords: a cluster's Ready condition in words. */
export function readyWords(status: string | undefined): string {
  switch (status) {
    case 'True':
      return 'Ready';
    case 'False':
      return 'NotReady';
    default:
      return 'Unknown';
  }
}

export function ToneIcon({ tone, size = 14 }: { tone: Tone; size?: number }) {
  const Icon = toneIcon(tone);
  return <Icon size={size} aria-hidden="true" className={`tone-${tone}-fg`} />;
}
