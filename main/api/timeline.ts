/**
 * Timeline slices: checkpoints [from, to) cut into N buckets, each summarised as min/max/sum
 * of dirty pages, the number of checkpoints and the set of triggers in it, for a canvas that
 * draws one bucket per pixel.
 *
 * O(N log n) in pyramid cells whatever a bucket covers: each bucket [a, b) is cut into its
 * unaligned edges (under SUMMARY_BUCKET checkpoints each, from checkpoint columns) and the
 * aligned run between them, which splits into aligned power-of-two blocks (as in a segment
 * tree), each one cell of the store's summary pyramid (dirty pages and triggers).
 *
 * Buckets wider than SNAP_STEP (one pyramid cell) start and end at multiples of
 * SUMMARY_BUCKET, the last at the count: a bucket edge moves by less than a bucket (a pixel),
 * every checkpoint still counts in exactly one bucket, and `checkpoints` says how many each
 * holds (for a mean). Such a view reads no columns but those past the last whole cell, which
 * are the newest (in memory). Exact edges there would cost the columns of every sealed index
 * run under the view: a whole-range view of a live recording filled the store's run cache with
 * them, 33 bytes a checkpoint, until its budget. Narrower buckets are exact: the view's columns
 * read straight through, in bounded windows (at most MAX_COLUMNS_WINDOW).
 */
import type { TimelineSlice } from '../../shared/api/contract.js';
import { SUMMARY_BUCKET } from '../store/summary.js';
import type { CheckpointColumns, SummaryLevel } from '../store/types.js';

/** Reads the columns of checkpoints [from, to) (RecordingReader.columns). */
export type ReadColumns = (from: number, to: number) => CheckpointColumns;

/** The most checkpoints read in one columns window. */
export const MAX_COLUMNS_WINDOW = 65_536;
/** Buckets wider than this are cut at multiples of SUMMARY_BUCKET; narrower ones are exact. */
export const SNAP_STEP = SUMMARY_BUCKET;

const alignDown = (k: number): number => Math.floor(k / SUMMARY_BUCKET) * SUMMARY_BUCKET;
const alignUp = (k: number): number => Math.ceil(k / SUMMARY_BUCKET) * SUMMARY_BUCKET;

/** What one bucket is folding: min/max/sum of dirty pages and OR of 1 << trigger. */
class Fold {
  min = Infinity;
  max = 0;
  sum = 0;
  triggers = 0;

  reset(): void {
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
    this.triggers = 0;
  }
}

/**
 * Checkpoint columns read window by window, keeping the last window for the next fold. A
 * window starts at the SUMMARY_BUCKET-aligned block of the first checkpoint wanted and reaches
 * to the end of the fold, or on to `ahead` (at most MAX_COLUMNS_WINDOW) when the folds to
 * come are close together (the view is read sequentially).
 */
class ColumnWindows {
  private window: CheckpointColumns | null = null;
  constructor(
    private readonly read: ReadColumns,
    private readonly count: number,
    private readonly ahead: number,
  ) {}

  /** Folds checkpoints [x, y) (y <= count) into f. */
  fold(x: number, y: number, f: Fold): void {
    while (x < y) {
      let w = this.window;
      if (!w || x < w.from || x >= w.from + w.count) {
        const start = alignDown(x);
        w = this.window = this.read(start, Math.min(this.count, Math.max(alignUp(y), this.ahead), start + MAX_COLUMNS_WINDOW));
      }
      const end = Math.min(y, w.from + w.count);
      const dirty = w.dirtyPages;
      const trigger = w.trigger;
      for (let i = x - w.from, e = end - w.from; i < e; i++) {
        const v = dirty[i]!;
        if (v < f.min) f.min = v;
        if (v > f.max) f.max = v;
        f.sum += v;
        f.triggers |= 1 << (trigger[i]! & 7);
      }
      x = end;
    }
  }
}

/**
 * The summary levels usable for `count` checkpoints: level L must have cells of
 * SUMMARY_BUCKET·2^L and hold every full cell. Only full cells are read, so the partial last
 * cell of a level never counts.
 */
function usableLevels(summary: readonly SummaryLevel[], count: number): SummaryLevel[] {
  const out: SummaryLevel[] = [];
  for (let L = 0; L < summary.length; L++) {
    const level = summary[L]!;
    const bucket = SUMMARY_BUCKET * 2 ** L;
    const full = Math.floor(count / bucket);
    if (level.bucket !== bucket || level.min.length < full || level.max.length < full || level.sum.length < full || level.triggers.length < full) break;
    out.push(level);
    if (full <= 1) break;
  }
  return out;
}

/**
 * Slices checkpoints [from, to) of a recording of `count` into `buckets`. `summary` must be
 * the pyramid of exactly those `count` checkpoints (reader.summary() read together with
 * reader.checkpointCount); `read` gives their columns. Buckets past the count are zeros.
 */
export function sliceTimeline(summary: readonly SummaryLevel[], read: ReadColumns, count: number, from: number, to: number, buckets: number): TimelineSlice {
  if (!Number.isInteger(from) || from < 0 || !(to > from) || !Number.isInteger(buckets) || buckets < 1) throw new RangeError(`timeline: bad range [${from}, ${to}) in ${buckets} buckets`);
  const minDirty = new Array<number>(buckets).fill(0);
  const maxDirty = new Array<number>(buckets).fill(0);
  const sumDirty = new Array<number>(buckets).fill(0);
  const trig = new Array<number>(buckets).fill(0);
  const checkpoints = new Array<number>(buckets).fill(0);
  const levels = usableLevels(summary, count);
  const step = (to - from) / buckets;
  const snap = step > SNAP_STEP;
  // Exact buckets read the view's columns straight through; snapped ones only the last cell's.
  const columns = new ColumnWindows(read, count, snap ? 0 : alignUp(Math.min(to, count)));
  const f = new Fold();
  for (let i = 0; i < buckets; i++) {
    let a = Math.floor(from + i * step);
    if (a >= count) break;
    let b = Math.min(count, Math.max(a + 1, Math.floor(from + (i + 1) * step)));
    if (snap) {
      a = alignDown(a);
      if (b < count) b = alignDown(b);
    }
    f.reset();
    const A = alignUp(a);
    const B = alignDown(b);
    if (levels.length === 0 || A >= B) {
      columns.fold(a, b, f);
    } else {
      columns.fold(a, A, f);
      // Blocks of [A, B) in SUMMARY_BUCKET units: the largest aligned block starting at q that fits.
      const Q = B / SUMMARY_BUCKET;
      for (let q = A / SUMMARY_BUCKET; q < Q; ) {
        const L = Math.min(trailingZeros(q), log2Floor(Q - q), levels.length - 1);
        const size = 2 ** L;
        const level = levels[L]!;
        const c = q / size;
        const lo = level.min[c]!;
        const hi = level.max[c]!;
        if (lo < f.min) f.min = lo;
        if (hi > f.max) f.max = hi;
        f.sum += level.sum[c]!;
        f.triggers |= level.triggers[c]!;
        q += size;
      }
      columns.fold(B, b, f);
    }
    minDirty[i] = f.min === Infinity ? 0 : f.min;
    maxDirty[i] = f.max;
    sumDirty[i] = f.sum;
    trig[i] = f.triggers;
    checkpoints[i] = b - a;
  }
  return { from, to, buckets, count, minDirty, maxDirty, sumDirty, checkpoints, triggers: trig };
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
