// One EventSource for the whole app: pages subscribe to topics and refetch
// when a `change` names one of them, and everything shown is refetched when
// the stream (re)opens, since changes may have been missed meanwhile.
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, type ReactNode } from 'react';
import { api, WATCH_URL } from '../api/client';
import type { Change, Topic } from '../api/types';
import { initialMachine, step, type LiveEvent, type LiveState, type Machine } from './machine';

export type Listener = () => void;

interface Live {
  state: LiveState;
  /** subscribe calls fn on each change naming one of topics, and on every (re)open; it returns the unsubscribe. */
  subscribe(topics: readonly Topic[], fn: Listener): () => void;
}

const noop = () => {};
const LiveContext = createContext<Live>({ state: 'offline', subscribe: () => noop });

export function useLive(): Live {
  return useContext(LiveContext);
}

/** The part of EventSource the provider uses (tests pass a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onerror: ((ev: Event) => void) | null;
  addEventListener(type: 'change', fn: (ev: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

const CLOSED = 2;
const defaultFactory: EventSourceFactory = (url) => new EventSource(url);

interface Props {
  children: ReactNode;
  /** false on pages that need no stream (the login page) */
  enabled?: boolean;
  factory?: EventSourceFactory;
}

type Sub = { topics: ReadonlySet<Topic>; fn: Listener };

export function LiveProvider({ children, enabled = true, factory = defaultFactory }: Props) {
  const machineRef = useRef<Machine>(initialMachine);
  const [machine, dispatch] = useReducer((_: Machine, next: Machine) => next, initialMachine);
  const subs = useRef(new Set<Sub>());

  const notify = useCallback((topics: readonly string[] | null) => {
    for (const s of [...subs.current]) {
      if (topics === null || topics.some((t) => s.topics.has(t as Topic))) s.fn();
    }
  }, []);

  useEffect(() => {
    if (!enabled) return;
    let es: EventSourceLike | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    const feed = (ev: LiveEvent) => {
      const s = step(machineRef.current, ev);
      machineRef.current = s.machine;
      dispatch(s.machine);
      if (s.resync) notify(null);
      if (s.reconnectNow) {
        clearTimeout(timer);
        connect();
      } else if (s.reconnectIn !== undefined) {
        clearTimeout(timer);
        timer = setTimeout(connect, s.reconnectIn);
        // an expired session also closes the stream: whoami's 401 sends the user to /login
        api.whoami().catch(noop);
      }
    };

    function connect() {
      if (stopped) return;
      es?.close();
      const src = factory(WATCH_URL);
      es = src;
      src.onopen = () => {
        if (es === src) feed({ type: 'open' });
      };
      src.onerror = () => {
        if (es !== src) return;
        const closed = src.readyState === CLOSED;
        if (closed) src.close();
        feed({ type: 'error', closed });
      };
      src.addEventListener('change', (ev: MessageEvent) => {
        if (es !== src) return;
        let change: Partial<Change> | null = null;
        try {
          change = JSON.parse(String(ev.data)) as Partial<Change>;
        } catch {
          change = null;
        }
        // an unreadable change still means something changed: refetch all
        notify(Array.isArray(change?.topics) ? change.topics : null);
      });
    }

    const onOffline = () => feed({ type: 'browser-offline' });
    const onOnline = () => feed({ type: 'browser-online' });
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      es?.close();
      es = null;
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      machineRef.current = initialMachine;
    };
  }, [enabled, factory, notify]);

  const subscribe = useCallback((topics: readonly Topic[], fn: Listener) => {
    const s: Sub = { topics: new Set(topics), fn };
    subs.current.add(s);
    return () => {
      subs.current.delete(s);
    };
  }, []);

  const value = useMemo<Live>(() => ({ state: machine.state, subscribe }), [machine.state, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
