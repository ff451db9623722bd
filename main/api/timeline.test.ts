import { describe, expect, it } from 'vitest';
import { Pyramid } from '../store/summary.js';
import type { CheckpointColumns } from '../store/types.js';
import { buildTriggerPyramid, sliceTimeline } from './timeline.js';
import { prng } from '../testing/prng.js';

function recording(count: number, seed: number): { columns: CheckpointColumns; pyramid: Pyramid } {
  const r = prng(seed);
  const dirty = new Uint32Array(count).map(() => (r() < 0.1 ? Math.floor(r() * 5000) : Math.floor(r() * 8)));
  const trigger = new Uint8Array(count).map(() => (r() < 0.02 ? 3 : r() < 0.5 ? 1 : 2));
  const columns: CheckpointColumns = { count, timeNs: new BigInt64Array(count), trigger, dirtyPages: dirty, storedBytes: new Uint32Array(count), mapsVersion: new Uint32Array(count) };
  return { columns, pyramid: Pyramid.build(dirty, count) };
}

/** The slice computed the obvious way, checkpoint by checkpoint. */
function bruteForce(c: CheckpointColumns, from: number, to: number, buckets: number) {
  const step = (to - from) / buckets;
  const out = { min: [] as number[], max: [] as number[], sum: [] as number[], trig: [] as number[] };
  for (let i = 0; i < buckets; i++) {
    const a = Math.floor(from + i * step);
    const b = Math.min(c.count, Math.max(a + 1, Math.floor(from + (i + 1) * step)));
    let mn = Infinity;
    let mx = 0;
    let sm = 0;
    let tm = 0;
    for (let k = a; k < b; k++) {
      const v = c.dirtyPages[k]!;
      mn = Math.min(mn, v);
      mx = Math.max(mx, v);
      sm += v;
      tm |= 1 << c.trigger[k]!;
    }
    out.min.push(a >= c.count ? 0 : mn);
    out.max.push(mx);
    out.sum.push(sm);
    out.trig.push(tm);
  }
  return out;
}

describe('sliceTimeline', () => {
  for (const count of [1, 7, 1000, 12345]) {
    it(`matches a brute-force aggregation over ${count} checkpoints`, () => {
      const { columns, pyramid } = recording(count, count);
      const triggers = buildTriggerPyramid(columns.trigger, count);
      const r = prng(count + 1);
      for (let trial = 0; trial < 60; trial++) {
        const from = Math.floor(r() * count);
        const to = Math.min(count + 5, from + 1 + Math.floor(r() * (count - from + 3)));
        const buckets = 1 + Math.floor(r() * 900);
        const s = sliceTimeline(pyramid.view(), columns, triggers, count, from, to, buckets);
        const want = bruteForce(columns, from, to, buckets);
        expect(s.minDirty).toEqual(want.min);
        expect(s.maxDirty).toEqual(want.max);
        expect(s.sumDirty).toEqual(want.sum);
        expect(s.triggers).toEqual(want.trig);
      }
    });
  }

  it('falls back to the dirty column when the pyramid is missing', () => {
    const { columns } = recording(300, 9);
    const triggers = buildTriggerPyramid(columns.trigger, 300);
    const s = sliceTimeline([], columns, triggers, 300, 0, 300, 7);
    expect(s.maxDirty).toEqual(bruteForce(columns, 0, 300, 7).max);
  });
});

describe('buildTriggerPyramid on a growing recording', () => {
  it('extended step by step equals the pyramid built at once, and slices the same', () => {
    const { columns } = recording(5000, 21);
    const r = prng(22);
    let grown = buildTriggerPyramid(columns.trigger, 0);
    for (let count = 0; count < 5000; ) {
      count = Math.min(5000, count + (r() < 0.3 ? 1 : Math.floor(r() * 700)));
      grown = buildTriggerPyramid(columns.trigger, count, grown);
      const fresh = buildTriggerPyramid(columns.trigger, count);
      expect(grown.count).toBe(count);
      expect(grown.levels.length).toBe(fresh.levels.length);
      for (let L = 0; L < fresh.levels.length; L++) {
        expect(Array.from(grown.levels[L]!.subarray(0, fresh.levels[L]!.length))).toEqual(Array.from(fresh.levels[L]!));
        expect(grown.levels[L]!.subarray(fresh.levels[L]!.length).every((b) => b === 0)).toBe(true);
      }
      const cut = { ...columns, count, trigger: columns.trigger.subarray(0, count), dirtyPages: columns.dirtyPages.subarray(0, count) };
      const summary = Pyramid.build(cut.dirtyPages, count).view();
      const buckets = 1 + Math.floor(r() * 300);
      expect(sliceTimeline(summary, cut, grown, count, 0, count, buckets)).toEqual(sliceTimeline(summary, cut, fresh, count, 0, count, buckets));
      expect(sliceTimeline(summary, cut, grown, count, 0, count, buckets).triggers).toEqual(bruteForce(cut, 0, count, buckets).trig);
    }
  });
});
