/**
 * Per-page version lists: page number (address / 4096, exact in a double) -> the checkpoints
 * at which the page got new content (ascending) and the blob holding each (vofs, 0 = all
 * zero). Two parallel growable typed arrays per page; a lookup is a binary search.
 */
import { ensure, lastAtOrBefore } from './growable.js';

export class VersionList {
  constructor(
    public cps: Uint32Array,
    public vofs: Float64Array,
    public n: number,
  ) {}

  push(cp: number, vofs: number): void {
    this.cps = ensure(this.cps, this.n + 1);
    this.vofs = ensure(this.vofs, this.n + 1);
    this.cps[this.n] = cp;
    this.vofs[this.n] = vofs;
    this.n++;
  }

  /** Index of the last version at or before checkpoint k, or -1. */
  at(k: number): number {
    return lastAtOrBefore(this.cps, this.n, k);
  }
}

export class PageVersions {
  readonly lists = new Map<number, VersionList>();
  entries = 0;

  push(page: number, cp: number, vofs: number): void {
    let l = this.lists.get(page);
    if (!l) {
      l = new VersionList(new Uint32Array(2), new Float64Array(2), 0);
      this.lists.set(page, l);
    }
    l.push(cp, vofs);
    this.entries++;
  }

  get(page: number): VersionList | undefined {
    return this.lists.get(page);
  }
}
