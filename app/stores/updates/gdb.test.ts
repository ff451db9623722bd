import { describe, expect, it } from 'vitest';
import { activate, closed, describeExit, emptyDock, exited, failed, moved, opening, restart, started } from './gdb.js';

const g = (sessionId: string) => ({ sessionId, program: '/bin/p', address: '/tmp/d/gdb.sock' });

describe('gdb dock updates', () => {
  it('opens a tab per checkpoint, shows the newest, and starts it when gdb answers', () => {
    let s = opening(opening(emptyDock, '/r.dlr', 3), '/r.dlr', 8);
    expect(s.tabs.map((t) => [t.id, t.k, t.status])).toEqual([
      [1, 3, 'starting'],
      [2, 8, 'starting'],
    ]);
    expect(s.active).toBe(2);
    s = started(s, 2, g('aa'));
    expect(s.tabs[1]).toMatchObject({ status: 'running', sessionId: 'aa', address: '/tmp/d/gdb.sock' });
    expect(started(s, 2, g('bb')).tabs[1]!.sessionId).toBe('aa'); // only a starting tab starts
  });

  it('follows gdb to the checkpoint it moved to; other sessions are not its', () => {
    const s = started(opening(emptyDock, '/r.dlr', 3), 1, g('aa'));
    expect(moved(s, 'aa', 9).tabs[0]!.k).toBe(9);
    expect(moved(s, 'zz', 9)).toBe(s);
  });

  it('keeps a failure in its tab, and starts afresh when asked to', () => {
    let s = failed(opening(emptyDock, '/r.dlr', 3), 1, 'gdb is not installed');
    expect(s.tabs[0]).toMatchObject({ status: 'failed', message: 'gdb is not installed' });
    s = restart(s, 1);
    expect(s.tabs[0]).toMatchObject({ status: 'starting', attempt: 1, message: null });
    expect(restart(s, 1)).toEqual(s); // already starting
  });

  it('marks the tab whose gdb exited, and only that one', () => {
    let s = started(started(opening(opening(emptyDock, '/r.dlr', 3), '/r.dlr', 4), 1, g('aa')), 2, g('bb'));
    expect(exited(s, 'zz', { exitCode: 0, signal: null })).toEqual(s); // another window's gdb
    s = exited(s, 'bb', { exitCode: 0, signal: null });
    expect(s.tabs.map((t) => t.status)).toEqual(['running', 'exited']);
    expect(s.tabs[1]!.message).toBe('gdb exited');
    expect(restart(s, 2).tabs[1]).toMatchObject({ status: 'starting', sessionId: null, attempt: 1 });
  });

  it('closing the shown tab shows its right neighbour, else its left', () => {
    let s = [3, 4, 5].reduce((acc, k) => opening(acc, '/r.dlr', k), emptyDock);
    s = activate(s, 2);
    s = closed(s, 2);
    expect([s.tabs.map((t) => t.id), s.active]).toEqual([[1, 3], 3]);
    s = closed(s, 3);
    expect(s.active).toBe(1);
    s = activate(closed(s, 1), 1);
    expect(s).toMatchObject({ tabs: [], active: null });
    expect(activate(opening(emptyDock, '/r.dlr', 1), 42).active).toBe(1);
  });

  it('says how gdb ended', () => {
    expect(describeExit({ exitCode: 1, signal: null })).toBe('gdb exited with status 1');
    expect(describeExit({ exitCode: 0, signal: 9 })).toBe('gdb was ended by signal 9');
  });
});
