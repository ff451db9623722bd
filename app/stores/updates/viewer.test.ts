import { describe, expect, it } from 'vitest';
import type { RecordingSummary } from '../../../shared/api/contract.js';
import { cleared, emptyViewer, nextMarker, opened, refreshed, select, step, toggleBookmark, togglePin } from './viewer.js';

function summary(count: number, rec = '/r.dlr'): RecordingSummary {
  return {
    rec,
    path: rec,
    meta: { formatVersion: 1, program: '/bin/p', argv: ['/bin/p'], cwd: '/', pid: 1, backend: 'uffd-wp', attached: false, pageSize: 4096, startedAt: '' },
    checkpointCount: count,
    exit: null,
    stats: { rawBytes: 0, storedBytes: 0, pagesReceived: 0, zeroPages: 0, dedupHits: 0, deltaBlobs: 0, fullBlobs: 0, reduction: 0 },
    durationNs: '0',
    damage: [],
    programChanged: null,
  };
}

describe('viewer updates', () => {
  it('opens on the last checkpoint showing everything', () => {
    const s = opened(emptyViewer, summary(100));
    expect(s.selected).toBe(99);
    expect(s.view).toEqual({ from: 0, to: 100 });
  });

  it('keeps following the end of a growing recording', () => {
    const s = opened(emptyViewer, summary(10));
    const r = refreshed(s, summary(30));
    expect(r.selected).toBe(29);
    expect(r.view).toEqual({ from: 0, to: 30 });
    const pinnedBack = { ...s, selected: 3 };
    expect(refreshed(pinnedBack, summary(30)).selected).toBe(3);
  });

  it('selects within range and keeps the selection visible', () => {
    const s = { ...opened(emptyViewer, summary(1000)), view: { from: 0, to: 100 } };
    expect(select(s, 5000).selected).toBe(999);
    expect(select(s, 500).view).toEqual({ from: 401, to: 501 });
    expect(step({ ...s, selected: 99 }, 'ArrowRight').selected).toBe(100);
  });

  it('pins and bookmarks', () => {
    const s = { ...opened(emptyViewer, summary(10)), selected: 4 };
    expect(togglePin(s).pinned).toBe(4);
    expect(togglePin({ ...s, pinned: 4 }).pinned).toBeNull();
    expect(toggleBookmark({ ...s, bookmarks: [7, 2] }).bookmarks).toEqual([7, 2, 4].sort((a, b) => a - b));
    expect(toggleBookmark({ ...s, bookmarks: [4] }).bookmarks).toEqual([]);
  });

  it('gives every opening, and the clearing before a new recording, its own scope', () => {
    const a = opened(emptyViewer, summary(10, '/a.dlr'));
    const b = opened({ ...a, pinned: 3, bookmarks: [2] }, summary(5, '/b.dlr'));
    expect(b.scope).toBeGreaterThan(a.scope);
    expect(b.pinned).toBeNull();
    expect(b.bookmarks).toEqual([]);
    const c = cleared(b);
    expect(c.scope).toBeGreaterThan(b.scope);
    expect(c.summary).toBeNull();
    expect(refreshed(a, summary(12, '/a.dlr')).scope).toBeUndefined(); // growing keeps its scope
  });

  it('finds the next and previous markers', () => {
    expect(nextMarker([10, 3, 7], 5, 1)).toBe(7);
    expect(nextMarker([10, 3, 7], 5, -1)).toBe(3);
    expect(nextMarker([10, 3, 7], 10, 1)).toBeNull();
  });
});
