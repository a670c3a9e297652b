import { useSyncExternalStore } from 'react';
import { absoluteTime, relativeTime } from '../format';

// One shared clock for every relative time on the page (a tick each 10 s).
let now = Date.now();
const listeners = new Set<() => void>();
let ticker: ReturnType<typeof setInterval> | undefined;

function subscribe(fn: () => void) {
  listeners.add(fn);
  if (!ticker) {
    now = Date.now();
    ticker = setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, 10_000);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
}

export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}

/** RelTime shows "3m ago" with the absolute time as its title; nothing for an absent time. */
export function RelTime({ time, prefix = '' }: { time?: string; prefix?: string }) {
  const t = useNow();
  const rel = relativeTime(time, t);
  if (!rel) return null;
  return (
    <time dateTime={time} title={absoluteTime(time)}>
      {prefix}
      {rel}
    </time>
  );
}
