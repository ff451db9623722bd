/**
 * The summary pyramid of a per-checkpoint figure (dirty pages): level 0 holds each value,
 * level i the min/max/sum of buckets of 2^i checkpoints, up to a level of one bucket. It grows
 * as checkpoints commit (each push touches one bucket per level) and can be rebuilt from a
 * column in O(n), which is what an open from a snapshot does.
 */
import { ensure } from './growable.js';
import type { SummaryLevel } from './types.js';

class Level {
  min = new Uint32Array(16);
  max = new Uint32Array(16);
  sum = new Float64Array(16);
  n = 0;
  constructor(readonly bucket: number) {}

  add(j: number, v: number): void {
    if (j === this.n) {
      this.min = ensure(this.min, j + 1);
      this.max = ensure(this.max, j + 1);
      this.sum = ensure(this.sum, j + 1);
      this.min[j] = this.max[j] = this.sum[j] = v;
      this.n++;
    } else {
      if (v < this.min[j]!) this.min[j] = v;
      if (v > this.max[j]!) this.max[j] = v;
      this.sum[j] = this.sum[j]! + v;
    }
  }

  /** Merges a finer level's bucket i into this level. */
  absorb(from: Level, i: number): void {
    const j = i >> 1;
    if (j === this.n) {
      this.add(j, from.min[i]!);
      this.max[j] = from.max[i]!;
      this.sum[j] = from.sum[i]!;
    } else {
      if (from.min[i]! < this.min[j]!) this.min[j] = from.min[i]!;
      if (from.max[i]! > this.max[j]!) this.max[j] = from.max[i]!;
      this.sum[j] = this.sum[j]! + from.sum[i]!;
    }
  }
}

export class Pyramid {
  private levels: Level[] = [new Level(1)];
  private count = 0;

  push(v: number): void {
    const k = this.count++;
    for (let i = 0; i < this.levels.length; i++) this.levels[i]!.add(k >> i, v);
    // A new top level when the top one has more than one bucket.
    for (let top = this.levels[this.levels.length - 1]!; top.n > 1; top = this.levels[this.levels.length - 1]!) {
      const up = new Level(top.bucket * 2);
      for (let i = 0; i < top.n; i++) up.absorb(top, i);
      this.levels.push(up);
    }
  }

  static build(values: Uint32Array, n: number): Pyramid {
    const p = new Pyramid();
    const l0 = p.levels[0]!;
    l0.min = values.slice(0, Math.max(n, 16));
    l0.max = values.slice(0, Math.max(n, 16));
    l0.sum = Float64Array.from(l0.min);
    l0.n = n;
    p.count = n;
    for (let top = l0; top.n > 1; ) {
      const up = new Level(top.bucket * 2);
      for (let i = 0; i < top.n; i++) up.absorb(top, i);
      p.levels.push(up);
      top = up;
    }
    return p;
  }

  view(): SummaryLevel[] {
    return this.levels.map((l) => ({ bucket: l.bucket, min: l.min.subarray(0, l.n), max: l.max.subarray(0, l.n), sum: l.sum.subarray(0, l.n) }));
  }
}
