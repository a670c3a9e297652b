import type { Usage } from '../api/types';
import { formatBytes, formatCPU, percent } from '../format';

export type UsageUnit = 'cpu' | 'memory' | 'count';

export function formatAmount(unit: UsageUnit, n: number): string {
  switch (unit) {
    case 'cpu':
      return formatCPU(n);
    case 'memory':
      return formatBytes(n);
    case 'count':
      return String(n);
  }
}

/** usageText: "2.5 cores of 8 cores (31%)" style words for a bar's label and title. */
export function usageText(unit: UsageUnit, u: Usage): { amount: string; pct: number } {
  return { amount: `${formatAmount(unit, u.used)} / ${formatAmount(unit, u.total)}`, pct: percent(u.used, u.total) };
}

/** usageTone: above 90% red, above 75% amber. */
export function usageTone(pct: number): 'ok' | 'warn' | 'error' {
  return pct > 90 ? 'error' : pct > 75 ? 'warn' : 'ok';
}

interface Props {
  label: string;
  unit: UsageUnit;
  usage: Usage;
  /** what used and total mean, for the title: "requested of allocatable" */
  meaning?: string;
}

/** UsageBar is a labelled CSS meter: "CPU  2.5 cores / 8 cores  31%". */
export function UsageBar({ label, unit, usage, meaning = 'requested of allocatable' }: Props) {
  const { amount, pct } = usageText(unit, usage);
  const tone = usageTone(pct);
  const title = `${label}: ${amount} ${meaning} (${pct}%)`;
  return (
    <div className="usage" title={title}>
      <div className="usage-head">
        <span className="usage-label">{label}</span>
        <span className="usage-amount num">{amount}</span>
        <span className="usage-pct num">{pct}%</span>
      </div>
      <div className={`meter tone-${tone}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${amount} (${pct}%)`}>
        <div className="meter-fill" style={{ width: `${Math.min(100, pct)}%` }} />
      </div>
    </div>
  );
}
