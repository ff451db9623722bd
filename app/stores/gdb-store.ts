/**
 * The gdb dock: gdb terminals opened at checkpoints ("Open in gdb"), their tabs (transitions
 * in updates/gdb.ts) and their output, kept outside React state as the session store keeps the
 * recording's (a terminal appends; it does not re-render).
 *
 * Output can arrive before gdbOpen's answer names its session: while an open is in flight,
 * output of sessions no tab knows is held, and adopted by the tab whose answer names it (the
 * rest belongs to other windows on the same bridge and is dropped).
 */
import { create } from 'zustand';
import { api } from '../lib/api.js';
import { onRecordingChange } from './recording-scope.js';
import { useViewer } from './viewer-store.js';
import * as u from './updates/gdb.js';

const OUTPUT_LIMIT = 1 << 20;
const MAX_HELD = 32;

interface Buffer {
  chunks: string[];
  size: number;
}

/** Output per session id, and who listens. */
const buffers = new Map<string, Buffer>();
const taps = new Map<string, Set<(data: string) => void>>();
/** Exits of sessions no tab knew yet (an open in flight). */
const heldExits = new Map<string, { exitCode: number; signal: number | null }>();
/** Terminal sizes as last reported per tab (an answer may come after a resize). */
const sizes = new Map<number, { cols: number; rows: number }>();
/** Opens asked for, per tab and attempt: each is asked once. */
const asked = new Set<string>();
let inFlight = 0;

function append(sessionId: string, data: string): void {
  let b = buffers.get(sessionId);
  if (!b) {
    b = { chunks: [], size: 0 };
    buffers.set(sessionId, b);
  }
  b.chunks.push(data);
  b.size += data.length;
  while (b.size > OUTPUT_LIMIT && b.chunks.length > 1) b.size -= b.chunks.shift()!.length;
  for (const tap of taps.get(sessionId) ?? []) tap(data);
}

function forget(sessionId: string | null): void {
  if (!sessionId) return;
  buffers.delete(sessionId);
  taps.delete(sessionId);
  heldExits.delete(sessionId);
}

interface GdbState extends u.GdbDockState {
  /** A new tab for gdb at checkpoint k; gdb starts once the tab's terminal has a size (start). */
  open(rec: string, k: number): void;
  /** The tab's terminal has its size: start gdb (once per attempt). */
  start(id: number, cols: number, rows: number): Promise<void>;
  restart(id: number): void;
  activate(id: number): void;
  /** Closes a tab, ending its gdb. */
  close(id: number): void;
  closeAll(): void;
  input(id: number, data: string): void;
  resize(id: number, cols: number, rows: number): void;
  /** Output of a session so far (for a terminal that mounts late) and a tap for what follows. */
  output(sessionId: string): string;
  onOutput(sessionId: string, cb: (data: string) => void): () => void;
  /** Wires the store to the API's events; call once. */
  connect(): () => void;
}

export const useGdb = create<GdbState>()((set, get) => {
  const tab = (id: number): u.GdbTab | undefined => get().tabs.find((t) => t.id === id);
  const known = (sessionId: string): boolean => get().tabs.some((t) => t.sessionId === sessionId);

  return {
    ...u.emptyDock,

    open(rec, k) {
      set(u.opening(get(), rec, k));
    },

    async start(id, cols, rows) {
      sizes.set(id, { cols, rows });
      const t = tab(id);
      if (!t || t.status !== 'starting') return;
      const key = `${id}:${t.attempt}`;
      if (asked.has(key)) return;
      asked.add(key);
      inFlight++;
      try {
        const g = await api().gdbOpen({ rec: t.rec, k: t.k, cols, rows });
        const now = tab(id);
        if (!now || now.attempt !== t.attempt) {
          forget(g.sessionId);
          void api().gdbClose({ sessionId: g.sessionId }).catch(() => undefined); // closed while it started
          return;
        }
        set(u.started(get(), id, g));
        const exit = heldExits.get(g.sessionId);
        if (exit) set(u.exited(get(), g.sessionId, exit));
        const size = sizes.get(id);
        if (size && (size.cols !== cols || size.rows !== rows)) void api().gdbResize({ sessionId: g.sessionId, ...size }).catch(() => undefined);
      } catch (e) {
        set(u.failed(get(), id, (e as Error).message));
      } finally {
        asked.delete(key);
        if (--inFlight === 0) {
          for (const sessionId of [...buffers.keys(), ...heldExits.keys()]) if (!known(sessionId)) forget(sessionId);
        }
      }
    },

    restart(id) {
      forget(tab(id)?.sessionId ?? null);
      set(u.restart(get(), id));
    },

    activate(id) {
      set(u.activate(get(), id));
    },

    close(id) {
      const t = tab(id);
      if (!t) return;
      set(u.closed(get(), id));
      sizes.delete(id);
      if (t.sessionId) {
        if (t.status === 'running') void api().gdbClose({ sessionId: t.sessionId }).catch(() => undefined);
        forget(t.sessionId);
      }
    },

    closeAll() {
      for (const t of get().tabs) get().close(t.id);
    },

    input(id, data) {
      const t = tab(id);
      if (t?.sessionId && t.status === 'running') void api().gdbInput({ sessionId: t.sessionId, data }).catch(() => undefined);
    },

    resize(id, cols, rows) {
      const t = tab(id);
      if (!t) return;
      if (t.status === 'starting') void get().start(id, cols, rows);
      else if (t.sessionId && t.status === 'running') {
        sizes.set(id, { cols, rows });
        void api().gdbResize({ sessionId: t.sessionId, cols, rows }).catch(() => undefined);
      }
    },

    output: (sessionId) => buffers.get(sessionId)?.chunks.join('') ?? '',
    onOutput(sessionId, cb) {
      let set = taps.get(sessionId);
      if (!set) taps.set(sessionId, (set = new Set()));
      set.add(cb);
      return () => set.delete(cb);
    },

    connect() {
      const offs = [
        api().on('onGdbData', ({ sessionId, data }) => {
          if (known(sessionId) || (inFlight > 0 && (buffers.has(sessionId) || buffers.size < MAX_HELD))) append(sessionId, data);
        }),
        // gdb moved (continue, reverse-continue...): its tab follows, and the viewer too while
        // that tab is the one shown, so both say the same checkpoint.
        api().on('onGdbCheckpoint', ({ sessionId, k }) => {
          if (!known(sessionId)) return;
          set(u.moved(get(), sessionId, k));
          const t = get().tabs.find((x) => x.sessionId === sessionId);
          const viewer = useViewer.getState();
          if (t && t.id === get().active && viewer.summary?.rec === t.rec) viewer.select(k);
        }),
        api().on('onGdbExit', ({ sessionId, exitCode, signal }) => {
          if (known(sessionId)) set(u.exited(get(), sessionId, { exitCode, signal }));
          else if (inFlight > 0 && heldExits.size < MAX_HELD) heldExits.set(sessionId, { exitCode, signal });
        }),
      ];
      // Leaving the page: end its gdbs (best effort; the service ends them all when it stops).
      const leave = (): void => get().closeAll();
      window.addEventListener('pagehide', leave);
      return () => {
        offs.forEach((off) => off());
        window.removeEventListener('pagehide', leave);
      };
    },
  };
});

// gdb tabs belong to the recording shown.
onRecordingChange(() => useGdb.getState().closeAll());
