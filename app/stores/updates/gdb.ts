/**
 * Pure state transitions of the gdb dock ("Open in gdb"): one tab per gdb terminal, each going
 *
 *   starting ──gdbOpen answered──► running ──onGdbExit──► exited
 *      │                                                    │
 *      └──gdbOpen refused (no gdb...)──► failed             │
 *   failed / exited ──open again──► starting (a fresh terminal, same checkpoint)
 *
 * and closed from any state. A tab asks for its terminal only once its xterm has a size (the
 * store calls gdbOpen with it), so gdb starts at the width it will be shown at.
 */

export type GdbTabStatus = 'starting' | 'running' | 'exited' | 'failed';

export interface GdbTab {
  /** Local to this renderer (a session id exists only once gdb runs). */
  readonly id: number;
  readonly rec: string;
  /** Where gdb is: opened there, then wherever continue, reverse-continue or goto took it. */
  readonly k: number;
  readonly status: GdbTabStatus;
  /** Bumped by "open again": the terminal view is keyed by it, so it starts blank. */
  readonly attempt: number;
  readonly sessionId: string | null;
  readonly program: string | null;
  readonly address: string | null;
  /** Why it failed, or how gdb exited. */
  readonly message: string | null;
}

export interface GdbDockState {
  readonly tabs: readonly GdbTab[];
  readonly active: number | null;
  readonly nextId: number;
}

export const emptyDock: GdbDockState = { tabs: [], active: null, nextId: 1 };

const patch = (s: GdbDockState, id: number, f: (t: GdbTab) => GdbTab): GdbDockState => ({ ...s, tabs: s.tabs.map((t) => (t.id === id ? f(t) : t)) });

/** A new tab for gdb at checkpoint k of `rec`, shown at once. */
export function opening(s: GdbDockState, rec: string, k: number): GdbDockState {
  const tab: GdbTab = { id: s.nextId, rec, k, status: 'starting', attempt: 0, sessionId: null, program: null, address: null, message: null };
  return { tabs: [...s.tabs, tab], active: tab.id, nextId: s.nextId + 1 };
}

export function started(s: GdbDockState, id: number, g: { sessionId: string; program: string; address: string }): GdbDockState {
  return patch(s, id, (t) => (t.status === 'starting' ? { ...t, status: 'running', sessionId: g.sessionId, program: g.program, address: g.address, message: null } : t));
}

export function failed(s: GdbDockState, id: number, message: string): GdbDockState {
  return patch(s, id, (t) => (t.status === 'starting' ? { ...t, status: 'failed', message } : t));
}

/** gdb of session `sessionId` exited (a session no tab has is someone else's: ignored). */
export function exited(s: GdbDockState, sessionId: string, how: { exitCode: number; signal: number | null }): GdbDockState {
  const tab = s.tabs.find((t) => t.sessionId === sessionId && t.status === 'running');
  return tab ? patch(s, tab.id, (t) => ({ ...t, status: 'exited', message: describeExit(how) })) : s;
}

/** gdb of session `sessionId` moved to checkpoint k; the tab follows (others' sessions: ignored). */
export function moved(s: GdbDockState, sessionId: string, k: number): GdbDockState {
  const tab = s.tabs.find((t) => t.sessionId === sessionId && t.status === 'running');
  return tab ? patch(s, tab.id, (t) => ({ ...t, k })) : s;
}

/** "Open again" after gdb exited or could not start: a fresh start at the same checkpoint. */
export function restart(s: GdbDockState, id: number): GdbDockState {
  return patch(s, id, (t) => (t.status === 'exited' || t.status === 'failed' ? { ...t, status: 'starting', attempt: t.attempt + 1, sessionId: null, program: null, address: null, message: null } : t));
}

export function activate(s: GdbDockState, id: number): GdbDockState {
  return s.tabs.some((t) => t.id === id) ? { ...s, active: id } : s;
}

/** Removes a tab; when it was the one shown, its right neighbour (or else its left) is shown. */
export function closed(s: GdbDockState, id: number): GdbDockState {
  const i = s.tabs.findIndex((t) => t.id === id);
  if (i < 0) return s;
  const tabs = s.tabs.filter((t) => t.id !== id);
  const active = s.active !== id ? s.active : (tabs[Math.min(i, tabs.length - 1)]?.id ?? null);
  return { ...s, tabs, active };
}

export function describeExit({ exitCode, signal }: { exitCode: number; signal: number | null }): string {
  return signal ? `gdb was ended by signal ${signal}` : `gdb exited${exitCode === 0 ? '' : ` with status ${exitCode}`}`;
}
