import { describe, expect, it } from 'vitest';
import { Pyramid, SUMMARY_BUCKET } from '../store/summary.js';
import type { CheckpointColumns } from '../store/types.js';
import { MAX_COLUMNS_WINDOW, SNAP_STEP, sliceTimeline, type ReadColumns } from './timeline.js';
import { prng } from '../testing/prng.js';

interface Recording {
  readonly count: number;
  readonly dirty: Uint32Array;
  readonly trigger: Uint8Array;
}

function recording(count: number, seed: number): Recording {
  const r = prng(seed);
  const dirty = new Uint32Array(count).map(() => (r() < 0.1 ? Math.floor(r() * 5000) : Math.floor(r() * 8)));
  const trigger = new Uint8Array(count).map(() => (r() < 0.02 ? 3 : r() < 0.5 ? 1 : 2));
  return { count, dirty, trigger };
}

/**
 * Columns of the first `count` checkpoints as RecordingReader.columns gives them (copies,
 * range-checked), noting every window read so the tests can hold sliceTimeline to its bounds.
 */
function reader(rec: Recording, count = rec.count): { read: ReadColumns; windows: Array<[number, number]> } {
  const windows: Array<[number, number]> = [];
  const read: ReadColumns = (from, to) => {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > count) throw new RangeError(`checkpoints [${from}, ${to}) out of range (${count})`);
    windows.push([from, to]);
    const n = to - from;
    const cols: CheckpointColumns = { from, count: n, timeNs: new BigInt64Array(n), trigger: rec.trigger.slice(from, to), dirtyPages: rec.dirty.slice(from, to), storedBytes: new Uint32Array(n), mapsVersion: new Uint32Array(n) };
    return cols;
  };
  return { read, windows };
}

/** The slice computed the obvious way, checkpoint by checkpoint (buckets over SNAP_STEP wide cut at multiples of SUMMARY_BUCKET). */
function bruteForce(rec: Recording, count: number, from: number, to: number, buckets: number) {
  const step = (to - from) / buckets;
  const snap = (k: number): number => (step > SNAP_STEP && k < count ? k - (k % SUMMARY_BUCKET) : k);
  const out = { min: [] as number[], max: [] as number[], sum: [] as number[], n: [] as number[], trig: [] as number[] };
  for (let i = 0; i < buckets; i++) {
    const a = snap(Math.floor(from + i * step));
    const b = snap(Math.min(count, Math.max(a + 1, Math.floor(from + (i + 1) * step))));
    let mn = Infinity;
    let mx = 0;
    let sm = 0;
    let tm = 0;
    for (let k = a; k < b; k++) {
      const v = rec.dirty[k]!;
      mn = Math.min(mn, v);
      mx = Math.max(mx, v);
      sm += v;
      tm |= 1 << rec.trigger[k]!;
    }
    out.min.push(a >= count ? 0 : mn);
    out.max.push(mx);
    out.sum.push(sm);
    out.n.push(Math.max(0, b - a));
    out.trig.push(tm);
  }
  return out;
}

function expectExact(rec: Recording, count: number, summary: ReturnType<Pyramid['view']>, from: number, to: number, buckets: number): Array<[number, number]> {
  const { read, windows } = reader(rec, count);
  const s = sliceTimeline(summary, read, count, from, to, buckets);
  const want = bruteForce(rec, count, from, to, buckets);
  const where = `[${from}, ${to}) in ${buckets} of ${count}`;
  expect(s.minDirty, where).toEqual(want.min);
  expect(s.maxDirty, where).toEqual(want.max);
  expect(s.sumDirty, where).toEqual(want.sum);
  expect(s.checkpoints, where).toEqual(want.n);
  expect(s.triggers, where).toEqual(want.trig);
  return windows;
}

describe('sliceTimeline', () => {
  // Counts not a multiple of SUMMARY_BUCKET, under one bucket, and deep enough for many levels.
  for (const count of [1, 2, 3, 7, 64, 1000, 12345, 300_001]) {
    it(`matches a brute-force aggregation over ${count} checkpoints, reading bounded column windows`, () => {
      const rec = recording(count, count);
      const summary = Pyramid.build(rec.dirty, rec.trigger, count).view();
      const r = prng(count + 1);
      for (let trial = 0; trial < 60; trial++) {
        const from = Math.floor(r() * count);
        const to = Math.min(count + 5, from + 1 + Math.floor(r() * (count - from + 3))); // sometimes past the end
        // Few buckets (wide ones, columns only at their edges) as well as many (zoomed in).
        const buckets = 1 + Math.floor(r() < 0.5 ? r() * 40 : r() * 900);
        const windows = expectExact(rec, count, summary, from, to, buckets);
        // Bounded reads: narrow buckets read the view once, in windows of at most
        // MAX_COLUMNS_WINDOW; wide ones at most two windows of SUMMARY_BUCKET a bucket.
        let read = 0;
        for (const [a, b] of windows) {
          expect(b - a).toBeLessThanOrEqual(MAX_COLUMNS_WINDOW);
          read += b - a;
        }
        const view = Math.max(0, Math.min(to, count) - from);
        if ((to - from) / buckets <= SNAP_STEP) {
          expect(read).toBeLessThanOrEqual(view + 2 * SUMMARY_BUCKET);
          expect(windows.length).toBeLessThanOrEqual(Math.ceil(view / MAX_COLUMNS_WINDOW) + 1);
        } else {
          // Wide buckets read the newest checkpoints past the last whole pyramid cell, at most.
          for (const [a] of windows) expect(a).toBeGreaterThanOrEqual(count - (count % SUMMARY_BUCKET) - SUMMARY_BUCKET);
          expect(read).toBeLessThanOrEqual(SUMMARY_BUCKET);
        }
      }
    });
  }

  it('is exact on whole aligned ranges and single checkpoints', () => {
    const count = 5000;
    const rec = recording(count, 5);
    const summary = Pyramid.build(rec.dirty, rec.trigger, count).view();
    for (const [from, to, buckets] of [[0, 4096, 1], [0, 4096, 64], [64, 128, 1], [4992, 5000, 3], [0, count, count], [4999, 5000, 1], [0, count, 1], [10, 11, 50]] as const) {
      expectExact(rec, count, summary, from, to, buckets);
    }
  });

  it('refuses a range before checkpoint 0, an empty range and no buckets', () => {
    const rec = recording(100, 3);
    const summary = Pyramid.build(rec.dirty, rec.trigger, 100).view();
    for (const [from, to, buckets] of [[-1, 50, 10], [50, 50, 10], [0, 50, 0]] as const) {
      expect(() => sliceTimeline(summary, reader(rec).read, 100, from, to, buckets)).toThrow(RangeError);
    }
  });

  it('falls back to columns, read in bounded windows, when the pyramid is missing', () => {
    const count = 200_000;
    const rec = recording(count, 9);
    for (const buckets of [1, 7]) {
      const windows = expectExact(rec, count, [], 0, count, buckets);
      for (const [a, b] of windows) expect(b - a).toBeLessThanOrEqual(MAX_COLUMNS_WINDOW);
    }
  });
});

describe('sliceTimeline on a growing recording', () => {
  it('slices a pyramid pushed step by step the same as one built at once', () => {
    const total = 5000;
    const rec = recording(total, 21);
    const r = prng(22);
    const grown = new Pyramid();
    for (let count = 0; count < total; ) {
      count = Math.min(total, count + (r() < 0.3 ? 1 : Math.floor(r() * 700)));
      while (grown.count < count) grown.push(rec.dirty[grown.count]!, rec.trigger[grown.count]!);
      const fresh = Pyramid.build(rec.dirty, rec.trigger, count);
      const buckets = 1 + Math.floor(r() * 300);
      const from = Math.floor(r() * count);
      const to = from + 1 + Math.floor(r() * (count - from + 10));
      expect(grown.view()).toEqual(fresh.view());
      const slice = sliceTimeline(grown.view(), reader(rec, count).read, count, from, to, buckets);
      expect(slice).toEqual(sliceTimeline(fresh.view(), reader(rec, count).read, count, from, to, buckets));
      expectExact(rec, count, grown.view(), 0, count, buckets);
      expectExact(rec, count, grown.view(), from, to, buckets);
    }
  });
});
