/**
 * The writer's memory of each page's latest content: a bounded mirror of raw 4096-byte pages
 * keyed by page number, with the blob (vofs), chain depth and chain root each one is stored as.
 * It is what makes ingest cost O(bytes received): the next version of a page is compared with
 * and delta-encoded against its mirrored content, never decoded back from the segment files.
 *
 * Memory: pages live in 4 MiB chunks allocated as the mirror fills, up to a budget (default
 * DEFAULT_MIRROR_BYTES, at most an eighth of RAM). Past the budget a slot is reused (CLOCK: a
 * page used since the hand last passed gets a second chance), and the page that lost its slot
 * is simply not mirrored any more: its next version is stored as a full LZ4 version, never read
 * back from disk. Per slot: 4096 bytes plus ~30 bytes of metadata and one Map entry.
 *
 * Invariant the writer keeps: between checkpoints, a page's entry (if any) is its current blob
 * in the index, so the writer needs no index lookup for mirrored pages. A zero range deletes
 * the entries it covers; an all-zero page deletes its own.
 *
 * Lookups go through PageTable, an open-addressing hash table over typed arrays (page numbers
 * are doubles up to 2^52: as JS Map keys they are boxed and slow to hash).
 */
import { totalmem } from 'node:os';
import { PAGE_SIZE } from './format.js';

export const DEFAULT_MIRROR_BYTES = 512 * 1024 * 1024;
const CHUNK_PAGES = 1024;

/** The default budget: DEFAULT_MIRROR_BYTES, at most an eighth of this machine's memory. */
export function defaultMirrorBytes(): number {
  return Math.min(DEFAULT_MIRROR_BYTES, Math.floor(totalmem() / 8));
}

/**
 * Page number (an integer below 2^53) -> non-negative int. Linear probing, deletion by
 * backward shift (no tombstones), load kept under 1/2.
 */
export class PageTable {
  private keys: Float64Array;
  private vals: Int32Array; // -1 = empty
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Float64Array(n);
    this.vals = new Int32Array(n).fill(-1);
    this.mask = n - 1;
  }

  private static hash(key: number): number {
    const lo = key >>> 0; // ToUint32: the low 32 bits of an integer below 2^53
    const hi = (key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    h ^= h >>> 15;
    return h;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const { keys, vals, mask } = this;
    for (let i = PageTable.hash(key) & mask; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v < 0 || keys[i] === key) return v;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.vals.length) this.grow();
    const { keys, vals, mask } = this;
    let i = PageTable.hash(key) & mask;
    while (vals[i]! >= 0 && keys[i] !== key) i = (i + 1) & mask;
    if (vals[i]! < 0) this.size++;
    keys[i] = key;
    vals[i] = value;
  }

  delete(key: number): void {
    const { keys, vals, mask } = this;
    let i = PageTable.hash(key) & mask;
    while (vals[i]! >= 0 && keys[i] !== key) i = (i + 1) & mask;
    if (vals[i]! < 0) return;
    this.size--;
    // Backward shift: move later entries of the cluster into the hole when their home allows.
    for (let j = (i + 1) & mask; vals[j]! >= 0; j = (j + 1) & mask) {
      const home = PageTable.hash(keys[j]!) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j]!;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    vals[i] = -1;
  }

  /** Calls f(key, value) for every entry (do not modify the table meanwhile). */
  forEach(f: (key: number, value: number) => void): void {
    for (let i = 0; i < this.vals.length; i++) if (this.vals[i]! >= 0) f(this.keys[i]!, this.vals[i]!);
  }

  private grow(): void {
    const { keys, vals } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.vals = new Int32Array(vals.length * 2).fill(-1);
    this.mask = this.vals.length - 1;
    this.size = 0;
    for (let i = 0; i < vals.length; i++) if (vals[i]! >= 0) this.set(keys[i]!, vals[i]!);
  }
}

export class PageMirror {
  private readonly slots = new PageTable(); // page number -> slot
  private readonly views: Uint8Array[] = [];
  private page: Float64Array;
  /** Per slot: the blob the page is stored as, its delta depth and its chain's root. */
  vofs: Float64Array;
  root: Float64Array;
  depth: Uint8Array;
  private ref: Uint8Array;
  private used = 0;
  private hand = 0;
  readonly capacity: number;

  constructor(budgetBytes = defaultMirrorBytes()) {
    this.capacity = Math.max(1, Math.floor(budgetBytes / PAGE_SIZE));
    const initial = Math.min(this.capacity, CHUNK_PAGES);
    this.page = new Float64Array(initial);
    this.vofs = new Float64Array(initial);
    this.root = new Float64Array(initial);
    this.depth = new Uint8Array(initial);
    this.ref = new Uint8Array(initial);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The slot holding page `page`, or -1. Marks it used. */
  find(page: number): number {
    const s = this.slots.get(page);
    if (s >= 0) this.ref[s] = 1;
    return s;
  }

  /** The content in slot s (a view: valid until the slot is overwritten). */
  bytes(s: number): Uint8Array {
    return this.views[s]!;
  }

  /** Records `content` as page `page`'s latest version; returns its slot. */
  put(page: number, content: Uint8Array, vofs: number, depth: number, root: number): number {
    let s = this.slots.get(page);
    if (s < 0) {
      s = this.take();
      this.slots.set(page, s);
      this.page[s] = page;
      this.ref[s] = 0; // a second chance is earned by a later find()
    }
    this.views[s]!.set(content);
    this.vofs[s] = vofs;
    this.depth[s] = depth;
    this.root[s] = root;
    return s;
  }

  /** Updates what slot s is stored as, its content unchanged (a dedup hit on the same bytes). */
  setBlob(s: number, vofs: number, depth: number, root: number): void {
    this.vofs[s] = vofs;
    this.depth[s] = depth;
    this.root[s] = root;
  }

  /** Forgets page `page` (its mirrored content is no longer its latest). */
  delete(page: number): void {
    this.slots.delete(page);
    // the slot stays allocated, unreferenced: take() finds it through the clock
  }

  /** Forgets every page in [first, end) (page numbers). */
  deleteRange(first: number, end: number): void {
    if (end - first <= this.slots.size) {
      for (let p = first; p < end; p++) this.slots.delete(p);
      return;
    }
    const doomed: number[] = [];
    this.slots.forEach((p) => {
      if (p >= first && p < end) doomed.push(p);
    });
    for (const p of doomed) this.slots.delete(p);
  }

  /** A free slot: a new one while under budget, else the clock's victim. */
  private take(): number {
    if (this.used < this.capacity) {
      const s = this.used++;
      if (s >= this.page.length) this.growMeta();
      if (s % CHUNK_PAGES === 0) {
        const n = Math.min(CHUNK_PAGES, this.capacity - s);
        const chunk = new Uint8Array(n * PAGE_SIZE);
        for (let i = 0; i < n; i++) this.views.push(chunk.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      }
      return s;
    }
    for (;;) {
      const s = this.hand;
      this.hand = (this.hand + 1) % this.capacity;
      const owner = this.page[s]!;
      if (this.slots.get(owner) !== s) return s; // deleted: free
      if (this.ref[s]) {
        this.ref[s] = 0;
        continue;
      }
      this.slots.delete(owner);
      return s;
    }
  }

  private growMeta(): void {
    const n = Math.min(this.capacity, this.page.length * 2);
    const grow = <T extends Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.page = grow(this.page);
    this.vofs = grow(this.vofs);
    this.root = grow(this.root);
    this.depth = grow(this.depth);
    this.ref = grow(this.ref);
  }
}
