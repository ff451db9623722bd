/**
 * The index snapshot (file `index`): the RecordingIndex as of some log offset, so an open reads
 * one file of typed arrays and replays only the log records after it. The writer writes one at
 * close and, on a geometric schedule, from flush(); a writable open writes one after a crash. Disposable: missing,
 * stale (the log it describes is not the log on disk) or corrupt means a full log scan instead,
 * never an error. Written to a temporary name, fsynced, then renamed over, so it is whole or
 * absent.
 *
 * Layout, after the 24-byte file header (format.ts), sections aligned so each array is a view
 * of the loaded buffer:
 *
 *   u32 json length, UTF-8 JSON {meta, exit, programs, maps, warnings, counters, highWater,
 *       logEnd, last: {offset, length, crc}, lz4?}, zero padding to 8
 *   then the arrays below as they are, or (small snapshots; JSON "lz4": [length of the arrays,
 *   length of the block]) one LZ4 block of them, zero padding to 4:
 *   u32 count (checkpoints), u32 z (zero events), u32 o (output chunks), u32 p (pages with
 *       versions), u32 e (version entries), u32 0
 *   8-byte arrays:  i64 timeNs[count], f64 recordOffset[count], f64 zeroFirst[z], f64 zeroEnd[z],
 *                   f64 outputOffset[o], f64 pageNumber[p], f64 versionVofs[e]
 *   4-byte arrays:  u32 dirtyPages[count], u32 storedBytes[count], u32 recordLength[count],
 *                   u32 mapsVersion[count], u32 zeroCp[z], i32 outputTag[o], u32 outputLength[o],
 *                   u32 versionCount[p], u32 versionCp[e]
 *   1-byte array:   u8 trigger[count], zero padding to 4
 *   u32 crc32 of every byte before it
 *
 * Staleness: the snapshot names the log offset it covers and the offset, length and CRC of the
 * last record before it; the open checks that record is still there.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { lz4Decode, lz4Encode } from './lz4.js';
import { ByteReader, ByteWriter, utf8 } from './bytes.js';
import { checkHeader, encodeHeader, FILE_MODE, readAt, sameId } from './files.js';
import { HEADER_SIZE, INDEX_FILE, MAGIC_INDEX, RECORD_HEADER } from './format.js';
import { RecordingIndex } from './recording-index.js';
import { VersionList } from './versions.js';

/** Writes the snapshot of `ix` into dir; returns its size in bytes. */
export function writeSnapshot(dir: string, id: Uint8Array, ix: RecordingIndex): number {
  const n = ix.count;
  const z = ix.zero;
  const o = ix.outputs;
  const pages = [...ix.versions.lists.entries()];
  const e = ix.versions.entries;
  // The arrays first (their own buffer, 8-aligned like the file offset they land at), so the
  // JSON can say whether they are stored LZ4-compressed.
  const a = new ByteWriter(64 + n * 41 + z.n * 20 + o.n * 16 + pages.length * 12 + e * 12);
  for (const v of [n, z.n, o.n, pages.length, e, 0]) a.u32(v);
  const put = (arr: { buffer: ArrayBufferLike; byteOffset: number }, count: number, size: number): void => {
    a.bytes(new Uint8Array(arr.buffer, arr.byteOffset, count * size));
  };
  put(ix.timeNs, n, 8);
  put(ix.recordOffset, n, 8);
  put(z.first, z.n, 8);
  put(z.end, z.n, 8);
  put(o.offset, o.n, 8);
  put(Float64Array.from(pages, ([p]) => p), pages.length, 8);
  for (const [, l] of pages) put(l.vofs, l.n, 8);
  put(ix.dirtyPages, n, 4);
  put(ix.storedBytes, n, 4);
  put(ix.recordLength, n, 4);
  put(ix.mapsVersion, n, 4);
  put(z.cp, z.n, 4);
  put(o.tag, o.n, 4);
  put(o.length, o.n, 4);
  put(Uint32Array.from(pages, ([, l]) => l.n), pages.length, 4);
  for (const [, l] of pages) put(l.cps, l.n, 4);
  put(ix.trigger, n, 1);
  a.align(4);
  let arrays = a.view();
  let lz4: [number, number] | undefined; // [length of the arrays, of their LZ4 block]
  if (arrays.length <= COMPRESS_LIMIT) {
    const packed = new Uint8Array(arrays.length - 1);
    const len = lz4Encode(arrays, packed);
    if (len > 0) {
      lz4 = [arrays.length, len];
      arrays = packed.subarray(0, len);
    }
  }
  const json = utf8.encode(
    JSON.stringify({ meta: ix.meta, exit: ix.exit, programs: ix.programs, maps: ix.maps, warnings: ix.warnings, counters: ix.counters, highWater: ix.highWater, logEnd: ix.logEnd, last: ix.last, ...(lz4 ? { lz4 } : {}) }),
  );
  const w = new ByteWriter(HEADER_SIZE + 16 + json.length + arrays.length);
  w.bytes(encodeHeader(MAGIC_INDEX, id));
  w.u32(json.length);
  w.bytes(json);
  w.align(8);
  w.bytes(arrays);
  w.align(4);
  w.u32(crc32(w.view()));

  const bytes = w.view();
  const tmp = join(dir, `${INDEX_FILE}.tmp-${process.pid}-${Date.now()}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, join(dir, INDEX_FILE));
  return bytes.length;
}

interface SnapshotJson {
  meta: RecordingIndex['meta'];
  exit: RecordingIndex['exit'];
  programs: RecordingIndex['programs'];
  maps: RecordingIndex['maps'];
  warnings: RecordingIndex['warnings'];
  counters: RecordingIndex['counters'];
  highWater: number;
  logEnd: number;
  last: RecordingIndex['last'];
  lz4?: [number, number];
}

/**
 * Snapshots whose arrays are at most this big are stored LZ4-compressed (about half the bytes:
 * for a short recording the snapshot was a third of what it stored). Bigger ones stay plain
 * so that opening a long recording maps its arrays as views of the file with no decoding.
 */
const COMPRESS_LIMIT = 32 * 1024 * 1024;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The index as of the snapshot in dir, or a reason why there is none usable (missing, stale,
 * corrupt). `logFd`/`logSize` are the log it must describe.
 */
export function loadSnapshot(dir: string, id: Uint8Array, logPath: string, logFd: number, logSize: number): RecordingIndex | string {
  const path = join(dir, INDEX_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch {
    return 'no index snapshot';
  }
  try {
    const size = fstatSync(fd).size;
    if (size < HEADER_SIZE + 4) return 'index snapshot truncated';
    let buf = readAt(fd, 0, size);
    if (buf.length !== size) return 'index snapshot shrank while reading';
    const fileId = checkHeader(buf, MAGIC_INDEX, path, 'index snapshot');
    if (!sameId(fileId, id)) return 'index snapshot of another recording';
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (dv.getUint32(size - 4, true) !== crc32(buf.subarray(0, size - 4))) return 'index snapshot fails its checksum';
    let r = new ByteReader(buf.subarray(0, size - 4), path, 0, 'index snapshot');
    r.skip(HEADER_SIZE, 'header');
    const j = JSON.parse(r.str('json')) as SnapshotJson;
    if (!j.meta || !isNum(j.logEnd) || !isNum(j.highWater) || !j.last || !isNum(j.last.offset) || !isNum(j.last.length)) return 'index snapshot lacks fields';
    if (!Array.isArray(j.maps) || !Array.isArray(j.programs) || !Array.isArray(j.warnings) || typeof j.counters !== 'object') return 'index snapshot lacks fields';
    // Stale? The last record it covers must still be in the log, where it was.
    if (j.logEnd > logSize) return 'index snapshot describes a longer log';
    if (j.last.offset === 0) {
      if (j.logEnd !== HEADER_SIZE) return 'index snapshot is inconsistent';
    } else {
      if (j.last.offset + j.last.length !== j.logEnd) return 'index snapshot is inconsistent';
      const h = readAt(logFd, j.last.offset, RECORD_HEADER);
      if (h.length < RECORD_HEADER) return 'index snapshot is stale';
      const hv = new DataView(h.buffer, h.byteOffset, RECORD_HEADER);
      if (hv.getUint32(0, true) !== j.last.crc || hv.getUint32(4, true) + RECORD_HEADER !== j.last.length) return 'index snapshot is stale';
    }
    r.align(8);
    if (j.lz4 !== undefined) {
      // The arrays, LZ4-compressed (small snapshots): decoded into a buffer of their own.
      if (!Array.isArray(j.lz4) || !isNum(j.lz4[0]) || !isNum(j.lz4[1]) || j.lz4[0] > COMPRESS_LIMIT || r.pos + j.lz4[1] > size - 4) return 'index snapshot lacks fields';
      const packed = buf.subarray(r.pos, r.pos + j.lz4[1]);
      buf = new Uint8Array(j.lz4[0]);
      if (lz4Decode(packed, buf) !== j.lz4[0]) return 'index snapshot arrays do not decode';
      r = new ByteReader(buf, path, 0, 'index snapshot');
    }
    const [n, zn, on, pn, e] = [r.u32('count'), r.u32('zero events'), r.u32('outputs'), r.u32('pages'), r.u32('versions')];
    r.u32('reserved');
    const view = <T>(make: new (b: ArrayBufferLike, off: number, len: number) => T, count: number, size: number): T => {
      r.need(count * size, 'array');
      const v = new make(buf.buffer, buf.byteOffset + r.pos, count);
      r.pos += count * size;
      return v;
    };
    const ix = new RecordingIndex(logPath);
    ix.timeNs = view(BigInt64Array, n, 8);
    ix.recordOffset = view(Float64Array, n, 8);
    ix.zero.first = view(Float64Array, zn, 8);
    ix.zero.end = view(Float64Array, zn, 8);
    const outOffset = view(Float64Array, on, 8);
    const pageNumbers = view(Float64Array, pn, 8);
    const vofs = view(Float64Array, e, 8);
    ix.dirtyPages = view(Uint32Array, n, 4);
    ix.storedBytes = view(Uint32Array, n, 4);
    ix.recordLength = view(Uint32Array, n, 4);
    ix.mapsVersion = view(Uint32Array, n, 4);
    ix.zero.cp = view(Uint32Array, zn, 4);
    const outTag = view(Int32Array, on, 4);
    const outLength = view(Uint32Array, on, 4);
    const counts = view(Uint32Array, pn, 4);
    const cps = view(Uint32Array, e, 4);
    ix.trigger = view(Uint8Array, n, 1);
    r.align(4);
    if (j.lz4 === undefined) r.end(); // (a decoded buffer ends with its arrays)
    let at = 0;
    for (let i = 0; i < pn; i++) {
      const c = counts[i]!;
      if (at + c > e) return 'index snapshot version counts do not add up';
      ix.versions.lists.set(pageNumbers[i]!, new VersionList(cps.subarray(at, at + c), vofs.subarray(at, at + c), c));
      at += c;
    }
    if (at !== e) return 'index snapshot version counts do not add up';
    for (let k = 0; k < n; k++) {
      if (ix.mapsVersion[k]! >= j.maps.length || ix.recordOffset[k]! + ix.recordLength[k]! > j.logEnd) return 'index snapshot is inconsistent';
    }
    ix.versions.entries = e;
    ix.zero.n = zn;
    ix.outputs = { n: on, tag: outTag, offset: outOffset, length: outLength };
    ix.count = n;
    ix.meta = j.meta;
    ix.exit = j.exit;
    ix.programs = j.programs;
    ix.maps = j.maps;
    ix.warnings = j.warnings;
    ix.counters = j.counters;
    ix.highWater = j.highWater;
    ix.logEnd = j.logEnd;
    ix.last = j.last;
    // The summary pyramid is built when first asked for (RecordingIndex.pyramid): not at open.
    return ix;
  } catch (err) {
    return `index snapshot unreadable: ${(err as Error).message}`;
  } finally {
    closeSync(fd);
  }
}
