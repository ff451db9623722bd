/**
 * Timeline slices: checkpoints [from, to) cut into N buckets, each summarised as min/max/sum
 * of dirty pages and the set of triggers in it, for a canvas that draws one bucket per pixel.
 *
 * Cost is O(N log n), independent of how many checkpoints a bucket covers: each bucket's
 * range is split into aligned power-of-two blocks (as in a segment tree), and each block is
 * one cell of the store's summary pyramid (level L holds blocks of 2^L checkpoints). Trigger
 * sets come from a pyramid of bitmasks (bit 1 << TriggerCode, OR-ed upwards) built here from
 * the trigger column, once per recording size.
 */
import type { TimelineSlice } from '../../shared/api/contract.js';
import type { CheckpointColumns, SummaryLevel } from '../store/types.js';

/**
 * Bitmask pyramid of triggers: levels[L][c] = OR of 1 << trigger over checkpoints [c·2^L, (c+1)·2^L).
 * A level may be longer than ceil(count / 2^L) (room to grow): cells past it are 0.
 */
export interface TriggerPyramid {
  readonly count: number;
  readonly levels: readonly Uint8Array[];
}

/**
 * The trigger pyramid of the first `count` checkpoints. Given the pyramid of a shorter prefix
 * of the same recording (`prev`, a live recording that grew), only the new checkpoints and the
 * cells above them are computed, in place in prev's arrays (prev is stale afterwards): a
 * timeline request while following a live recording costs O(new checkpoints), not O(count)
 * (rebuilt whole, it was ~4 MB of garbage and milliseconds per request at 2M checkpoints).
 */
export function buildTriggerPyramid(triggers: Uint8Array, count: number, prev: TriggerPyramid | null = null): TriggerPyramid {
  const from = prev && prev.count <= count ? prev.count : 0;
  const levels: Uint8Array[] = from > 0 ? [...prev!.levels] : [];
  let lo = from; // cells [lo, hi) of level L to compute
  let hi = count;
  for (let L = 0; ; L++) {
    const need = Math.ceil(count / 2 ** L);
    let cur = levels[L];
    if (!cur || cur.length < need) {
      const grown = new Uint8Array(from > 0 ? Math.max(need, 2 * (cur?.length ?? 0)) : need);
      if (cur) grown.set(cur);
      cur = grown;
      levels[L] = cur;
    }
    if (L === 0) {
      for (let k = lo; k < hi; k++) cur[k] = 1 << (triggers[k]! & 7);
    } else {
      const below = levels[L - 1]!;
      for (let c = lo; c < hi; c++) cur[c] = below[2 * c]! | (below[2 * c + 1] ?? 0);
    }
    if (need <= 1) {
      levels.length = L + 1;
      break;
    }
    lo >>= 1;
    hi = Math.ceil(hi / 2);
  }
  return { count, levels };
}

/** The dirty-page pyramid cells valid for `count` checkpoints, with level 0 from the column when the pyramid lacks it. */
function levelsFor(summary: readonly SummaryLevel[], columns: CheckpointColumns, count: number): Array<{ min: ArrayLike<number>; max: ArrayLike<number>; sum: ArrayLike<number>; n: number }> {
  const out: Array<{ min: ArrayLike<number>; max: ArrayLike<number>; sum: ArrayLike<number>; n: number }> = [];
  for (let L = 0; ; L++) {
    const bucket = 2 ** L;
    const need = Math.ceil(count / bucket);
    const level = summary[L];
    if (level && level.bucket === bucket && level.min.length >= need && level.max.length >= need && level.sum.length >= need) {
      out.push({ min: level.min, max: level.max, sum: level.sum, n: Math.floor(count / bucket) });
    } else if (L === 0) {
      const d = columns.dirtyPages;
      out.push({ min: d, max: d, sum: d, n: Math.min(count, d.length) });
    } else break;
    if (need <= 1) break;
  }
  return out;
}

export function sliceTimeline(
  summary: readonly SummaryLevel[],
  columns: CheckpointColumns,
  triggers: TriggerPyramid,
  count: number,
  from: number,
  to: number,
  buckets: number,
): TimelineSlice {
  const minDirty = new Array<number>(buckets).fill(0);
  const maxDirty = new Array<number>(buckets).fill(0);
  const sumDirty = new Array<number>(buckets).fill(0);
  const trig = new Array<number>(buckets).fill(0);
  const levels = levelsFor(summary, columns, count);
  const tLevels = triggers.levels;
  const step = (to - from) / buckets;

  for (let i = 0; i < buckets; i++) {
    const a = Math.floor(from + i * step);
    if (a >= count) break;
    const b = Math.min(count, Math.max(a + 1, Math.floor(from + (i + 1) * step)));
    let mn = Infinity;
    let mx = 0;
    let sm = 0;
    let tm = 0;
    // Greedy aligned decomposition of [a, b): the largest block starting at p that fits.
    for (let p = a; p < b; ) {
      let L = Math.min(trailingZeros(p), log2Floor(b - p), levels.length - 1);
      while (L > 0 && Math.floor(p / 2 ** L) >= levels[L]!.n) L--;
      const lv = levels[L]!;
      const size = 2 ** L;
      const c = Math.floor(p / size);
      const lo = lv.min[c] ?? 0;
      const hi = lv.max[c] ?? 0;
      if (lo < mn) mn = lo;
      if (hi > mx) mx = hi;
      sm += lv.sum[c] ?? 0;
      const tl = Math.min(L, tLevels.length - 1);
      const tc = Math.floor(p / 2 ** tl);
      // When the trigger pyramid is shallower than the chosen level, OR the covered cells.
      const tLevel = tLevels[tl]!;
      const tEnd = Math.min(tLevel.length, Math.ceil((p + size) / 2 ** tl));
      for (let q = tc; q < tEnd; q++) tm |= tLevel[q]!;
      p += size;
    }
    minDirty[i] = mn === Infinity ? 0 : mn;
    maxDirty[i] = mx;
    sumDirty[i] = sm;
    trig[i] = tm;
  }
  return { from, to, buckets, count, minDirty, maxDirty, sumDirty, triggers: trig };
}

function trailingZeros(p: number): number {
  if (p === 0) return 52;
  if (p < 2 ** 31) return 31 - Math.clz32(p & -p); // the common case, without a loop
  let n = 0;
  while (p % 2 === 0) {
    p /= 2;
    n++;
  }
  return n;
}

function log2Floor(x: number): number {
  if (x < 2 ** 32) return 31 - Math.clz32(x);
  return Math.floor(Math.log2(x));
}
