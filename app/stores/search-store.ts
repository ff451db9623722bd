/**
 * Searches over the recording: the predicate being edited, the running search (bisect or
 * exact find) with its progress, and the last result, whose checkpoints become timeline
 * markers. A search has a client-chosen id so it can be cancelled while it runs.
 *
 *   idle ──run──► running(searchId) ──result──► done(result)
 *                    │   ▲ progress    └─error─► failed(message, position?)
 *                    └─cancel──► idle (the service answers 'cancelled')
 */
import { create } from 'zustand';
import { ApiError, type DeloreanEvents, type FindResult } from '../../shared/api/contract.js';
import { api } from '../lib/api.js';
import { onRecordingChange } from './recording-scope.js';

export type SearchMode = 'bisect' | 'find';

export interface SearchOutcome {
  readonly mode: SearchMode;
  readonly predicate: string;
  /** Checkpoints the search found: the bisect answer, or every find match. */
  readonly checkpoints: readonly number[];
  readonly work: number; // probes or evaluations
  readonly truncated: boolean;
  /** Find: a condition (matches are where it becomes true) or a value (where it changes). */
  readonly condition: boolean;
  /** Find: where evaluating failed, and why (never counted as matches). */
  readonly failures: FindResult['failures'];
}

interface SearchState {
  readonly predicate: string;
  readonly running: { readonly searchId: string; readonly mode: SearchMode; readonly progress: DeloreanEvents['onSearchProgress'] | null } | null;
  readonly result: SearchOutcome | null;
  readonly error: { readonly message: string; readonly position: number | null } | null;
  setPredicate(p: string): void;
  run(rec: string, mode: SearchMode): Promise<void>;
  cancel(): Promise<void>;
  clear(): void;
  /** Forgets everything about the recording: predicate, result, error; cancels a running search. */
  reset(): void;
  connect(): () => void;
}

let counter = 0;
const newSearchId = (): string => `s${Date.now().toString(36)}${(counter++).toString(36)}`;

export const useSearch = create<SearchState>()((set, get) => ({
  predicate: '',
  running: null,
  result: null,
  error: null,

  setPredicate: (predicate) => set({ predicate }),

  async run(rec, mode) {
    const predicate = get().predicate.trim();
    if (!predicate || get().running) return;
    const searchId = newSearchId();
    // The previous result goes: shown under this search's error, it would read as this one's.
    set({ running: { searchId, mode, progress: null }, result: null, error: null });
    const current = (): boolean => get().running?.searchId === searchId; // not reset since
    try {
      if (mode === 'bisect') {
        const r = await api().bisect({ rec, searchId, predicate });
        if (current()) set({ result: { mode, predicate, checkpoints: r.checkpoint === null ? [] : [r.checkpoint], work: r.probes, truncated: false, condition: true, failures: [] } });
      } else {
        const r = await api().find({ rec, searchId, predicate });
        if (current()) set({ result: { mode, predicate, checkpoints: r.matches, work: r.evaluations, truncated: r.truncated, condition: r.condition, failures: r.failures } });
      }
    } catch (e) {
      if (!current() || (e instanceof ApiError && e.code === 'cancelled')) return;
      set({ error: { message: (e as Error).message, position: e instanceof ApiError ? (e.position ?? null) : null } });
    } finally {
      if (current()) set({ running: null });
    }
  },

  async cancel() {
    const running = get().running;
    if (running) await api().cancelSearch({ searchId: running.searchId });
  },

  clear: () => set({ result: null, error: null }),

  reset() {
    const running = get().running;
    if (running) void api().cancelSearch({ searchId: running.searchId }).catch(() => undefined);
    set({ predicate: '', running: null, result: null, error: null });
  },

  connect() {
    return api().on('onSearchProgress', (p) => {
      const running = get().running;
      if (running && running.searchId === p.searchId) set({ running: { ...running, progress: p } });
    });
  },
}));

onRecordingChange(() => useSearch.getState().reset());
