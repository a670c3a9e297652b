import { describe, expect, it } from 'vitest';
import { backoff, indicator, initialMachine, step, type LiveEvent, type Machine } from './machine';

function run(events: LiveEvent[], from: Machine = initialMachine) {
  let m = from;
  const steps = events.map((ev) => {
    const s = step(m, ev);
    m = s.machine;
    return s;
  });
  return { m, steps };
}

describe('live connection state machine', () => {
  it('starts as connecting, shown amber as reconnecting', () => {
    expect(indicator(initialMachine.state)).toMatchObject({ dataState: 'reconnecting', label: 'Connecting…', tone: 'warn' });
  });

  it('an open stream is Live and refetches what is shown', () => {
    const { m, steps } = run([{ type: 'open' }]);
    expect(indicator(m.state)).toMatchObject({ dataState: 'live', label: 'Live', tone: 'ok' });
    expect(steps[0].resync).toBe(true);
  });

  it('one error while the browser retries by itself is Reconnecting, with no timer of ours', () => {
    const { m, steps } = run([{ type: 'open' }, { type: 'error', closed: false }]);
    expect(indicator(m.state).label).toBe('Reconnecting…');
    expect(steps[1].reconnectIn).toBeUndefined();
  });

  it('three errors in a row are Offline (red)', () => {
    const { m } = run([{ type: 'open' }, { type: 'error', closed: false }, { type: 'error', closed: false }, { type: 'error', closed: false }]);
    expect(indicator(m.state)).toMatchObject({ dataState: 'offline', label: 'Offline', tone: 'error' });
  });

  it('a closed stream is reopened after a growing backoff', () => {
    const { steps } = run([{ type: 'error', closed: true }, { type: 'error', closed: true }, { type: 'error', closed: true }]);
    expect(steps.map((s) => s.reconnectIn)).toEqual([1000, 2000, 4000]);
  });

  it('backoff stops growing at 15 s', () => expect(backoff(10)).toBe(15000));

  it('reopening after errors is Live again and refetches everything (changes may have been missed)', () => {
    const { m, steps } = run([{ type: 'open' }, { type: 'error', closed: false }, { type: 'error', closed: false }, { type: 'error', closed: false }, { type: 'open' }]);
    expect(m).toEqual({ state: 'live', failures: 0 });
    expect(steps[4].resync).toBe(true);
  });

  it('the browser going offline is Offline at once; back online reconnects now', () => {
    const off = run([{ type: 'open' }, { type: 'browser-offline' }]);
    expect(off.m.state).toBe('offline');
    const on = step(off.m, { type: 'browser-online' });
    expect(on.machine.state).toBe('reconnecting');
    expect(on.reconnectNow).toBe(true);
  });

  it('every state has a title that says what it means', () => {
    for (const s of ['connecting', 'live', 'reconnecting', 'offline'] as const) expect(indicator(s).title.length).toBeGreaterThan(20);
  });
});
