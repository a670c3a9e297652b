// Formatters for what the API sends in base units (millicores, bytes, RFC
// 3339 times): what a person reads.

/** trim1 writes n with at most one decimal, without a trailing ".0". */
function trim1(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** formatCPU: 0 -> "0", 500 -> "500m", 1000 -> "1 core", 2500 -> "2.5 cores". */
export function formatCPU(millicores: number): string {
  if (!Number.isFinite(millicores)) return '\u2013';
  if (millicores === 0) return '0';
  if (Math.abs(millicores) < 1000) return `${Math.round(millicores)}m`;
  const cores = trim1(millicores / 1000);
  return `${cores} ${cores === '1' ? 'core' : 'cores'}`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** formatBytes uses binary units as Kubernetes quantities do: 34359738368 -> "32 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '\u2013';
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  // one decimal below 10 units ("1.5 GiB"), whole numbers above ("244 GiB")
  const s = i === 0 ? String(Math.round(v)) : v < 10 ? trim1(v) : String(Math.round(v));
  return `${bytes < 0 ? '-' : ''}${s} ${UNITS[i]}`;
}

/** percent is used/total in whole percent, 0 when there is no total. */
export function percent(used: number, total: number): number {
  if (!total || total <= 0 || !Number.isFinite(used)) return 0;
  return Math.max(0, Math.round((used / total) * 100));
}

/** parseTime reads an API time; undefined for absent, zero or invalid times. */
export function parseTime(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return undefined;
  return d;
}

/** relativeTime: "just now", "45s ago", "3m ago", "2h ago", "5d ago" (or "in 3m" for the future). */
export function relativeTime(iso: string | undefined, now: number = Date.now()): string {
  const d = parseTime(iso);
  if (!d) return '';
  const diff = Math.round((now - d.getTime()) / 1000);
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now';
  let s: string;
  if (abs < 60) s = `${abs}s`;
  else if (abs < 3600) s = `${Math.floor(abs / 60)}m`;
  else if (abs < 86400) s = `${Math.floor(abs / 3600)}h`;
  else if (abs < 86400 * 60) s = `${Math.floor(abs / 86400)}d`;
  else if (abs < 86400 * 730) s = `${Math.floor(abs / (86400 * 30))}mo`;
  else s = `${Math.floor(abs / (86400 * 365))}y`;
  return diff >= 0 ? `${s} ago` : `in ${s}`;
}

/** absoluteTime is the title of a relative time: "2026-12-01 10:03:04 UTC". */
export function absoluteTime(iso: string | undefined): string {
  const d = parseTime(iso);
  if (!d) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}

/** plural: plural(1, 'node') -> "1 node", plural(3, 'node') -> "3 nodes". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
