/**
 * useQuery: the data a view shows for its inputs (recording, checkpoint, address...), fetched
 * through the API. While the user scrubs, inputs change faster than answers arrive: at most
 * one request is in flight, the last inputs always win, and the previous data stays on screen
 * until the new data is there (no flicker).
 */
import { useEffect, useRef, useState } from 'react';

export interface Query<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
}

export function useQuery<T>(fetcher: (() => Promise<T>) | null, deps: readonly unknown[]): Query<T> {
  const [state, setState] = useState<Query<T>>({ data: null, error: null, loading: false });
  const latest = useRef<(() => Promise<T>) | null>(null);
  const generation = useRef(0);
  const inFlight = useRef(false);

  useEffect(() => {
    latest.current = fetcher;
    generation.current++;
    if (!fetcher) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    if (inFlight.current) return;
    const run = async (): Promise<void> => {
      inFlight.current = true;
      setState((s) => ({ ...s, loading: true }));
      for (;;) {
        const f = latest.current;
        const g = generation.current;
        if (!f) break;
        let next: Query<T>;
        try {
          next = { data: await f(), error: null, loading: false };
        } catch (e) {
          next = { data: null, error: (e as Error).message, loading: false };
        }
        if (g === generation.current) {
          setState(next);
          break;
        }
      }
      inFlight.current = false;
    };
    void run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return state;
}
