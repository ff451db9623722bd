/**
 * Blob segments: append-only files of blobs (layout in format.ts), addressed by vofs =
 * segment * 2^32 + offset. The writer appends into an in-memory buffer that is written before
 * the commit record that references it (writePending), so a committed record never points past
 * what the file holds; a segment is closed and a new one started at the size limit.
 *
 * Reading decodes the delta chain back to a full blob or a cached one, checking at every step
 * the blob's CRC, that it lies inside its file, that its base is earlier (so chains end) and that
 * the chain is at most MAX_DEPTH + 1 long. Decoded contents live in a small LRU keyed by vofs:
 * consecutive versions of a page share their chain, so a walk along the timeline decodes each
 * blob once; a read caches its result and the chain's root, not every intermediate version.
 * The writer keeps each page's latest content itself (mirror.ts) and appends without caching;
 * it reads back only dedup candidates and chain roots. Anything wrong is a RecordingError
 * naming the segment file and the offset.
 */
import { closeSync, constants, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { applyDelta, CodecError, decodeFull, isDelta, putVarint } from './codec.js';
import { checkHeader, encodeHeader, FILE_MODE, fsyncDir, readAt, readInto } from './files.js';
import { BLOB_HEADER_MAX, BlobKind, HEADER_SIZE, MAX_DEPTH, MAGIC_SEGMENT, MAX_BLOB, MAX_SEGMENTS, SEGMENT_SPAN, segmentFile } from './format.js';
import { crc32Of } from './crc32.js';
import { Lru } from './lru.js';
import { RecordingError } from './types.js';

export interface DecodedBlob {
  /** Shared with the cache: callers must not modify it. */
  readonly data: Uint8Array;
  readonly depth: number;
  readonly root: number; // vofs of the full blob its delta chain starts from (itself if full)
}

interface RawBlob {
  readonly kind: number;
  readonly depth: number;
  readonly base: number;
  readonly payload: Uint8Array;
}

const PENDING_LIMIT = 4 * 1024 * 1024;
/**
 * Segment reads near the previous one (2 KiB) go through a cache of 64 KiB blocks (aligned): blobs
 * written at neighbouring checkpoints sit together in a segment, so a walk along the timeline
 * over a page that changes often reads each block once instead of one read(2) per blob. A read
 * far from the previous one (a sparse walk, a random access) reads just the blob, first 256
 * bytes (most deltas fit) then all of it if needed. A block read near the end of a segment that
 * is still growing may be short: it remembers how much it holds, and a blob past that is read
 * again. 64 KiB rather than 16: a dense walk reads the whole segment, and pread's cost per call
 * was as much as its copy at 16 KiB (1M checkpoints: 30k reads, ~40% of the walk).
 */
const BLOCK_SHIFT = 16;
const BLOCK = 1 << BLOCK_SHIFT;
const DEFAULT_BLOCKS = 256; // 16 MiB
const SMALL_READ = 256;
const NEAR = 2048; // a read this close to the previous one is likely followed by more in its block

interface Block {
  readonly bytes: Uint8Array;
  readonly valid: number; // bytes read (shorter than BLOCK only at the end of the file)
}

export class BlobStore {
  private readonly fds = new Map<number, number>();
  private readonly cache: Lru<number, DecodedBlob>;
  // Writer state: the segment being appended to, its size on disk, and the unwritten tail.
  private segment = 0;
  private written = 0;
  private pending = new Uint8Array(0);
  private pendingLen = 0;
  private unsynced = new Set<number>();
  private newFile = false; // a segment was created since the last sync: its directory entry too
  /** Bytes in all segment files written by this store (headers included). */
  bytesWritten = 0;

  private constructor(
    private readonly dir: string,
    private readonly id: Uint8Array,
    private readonly writable: boolean,
    cacheEntries: number,
    private readonly segmentLimit: number,
    blocks = DEFAULT_BLOCKS,
  ) {
    this.cache = new Lru(cacheEntries);
    this.blockCapacity = Math.max(blocks, 2 * (MAX_DEPTH + 1));
  }

  // Cached segment blocks, least recently used first (Map insertion order). A block dropped
  // past capacity lends its buffer to the next one read: a walk along the timeline reads a
  // block per 64 KiB of segment, and a fresh buffer each time was ~15% of its time in GC.
  // Safe because views into a block are held only across one read() (at most MAX_DEPTH + 1
  // blob reads, fewer than the capacity), so a reused block was never touched by it.
  private readonly blocks = new Map<number, Block>();
  private readonly blockCapacity: number;
  private recentBlock = -1; // the key of the block last used, and the block
  private recent: Block | undefined = undefined;

  static forReading(dir: string, id: Uint8Array, cacheEntries = 2048, blocks = DEFAULT_BLOCKS): BlobStore {
    return new BlobStore(dir, id, false, cacheEntries, 0, blocks);
  }

  static create(dir: string, id: Uint8Array, segmentLimit: number, cacheEntries = 4096): BlobStore {
    const s = new BlobStore(dir, id, true, cacheEntries, segmentLimit);
    s.pending = new Uint8Array(PENDING_LIMIT + MAX_BLOB + BLOB_HEADER_MAX);
    s.startSegment(0);
    return s;
  }

  private path(segment: number): string {
    return join(this.dir, segmentFile(segment));
  }

  private startSegment(n: number): void {
    if (n >= MAX_SEGMENTS) throw new RecordingError(`too many segments`, this.path(n));
    const fd = openSync(this.path(n), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    writeSync(fd, encodeHeader(MAGIC_SEGMENT, this.id), 0, HEADER_SIZE, 0);
    this.fds.set(n, fd);
    this.segment = n;
    this.written = HEADER_SIZE;
    this.bytesWritten += HEADER_SIZE;
    this.unsynced.add(n);
    this.newFile = n > 0; // the first segment's entry is synced by the writer's create()
  }

  /** Bytes of blobs appended, written or still pending (headers included). */
  get bytesAppended(): number {
    return this.bytesWritten + this.pendingLen;
  }

  /** Bytes appended but not yet written to the segment. */
  get pendingBytes(): number {
    return this.pendingLen;
  }

  /** The vofs just past the last blob appended (pending ones included). */
  get highWater(): number {
    return this.segment * SEGMENT_SPAN + this.written + this.pendingLen;
  }

  /**
   * Appends a blob and returns its vofs. `content` (the decoded bytes, kept by the caller
   * unchanged), when given, goes into the cache: it is the likely base of the next version.
   * `root` is the chain's full blob for a delta.
   */
  append(kind: number, depth: number, base: number, payload: Uint8Array, content: Uint8Array | null, root = 0): number {
    const size = BLOB_HEADER_MAX + payload.length; // at most
    if (this.written + this.pendingLen + size > this.segmentLimit && this.written + this.pendingLen > HEADER_SIZE) {
      this.writePending();
      this.startSegment(this.segment + 1);
    }
    if (this.pendingLen + size > PENDING_LIMIT) this.writePending();
    const vofs = this.highWater;
    const p = this.pending;
    const at = this.pendingLen;
    let o = putVarint(p, at + 4, kind + 8 * depth + 512 * payload.length);
    if (isDelta(kind)) o = putVarint(p, o, vofs - base);
    p.set(payload, o);
    o += payload.length;
    new DataView(p.buffer, p.byteOffset + at, 4).setUint32(0, crc32(p.subarray(at + 4, o)), true);
    this.pendingLen = o;
    if (content) this.cache.set(vofs, { data: content, depth, root: depth === 0 ? vofs : root });
    return vofs;
  }

  /** Writes appended blobs to the segment file (before the record that references them). */
  writePending(): void {
    if (this.pendingLen === 0) return;
    const fd = this.fds.get(this.segment)!;
    let done = 0;
    while (done < this.pendingLen) done += writeSync(fd, this.pending, done, this.pendingLen - done, this.written + done);
    this.written += this.pendingLen;
    this.bytesWritten += this.pendingLen;
    this.pendingLen = 0;
    this.unsynced.add(this.segment);
  }

  /**
   * sync() without blocking: the fsyncs run on libuv's threads. Leaves segment files open (the
   * next sync() closes finished ones). Resolves when every segment written before the call is
   * durable.
   */
  async syncAsync(): Promise<void> {
    const fds: number[] = [];
    for (const n of this.unsynced) {
      const fd = this.fds.get(n);
      if (fd !== undefined) fds.push(fd);
    }
    this.unsynced.clear();
    if (this.newFile) fsyncDir(this.dir);
    this.newFile = false;
    await Promise.all(fds.map((fd) => new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())))));
  }

  /** Durability point for blobs: fsync every segment written since the last sync. */
  sync(): void {
    for (const n of this.unsynced) {
      const fd = this.fds.get(n);
      if (fd !== undefined) fsyncSync(fd);
    }
    this.unsynced.clear();
    if (this.newFile) fsyncDir(this.dir);
    this.newFile = false;
    // Older segments are complete: keep only the current one open for writing.
    for (const [n, fd] of this.fds) {
      if (this.writable && n !== this.segment) {
        closeSync(fd);
        this.fds.delete(n);
      }
    }
  }

  private fd(segment: number, vofs: number): number {
    let fd = this.fds.get(segment);
    if (fd !== undefined) return fd;
    const path = this.path(segment);
    try {
      fd = openSync(path, constants.O_RDONLY);
    } catch (e) {
      throw new RecordingError(`cannot open blob segment for blob 0x${vofs.toString(16)}: ${(e as Error).message}`, path);
    }
    try {
      const id = checkHeader(readAt(fd, 0, HEADER_SIZE), MAGIC_SEGMENT, path, 'blob segment');
      if (!id.every((v, i) => v === this.id[i])) throw new RecordingError('blob segment belongs to another recording', path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fds.set(segment, fd);
    return fd;
  }

  private scratch = new Uint8Array(BLOB_HEADER_MAX + 4096);
  private deltaOut = new Uint8Array(4096);

  /**
   * The stored form of the blob at vofs, whose content has `len` bytes; checked, not decoded.
   * The payload is a view of scratch memory, valid until the next call.
   */
  private raw(vofs: number, len: number): RawBlob {
    const segment = Math.floor(vofs / SEGMENT_SPAN);
    const off = vofs % SEGMENT_SPAN;
    if (!Number.isInteger(vofs) || vofs <= 0 || off < HEADER_SIZE || segment >= MAX_SEGMENTS) this.bad(vofs, `invalid blob address 0x${vofs.toString(16)}`);
    let bytes: Uint8Array;
    const want = BLOB_HEADER_MAX + len;
    this.inScratch = false;
    if (this.writable && segment === this.segment && off >= this.written) {
      bytes = this.whole(this.pending.subarray(off - this.written, Math.min(this.pendingLen, off - this.written + want)));
    } else {
      bytes = this.fromBlock(segment, off, want, vofs);
    }
    // The blob's bytes are bytes[s, e) (a block itself, not a view of it: one allocation less per blob).
    const s = this.viewStart;
    const e = this.viewEnd;
    this.at = s + 4;
    const head = this.varint(bytes, vofs);
    const kind = head % 8;
    const depth = Math.floor(head / 8) % 64;
    const length = Math.floor(head / 512);
    if (length > len) this.bad(vofs, `stored length ${length} exceeds the content length ${len}`);
    let base = 0;
    if (isDelta(kind)) {
      const distance = this.varint(bytes, vofs);
      if (distance === 0 || distance >= vofs) this.bad(vofs, `delta base ${distance} bytes back is not an earlier blob`);
      if (depth === 0 || depth > MAX_DEPTH) this.bad(vofs, `delta depth ${depth} out of range`);
      base = vofs - distance;
    } else if (kind === BlobKind.Raw || kind === BlobKind.Lz4) {
      if (depth !== 0) this.bad(vofs, 'full blob with a delta depth');
    } else {
      this.bad(vofs, `unknown blob kind ${kind}`);
    }
    const p = this.at;
    if (e < p + length) this.bad(vofs, 'payload extends past the end of the file');
    const stored = (bytes[s]! | (bytes[s + 1]! << 8) | (bytes[s + 2]! << 16) | (bytes[s + 3]! << 24)) >>> 0; // (no DataView per blob)
    if (stored !== crc32Of(bytes, s + 4, p + length)) this.bad(vofs, 'checksum mismatch (the blob is corrupt)');
    return { kind, depth, base, payload: bytes.subarray(p, p + length) };
  }

  /** Header parse position (a field, so the hot read path allocates no closures). */
  private at = 0;
  /** Where fromBlock's answer lies in the array it returned: [viewStart, viewEnd). */
  private viewStart = 0;
  private viewEnd = 0;

  /** A whole array as fromBlock's answer. */
  private whole(view: Uint8Array): Uint8Array {
    this.viewStart = 0;
    this.viewEnd = view.length;
    return view;
  }
  /** Whether the last raw() payload is a view of scratch memory (else of a cached block or the pending buffer, which stay valid). */
  private inScratch = false;
  private lastSegment = -1;
  private lastOffset = 0;

  /**
   * Up to `want` bytes of segment `segment` from `off`: a view of a cached block when the blob
   * fits in one (its real size is known only after its header: a blob may be shorter than
   * `want`, so a view up to the block's end is enough when the header says so), else read
   * into scratch. The bytes are [viewStart, viewEnd) of the array returned.
   */
  private fromBlock(segment: number, off: number, want: number, vofs: number): Uint8Array {
    const start = off - (off % BLOCK); // offsets are below 2^32
    const key = segment * SEGMENT_SPAN + start;
    let b = key === this.recentBlock ? this.recent : this.blocks.get(key);
    if (b && key !== this.recentBlock) {
      // Most recently used goes last; a run of reads in one block (the common case) skips this.
      this.blocks.delete(key);
      this.blocks.set(key, b);
      this.recentBlock = key;
      this.recent = b;
    }
    const inBlock = off - start;
    const near = segment === this.lastSegment && Math.abs(off - this.lastOffset) < NEAR;
    this.lastSegment = segment;
    this.lastOffset = off;
    if (!b && !near) {
      // Far from the last read: just this blob.
      if (this.scratch.length < want) this.scratch = new Uint8Array(want);
      this.inScratch = true;
      const fd = this.fd(segment, vofs);
      const small = this.scratch.subarray(0, Math.min(want, SMALL_READ));
      const view = small.subarray(0, readInto(fd, off, small));
      if (view.length < small.length || this.blobEnd(view) <= view.length) return this.whole(view);
      const buf = this.scratch.subarray(0, want);
      return this.whole(buf.subarray(0, readInto(fd, off, buf)));
    }
    if (!b || (b.valid < BLOCK && b.valid < inBlock + want)) {
      let bytes = b?.bytes;
      this.blocks.delete(key);
      if (!bytes && this.blocks.size >= this.blockCapacity) {
        const oldest = this.blocks.entries().next().value!;
        this.blocks.delete(oldest[0]);
        bytes = oldest[1].bytes;
      }
      bytes ??= new Uint8Array(BLOCK);
      b = { bytes, valid: readInto(this.fd(segment, vofs), start, bytes) };
      this.blocks.set(key, b);
      this.recentBlock = key;
      this.recent = b;
    }
    const end = Math.min(b.valid, inBlock + want);
    if (end === inBlock + want || b.valid < BLOCK) {
      // whole, or all the file holds
      this.viewStart = inBlock;
      this.viewEnd = end;
      return b.bytes;
    }
    // Crosses the block's end: fine if the blob itself ends inside it.
    const view = b.bytes.subarray(inBlock, end);
    if (this.blobEnd(view) <= view.length) return this.whole(view);
    if (this.scratch.length < want) this.scratch = new Uint8Array(want);
    const buf = this.scratch.subarray(0, want);
    this.inScratch = true;
    return this.whole(buf.subarray(0, readInto(this.fd(segment, vofs), off, buf)));
  }

  /** The length of the blob whose bytes start `view` (from its header), or Infinity if the header is not all there. */
  private blobEnd(view: Uint8Array): number {
    let p = 4;
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= view.length || p > 12) return Infinity;
      const byte = view[p++]!;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 128;
    }
    if (isDelta(v % 8)) {
      for (;;) {
        if (p >= view.length || p > 21) return Infinity;
        if (view[p++]! < 0x80) break;
      }
    }
    return p + Math.floor(v / 512);
  }

  /** The LEB128 at bytes[this.at] (at most 8 bytes, before viewEnd); advances this.at. */
  private varint(bytes: Uint8Array, vofs: number): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.at >= this.viewEnd) this.bad(vofs, 'header extends past the end of the file');
      const b = bytes[this.at++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return this.bad(vofs, 'malformed header');
  }

  private bad(vofs: number, what: string): never {
    throw new RecordingError(`blob at byte ${vofs % SEGMENT_SPAN}: ${what}`, this.path(Math.floor(vofs / SEGMENT_SPAN)));
  }

  private decodeError(vofs: number, e: unknown): never {
    if (e instanceof CodecError) throw new RecordingError(`blob at byte ${vofs % SEGMENT_SPAN}: ${e.message}`, this.path(Math.floor(vofs / SEGMENT_SPAN)));
    throw e;
  }

  /**
   * The decoded content (`len` bytes) of the blob at vofs. Walks back to a cached blob or a full
   * one, then applies the deltas forward in one buffer; caches the result and a decoded root.
   */
  read(vofs: number, len: number): DecodedBlob {
    const hit = this.cache.get(vofs);
    if (hit) {
      if (hit.data.length !== len) throw new RecordingError(`blob 0x${vofs.toString(16)} holds ${hit.data.length} bytes where ${len} were expected`, this.path(Math.floor(vofs / SEGMENT_SPAN)));
      return hit;
    }
    const deltas: Array<{ vofs: number; kind: number; depth: number; payload: Uint8Array }> = [];
    let root: DecodedBlob;
    for (let v = vofs; ; ) {
      const raw = this.raw(v, len);
      if (!isDelta(raw.kind)) {
        const data = new Uint8Array(len);
        try {
          decodeFull(raw.kind, raw.payload, data);
        } catch (e) {
          this.decodeError(v, e);
        }
        root = { data, depth: 0, root: v };
        this.cache.set(v, root);
        break;
      }
      deltas.push({ vofs: v, kind: raw.kind, depth: raw.depth, payload: this.inScratch ? raw.payload.slice() : raw.payload });
      const cached = this.cache.get(raw.base);
      if (cached) {
        root = cached;
        break;
      }
      if (deltas.length > MAX_DEPTH) throw new RecordingError(`blob 0x${vofs.toString(16)}: delta chain longer than ${MAX_DEPTH + 1}`, this.path(Math.floor(vofs / SEGMENT_SPAN)));
      v = raw.base;
    }
    if (deltas.length === 0) return root;
    if (this.deltaOut.length < len) this.deltaOut = new Uint8Array(len);
    if (root.data.length !== len) throw new RecordingError(`blob 0x${vofs.toString(16)}: delta base of the wrong size`, this.path(Math.floor(vofs / SEGMENT_SPAN)));
    const acc = root.data.slice();
    let depth = root.depth;
    for (let i = deltas.length - 1; i >= 0; i--) {
      const d = deltas[i]!;
      if (d.depth !== depth + 1) throw new RecordingError(`blob at byte ${d.vofs % SEGMENT_SPAN}: delta depth ${d.depth} does not follow its base's ${depth}`, this.path(Math.floor(d.vofs / SEGMENT_SPAN)));
      try {
        applyDelta(d.kind, d.payload, acc, this.deltaOut);
      } catch (e) {
        this.decodeError(d.vofs, e);
      }
      depth = d.depth;
    }
    const out = { data: acc, depth, root: root.root };
    this.cache.set(vofs, out);
    return out;
  }

  /**
   * The stored form of the blob at vofs (content `len` bytes), checked but not decoded: its
   * kind, depth, base (the vofs a delta applies to, else 0) and payload (a view valid until
   * the next read). For walks that can skip decoding (range-cursor.ts).
   */
  peek(vofs: number, len: number): { readonly kind: number; readonly depth: number; readonly base: number; readonly payload: Uint8Array } {
    return this.raw(vofs, len);
  }

  /** Drops a decoded blob from the cache (the writer's superseded versions). */
  forget(vofs: number): void {
    this.cache.delete(vofs);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.cache.clear();
    this.blocks.clear();
    this.recentBlock = -1;
    this.recent = undefined;
  }
}
