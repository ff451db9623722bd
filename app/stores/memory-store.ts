/**
 * The memory view's own state: where it looks, which bytes are selected, how the typed column
 * reads them, and the change list of the selection ("when did this change?").
 */
import { create } from 'zustand';
import type { ChangesResult } from '../../shared/api/contract.js';
import { api } from '../lib/api.js';
import { onRecordingChange } from './recording-scope.js';

export const TYPED_COLUMNS = ['i32', 'u32', 'i64', 'u64', 'f32', 'f64'] as const;
export type TypedColumn = (typeof TYPED_COLUMNS)[number];

export interface ByteSelection {
  readonly addr: bigint;
  readonly len: number;
}

export const ROW_BYTES = 16;

interface MemoryState {
  /** First byte shown (aligned to 16), or null before anything was chosen. */
  readonly base: bigint | null;
  readonly selection: ByteSelection | null;
  readonly typed: TypedColumn;
  readonly changes: {
    readonly sel: ByteSelection;
    /** The symbol the bytes belong to ("store+0x40"), when one covers them. */
    readonly symbol: string | null;
    readonly loading: boolean;
    readonly result: ChangesResult | null;
    readonly error: string | null;
  } | null;
  /** Shows `addr` (on the first rows); selects `select` bytes from it when given. */
  goTo(addr: bigint, select?: number): void;
  scrollRows(rows: number): void;
  setSelection(sel: ByteSelection | null): void;
  setTyped(t: TypedColumn): void;
  /** Lists every change of the selected bytes over the whole recording (symbols as at checkpoint k). */
  loadChanges(rec: string, k: number): Promise<void>;
  clearChanges(): void;
  /** Forgets the recording's place, selection and change list (the typed column stays). */
  reset(): void;
}

const align = (a: bigint): bigint => a - (a % BigInt(ROW_BYTES));

export const useMemory = create<MemoryState>()((set, get) => ({
  base: null,
  selection: null,
  typed: 'i32',
  changes: null,

  goTo(addr, select) {
    const base = align(addr) >= 32n ? align(addr) - 32n : 0n; // two rows of context above
    set({ base, selection: select ? { addr, len: select } : get().selection });
  },
  scrollRows(rows) {
    const base = get().base;
    if (base === null) return;
    const next = base + BigInt(rows * ROW_BYTES);
    set({ base: next < 0n ? 0n : next });
  },
  setSelection: (selection) => set({ selection }),
  setTyped: (typed) => set({ typed }),

  async loadChanges(rec, k) {
    const sel = get().selection;
    if (!sel) return;
    set({ changes: { sel, symbol: null, loading: true, result: null, error: null } });
    const addr = '0x' + sel.addr.toString(16);
    const symbol = api()
      .resolve({ rec, k, expr: addr })
      .then((r) => r.symbol)
      .catch(() => null);
    try {
      const result = await api().changes({ rec, addr, len: Math.min(sel.len, 4096) });
      if (get().changes?.sel === sel) set({ changes: { sel, symbol: await symbol, loading: false, result, error: null } });
    } catch (e) {
      if (get().changes?.sel === sel) set({ changes: { sel, symbol: await symbol, loading: false, result: null, error: (e as Error).message } });
    }
  },
  clearChanges: () => set({ changes: null }),
  reset: () => set({ base: null, selection: null, changes: null }),
}));

onRecordingChange(() => useMemory.getState().reset());
