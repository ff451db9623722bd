/**
 * The index snapshot (file `index`): the RecordingIndex as of some log offset, so an open reads
 * one small file and replays only the log records after it. Sealed runs are not in it: it
 * lists their blocks in the segments file (index-segments.ts), which must be on disk before a
 * snapshot naming them is written. What it holds grows with pages, events and runs, not with
 * checkpoints (the tail is at most one run). The writer writes one at each seal and at close;
 * a writable open writes one after a crash. Disposable: missing, stale (the log it describes is
 * not the log on disk) or corrupt means a full log scan instead, never an error. Written to a
 * temporary name, fsynced, then renamed over, so it is whole or absent.
 *
 * Layout, after the 24-byte file header (format.ts), sections aligned so each array is a view
 * of the loaded buffer:
 *
 *   u32 json length, UTF-8 JSON {meta, exit, programs, maps, warnings, losses, counters, highWater,
 *       logEnd, last: {offset, length, crc}, segmentCheckpoints, sealed: [[first, count, logFrom,
 *       last offset, last length, last crc, block offset, block length], ...], lz4?}, zero
 *       padding to 8
 *   then the arrays below as they are, or (JSON "lz4": [length of the arrays, length of the
 *   block]) one LZ4 block of them, zero padding to 4:
 *   u32 n (tail checkpoints), z (zero events), o (output chunks), p (tail pages with versions),
 *       e (tail version entries), q (pages with sealed versions), r (their runs, summed),
 *       c (summary cells), m (maps version changes), 0
 *   8-byte arrays:  i64 timeNs[n], f64 recordOffset[n], f64 zeroFirst[z], f64 zeroEnd[z],
 *                   f64 outputOffset[o], f64 pageNumber[p], f64 versionVofs[e],
 *                   f64 sealedPage[q], f64 sealedLastVofs[q], f64 summarySum[c]
 *   4-byte arrays:  u32 dirtyPages[n], u32 storedBytes[n], u32 recordLength[n],
 *                   u32 mapsVersion[n], u32 zeroCp[z], i32 outputTag[o], u32 outputLength[o],
 *                   u32 versionCount[p], u32 versionCp[e], u32 sealedLastCp[q],
 *                   u32 sealedRunCount[q], u32 sealedRuns[r], u32 summaryMin[c], u32 summaryMax[c],
 *                   u32 mapsChangeAt[m], u32 mapsChangeTo[m]
 *   1-byte arrays:  u8 trigger[n], u8 summaryTriggers[c], zero padding to 4
 *   u32 crc32 of every byte before it
 *
 * Staleness: the snapshot names the log offset it covers and the offset, length and CRC of the
 * last record before it; the open checks that record is still there.
 */
import { closeSync, fstatSync, fsyncSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { lz4Decode, lz4Encode } from './lz4.js';
import { ByteReader, ByteWriter, utf8 } from './bytes.js';
import { checkHeader, createFile, encodeHeader, openFile, readAt, sameId } from './files.js';
import { HEADER_SIZE, INDEX_FILE, MAGIC_INDEX } from './format.js';
import { FILE_HEAD, matchesLog } from './index-segments.js';
import { OUTPUT_RECORD_OVERHEAD, outputsOf, RecordingIndex, type SealedRun } from './recording-index.js';
import { Pyramid, SUMMARY_BUCKET } from './summary.js';
import { VersionList } from './versions.js';
import { RecordingError } from './types.js';

/** Writes the snapshot of `ix` into dir; returns its size in bytes. */
export function writeSnapshot(dir: string, id: Uint8Array, ix: RecordingIndex): number {
  if (ix.sealed.some((r) => !r.block)) throw new Error('a snapshot lists sealed runs by their blocks: write those first');
  const n = ix.count - ix.tailFirst;
  const z = ix.zero;
  const o = ix.outputs;
  const pages = [...ix.versions.lists.entries()];
  const e = ix.versions.entries;
  const hist = [...ix.pages.entries()];
  const runs = hist.reduce((t, [, h]) => t + h.n, 0);
  const cells = ix.pyramid.cells();
  const c = cells.min.length;
  // The arrays first (their own buffer, 8-aligned like the file offset they land at), so the
  // JSON can say whether they are stored LZ4-compressed.
  const a = new ByteWriter(64 + ix.mapsChanges * 8 + n * 41 + z.n * 20 + o.n * 16 + pages.length * 12 + e * 12 + hist.length * 24 + runs * 4 + c * 17);
  const m = ix.mapsChanges;
  for (const v of [n, z.n, o.n, pages.length, e, hist.length, runs, c, m, 0]) a.u32(v);
  a.align(8);
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
  put(Float64Array.from(hist, ([p]) => p), hist.length, 8);
  put(Float64Array.from(hist, ([, h]) => h.lastVofs), hist.length, 8);
  put(cells.sum, c, 8);
  put(ix.dirtyPages, n, 4);
  put(ix.storedBytes, n, 4);
  put(ix.recordLength, n, 4);
  put(ix.mapsVersion, n, 4);
  put(z.cp, z.n, 4);
  put(o.tag, o.n, 4);
  put(o.length, o.n, 4);
  put(Uint32Array.from(pages, ([, l]) => l.n), pages.length, 4);
  for (const [, l] of pages) put(l.cps, l.n, 4);
  put(Uint32Array.from(hist, ([, h]) => h.lastCp), hist.length, 4);
  put(Uint32Array.from(hist, ([, h]) => h.n), hist.length, 4);
  for (const [, h] of hist) put(h.runs, h.n, 4);
  put(cells.min, c, 4);
  put(cells.max, c, 4);
  put(ix.mapsChangeAt, m, 4);
  put(ix.mapsChangeTo, m, 4);
  put(ix.trigger, n, 1);
  put(cells.triggers, c, 1);
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
  const sealed = ix.sealed.map((r) => [r.first, r.count, r.logFrom, r.last.offset, r.last.length, r.last.crc, r.block!.offset, r.block!.length]);
  const json = utf8.encode(
    JSON.stringify({
      meta: ix.meta,
      exit: ix.exit,
      programs: ix.programs,
      maps: ix.maps,
      warnings: ix.warnings,
      losses: ix.losses,
      counters: ix.counters,
      highWater: ix.highWater,
      logEnd: ix.logEnd,
      last: ix.last,
      segmentCheckpoints: ix.segmentCheckpoints,
      sealed,
      ...(lz4 ? { lz4 } : {}),
    }),
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
  const fd = createFile(tmp);
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
  losses?: RecordingIndex['losses'];
  counters: RecordingIndex['counters'];
  highWater: number;
  logEnd: number;
  last: RecordingIndex['last'];
  segmentCheckpoints: number;
  sealed: number[][];
  lz4?: [number, number];
}

/**
 * Snapshots whose arrays are at most this big are stored LZ4-compressed (about half the bytes).
 * Bigger ones (a recording of very many pages) stay plain, so an open maps their arrays as
 * views of the file with no decoding.
 */
const COMPRESS_LIMIT = 32 * 1024 * 1024;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The index as of the snapshot in dir, or a reason why there is none usable (missing, stale,
 * corrupt). `logFd`/`logSize` are the log it must describe.
 */
/** loadSnapshot's refusal when the log is shorter than a snapshot written after it: committed records were lost. */
export const LONGER_LOG = 'index snapshot describes a longer log';

export function loadSnapshot(dir: string, id: Uint8Array, logPath: string, logFd: number, logSize: number): RecordingIndex | string {
  const path = join(dir, INDEX_FILE);
  let fd: number;
  try {
    fd = openFile(path);
  } catch (e) {
    if (e instanceof RecordingError) throw e;
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
    if (!Array.isArray(j.counters.triggers) || j.counters.triggers.length !== 8 || !j.counters.triggers.every(isNum) || !isNum(j.counters.maxThreads)) return 'index snapshot lacks fields';
    // Stale? The last record it covers must still be in the log, where it was.
    if (j.logEnd > logSize) return LONGER_LOG;
    if (j.last.offset === 0) {
      if (j.logEnd !== HEADER_SIZE) return 'index snapshot is inconsistent';
    } else {
      if (j.last.offset + j.last.length !== j.logEnd) return 'index snapshot is inconsistent';
      if (!matchesLog(j.last, logFd, logSize)) return 'index snapshot is stale';
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
    if (!isNum(j.segmentCheckpoints) || j.segmentCheckpoints < 1 || !Array.isArray(j.sealed)) return 'index snapshot lacks fields';
    const per = j.segmentCheckpoints;
    const sealed: SealedRun[] = [];
    for (const [i, v] of j.sealed.entries()) {
      if (!Array.isArray(v) || v.length !== 8 || !v.every(isNum)) return 'index snapshot lacks fields';
      const [first, count, logFrom, lastOffset, lastLength, lastCrc, blockOffset, blockLength] = v as [number, number, number, number, number, number, number, number];
      if (first !== i * per || count !== per || logFrom < HEADER_SIZE || lastOffset < logFrom || lastOffset + lastLength > j.logEnd || blockOffset < FILE_HEAD || blockLength < 24) return 'index snapshot is inconsistent';
      sealed.push({ first, count, logFrom, last: { offset: lastOffset, length: lastLength, crc: lastCrc }, block: { first, offset: blockOffset, length: blockLength }, resident: null });
    }
    const [n, zn, on, pn, e, qn, rn, cn, mn] = [r.u32('tail'), r.u32('zero events'), r.u32('outputs'), r.u32('pages'), r.u32('versions'), r.u32('sealed pages'), r.u32('sealed runs'), r.u32('summary cells'), r.u32('maps changes')];
    r.u32('reserved');
    r.align(8);
    const view = <T>(make: new (b: ArrayBufferLike, off: number, len: number) => T, count: number, size: number): T => {
      r.need(count * size, 'array');
      const v = new make(buf.buffer, buf.byteOffset + r.pos, count);
      r.pos += count * size;
      return v;
    };
    const tailFirst = sealed.length * per;
    const count = tailFirst + n;
    const ix = new RecordingIndex(logPath, per);
    ix.timeNs = view(BigInt64Array, n, 8);
    ix.recordOffset = view(Float64Array, n, 8);
    ix.zero.first = view(Float64Array, zn, 8);
    ix.zero.end = view(Float64Array, zn, 8);
    const outOffset = view(Float64Array, on, 8);
    const pageNumbers = view(Float64Array, pn, 8);
    const vofs = view(Float64Array, e, 8);
    const histPage = view(Float64Array, qn, 8);
    const histVofs = view(Float64Array, qn, 8);
    const sum = view(Float64Array, cn, 8);
    ix.dirtyPages = view(Uint32Array, n, 4);
    ix.storedBytes = view(Uint32Array, n, 4);
    ix.recordLength = view(Uint32Array, n, 4);
    ix.mapsVersion = view(Uint32Array, n, 4);
    ix.zero.cp = view(Uint32Array, zn, 4);
    const outTag = view(Int32Array, on, 4);
    const outLength = view(Uint32Array, on, 4);
    const counts = view(Uint32Array, pn, 4);
    const cps = view(Uint32Array, e, 4);
    const histCp = view(Uint32Array, qn, 4);
    const histN = view(Uint32Array, qn, 4);
    const histRuns = view(Uint32Array, rn, 4);
    const min = view(Uint32Array, cn, 4);
    const max = view(Uint32Array, cn, 4);
    const mapsChangeAt = view(Uint32Array, mn, 4);
    const mapsChangeTo = view(Uint32Array, mn, 4);
    ix.trigger = view(Uint8Array, n, 1);
    const triggers = view(Uint8Array, cn, 1);
    r.align(4);
    if (j.lz4 === undefined) r.end(); // (a decoded buffer ends with its arrays)
    let at = 0;
    for (let i = 0; i < pn; i++) {
      const c = counts[i]!;
      if (at + c > e) return 'index snapshot version counts do not add up';
      for (let x = at; x < at + c; x++) if (cps[x]! < tailFirst || cps[x]! >= count || (x > at && cps[x]! <= cps[x - 1]!)) return 'index snapshot is inconsistent';
      ix.versions.lists.set(pageNumbers[i]!, new VersionList(cps.subarray(at, at + c), vofs.subarray(at, at + c), c));
      at += c;
    }
    if (at !== e) return 'index snapshot version counts do not add up';
    at = 0;
    for (let i = 0; i < qn; i++) {
      const c = histN[i]!;
      if (c === 0 || at + c > rn || histCp[i]! >= tailFirst) return 'index snapshot is inconsistent';
      for (let x = at; x < at + c; x++) if (histRuns[x]! >= sealed.length || (x > at && histRuns[x]! <= histRuns[x - 1]!)) return 'index snapshot is inconsistent';
      ix.pages.set(histPage[i]!, { runs: histRuns.subarray(at, at + c), n: c, lastCp: histCp[i]!, lastVofs: histVofs[i]! });
      at += c;
    }
    if (at !== rn || cn !== Math.ceil(count / SUMMARY_BUCKET)) return 'index snapshot is inconsistent';
    if ((count > 0) !== (mn > 0) || (mn > 0 && mapsChangeAt[0] !== 0)) return 'index snapshot is inconsistent';
    for (let i = 0; i < mn; i++) {
      if (mapsChangeTo[i]! >= j.maps.length || (i > 0 && (mapsChangeAt[i]! <= mapsChangeAt[i - 1]! || mapsChangeAt[i]! >= count))) return 'index snapshot is inconsistent';
    }
    ix.mapsChangeAt = mapsChangeAt;
    ix.mapsChangeTo = mapsChangeTo;
    ix.mapsChanges = mn;
    for (let k = 0; k < n; k++) {
      if (ix.mapsVersion[k]! >= j.maps.length || ix.recordOffset[k]! + ix.recordLength[k]! > j.logEnd) return 'index snapshot is inconsistent';
    }
    ix.versions.entries = e;
    ix.zero.n = zn;
    for (let i = 0; i < on; i++) if (outLength[i]! < OUTPUT_RECORD_OVERHEAD || (i > 0 && outTag[i]! < outTag[i - 1]!)) return 'index snapshot is inconsistent';
    ix.outputs = outputsOf(on, outTag, outOffset, outLength);
    ix.sealed = sealed;
    ix.tailFirst = tailFirst;
    ix.count = count;
    ix.pyramid = Pyramid.fromCells({ min, max, sum, triggers }, count);
    ix.meta = j.meta;
    ix.exit = j.exit;
    ix.programs = j.programs;
    ix.maps = j.maps;
    ix.warnings = j.warnings;
    if (j.losses !== undefined) {
      if (!Array.isArray(j.losses) || !j.losses.every((l) => isNum(l.offset) && isNum(l.bytes) && isNum(l.at) && l.at <= count && isNum(l.recordedFrom) && (l.checkpoints === null || isNum(l.checkpoints)) && typeof l.reason === 'string')) return 'index snapshot is inconsistent';
      ix.restoreLosses(j.losses);
    }
    ix.counters = j.counters;
    ix.highWater = j.highWater;
    ix.logEnd = j.logEnd;
    ix.last = j.last;
    return ix;
  } catch (err) {
    return `index snapshot unreadable: ${(err as Error).message}`;
  } finally {
    closeSync(fd);
  }
}
