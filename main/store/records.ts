/**
 * Bodies of the log's records (types in format.ts). Little-endian; "rest" means the remaining
 * bytes of the body.
 *
 *   Meta       UTF-8 JSON {program, argv, cwd, pid, backend, attached, pageSize, startedAt}
 *   Maps       u32 version (0, 1, 2... in order), rest = text of /proc/PID/maps
 *   Program    u32 first checkpoint it applies to, rest = UTF-8 executable path
 *   Output     i32 checkpoint tag, rest = bytes. The tag is the checkpoint the bytes were printed
 *              before (written just ahead of that checkpoint's record, in the same write), or for
 *              output that came after the last checkpoint (or from appendOutput) the last committed
 *              one (-1 before the first). Tags never decrease.
 *   Warning    i32 checkpoint tag, u32 errno, u32 fatal, rest = UTF-8 message
 *   Exit       u32 kind (0 exited, 1 signaled, 2 detached), i32 code or signal
 *   Checkpoint (varints are LEB128; a blob ref is 0 for all-zero content, else highWater - vofs,
 *   so blobs written with the checkpoint take 1-3 bytes):
 *      u32 bytes this checkpoint added on disk (blobs and records; first, so it can be patched)
 *      varint index, varint maps version, i64 time ns, u8 trigger, varint tid,
 *      varint64 detail, varint64 args[6],
 *      varint dirty pages (pages received), zero pages, dedup hits, delta blobs, full blobs,
 *      varint blob high water (vofs past the last blob written for it: the open checks the
 *        segment holds it, so a record whose blobs were lost to a power cut is not committed)
 *      varint thread count, then per thread: varint tid, gp length, fp length, blob ref of gp||fp
 *      varint zero-range count, then per range: varint64 start, varint64 length (bytes; whole
 *        pages inside read as zero from this checkpoint on, unless sent with it)
 *      varint page count, then per page, ascending: varint page number (address / 4096) for the
 *        first, the difference to the previous one after, and varint blob ref
 *   Only pages whose content changed get an entry (so an entry always is a new version).
 */
import { ByteReader, ByteWriter, utf8 } from './bytes.js';
import type { FileIdentity, RecordingMeta } from '../../shared/model/recording.js';
import { BACKEND_NAMES, type BackendName, type TriggerCode, TRIGGER_NAMES } from '../../shared/protocol/wire.js';
import { RecordingError } from './types.js';

export interface ThreadRef {
  readonly tid: number;
  readonly gpLen: number;
  readonly fpLen: number;
  readonly vofs: number;
}

export interface CheckpointRecord {
  readonly index: number;
  readonly mapsVersion: number;
  readonly timeNs: bigint;
  readonly detail: bigint;
  readonly args: readonly bigint[];
  readonly tid: number;
  readonly trigger: TriggerCode;
  readonly dirtyPages: number;
  readonly storedBytes: number;
  readonly zeroPages: number;
  readonly dedupHits: number;
  readonly deltaBlobs: number;
  readonly fullBlobs: number;
  readonly highWater: number;
  readonly threads: readonly ThreadRef[];
  readonly zeroRanges: ReadonlyArray<readonly [bigint, bigint]>;
  readonly pageNumbers: Float64Array;
  readonly pageVofs: Float64Array;
}

export const STORED_BYTES_AT = 0;
export const MAX_REGS = 4096 + 65536;

export function encodeCheckpoint(c: CheckpointRecord): ByteWriter {
  const w = new ByteWriter(96 + c.threads.length * 16 + c.zeroRanges.length * 20 + c.pageNumbers.length * 8);
  const ref = (vofs: number): number => (vofs === 0 ? 0 : c.highWater - vofs);
  w.u32(c.storedBytes);
  w.varint(c.index);
  w.varint(c.mapsVersion);
  w.u64(c.timeNs);
  w.u8(c.trigger);
  w.varint(c.tid);
  w.bigVarint(c.detail);
  for (let i = 0; i < 6; i++) w.bigVarint(c.args[i] ?? 0n);
  for (const v of [c.dirtyPages, c.zeroPages, c.dedupHits, c.deltaBlobs, c.fullBlobs, c.highWater]) w.varint(v);
  w.varint(c.threads.length);
  for (const t of c.threads) {
    w.varint(t.tid);
    w.varint(t.gpLen);
    w.varint(t.fpLen);
    w.varint(ref(t.vofs));
  }
  w.varint(c.zeroRanges.length);
  for (const [s, e] of c.zeroRanges) {
    w.bigVarint(s);
    w.bigVarint(e > s ? e - s : 0n);
  }
  w.varint(c.pageNumbers.length);
  let prev = 0;
  for (let i = 0; i < c.pageNumbers.length; i++) {
    w.varint(c.pageNumbers[i]! - prev);
    prev = c.pageNumbers[i]!;
    w.varint(ref(c.pageVofs[i]!));
  }
  return w;
}

/** A blob ref: 0 (all zero) or the distance below the high water mark. */
function readRef(r: ByteReader, highWater: number, what: string): number {
  const d = r.varint(what);
  if (d >= highWater) r.fail(`${what} points before the first blob`);
  return d === 0 ? 0 : highWater - d;
}

/** A count of entries of at least 2 bytes each: more than fit is corrupt (and never allocated). */
function readCount(r: ByteReader, what: string): number {
  const n = r.varint(what);
  if (n * 2 > r.left) r.fail(`${what} ${n} does not fit in the record`);
  return n;
}

/** Decodes and validates a checkpoint body (`at` = its file offset, for errors). */
export function decodeCheckpoint(body: Uint8Array, file: string, at: number): CheckpointRecord {
  const r = new ByteReader(body, file, at, 'checkpoint record');
  const storedBytes = r.u32('stored bytes');
  const index = r.varint('index');
  const mapsVersion = r.varint('maps version');
  const timeNs = r.i64('time');
  const trigger = r.u8('trigger');
  if (trigger >= TRIGGER_NAMES.length) r.fail(`unknown trigger ${trigger}`);
  const tid = r.varint('tid');
  const detail = r.bigVarint('detail');
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(r.bigVarint('argument'));
  const dirtyPages = r.varint('dirty pages');
  const zeroPages = r.varint('zero pages');
  const dedupHits = r.varint('dedup hits');
  const deltaBlobs = r.varint('delta blobs');
  const fullBlobs = r.varint('full blobs');
  const highWater = r.varint('blob high water');
  const nThreads = readCount(r, 'thread count');
  const threads: ThreadRef[] = [];
  for (let i = 0; i < nThreads; i++) {
    const t = { tid: r.varint('thread id'), gpLen: r.varint('gp length'), fpLen: r.varint('fp length'), vofs: readRef(r, highWater, 'register blob') };
    if (t.gpLen + t.fpLen > MAX_REGS) r.fail(`implausible register sizes ${t.gpLen}/${t.fpLen}`);
    threads.push(t);
  }
  const nZero = readCount(r, 'zero-range count');
  const zeroRanges: Array<[bigint, bigint]> = [];
  for (let i = 0; i < nZero; i++) {
    const start = r.bigVarint('zero range start');
    const end = start + r.bigVarint('zero range length');
    if (end >= 1n << 64n) r.fail('zero range past the end of the address space');
    zeroRanges.push([start, end]);
  }
  const nPages = readCount(r, 'page count');
  const pageNumbers = new Float64Array(nPages);
  const pageVofs = new Float64Array(nPages);
  let page = 0;
  for (let i = 0; i < nPages; i++) {
    const d = r.varint('page number');
    if (i > 0 && d === 0) r.fail('page entries out of order');
    page += d;
    if (page >= 2 ** 52) r.fail('page number out of range');
    pageNumbers[i] = page;
    pageVofs[i] = readRef(r, highWater, 'page blob');
  }
  r.end();
  return {
    index, mapsVersion, timeNs, detail, args, tid, trigger: trigger as TriggerCode, dirtyPages, storedBytes,
    zeroPages, dedupHits, deltaBlobs, fullBlobs, highWater, threads, zeroRanges, pageNumbers, pageVofs,
  };
}

export type MetaBody = Omit<RecordingMeta, 'formatVersion'>;

export function encodeMeta(m: MetaBody): Uint8Array {
  return utf8.encode(JSON.stringify(m));
}

export function decodeMeta(body: Uint8Array, file: string, formatVersion: number): RecordingMeta {
  let v: unknown;
  try {
    v = JSON.parse(utf8.decode(body));
  } catch {
    throw new RecordingError('the recording metadata is not valid JSON', file);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof o[k] !== 'string') throw new RecordingError(`the recording metadata lacks "${k}"`, file);
    return o[k] as string;
  };
  const num = (k: string): number => {
    if (typeof o[k] !== 'number') throw new RecordingError(`the recording metadata lacks "${k}"`, file);
    return o[k] as number;
  };
  const argv = o.argv;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new RecordingError('the recording metadata lacks "argv"', file);
  const backend = str('backend');
  if (!(BACKEND_NAMES as readonly string[]).includes(backend)) throw new RecordingError(`unknown backend "${backend}" in the metadata`, file);
  if (typeof o.attached !== 'boolean') throw new RecordingError('the recording metadata lacks "attached"', file);
  return {
    formatVersion,
    program: str('program'),
    argv: argv as string[],
    cwd: str('cwd'),
    pid: num('pid'),
    backend: backend as BackendName,
    attached: o.attached,
    pageSize: num('pageSize'),
    startedAt: str('startedAt'),
    ...(isIdentity(o.programFile) ? { programFile: o.programFile } : {}),
  };
}

function isIdentity(v: unknown): v is FileIdentity {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && typeof o.size === 'number' && typeof o.mtimeMs === 'number' && typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256);
}

/** A u32/i32 head followed by free bytes: the shape of Maps, Program, Output, Warning and Exit. */
export function encodeTagged(head: readonly number[], rest: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new ByteWriter(head.length * 4 + rest.length);
  for (const h of head) w.u32(h);
  w.bytes(rest);
  return w.view().slice();
}

export function decodeTagged(body: Uint8Array, heads: number, file: string, at: number, what: string): { head: number[]; rest: Uint8Array } {
  const r = new ByteReader(body, file, at, what);
  const head: number[] = [];
  for (let i = 0; i < heads; i++) head.push(r.u32(what));
  return { head, rest: body.subarray(r.pos) };
}
