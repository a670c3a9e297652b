// Test doubles: a fetch that answers from a table of paths, and an
// EventSource the test drives by hand.
import { vi } from 'vitest';
import type { EventSourceLike } from '../live/LiveProvider';

export type Answer = unknown | { status: number; body: unknown };

/** stubFetch answers each path (with its query) from routes; unknown paths are 404. */
export function stubFetch(routes: Record<string, Answer | ((url: string) => Answer)>) {
  const calls: string[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input);
    calls.push(url);
    const r = routes[url] ?? routes[url.split('?')[0]];
    const a = typeof r === 'function' ? (r as (u: string) => Answer)(url) : r;
    if (a === undefined) return new Response(JSON.stringify({ error: `no fixture for ${url}` }), { status: 404 });
    if (a && typeof a === 'object' && 'status' in a && 'body' in a) {
      const { status, body } = a as { status: number; body: unknown };
      return new Response(JSON.stringify(body), { status });
    }
    return new Response(JSON.stringify(a), { status: 200 });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

export class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  private listeners: ((ev: MessageEvent) => void)[] = [];
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(_type: 'change', fn: (ev: MessageEvent) => void) {
    this.listeners.push(fn);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  fail(closed = false) {
    this.readyState = closed ? 2 : 0;
    this.onerror?.(new Event('error'));
  }
  change(topics: string[], version = 1) {
    const ev = new MessageEvent('change', { data: JSON.stringify({ topics, version }) });
    this.listeners.forEach((l) => l(ev));
  }
  static latest(): FakeEventSource {
    return FakeEventSource.all[FakeEventSource.all.length - 1];
  }
  static factory = (url: string) => new FakeEventSource(url);
}
