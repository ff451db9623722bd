/**
 * Sealed index segments: the index of a run of checkpoints [first, first + count), written
 * once the run is whole and then dropped from memory, so neither the writer nor a reader holds
 * a long recording's index (file `index-segments`; the snapshot, snapshot.ts, lists the blocks
 * and holds only what is not sealed yet). Disposable like the snapshot: anything missing or
 * damaged here is rebuilt from the log, which stays the source of truth.
 *
 * File: the 24-byte store header, u32 checkpoints per segment, u32 0, then blocks, each at an
 * offset that is a multiple of 8:
 *
 *   u32 payload length, u32 crc32 of the payload, payload, zero padding to 8
 *
 * Payload (sections aligned so each array is a view of the loaded block):
 *
 *   u32 first, u32 count, u32 pages (with versions in the run), u32 entries (their versions),
 *   f64 offset, u32 length, u32 crc of the log record of the run's last checkpoint (a block
 *       describes the log only if that record is still there: see matchesLog)
 *   i64 timeNs[count], f64 recordOffset[count], f64 pageNumber[pages] (ascending),
 *   f64 vofs[entries], u32 dirtyPages[count], u32 storedBytes[count], u32 recordLength[count],
 *   u32 mapsVersion[count], u32 pageStart[pages + 1], u32 cps[entries], u8 trigger[count]
 *
 * A page's versions in the run are entries [pageStart[i], pageStart[i + 1]), ascending.
 */
import { closeSync, constants, fstatSync, fsync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { upperBound } from '../../shared/sorted.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { checkHeader, encodeHeader, FILE_MODE, readAt } from './files.js';
import { HEADER_SIZE, INDEX_SEGMENTS_FILE, MAGIC_INDEX_SEGMENTS, RECORD_HEADER } from './format.js';
import { RecordingError } from './types.js';

/** Checkpoints per sealed segment, unless a test asks for fewer. */
export const DEFAULT_SEGMENT_CHECKPOINTS = 65536;
export const FILE_HEAD = HEADER_SIZE + 8;

export interface LogRef {
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/** The index of checkpoints [first, first + count): columns, and versions grouped by page. */
export interface SealedSegment {
  readonly first: number;
  readonly count: number;
  readonly last: LogRef;
  readonly timeNs: BigInt64Array;
  readonly recordOffset: Float64Array;
  readonly dirtyPages: Uint32Array;
  readonly storedBytes: Uint32Array;
  readonly recordLength: Uint32Array;
  readonly mapsVersion: Uint32Array;
  readonly trigger: Uint8Array;
  readonly pageNumber: Float64Array;
  readonly pageStart: Uint32Array;
  readonly cps: Uint32Array;
  readonly vofs: Float64Array;
}

/** Entries [lo, hi) of `page` in segment s (lo === hi: none). */
export function entriesOf(s: SealedSegment, page: number): [number, number] {
  const i = upperBound(s.pageNumber, page) - 1;
  if (i < 0 || s.pageNumber[i] !== page) return [0, 0];
  return [s.pageStart[i]!, s.pageStart[i + 1]!];
}

/** Where a block is in the file. */
export interface BlockRef {
  readonly first: number;
  readonly offset: number;
  readonly length: number; // the whole block, header and padding included
}

export function encodeSegment(s: SealedSegment): Uint8Array {
  const n = s.count;
  const p = s.pageNumber.length;
  const e = s.cps.length;
  const w = new ByteWriter(8 + 32 + n * 41 + p * 12 + 4 + e * 12 + 8);
  w.u32(0);
  w.u32(0); // length and crc, patched below
  for (const v of [s.first, n, p, e]) w.u32(v);
  w.f64(s.last.offset);
  w.u32(s.last.length);
  w.u32(s.last.crc);
  const put = (a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): void => w.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  for (const a of [s.timeNs, s.recordOffset, s.pageNumber, s.vofs, s.dirtyPages, s.storedBytes, s.recordLength, s.mapsVersion, s.pageStart, s.cps, s.trigger]) put(a);
  w.align(8);
  const out = w.view();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, out.length - 8, true);
  dv.setUint32(4, crc32(out.subarray(8)), true);
  return out;
}

/** Decodes a whole block read at `at` of `file`; throws RecordingError when it is not one. */
export function decodeSegment(block: Uint8Array, file: string, at: number): SealedSegment {
  if (block.length < 8 || block.byteOffset % 8 !== 0) throw new RecordingError(`index segment at byte ${at}: truncated`, file);
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const len = dv.getUint32(0, true);
  if (8 + len > block.length) throw new RecordingError(`index segment at byte ${at}: truncated`, file);
  const payload = block.subarray(8, 8 + len);
  if (dv.getUint32(4, true) !== crc32(payload)) throw new RecordingError(`index segment at byte ${at} fails its checksum`, file);
  const r = new ByteReader(payload, file, at + 8, 'index segment');
  const [first, n, p, e] = [r.u32('first'), r.u32('count'), r.u32('pages'), r.u32('entries')];
  const last = { offset: r.f64('last record offset'), length: r.u32('last record length'), crc: r.u32('last record crc') };
  const view = <T>(make: new (b: ArrayBufferLike, off: number, len: number) => T, count: number, size: number): T => {
    r.need(count * size, 'array');
    const v = new make(payload.buffer, payload.byteOffset + r.pos, count);
    r.pos += count * size;
    return v;
  };
  const s: SealedSegment = {
    first,
    count: n,
    last,
    timeNs: view(BigInt64Array, n, 8),
    recordOffset: view(Float64Array, n, 8),
    pageNumber: view(Float64Array, p, 8),
    vofs: view(Float64Array, e, 8),
    dirtyPages: view(Uint32Array, n, 4),
    storedBytes: view(Uint32Array, n, 4),
    recordLength: view(Uint32Array, n, 4),
    mapsVersion: view(Uint32Array, n, 4),
    pageStart: view(Uint32Array, p + 1, 4),
    cps: view(Uint32Array, e, 4),
    trigger: view(Uint8Array, n, 1),
  };
  // What the index relies on without checking again: lists in order, inside the run.
  const bad = (what: string): never => {
    throw new RecordingError(`index segment at byte ${at}: ${what}`, file);
  };
  if (n === 0 || s.pageStart[0] !== 0 || s.pageStart[p] !== e) bad('inconsistent');
  for (let i = 0; i < p; i++) {
    if ((i > 0 && !(s.pageNumber[i]! > s.pageNumber[i - 1]!)) || s.pageStart[i + 1]! <= s.pageStart[i]!) bad('pages out of order');
    for (let j = s.pageStart[i]!; j < s.pageStart[i + 1]!; j++) {
      const c = s.cps[j]!;
      if (c < first || c >= first + n || (j > s.pageStart[i]! && c <= s.cps[j - 1]!)) bad('versions out of order');
    }
  }
  return s;
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

  /** Creates the file (the writer, a repair) with its header; truncates one that exists. */
  static create(dir: string, id: Uint8Array, segmentCheckpoints: number): SegmentFile {
    const path = join(dir, INDEX_SEGMENTS_FILE);
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, FILE_MODE);
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
      fd = openSync(path, writable ? constants.O_RDWR : constants.O_RDONLY);
    } catch {
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

  append(s: SealedSegment): BlockRef {
    const block = encodeSegment(s);
    const at = this.end;
    let done = 0;
    while (done < block.length) done += writeSync(this.fd, block, done, block.length - done, at + done);
    this.end += block.length;
    return { first: s.first, offset: at, length: block.length };
  }

  /** Cuts the file back to `end` (a block that was not whole, or that no longer describes the log). */
  truncate(end: number): void {
    ftruncateSync(this.fd, end);
    this.end = end;
  }

  read(ref: BlockRef): SealedSegment {
    const block = readAt(this.fd, ref.offset, ref.length);
    if (block.length !== ref.length) throw new RecordingError(`index segment at byte ${ref.offset}: truncated`, this.path);
    const s = decodeSegment(block, this.path, ref.offset);
    if (s.first !== ref.first) throw new RecordingError(`index segment at byte ${ref.offset} is not the one listed (checkpoint ${s.first}, not ${ref.first})`, this.path);
    return s;
  }

  /**
   * The blocks in the file from `offset` on, by their headers: where each is, its run and the
   * log record it ends with (a torn block ends the list; contents are checked when read).
   */
  scan(offset = FILE_HEAD): Array<BlockRef & { count: number; last: LogRef }> {
    const out: Array<BlockRef & { count: number; last: LogRef }> = [];
    for (let at = offset; at + 40 <= this.end; ) {
      const h = readAt(this.fd, at, 40);
      const dv = new DataView(h.buffer, h.byteOffset, 40);
      const length = (8 + dv.getUint32(0, true) + 7) & ~7;
      if (at + length > this.end || length < 40) break;
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
    fsyncSync(this.fd);
  }

  syncAsync(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    closeSync(this.fd);
  }
}
