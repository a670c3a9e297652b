// The connection indicator's state machine, pure so it can be tested
// without a browser. The provider (LiveProvider.tsx) feeds it the shared
// EventSource's open/error events and the browser's online/offline events.

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface Machine {
  state: LiveState;
  /** errors since the stream was last open */
  failures: number;
}

export type LiveEvent =
  | { type: 'open' }
  /** closed: the EventSource gave up (it does not retry by itself after that) */
  | { type: 'error'; closed: boolean }
  | { type: 'browser-offline' }
  | { type: 'browser-online' };

export interface Step {
  machine: Machine;
  /** refetch everything shown: the stream (re)opened and changes may have been missed */
  resync: boolean;
  /** open a new EventSource after this many ms (the old one is closed) */
  reconnectIn?: number;
  /** reconnect now (the browser is back online) */
  reconnectNow?: boolean;
}

/** After this many failed attempts in a row the indicator says "Offline". */
export const OFFLINE_AFTER = 3;
const MAX_BACKOFF_MS = 15_000;

export const initialMachine: Machine = { state: 'connecting', failures: 0 };

/** backoff is the wait before the n-th new EventSource: 1 s, 2 s, 4 s, ... at most 15 s. */
export function backoff(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

export function step(m: Machine, ev: LiveEvent): Step {
  switch (ev.type) {
    case 'open':
      return { machine: { state: 'live', failures: 0 }, resync: true };
    case 'error': {
      const failures = m.failures + 1;
      const state: LiveState = failures >= OFFLINE_AFTER ? 'offline' : 'reconnecting';
      return { machine: { state, failures }, resync: false, reconnectIn: ev.closed ? backoff(failures) : undefined };
    }
    case 'browser-offline':
      return { machine: { state: 'offline', failures: Math.max(m.failures, OFFLINE_AFTER) }, resync: false };
    case 'browser-online':
      return { machine: { state: 'reconnecting', failures: m.failures }, resync: false, reconnectNow: m.state !== 'live' };
  }
}

export interface Indicator {
  /** data-state of the indicator: the e2e test reads it */
  dataState: 'live' | 'reconnecting' | 'offline';
  label: string;
  title: string;
  tone: 'ok' | 'warn' | 'error';
}

export function indicator(state: LiveState): Indicator {
  switch (state) {
    case 'live':
      return { dataState: 'live', label: 'Live', tone: 'ok', title: 'Live: changes on the hub show on this page as they happen.' };
    case 'connecting':
      return {
        dataState: 'reconnecting',
        label: 'Connecting\u2026',
        tone: 'warn',
        title: 'Connecting to the dashboard\u2019s change stream; until then the page does not update by itself.',
      };
    case 'reconnecting':
      return {
        dataState: 'reconnecting',
        label: 'Reconnecting\u2026',
        tone: 'warn',
        title: 'The change stream was interrupted and is reconnecting; what you see may be out of date.',
      };
    case 'offline':
      return {
        dataState: 'offline',
        label: 'Offline',
        tone: 'error',
        title: 'Offline: the dashboard server cannot be reached, so this page is not updating. It keeps retrying; check that `kurator dashboard` is running.',
      };
  }
}
