/**
 * Bodies of the log's records (types in format.ts). Little-endian; "rest" means the remaining
 * bytes of the body.
 *
 *   Meta       UTF-8 JSON {program, argv, cwd, pid, backend, attached, pageSize, startedAt}
 *   Maps       u32 version (0, 1, 2... in order), rest = text of /proc/PID/maps
 *   Program    u32 first checkpoint it applies to, rest = UTF-8 executable path
 *   Output     i32 checkpoint tag (last committed checkpoint, -1 before the first), rest = bytes
 *   Warning    i32 checkpoint tag, u32 errno, u32 fatal, rest = UTF-8 message
 *   Exit       u32 kind (0 exited, 1 signaled, 2 detached), i32 code or signal
 *   Checkpoint (128-byte fixed part, then three arrays):
 *      0 u32 index            4 u32 maps version      8 u64 time ns        16 u64 detail
 *     24 u64 args[6]         72 u32 tid             76 u8 trigger, 3 bytes 0
 *     80 u32 dirty pages (pages received)           84 u32 bytes this checkpoint added on disk
 *     88 u32 zero pages      92 u32 dedup hits      96 u32 delta blobs   100 u32 full blobs
 *    104 u64 blob high water (vofs past the last blob written for it; the open checks the
 *        segment holds it, so a record whose blobs were lost to a power cut is not committed)
 *    112 u32 thread count   116 u32 zero-range count 120 u32 page-entry count 124 u32 0
 *    128 threads[]: u32 tid, u32 gp length, u32 fp length, u32 0, u64 vofs of gp||fp (0: all zero)
 *        zero ranges[]: u64 start, u64 end (bytes; whole pages inside read as zero from here on)
 *        pages[]: u64 page number (address / 4096), u64 vofs (0: all zero), ascending page number
 *   Only pages whose content changed get an entry (so an entry always is a new version).
 */
import { ByteReader, ByteWriter, utf8 } from './bytes.js';
import type { RecordingMeta } from '../../shared/model/recording.js';
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

export const CHECKPOINT_FIXED = 128;
export const STORED_BYTES_AT = 84;
export const MAX_REGS = 4096 + 65536;

export function encodeCheckpoint(c: CheckpointRecord): ByteWriter {
  const w = new ByteWriter(CHECKPOINT_FIXED + c.threads.length * 24 + c.zeroRanges.length * 16 + c.pageNumbers.length * 16);
  w.u32(c.index);
  w.u32(c.mapsVersion);
  w.u64(c.timeNs);
  w.u64(c.detail);
  for (let i = 0; i < 6; i++) w.u64(c.args[i] ?? 0n);
  w.u32(c.tid);
  w.u32(c.trigger);
  w.u32(c.dirtyPages);
  w.u32(c.storedBytes);
  w.u32(c.zeroPages);
  w.u32(c.dedupHits);
  w.u32(c.deltaBlobs);
  w.u32(c.fullBlobs);
  w.num64(c.highWater);
  w.u32(c.threads.length);
  w.u32(c.zeroRanges.length);
  w.u32(c.pageNumbers.length);
  w.u32(0);
  for (const t of c.threads) {
    w.u32(t.tid);
    w.u32(t.gpLen);
    w.u32(t.fpLen);
    w.u32(0);
    w.num64(t.vofs);
  }
  for (const [s, e] of c.zeroRanges) {
    w.u64(s);
    w.u64(e);
  }
  for (let i = 0; i < c.pageNumbers.length; i++) {
    w.num64(c.pageNumbers[i]!);
    w.num64(c.pageVofs[i]!);
  }
  return w;
}

/** Decodes and validates a checkpoint body (`at` = its file offset, for errors). */
export function decodeCheckpoint(body: Uint8Array, file: string, at: number): CheckpointRecord {
  const r = new ByteReader(body, file, at, 'checkpoint record');
  const index = r.u32('index');
  const mapsVersion = r.u32('maps version');
  const timeNs = r.i64('time');
  const detail = r.u64('detail');
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(r.u64('argument'));
  const tid = r.u32('tid');
  const trigger = r.u32('trigger');
  if (trigger >= TRIGGER_NAMES.length) r.fail(`unknown trigger ${trigger}`);
  const dirtyPages = r.u32('dirty pages');
  const storedBytes = r.u32('stored bytes');
  const zeroPages = r.u32('zero pages');
  const dedupHits = r.u32('dedup hits');
  const deltaBlobs = r.u32('delta blobs');
  const fullBlobs = r.u32('full blobs');
  const highWater = r.num64('blob high water');
  const nThreads = r.u32('thread count');
  const nZero = r.u32('zero-range count');
  const nPages = r.u32('page count');
  r.u32('reserved');
  if (CHECKPOINT_FIXED + nThreads * 24 + nZero * 16 + nPages * 16 !== body.length) {
    r.fail(`${nThreads} threads, ${nZero} zero ranges and ${nPages} pages do not fill ${body.length} bytes`);
  }
  const threads: ThreadRef[] = [];
  for (let i = 0; i < nThreads; i++) {
    const t = { tid: r.u32('thread id'), gpLen: r.u32('gp length'), fpLen: r.u32('fp length'), pad: r.u32('reserved'), vofs: r.num64('register blob') };
    if (t.gpLen + t.fpLen > MAX_REGS) r.fail(`implausible register sizes ${t.gpLen}/${t.fpLen}`);
    if (t.vofs >= highWater) r.fail(`register blob 0x${t.vofs.toString(16)} lies past the blobs written`);
    threads.push({ tid: t.tid, gpLen: t.gpLen, fpLen: t.fpLen, vofs: t.vofs });
  }
  const zeroRanges: Array<[bigint, bigint]> = [];
  for (let i = 0; i < nZero; i++) zeroRanges.push([r.u64('zero range start'), r.u64('zero range end')]);
  const pageNumbers = new Float64Array(nPages);
  const pageVofs = new Float64Array(nPages);
  let prev = -1;
  for (let i = 0; i < nPages; i++) {
    const pn = r.num64('page number');
    const v = r.num64('page blob');
    if (pn <= prev || pn >= 2 ** 52) r.fail(`page entries out of order or out of range`);
    if (v >= highWater) r.fail(`page blob 0x${v.toString(16)} lies past the blobs written`);
    pageNumbers[i] = prev = pn;
    pageVofs[i] = v;
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
  };
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
