import { describe, expect, it } from 'vitest';
import { absoluteTime, formatBytes, formatCPU, percent, plural, relativeTime } from './format';

describe('formatCPU', () => {
  it.each([
    ['below a core reads in millicores', 250, '250m'],
    ['zero reads 0, with no unit to puzzle over', 0, '0'],
    ['exactly one core is singular', 1000, '1 core'],
    ['2500m reads as 2.5 cores', 2500, '2.5 cores'],
    ['whole cores have no decimal', 16000, '16 cores'],
    ['rounds to one decimal', 3333, '3.3 cores'],
  ])('%s', (_name, m, want) => {
    expect(formatCPU(m)).toBe(want);
  });
});

describe('formatBytes', () => {
  it.each([
    ['32 GiB of bytes reads as 32 GiB', 32 * 1024 ** 3, '32 GiB'],
    ['one and a half GiB keeps the decimal', 1.5 * 1024 ** 3, '1.5 GiB'],
    ['large values drop decimals', 244.4 * 1024 ** 3, '244 GiB'],
    ['small values stay in bytes', 512, '512 B'],
    ['zero is 0 B', 0, '0 B'],
    ['mebibytes', 128 * 1024 ** 2, '128 MiB'],
    ['tebibytes', 2 * 1024 ** 4, '2 TiB'],
  ])('%s', (_name, b, want) => {
    expect(formatBytes(b)).toBe(want);
  });
});

describe('percent', () => {
  it('is 0 when there is no total (not NaN)', () => expect(percent(5, 0)).toBe(0));
  it('rounds to whole percent', () => expect(percent(1, 3)).toBe(33));
  it('may exceed 100 when overcommitted', () => expect(percent(12, 10)).toBe(120));
});

describe('relativeTime', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it.each([
    ['an instant ago is just now', '2026-12-01T11:59:58Z', 'just now'],
    ['seconds', '2026-12-01T11:59:15Z', '45s ago'],
    ['minutes', '2026-12-01T11:57:00Z', '3m ago'],
    ['hours', '2026-12-01T10:00:00Z', '2h ago'],
    ['days', '2026-11-26T12:00:00Z', '5d ago'],
    ['future times say in', '2026-12-01T12:03:00Z', 'in 3m'],
    ['an absent time is empty', undefined, ''],
    ['a Go zero time is empty', '0001-01-01T00:00:00Z', ''],
    ['garbage is empty', 'yesterday', ''],
  ])('%s', (_name, iso, want) => {
    expect(relativeTime(iso, now)).toBe(want);
  });
});

describe('absoluteTime and plural', () => {
  it('absoluteTime writes UTC with seconds', () => expect(absoluteTime('2026-12-01T10:03:04Z')).toBe('2026-12-01 10:03:04 UTC'));
  it('plural is singular for one', () => expect(plural(1, 'node')).toBe('1 node'));
  it('plural adds s otherwise', () => expect(plural(3, 'node')).toBe('3 nodes'));
  it('plural takes an irregular form', () => expect(plural(2, 'policy', 'policies')).toBe('2 policies'));
});
