/**
 * Sealed index segments: the index of a run of checkpoints [first, first + count), written
 * once the run is whole and then dropped from memory, so neither the writer nor a reader holds
 * a long recording's index (file `index-segments`; the snapshot, snapshot.ts, lists the blocks
 * and holds only what is not sealed yet). A reader reads a block back section by section: its
 * page directory and its columns when first needed (cached with the run), one page's versions
 * per read. Disposable like the snapshot: anything missing or damaged here is rebuilt from
 * the log, which stays the source of truth.
 *
 * File: the 24-byte store header, u32 checkpoints per segment, u32 0, then blocks, each at an
 * offset that is a multiple of 8 (offsets below are from the block's start):
 *
 *   0   u32 length of the rest of the block, u32 crc32 of bytes 8..64
 *   8   u32 first, u32 count, u32 pages (with versions in the run), u32 entries (their versions)
 *   24  f64 offset, u32 length, u32 crc of the log record of the run's last checkpoint (a block
 *       describes the log only if that record is still there: see matchesLog)
 *   40  u32 crc32 of the directory, u32 crc32 of the columns, u32 directory bytes,
 *       u32 column bytes, u32 version bytes, u32 0
 *   64  directory: f64 pageNumber[pages] (ascending), u32 pageStart[pages + 1] (entry index),
 *       u32 crc32 of each page's versions[pages], zero padding to 8
 *       columns: i64 timeNs[count], f64 recordOffset[count], u32 dirtyPages[count],
 *       u32 storedBytes[count], u32 recordLength[count], u32 mapsVersion[count],
 *       u8 trigger[count], zero padding to 8
 *       versions, page by page: u32 cps[n] (ascending), zero padding to 8, f64 vofs[n]
 */
import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { upperBound } from '../../shared/sorted.js';
import { ByteWriter } from './bytes.js';
import { checkHeader, createFile, encodeHeader, openFile, readAt } from './files.js';
import { HEADER_SIZE, INDEX_SEGMENTS_FILE, MAGIC_INDEX_SEGMENTS, RECORD_HEADER } from './format.js';
import { RecordingError } from './types.js';

/** Checkpoints per sealed segment, unless a test asks for fewer. */
export const DEFAULT_SEGMENT_CHECKPOINTS = 65536;
export const FILE_HEAD = HEADER_SIZE + 8;
const BLOCK_HEAD = 64;

export interface LogRef {
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/** The checkpoint columns of a run, indexed from its first checkpoint. */
export interface RunColumns {
  readonly timeNs: BigInt64Array;
  readonly trigger: Uint8Array;
  readonly dirtyPages: Uint32Array;
  readonly storedBytes: Uint32Array;
  readonly recordOffset: Float64Array;
  readonly recordLength: Uint32Array;
  readonly mapsVersion: Uint32Array;
}

/** One page's versions in a run: checkpoints (ascending) and blobs. */
export interface PageEntries {
  readonly cps: Uint32Array;
  readonly vofs: Float64Array;
}

/** A sealed run as the index uses it: whole in memory (ResidentRun) or read from its block (StoredRun). */
export interface RunIndex {
  readonly first: number;
  readonly count: number;
  readonly last: LogRef;
  columns(): RunColumns;
  /** The page's versions in the run, or null if it has none. */
  entries(page: number): PageEntries | null;
  /** Bytes it holds in memory now (for the index's cache budget). */
  readonly bytes: number;
}

/** A sealed run held whole: just sealed, or rebuilt from the log. What a block is written from. */
export class ResidentRun implements RunIndex {
  constructor(
    readonly first: number,
    readonly count: number,
    readonly last: LogRef,
    private readonly cols: RunColumns,
    readonly pageNumber: Float64Array, // ascending
    readonly pageStart: Uint32Array, // pages + 1 entry indices
    readonly cps: Uint32Array,
    readonly vofs: Float64Array,
  ) {}

  columns(): RunColumns {
    return this.cols;
  }

  get bytes(): number {
    return this.count * 33 + this.pageNumber.byteLength * 2 + this.cps.byteLength * 3;
  }

  entries(page: number): PageEntries | null {
    const i = upperBound(this.pageNumber, page) - 1;
    if (i < 0 || this.pageNumber[i] !== page) return null;
    const lo = this.pageStart[i]!;
    const hi = this.pageStart[i + 1]!;
    return { cps: this.cps.subarray(lo, hi), vofs: this.vofs.subarray(lo, hi) };
  }
}

/** Where a block is in the file. */
export interface BlockRef {
  readonly first: number;
  readonly offset: number;
  readonly length: number; // the whole block, header and padding included
}

const pad8 = (n: number): number => (n + 7) & ~7;
const bytesOf = (a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeSegment(s: ResidentRun): Uint8Array {
  const n = s.count;
  const p = s.pageNumber.length;
  const e = s.cps.length;
  const dir = new ByteWriter(p * 16 + 16);
  dir.bytes(bytesOf(s.pageNumber));
  dir.bytes(bytesOf(s.pageStart));
  const versions = new ByteWriter(e * 12 + p * 8 + 8);
  for (let i = 0; i < p; i++) {
    const at = versions.view().length;
    const lo = s.pageStart[i]!;
    const hi = s.pageStart[i + 1]!;
    versions.bytes(bytesOf(s.cps.subarray(lo, hi)));
    versions.align(8);
    versions.bytes(bytesOf(s.vofs.subarray(lo, hi)));
    dir.u32(crc32(versions.view().subarray(at)));
  }
  dir.align(8);
  const c = s.columns();
  const cols = new ByteWriter(n * 33 + 8);
  for (const a of [c.timeNs, c.recordOffset, c.dirtyPages, c.storedBytes, c.recordLength, c.mapsVersion, c.trigger]) cols.bytes(bytesOf(a));
  cols.align(8);
  const [d, k, v] = [dir.view(), cols.view(), versions.view()];
  const w = new ByteWriter(BLOCK_HEAD + d.length + k.length + v.length);
  w.u32(BLOCK_HEAD - 8 + d.length + k.length + v.length);
  w.u32(0); // header crc, below
  for (const x of [s.first, n, p, e]) w.u32(x);
  w.f64(s.last.offset);
  w.u32(s.last.length);
  w.u32(s.last.crc);
  for (const x of [crc32(d), crc32(k), d.length, k.length, v.length, 0]) w.u32(x);
  w.bytes(d);
  w.bytes(k);
  w.bytes(v);
  const out = w.view();
  new DataView(out.buffer, out.byteOffset).setUint32(4, crc32(out.subarray(8, BLOCK_HEAD)), true);
  return out;
}

/**
 * A sealed run read from its block in the segments file: the header when made, the directory
 * and the columns when first needed, a page's versions when asked (all kept). Once many pages
 * were asked (a diff, a search over many pages) the whole versions section is read at once
 * instead of a read per page. Every section is checked against its CRC; anything wrong is a
 * RecordingError (the index then rebuilds the run from the log).
 */
export class StoredRun implements RunIndex {
  readonly first: number;
  readonly count: number;
  readonly last: LogRef;
  private readonly pages: number;
  private readonly entryCount: number;
  private readonly dirCrc: number;
  private readonly colsCrc: number;
  private readonly dirBytes: number;
  private readonly colsBytes: number;
  private readonly versionBytes: number;
  private dir: { pageNumber: Float64Array; pageStart: Uint32Array; crc: Uint32Array; at: Float64Array } | null = null;
  private cols: RunColumns | null = null;
  private readonly asked = new Map<number, PageEntries | null>();
  private versions: Uint8Array | null = null; // the whole versions section, once read
  private held = 0; // bytes of the versions read one page at a time
  private static readonly PAGE_READS = 32; // pages read one at a time before the whole section is

  constructor(
    private readonly fd: number,
    private readonly ref: BlockRef,
    private readonly path: string,
  ) {
    const h = readAt(fd, ref.offset, BLOCK_HEAD);
    if (h.length < BLOCK_HEAD) this.bad('truncated');
    const dv = new DataView(h.buffer, h.byteOffset, BLOCK_HEAD);
    if (dv.getUint32(4, true) !== crc32(h.subarray(8))) this.bad('header fails its checksum');
    this.first = dv.getUint32(8, true);
    this.count = dv.getUint32(12, true);
    this.pages = dv.getUint32(16, true);
    this.entryCount = dv.getUint32(20, true);
    this.last = { offset: dv.getFloat64(24, true), length: dv.getUint32(32, true), crc: dv.getUint32(36, true) };
    this.dirCrc = dv.getUint32(40, true);
    this.colsCrc = dv.getUint32(44, true);
    this.dirBytes = dv.getUint32(48, true);
    this.colsBytes = dv.getUint32(52, true);
    this.versionBytes = dv.getUint32(56, true);
    const p = this.pages;
    const n = this.count;
    if (this.first !== ref.first) this.bad(`is not the one listed (checkpoint ${this.first}, not ${ref.first})`);
    if (n === 0 || this.dirBytes !== pad8(p * 16 + 4) || this.colsBytes !== pad8(n * 33) || BLOCK_HEAD + this.dirBytes + this.colsBytes + this.versionBytes !== ref.length || dv.getUint32(0, true) !== ref.length - 8) this.bad('inconsistent');
  }

  private bad(what: string): never {
    throw new RecordingError(`index segment at byte ${this.ref.offset}: ${what}`, this.path);
  }

  /** Bytes [at, at + len) of the block, checked against `crc` unless the caller checks them piecewise (null). */
  private section(at: number, len: number, crc: number | null, what: string): Uint8Array {
    const b = readAt(this.fd, this.ref.offset + at, len);
    if (b.length !== len) this.bad(`${what} truncated`);
    if (crc !== null && crc32(b) !== crc) this.bad(`${what} fails its checksum`);
    return b;
  }

  private directory(): NonNullable<StoredRun['dir']> {
    if (this.dir) return this.dir;
    const p = this.pages;
    const b = this.section(BLOCK_HEAD, this.dirBytes, this.dirCrc, 'directory');
    const pageNumber = new Float64Array(b.buffer, b.byteOffset, p);
    const pageStart = new Uint32Array(b.buffer, b.byteOffset + p * 8, p + 1);
    const crc = new Uint32Array(b.buffer, b.byteOffset + p * 12 + 4, p);
    const at = new Float64Array(p + 1); // byte offset of each page's versions in the versions section
    if (pageStart[0] !== 0 || pageStart[p] !== this.entryCount) this.bad('inconsistent directory');
    for (let i = 0; i < p; i++) {
      if ((i > 0 && !(pageNumber[i]! > pageNumber[i - 1]!)) || pageStart[i + 1]! <= pageStart[i]!) this.bad('pages out of order');
      const k = pageStart[i + 1]! - pageStart[i]!;
      at[i + 1] = at[i]! + pad8(k * 4) + k * 8;
    }
    if (at[p] !== this.versionBytes) this.bad('inconsistent directory');
    this.dir = { pageNumber, pageStart, crc, at };
    return this.dir;
  }

  columns(): RunColumns {
    if (this.cols) return this.cols;
    const n = this.count;
    const b = this.section(BLOCK_HEAD + this.dirBytes, this.colsBytes, this.colsCrc, 'columns');
    let at = b.byteOffset;
    const view = <T>(make: new (b: ArrayBufferLike, off: number, len: number) => T, size: number): T => {
      const v = new make(b.buffer, at, n);
      at += n * size;
      return v;
    };
    this.cols = {
      timeNs: view(BigInt64Array, 8),
      recordOffset: view(Float64Array, 8),
      dirtyPages: view(Uint32Array, 4),
      storedBytes: view(Uint32Array, 4),
      recordLength: view(Uint32Array, 4),
      mapsVersion: view(Uint32Array, 4),
      trigger: view(Uint8Array, 1),
    };
    return this.cols;
  }

  get bytes(): number {
    return (this.dir ? this.dirBytes : 0) + (this.cols ? this.colsBytes : 0) + (this.versions ? this.versionBytes : this.held);
  }

  entries(page: number): PageEntries | null {
    const hit = this.asked.get(page);
    if (hit !== undefined) return hit;
    const d = this.directory();
    const i = upperBound(d.pageNumber, page) - 1;
    if (i < 0 || d.pageNumber[i] !== page) {
      this.asked.set(page, null);
      return null;
    }
    const k = d.pageStart[i + 1]! - d.pageStart[i]!;
    const base = BLOCK_HEAD + this.dirBytes + this.colsBytes;
    const [from, to] = [d.at[i]!, d.at[i + 1]!];
    if (!this.versions && this.asked.size >= StoredRun.PAGE_READS) this.versions = this.section(base, this.versionBytes, null, 'versions');
    const b = this.versions ? this.versions.subarray(from, to) : this.section(base + from, to - from, null, `versions of page 0x${page.toString(16)}`);
    if (crc32(b) !== d.crc[i]) this.bad(`versions of page 0x${page.toString(16)} fail their checksum`);
    const cps = new Uint32Array(b.buffer, b.byteOffset, k);
    for (let j = 0; j < k; j++) if (cps[j]! < this.first || cps[j]! >= this.first + this.count || (j > 0 && cps[j]! <= cps[j - 1]!)) this.bad('versions out of order');
    const e = { cps, vofs: new Float64Array(b.buffer, b.byteOffset + pad8(k * 4), k) };
    if (!this.versions) this.held += to - from;
    this.asked.set(page, e);
    return e;
  }
}

/** Whether the log still holds the record a segment ends with, where it was (same header). */
export function matchesLog(last: LogRef, logFd: number, logSize: number): boolean {
  if (last.offset + last.length > logSize) return false;
  const h = readAt(logFd, last.offset, RECORD_HEADER);
  if (h.length < RECORD_HEADER) return false;
  const dv = new DataView(h.buffer, h.byteOffset, RECORD_HEADER);
  return dv.getUint32(0, true) === last.crc && dv.getUint32(4, true) + RECORD_HEADER === last.length;
}

/** The segments file of a recording: appends (the writer, a repair) and reads (readers). */
export class SegmentFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly segmentCheckpoints: number,
    private end: number,
  ) {}

  /** Bytes written since the last fsync (the writer flushes every 100 ms: most find none). */
  private unsynced = true;

  /**
   * Creates the file (the writer, a repair) with its header. A repair replaces an unusable one:
   * the name is removed first, so what it named (a link's target above all) is never written.
   */
  static create(dir: string, id: Uint8Array, segmentCheckpoints: number, replace = false): SegmentFile {
    const path = join(dir, INDEX_SEGMENTS_FILE);
    if (replace) rmSync(path, { force: true });
    const fd = createFile(path);
    const head = new Uint8Array(FILE_HEAD);
    head.set(encodeHeader(MAGIC_INDEX_SEGMENTS, id));
    new DataView(head.buffer).setUint32(HEADER_SIZE, segmentCheckpoints, true);
    writeSync(fd, head, 0, head.length, 0);
    return new SegmentFile(path, fd, segmentCheckpoints, FILE_HEAD);
  }

  /**
   * Opens the file for reading (and, with `writable`, for appending past `end`), or returns why
   * it cannot be used (missing, another recording's, damaged header): a caller rebuilds.
   */
  static open(dir: string, id: Uint8Array, writable = false): SegmentFile | string {
    const path = join(dir, INDEX_SEGMENTS_FILE);
    let fd: number;
    try {
      fd = openFile(path, writable);
    } catch (e) {
      if (e instanceof RecordingError) throw e;
      return 'no index segments';
    }
    try {
      const head = readAt(fd, 0, FILE_HEAD);
      const fileId = checkHeader(head, MAGIC_INDEX_SEGMENTS, path, 'index segments');
      if (head.length < FILE_HEAD || !fileId.every((v, i) => v === id[i])) throw new RecordingError('index segments of another recording', path);
      const per = new DataView(head.buffer, head.byteOffset).getUint32(HEADER_SIZE, true);
      if (per < 1) throw new RecordingError('index segments: bad segment size', path);
      return new SegmentFile(path, fd, per, fstatSync(fd).size);
    } catch (e) {
      closeSync(fd);
      return (e as Error).message;
    }
  }

  get size(): number {
    return this.end;
  }

  append(s: ResidentRun): BlockRef {
    const block = encodeSegment(s);
    const at = this.end;
    let done = 0;
    while (done < block.length) done += writeSync(this.fd, block, done, block.length - done, at + done);
    this.end += block.length;
    this.unsynced = true;
    return { first: s.first, offset: at, length: block.length };
  }

  /** Cuts the file back to `end` (a block that was not whole, or that no longer describes the log). */
  truncate(end: number): void {
    ftruncateSync(this.fd, end);
    this.end = end;
    this.unsynced = true;
  }

  /** The run in block `ref` (its header read and checked; the rest when asked). */
  read(ref: BlockRef): StoredRun {
    return new StoredRun(this.fd, ref, this.path);
  }

  /**
   * The blocks in the file from `offset` on, by their headers: where each is, its run and the
   * log record it ends with (a torn block ends the list; contents are checked when read).
   */
  scan(offset = FILE_HEAD): Array<BlockRef & { count: number; last: LogRef }> {
    const out: Array<BlockRef & { count: number; last: LogRef }> = [];
    for (let at = offset; at + BLOCK_HEAD <= this.end; ) {
      const h = readAt(this.fd, at, BLOCK_HEAD);
      const dv = new DataView(h.buffer, h.byteOffset, BLOCK_HEAD);
      const length = 8 + dv.getUint32(0, true);
      if (at + length > this.end || length < BLOCK_HEAD || length % 8 !== 0 || dv.getUint32(4, true) !== crc32(h.subarray(8))) break;
      out.push({ first: dv.getUint32(8, true), offset: at, length, count: dv.getUint32(12, true), last: { offset: dv.getFloat64(24, true), length: dv.getUint32(32, true), crc: dv.getUint32(36, true) } });
      at += length;
    }
    return out;
  }

  /** Re-reads the file's size (a reader following the writer). */
  refresh(): void {
    this.end = fstatSync(this.fd).size;
  }

  /** Before a snapshot lists the blocks: they must be on disk first. */
  sync(): void {
    if (!this.unsynced) return;
    this.unsynced = false;
    fsyncSync(this.fd);
  }

  syncAsync(): Promise<void> {
    if (!this.unsynced) return Promise.resolve();
    this.unsynced = false;
    return new Promise((resolve, reject) => fsync(this.fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    closeSync(this.fd);
  }
}
