import { ChevronRight } from 'lucide-react';
import { useState } from 'react';
import type { DiffLine } from '../api/types';

export interface NumberedLine extends DiffLine {
  /** line number in the template (absent for "+") */
  old?: number;
  /** line number in the rendered object (absent for "-") */
  new?: number;
}

export type Hunk = { kind: 'lines'; lines: NumberedLine[] } | { kind: 'gap'; lines: NumberedLine[] };

/**
 * collapseDiff keeps `context` unchanged lines around each change and folds
 * longer unchanged runs into gaps (a run of fewer than 2 lines is not worth
 * a gap and stays visible).
 */
export function collapseDiff(diff: readonly DiffLine[], context = 3): Hunk[] {
  let o = 0;
  let n = 0;
  const lines: NumberedLine[] = diff.map((l) => {
    const op = l.op === '+' || l.op === '-' ? l.op : ' ';
    if (op === ' ') return { op, text: l.text, old: ++o, new: ++n };
    if (op === '-') return { op, text: l.text, old: ++o };
    return { op, text: l.text, new: ++n };
  });
  const keep = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) keep[j] = true;
  });
  const hunks: Hunk[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j < lines.length && keep[j] === keep[i]) j++;
    const run = lines.slice(i, j);
    if (!keep[i] && run.length >= 2) hunks.push({ kind: 'gap', lines: run });
    else {
      const last = hunks[hunks.length - 1];
      if (last?.kind === 'lines') last.lines.push(...run);
      else hunks.push({ kind: 'lines', lines: run });
    }
    i = j;
  }
  return hunks;
}

function Line({ l }: { l: NumberedLine }) {
  const cls = l.op === '+' ? 'diff-add' : l.op === '-' ? 'diff-del' : 'diff-same';
  return (
    <div className={`diff-line ${cls}`}>
      <span className="diff-no num" aria-hidden="true">{l.old ?? ''}</span>
      <span className="diff-no num" aria-hidden="true">{l.new ?? ''}</span>
      <span className="diff-op" aria-label={l.op === '+' ? 'added' : l.op === '-' ? 'removed' : undefined}>
        {l.op === ' ' ? '\u00a0' : l.op}
      </span>
      <span className="diff-text">{l.text || '\u00a0'}</span>
    </div>
  );
}

function Gap({ lines }: { lines: NumberedLine[] }) {
  const [open, setOpen] = useState(false);
  if (open) return lines.map((l, i) => <Line key={i} l={l} />);
  return (
    <button type="button" className="diff-gap" onClick={() => setOpen(true)}>
      <ChevronRight size={14} aria-hidden="true" />
      Show {lines.length} unchanged lines
    </button>
  );
}

/** DiffView shows a template-vs-rendered diff, + green, - red, long unchanged stretches folded. */
export function DiffView({ diff, context = 3 }: { diff: readonly DiffLine[]; context?: number }) {
  const hunks = collapseDiff(diff, context);
  return (
    <div className="diff" role="region" aria-label="Template against the rendered object">
      {hunks.map((h, i) => (h.kind === 'gap' ? <Gap key={i} lines={h.lines} /> : h.lines.map((l, k) => <Line key={`${i}-${k}`} l={l} />)))}
    </div>
  );
}
