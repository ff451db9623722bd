/**
 * The summary pyramid of the timeline's per-checkpoint figures: min/max/sum of dirty pages and
 * the set of triggers (bit 1 << TriggerCode) over buckets of SUMMARY_BUCKET checkpoints, then
 * twice that, and so on up to a level of one bucket. Finer detail comes from the checkpoint
 * columns of the range drawn (RecordingReader.columns), so the pyramid costs well under a
 * byte a checkpoint and a recording of any length keeps it in memory. The last cell of each
 * level may be partial (it covers checkpoints up to the count); each push touches one cell a level.
 */
import { ensure } from './growable.js';
import type { SummaryLevel } from './types.js';

/** Checkpoints per cell of the pyramid's finest level. */
export const SUMMARY_SHIFT = 6;
export const SUMMARY_BUCKET = 1 << SUMMARY_SHIFT;

class Level {
  min = new Uint32Array(16);
  max = new Uint32Array(16);
  sum = new Float64Array(16);
  triggers = new Uint8Array(16);
  n = 0;
  constructor(readonly bucket: number) {}

  /** Folds a value (or a finer cell: min, max, sum, triggers) into cell j. */
  add(j: number, min: number, max: number, sum: number, triggers: number): void {
    if (j === this.n) {
      this.min = ensure(this.min, j + 1);
      this.max = ensure(this.max, j + 1);
      this.sum = ensure(this.sum, j + 1);
      this.triggers = ensure(this.triggers, j + 1);
      this.min[j] = min;
      this.max[j] = max;
      this.sum[j] = sum;
      this.triggers[j] = triggers;
      this.n++;
    } else {
      if (min < this.min[j]!) this.min[j] = min;
      if (max > this.max[j]!) this.max[j] = max;
      this.sum[j] = this.sum[j]! + sum;
      this.triggers[j] = this.triggers[j]! | triggers;
    }
  }
}

export class Pyramid {
  private levels: Level[] = [new Level(SUMMARY_BUCKET)];
  count = 0;

  push(dirty: number, trigger: number): void {
    const k = this.count++;
    const t = 1 << (trigger & 7);
    for (let i = 0; i < this.levels.length; i++) this.levels[i]!.add(k >> (SUMMARY_SHIFT + i), dirty, dirty, dirty, t);
    // A new top level when the top one has more than one cell.
    for (let top = this.levels[this.levels.length - 1]!; top.n > 1; top = this.levels[this.levels.length - 1]!) {
      const up = new Level(top.bucket * 2);
      for (let c = 0; c < top.n; c++) up.add(c >> 1, top.min[c]!, top.max[c]!, top.sum[c]!, top.triggers[c]!);
      this.levels.push(up);
    }
  }

  static build(dirty: ArrayLike<number>, trigger: ArrayLike<number>, n: number): Pyramid {
    const p = new Pyramid();
    for (let k = 0; k < n; k++) p.push(dirty[k]!, trigger[k]!);
    return p;
  }

  /** The pyramid of `count` checkpoints from its finest level (a snapshot keeps only that). */
  static fromCells(cells: { min: Uint32Array; max: Uint32Array; sum: Float64Array; triggers: Uint8Array }, count: number): Pyramid {
    const p = new Pyramid();
    const l0 = p.levels[0]!;
    const n = Math.ceil(count / SUMMARY_BUCKET);
    for (let c = 0; c < n; c++) l0.add(c, cells.min[c]!, cells.max[c]!, cells.sum[c]!, cells.triggers[c]!);
    p.count = count;
    for (let top = l0; top.n > 1; ) {
      const up = new Level(top.bucket * 2);
      for (let c = 0; c < top.n; c++) up.add(c >> 1, top.min[c]!, top.max[c]!, top.sum[c]!, top.triggers[c]!);
      p.levels.push(up);
      top = up;
    }
    return p;
  }

  /** The finest level's cells (what a snapshot keeps). */
  cells(): { min: Uint32Array; max: Uint32Array; sum: Float64Array; triggers: Uint8Array } {
    const l = this.levels[0]!;
    return { min: l.min.subarray(0, l.n), max: l.max.subarray(0, l.n), sum: l.sum.subarray(0, l.n), triggers: l.triggers.subarray(0, l.n) };
  }

  view(): SummaryLevel[] {
    return this.levels.map((l) => ({ bucket: l.bucket, min: l.min.subarray(0, l.n), max: l.max.subarray(0, l.n), sum: l.sum.subarray(0, l.n), triggers: l.triggers.subarray(0, l.n) }));
  }
}
