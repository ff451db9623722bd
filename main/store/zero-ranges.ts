/**
 * Zero ranges as events: (first page, end page, checkpoint), appended in checkpoint order.
 * A page reads as zero at k when some event with checkpoint in (its latest version, k] covers
 * it; an event at the same checkpoint as a version loses (the page was sent with that
 * checkpoint). Huge ranges cost one event, never per-page entries.
 */
import { ensure } from './growable.js';
import { upperBound } from '../../shared/sorted.js';

export class ZeroRanges {
  first = new Float64Array(16);
  end = new Float64Array(16);
  cp = new Uint32Array(16);
  n = 0;

  push(first: number, end: number, cp: number): void {
    if (end <= first) return;
    this.first = ensure(this.first, this.n + 1);
    this.end = ensure(this.end, this.n + 1);
    this.cp = ensure(this.cp, this.n + 1);
    this.first[this.n] = first;
    this.end[this.n] = end;
    this.cp[this.n] = cp;
    this.n++;
  }

  /** Index of the first event with checkpoint > c. */
  private after(c: number): number {
    return upperBound(this.cp, c, this.n);
  }

  /** The latest checkpoint in (after, k] whose event covers page, or -1. */
  latestCovering(page: number, after: number, k: number): number {
    if (this.n === 0 || this.cp[this.n - 1]! <= after) return -1;
    const from = this.after(after);
    for (let i = this.after(k) - 1; i >= from; i--) {
      if (this.first[i]! <= page && page < this.end[i]!) return this.cp[i]!;
    }
    return -1;
  }

  /** Checkpoints of all events covering page, ascending. */
  covering(page: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.first[i]! <= page && page < this.end[i]!) out.push(this.cp[i]!);
    return out;
  }
}
