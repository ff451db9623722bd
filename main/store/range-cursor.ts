/**
 * RangeCursor: follows a few bytes of one page along the timeline, for exact search and change
 * lists ("when did these 8 bytes next change after checkpoint k?") without decoding every
 * version of the page.
 *
 * The page's version list gives the checkpoints where the page got new content; most versions
 * are runs deltas (codec.ts) against the version before, which list exactly the bytes that
 * changed. So the cursor keeps only the bytes of its range: a version that is a delta against
 * the previous version is applied to those bytes alone (runs: from the payload as stored; LZ4
 * XOR: one block decode into scratch); a full version is decoded into scratch and its range
 * bytes kept as the chain's root, so a later rebase on that root (the writer's chains end
 * there) is applied to the root's range bytes too. Anything else (a dedup hit on another
 * page's blob, a base the cursor did not pass) is decoded through the blob store's cache. A
 * version whose bytes in the range are unchanged is skipped. Per version that costs a blob
 * read and a few byte operations, no 4 KiB copy and no allocation.
 *
 * The cursor also hands out the bytes it followed (bytesBefore/bytesAtChange), so a search can
 * evaluate at the change it found without rebuilding the page.
 *
 * A page that a zero range ever covered is followed by its version list alone (every version
 * counts as a change, and no bytes are handed out): never a missed change, at worst an extra
 * candidate.
 */
import { BlobStore } from './blobs.js';
import { applyRunsRange, CodecError, decodeFull } from './codec.js';
import { BlobKind, PAGE_SIZE } from './format.js';
import { lz4Decode } from './lz4.js';
import type { RecordingIndex } from './recording-index.js';
import type { VersionList } from './versions.js';
import { RecordingError, type RangeCursor } from './types.js';
import { upperBound } from '../../shared/sorted.js';

export class PageRangeCursor implements RangeCursor {
  private pos = -2; // index in the version list of the state below (-1: before the first version); -2: none
  private vofs = 0; // the blob at pos (0 = zero)
  private cur: Uint8Array; // the range's bytes at pos
  private next: Uint8Array; // scratch: the bytes of the version being looked at
  private prev: Uint8Array; // the bytes before the change last returned (from the k asked)
  private rootVofs = 0; // the last full blob passed (0: none) and its range bytes
  private readonly rootBytes: Uint8Array;
  private tracked = false; // the last answer came with bytes (not a zero-range page)
  private changed = false; // the last answer was a change (not null)
  private zeroSeen = 0; // zero-range events checked for covering the page
  private zeroCovered = false;
  private merged: Uint32Array | null = null; // zeroVersions() and the list and event counts it was built from
  private mergedN = 0;
  private mergedZ = 0;
  private static scratch = new Uint8Array(PAGE_SIZE);

  constructor(
    private readonly index: RecordingIndex,
    private readonly blobs: BlobStore,
    private readonly page: number,
    private readonly off: number,
    len: number,
    private readonly where: string,
  ) {
    if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 1 || off + len > PAGE_SIZE) throw new RangeError(`range ${off}+${len} is not inside a page`);
    this.cur = new Uint8Array(len);
    this.next = new Uint8Array(len);
    this.prev = new Uint8Array(len);
    this.rootBytes = new Uint8Array(len);
  }

  nextChangeAfter(k: number): number | null {
    this.tracked = false;
    if (this.zeroed()) {
      // Zero ranges make versions without blobs: every change point of the page is a candidate.
      const v = this.zeroVersions();
      const i = upperBound(v, k);
      return i < v.length ? v[i]! : null;
    }
    const l = this.versionList();
    // Where the cursor stands already covers k (a search asks for k = the change it found last): no search.
    const p = this.pos;
    const start = !l ? -1 : p >= -1 && (p < 0 || l.cps[p]! <= k) && (p + 1 >= l.n || l.cps[p + 1]! > k) ? p : l.at(k);
    if (this.pos !== start) {
      this.vofs = start >= 0 ? l!.vofs[start]! : 0;
      this.bytesOf(this.vofs, this.cur);
      this.pos = start;
    }
    this.tracked = true;
    this.changed = false;
    if (!l) return null;
    const len = this.cur.length;
    for (let j = start + 1; j < l.n; j++) {
      const v = l.vofs[j]!;
      if (v === this.vofs) {
        this.pos = j;
        continue;
      }
      this.advance(v);
      this.vofs = v;
      this.pos = j;
      let same = true;
      for (let i = 0; i < len; i++) {
        if (this.cur[i] !== this.next[i]) {
          same = false;
          break;
        }
      }
      if (!same) {
        // prev <- cur (the bytes up to the change), cur <- next; the old prev is the new scratch.
        const t = this.prev;
        this.prev = this.cur;
        this.cur = this.next;
        this.next = t;
        this.changed = true;
        return l.cps[j]!;
      }
    }
    return null;
  }

  /**
   * The range's bytes at the k of the last nextChangeAfter(k) (and up to the change it
   * returned, or to the end), or null on a page a zero range covered. A view, valid until the
   * next nextChangeAfter (the engine's range tracker holds it that long).
   */
  bytesBefore(): Uint8Array | null {
    if (!this.tracked) return null;
    return this.changed ? this.prev : this.cur;
  }

  /** The range's bytes at the change the last nextChangeAfter returned; null if it returned null or on a zero-range page. A view, valid until the next nextChangeAfter. */
  bytesAtChange(): Uint8Array | null {
    return this.tracked && this.changed ? this.cur : null;
  }

  /** The page's version list, asked again only when the recording grew (it may then be a new object). */
  private versionList(): VersionList | undefined {
    const n = this.index.count;
    if (this.listAt !== n) {
      this.list = this.index.versionList(this.page);
      this.listAt = n;
    }
    return this.list;
  }
  private list: VersionList | undefined = undefined;
  private listAt = -1; // the checkpoint count the list was asked at

  /** Whether a zero range ever covered the page (events are checked once each, as they come). */
  private zeroed(): boolean {
    const z = this.index.zero;
    for (; !this.zeroCovered && this.zeroSeen < z.n; this.zeroSeen++) {
      if (z.first[this.zeroSeen]! <= this.page && this.page < z.end[this.zeroSeen]!) this.zeroCovered = true;
    }
    return this.zeroCovered;
  }

  /** The page's change points with its zeroings merged in (index.versionsOf), kept until the recording grows. */
  private zeroVersions(): Uint32Array {
    const n = this.versionList()?.n ?? 0;
    const z = this.index.zero.n;
    if (!this.merged || this.mergedN !== n || this.mergedZ !== z) {
      this.merged = this.index.versionsOf(this.page);
      this.mergedN = n;
      this.mergedZ = z;
    }
    return this.merged;
  }

  /** this.next = the range's bytes in blob v, given this.cur = those in this.vofs. */
  private advance(v: number): void {
    if (v === 0) {
      this.next.fill(0);
      return;
    }
    const raw = this.blobs.peek(v, PAGE_SIZE);
    const base = raw.base === this.vofs && this.vofs !== 0 ? this.cur : raw.base !== 0 && raw.base === this.rootVofs ? this.rootBytes : null;
    if (base) {
      this.next.set(base);
      try {
        if (raw.kind === BlobKind.XorRuns) {
          applyRunsRange(raw.payload, PAGE_SIZE, this.off, this.next);
          return;
        }
        if (raw.kind === BlobKind.XorLz4) {
          const x = PageRangeCursor.scratch;
          if (lz4Decode(raw.payload, x) !== PAGE_SIZE) throw new CodecError(`delta LZ4 block does not decode to ${PAGE_SIZE} bytes`);
          for (let i = 0; i < this.next.length; i++) this.next[i] = this.next[i]! ^ x[this.off + i]!;
          return;
        }
      } catch (e) {
        if (e instanceof CodecError) throw new RecordingError(`blob 0x${v.toString(16)}: ${e.message}`, this.where);
        throw e;
      }
    }
    if (raw.kind === BlobKind.Lz4 || raw.kind === BlobKind.Raw) {
      const x = PageRangeCursor.scratch;
      try {
        decodeFull(raw.kind, raw.payload, x);
      } catch (e) {
        if (e instanceof CodecError) throw new RecordingError(`blob 0x${v.toString(16)}: ${e.message}`, this.where);
        throw e;
      }
      this.next.set(x.subarray(this.off, this.off + this.next.length));
      this.rootVofs = v;
      this.rootBytes.set(this.next);
      return;
    }
    this.bytesOf(v, this.next);
  }

  /** out = the range's bytes in blob v (decoded through the cache). */
  private bytesOf(v: number, out: Uint8Array): void {
    if (v === 0) {
      out.fill(0);
      return;
    }
    const d = this.blobs.read(v, PAGE_SIZE);
    out.set(d.data.subarray(this.off, this.off + out.length));
    if (d.depth === 0) {
      this.rootVofs = v;
      this.rootBytes.set(out);
    }
  }
}
