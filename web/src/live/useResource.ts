// useResource loads one API document for a view and keeps it fresh: it
// refetches when the shared stream names one of the view's topics
// (debounced, at most one request in flight, one more queued if changes
// arrive meanwhile), and keeps showing the last data while it refetches.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { Topic } from '../api/types';
import { useLive } from './LiveProvider';

export const DEBOUNCE_MS = 100;

export interface Resource<T> {
  data?: T;
  /** the last failure; data (if any) is from before it */
  error?: ApiError;
  /** true until the first answer (data or error) for the current key */
  loading: boolean;
  /** fetch again now (the Retry button) */
  reload: () => void;
}

interface Options {
  /** keep the previous key's data while the new key loads (filters of one list) */
  keepOnKeyChange?: boolean;
}

interface State<T> {
  key: string;
  data?: T;
  error?: ApiError;
  settled: boolean;
}

export function useResource<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
  topics: readonly Topic[],
  { keepOnKeyChange = false }: Options = {},
): Resource<T> {
  const { subscribe } = useLive();
  const [st, setSt] = useState<State<T>>({ key, settled: false });
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useRef<() => void>(() => {});

  useEffect(() => {
    let ctrl: AbortController | null = null; // the request in flight
    let pending = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;

    setSt((prev) => (prev.key === key ? prev : { key, settled: false, data: keepOnKeyChange ? prev.data : undefined }));

    const fetchNow = () => {
      if (!live) return;
      if (ctrl) {
        pending = true;
        return;
      }
      const mine = new AbortController();
      ctrl = mine;
      loadRef
        .current(mine.signal)
        .then(
          (data) => {
            if (live) setSt({ key, data, settled: true });
          },
          (err: unknown) => {
            if (!live || mine.signal.aborted) return;
            const e = err instanceof ApiError ? err : new ApiError('', 0, String(err), '');
            setSt((prev) => ({ key, data: prev.key === key || keepOnKeyChange ? prev.data : undefined, error: e, settled: true }));
          },
        )
        .finally(() => {
          if (ctrl !== mine) return;
          ctrl = null;
          if (pending && live) {
            pending = false;
            fetchNow();
          }
        });
    };
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(fetchNow, DEBOUNCE_MS);
    };
    run.current = fetchNow;
    fetchNow();
    const unsubscribe = subscribe(topics, schedule);
    return () => {
      live = false;
      clearTimeout(timer);
      unsubscribe();
      ctrl?.abort();
    };
    // topics is a constant per view; joining it keeps the effect stable
  }, [key, subscribe, topics.join(','), keepOnKeyChange]);

  const reload = useCallback(() => run.current(), []);
  const current = st.key === key;
  return {
    data: current || keepOnKeyChange ? st.data : undefined,
    error: current ? st.error : undefined,
    loading: !current || !st.settled,
    reload,
  };
}
