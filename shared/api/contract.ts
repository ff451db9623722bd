/**
 * The one typed API contract between the renderer and the main process. Two faces speak it:
 * Electron IPC (main/electron/) and the WebSocket bridge (main/bridge/); main/api/service.ts
 * implements it; app/lib/client.ts is the typed proxy the renderer calls.
 *
 *   DeloreanApi     invoke methods: name -> (params) => Promise<result>
 *   DeloreanEvents  one-way events from main to renderer: name -> payload (named onX)
 *   paramSchemas    a runtime validator for every method's params: every argument that crosses
 *                   a boundary is parsed by it before the service sees it
 *
 * Everything is JSON: 64-bit values (addresses, register values, syscall arguments) travel as
 * "0x..." strings, times as decimal strings, byte blocks as hex. Checkpoints are 0-based
 * indices (numbers: 2^53 is far beyond any recording). A recording is named by the `rec` handle
 * openRecording returns (its resolved path). Pure: no Node, no DOM.
 */
import type { BackendName, TriggerName } from '../protocol/wire.js';
import type { ExitInfo } from '../model/recording.js';
import * as s from './schema.js';

// ---------------------------------------------------------------------------------------------
// Shapes

/** A 64-bit unsigned value as "0x" + hex digits. */
export type Hex64 = string;
/** The handle of an open recording (its resolved directory path). */
export type RecordingId = string;

export interface AppInfo {
  readonly version: string;
  readonly face: 'electron' | 'bridge';
  /** The bundled demo program, when built (`make -C native-recorder`). */
  readonly demo: { readonly program: string; readonly source: string } | null;
  /** `npm start` passes --demo: New recording opens with the demo filled in. */
  readonly preselectDemo: boolean;
  /** `delorean open REC` / `delorean serve REC`: the recording to show first. */
  readonly initialRecording: string | null;
  /** Where new recordings go unless the user says otherwise. */
  readonly recordingsDir: string;
  readonly cwd: string;
}

export interface RecentRecording {
  readonly path: string;
  readonly program: string;
  readonly checkpoints: number;
  readonly openedAt: string; // ISO time
}

export interface RecordingMetaJson {
  readonly formatVersion: number;
  readonly program: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly pid: number;
  readonly backend: BackendName;
  readonly attached: boolean;
  readonly pageSize: number;
  readonly startedAt: string;
}

export interface RecordingStatsJson {
  readonly rawBytes: number;
  readonly storedBytes: number;
  readonly pagesReceived: number;
  readonly zeroPages: number;
  readonly dedupHits: number;
  readonly deltaBlobs: number;
  readonly fullBlobs: number;
  /** 1 - storedBytes / rawBytes (0 when nothing was received; shared/api/format.ts words it). */
  readonly reduction: number;
}

export interface RecordingSummary {
  readonly rec: RecordingId;
  readonly path: string;
  readonly meta: RecordingMetaJson;
  readonly checkpointCount: number;
  readonly exit: ExitInfo | null;
  readonly stats: RecordingStatsJson;
  /** Nanoseconds (decimal) from checkpoint 0 to the last checkpoint. */
  readonly durationNs: string;
  /** What the recording lost to damage in its log, one sentence each (where, how many bytes, which checkpoints); empty when intact. */
  readonly damage: readonly string[];
  /** Why the program's file on disk is not the one recorded (its symbols are then not used), or null. */
  readonly programChanged: string | null;
}

/**
 * The timeline of checkpoints [from, to) cut into `buckets` equal buckets, aggregated from the
 * store's summary pyramid (O(buckets), whatever the number of checkpoints). Arrays have one
 * entry per bucket; a bucket past the last checkpoint has min = max = sum = 0 and triggers 0.
 */
export interface TimelineSlice {
  readonly from: number;
  readonly to: number;
  readonly buckets: number;
  readonly count: number; // checkpoints in the recording when sliced
  readonly minDirty: readonly number[];
  readonly maxDirty: readonly number[];
  readonly sumDirty: readonly number[];
  /** Checkpoints in each bucket (buckets wider than a pyramid cell have aligned edges, so they differ by up to one cell). */
  readonly checkpoints: readonly number[];
  /** Bit (1 << TriggerCode) set when a checkpoint of that trigger lies in the bucket. */
  readonly triggers: readonly number[];
}

export interface CheckpointJson {
  readonly index: number;
  readonly timeNs: string; // decimal, CLOCK_MONOTONIC
  readonly relativeNs: string; // decimal, since checkpoint 0
  readonly trigger: TriggerName;
  readonly tid: number;
  readonly detail: Hex64;
  readonly args: readonly Hex64[];
  /** "write(1, 0x..., 12)", "breakpoint main", "exit 0": the trigger in words. */
  readonly description: string;
  readonly dirtyPages: number;
  readonly threads: number;
  readonly mapsVersion: number;
  readonly program: string;
}

/**
 * `len` bytes at `addr`. `bytes` is hex (2 digits per byte; unreadable bytes read 00).
 * `readable` and `changed` are bitmasks in hex, one bit per byte, byte i at bit (i % 8) of
 * mask byte i / 8 (see shared/api/bytes.ts). `changed` compares with `comparedTo`: the
 * previous checkpoint, or the pinned one the caller asked for (null at checkpoint 0).
 */
export interface MemoryBlock {
  readonly addr: Hex64;
  readonly len: number;
  readonly bytes: string;
  readonly readable: string;
  readonly changed: string;
  readonly comparedTo: number | null;
}

export interface RegisterJson {
  readonly name: string;
  readonly value: Hex64;
  readonly changed: boolean;
}

export interface ThreadRegistersJson {
  readonly tid: number;
  /** The thread did not exist at the checkpoint compared with. */
  readonly isNew: boolean;
  readonly registers: readonly RegisterJson[];
}

export interface MapJson {
  readonly start: Hex64;
  readonly end: Hex64;
  readonly perms: string;
  readonly offset: Hex64;
  readonly dev: string;
  readonly inode: number;
  readonly path: string;
}

/** One frame of a thread's call stack (innermost first), as the unwinder found it. */
export interface StackFrameJson {
  /** Frame 0: where the thread is stopped; others: the return address into the frame. */
  readonly pc: Hex64;
  readonly function: string | null;
  readonly library: string | null;
  readonly file: string | null;
  readonly line: number | null;
  /** Its source file is readable here. */
  readonly hasSource: boolean;
}

/**
 * Where a thread is in the source, and its call stack (from DWARF call-frame information). By
 * default the innermost frame with readable source is shown: a thread stopped in a libc
 * system call wrapper shows its caller in the program, and `stoppedIn` says where it really
 * was ("write+0x10 in libc.so.6"). `frame` asks for a given frame instead.
 */
export interface SourceLocation {
  readonly tid: number;
  readonly frames: readonly StackFrameJson[];
  /** The index in `frames` shown below. */
  readonly frame: number;
  readonly stoppedIn: string | null;
  readonly pc: Hex64;
  readonly function: string | null;
  readonly file: string | null;
  readonly line: number | null;
  /** The text of `file` when it is readable here (null otherwise). */
  readonly text: string | null;
}

export interface TerminalSnapshot {
  /** Program output up to and including the checkpoint (the tail, when it is long: from the first whole line in it). */
  readonly text: string;
  readonly totalBytes: number;
  readonly truncated: boolean;
  /** Where text starts in the whole output, in bytes: ask with `end` = from for the part before it (scrolling back). */
  readonly from: number;
}

export interface SymbolJson {
  readonly name: string;
  readonly addr: Hex64;
  readonly size: number;
  readonly kind: 'function' | 'object' | 'other';
}

export interface ResolvedAddress {
  readonly expr: string;
  readonly addr: Hex64;
  /** The natural size of what the expression names (a symbol's size), when known. */
  readonly size: number | null;
  /** "counter+4": the nearest symbol, when one covers the address. */
  readonly symbol: string | null;
}

export interface BisectResult {
  readonly searchId: string;
  /** First checkpoint in [lo, hi] where the predicate holds, or null when it never does. */
  readonly checkpoint: number | null;
  readonly probes: number;
}

export interface FindResult {
  readonly searchId: string;
  /**
   * For a condition (comparison, logic): the checkpoints where it becomes true (false -> true,
   * or true at `from`). For a plain expression (`u32(&counter)`): every checkpoint where its
   * value changes, starting at `from`.
   */
  readonly matches: readonly number[];
  /**
   * Where evaluating failed (an unmapped read...), with the engine's reason: each checkpoint
   * from which it fails, up to the first 100. A failure is neither a match nor a value.
   */
  readonly failures: ReadonlyArray<{ readonly checkpoint: number; readonly error: string }>;
  readonly condition: boolean;
  readonly truncated: boolean;
  readonly evaluations: number;
}

export interface ChangeJson {
  readonly checkpoint: number;
  /** The bytes (hex) before and after the change; null where they were not mapped. */
  readonly old: string | null;
  readonly new: string | null;
}

export interface ChangesResult {
  readonly addr: Hex64;
  readonly len: number;
  readonly changes: readonly ChangeJson[];
  readonly truncated: boolean;
}

/** Bytes that differ, named by the symbol they fall in ("counter", "store+0x40") when one does. */
export interface DiffRangeJson {
  readonly addr: Hex64;
  readonly length: number;
  readonly symbol: string | null;
}

export interface DiffResult {
  readonly from: number;
  readonly to: number;
  /** Each differing page with its first ranges of differing bytes (rangeCount says how many there are). */
  readonly pages: ReadonlyArray<{ readonly addr: Hex64; readonly changedBytes: number; readonly ranges: readonly DiffRangeJson[]; readonly rangeCount: number }>;
  readonly totalPages: number;
  readonly truncated: boolean;
  /** Mappings present at `to` and not at `from`, and the other way round. */
  readonly maps: { readonly added: readonly MapJson[]; readonly removed: readonly MapJson[] };
}

export interface SessionStarted {
  readonly sessionId: string;
  readonly out: string;
}

export interface SessionSummaryJson {
  readonly out: string;
  readonly checkpoints: number;
  readonly exit: ExitInfo | null;
  readonly rawBytes: number;
  readonly storedBytes: number;
  /** 1 - storedBytes / rawBytes, as in RecordingStatsJson. */
  readonly reduction: number;
}

/**
 * A gdb terminal ("Open in gdb"): gdb on a pseudo-terminal in the main process, attached over
 * the remote protocol to a server on 127.0.0.1 that serves the recording from one checkpoint.
 * Its output arrives as onGdbData, keystrokes go back with gdbInput.
 */
export interface GdbStarted {
  readonly sessionId: string;
  /** The program gdb reads symbols from: the one recorded at the checkpoint (never run). */
  readonly program: string;
  /** Where the gdb server listens, as gdb's `target remote` takes it (a Unix socket's path). */
  readonly address: string;
}

// ---------------------------------------------------------------------------------------------
// Parameter schemas (runtime validators; the parameter types are inferred from them)

const rec = s.string({ min: 1, max: 4096, what: 'a recording handle from openRecording' });
const checkpoint = s.int(0, Number.MAX_SAFE_INTEGER);
const id = s.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/, example: 'search-1', what: 'an id of 1-64 letters, digits, _ or -' });
export const MAX_READ = 65536;
export const MAX_BUCKETS = 16384;
/** The output a terminal query returns by default (what an output panel shows) and at most. */
export const TERMINAL_TAIL = 16384;
export const MAX_TERMINAL = 1 << 20;

export const paramSchemas = {
  appInfo: s.object({}),
  listRecent: s.object({}),
  openRecording: s.object({ path: s.string({ min: 1, max: 4096 }) }),
  closeRecording: s.object({ rec }),
  timeline: s.object({ rec, from: checkpoint, to: checkpoint, buckets: s.int(1, MAX_BUCKETS) }),
  checkpoint: s.object({ rec, k: checkpoint }),
  readMemory: s.object({ rec, k: checkpoint, addr: s.hex64(), len: s.int(1, MAX_READ), compareTo: s.optional(checkpoint) }),
  registers: s.object({ rec, k: checkpoint, compareTo: s.optional(checkpoint) }),
  maps: s.object({ rec, k: checkpoint }),
  source: s.object({ rec, k: checkpoint, tid: s.optional(s.int(0, 2 ** 31)), frame: s.optional(s.int(0, 1024)) }),
  /** The output up to checkpoint k, the last maxBytes (default TERMINAL_TAIL) before byte `end` of it (default: all of it). */
  terminal: s.object({ rec, k: checkpoint, end: s.optional(s.int(0, Number.MAX_SAFE_INTEGER)), maxBytes: s.optional(s.int(1, MAX_TERMINAL)) }),
  complete: s.object({ rec, prefix: s.string({ max: 256 }), limit: s.optional(s.int(1, 1000)) }),
  resolve: s.object({ rec, k: checkpoint, expr: s.string({ min: 1, max: 1024 }) }),
  bisect: s.object({ rec, searchId: id, predicate: s.string({ min: 1, max: 4096 }), lo: s.optional(checkpoint), hi: s.optional(checkpoint) }),
  find: s.object({
    rec,
    searchId: id,
    predicate: s.string({ min: 1, max: 4096 }),
    from: s.optional(checkpoint),
    to: s.optional(checkpoint),
    limit: s.optional(s.int(1, 100_000)),
  }),
  cancelSearch: s.object({ searchId: id }),
  changes: s.object({ rec, addr: s.hex64(), len: s.int(1, 4096), from: s.optional(checkpoint), to: s.optional(checkpoint), limit: s.optional(s.int(1, 100_000)) }),
  diff: s.object({ rec, from: checkpoint, to: checkpoint, limit: s.optional(s.int(1, 100_000)) }),
  startRecording: s.object({
    program: s.string({ min: 1, max: 4096 }),
    args: s.array(s.string({ max: 65536 }), 4096),
    cwd: s.optional(s.string({ min: 1, max: 4096 })),
    env: s.optional(s.record(s.string({ max: 65536 }))),
    out: s.optional(s.string({ min: 1, max: 4096 })),
    syscalls: s.optional(s.union(s.literal('all'), s.array(s.string({ min: 1, max: 64 }), 512))),
    interval: s.optional(s.string({ min: 1, max: 32, pattern: /^\d+(\.\d+)?(ns|us|ms|s)?$/, example: '10ms', what: 'an interval such as "10ms"' })),
    breaks: s.optional(s.array(s.string({ min: 1, max: 256 }), 256)),
    backend: s.optional(s.literal('auto', 'uffd-wp', 'soft-dirty', 'hash')),
    maxCheckpoints: s.optional(s.int(1, 2 ** 32 - 1)),
    cols: s.int(2, 1000),
    rows: s.int(2, 1000),
  }),
  sessionInput: s.object({ sessionId: id, data: s.string({ max: 65536 }) }),
  sessionResize: s.object({ sessionId: id, cols: s.int(2, 1000), rows: s.int(2, 1000) }),
  sessionControl: s.object({ sessionId: id, action: s.literal('checkpoint', 'pause', 'resume', 'stop') }),
  gdbOpen: s.object({ rec, k: checkpoint, cols: s.optional(s.int(2, 1000)), rows: s.optional(s.int(2, 1000)) }),
  gdbInput: s.object({ sessionId: id, data: s.string({ max: 65536 }) }),
  gdbResize: s.object({ sessionId: id, cols: s.int(2, 1000), rows: s.int(2, 1000) }),
  gdbClose: s.object({ sessionId: id }),
} as const;

export type MethodName = keyof typeof paramSchemas;
export type ParamsOf<M extends MethodName> = s.Infer<(typeof paramSchemas)[M]>;
export const METHOD_NAMES = Object.keys(paramSchemas) as MethodName[];

export type StartRecordingParams = ParamsOf<'startRecording'>;

// ---------------------------------------------------------------------------------------------
// Results

interface Results {
  appInfo: AppInfo;
  listRecent: readonly RecentRecording[];
  openRecording: RecordingSummary;
  closeRecording: { readonly closed: boolean };
  timeline: TimelineSlice;
  checkpoint: CheckpointJson;
  readMemory: MemoryBlock;
  registers: readonly ThreadRegistersJson[];
  maps: readonly MapJson[];
  source: SourceLocation | null;
  terminal: TerminalSnapshot;
  complete: readonly SymbolJson[];
  resolve: ResolvedAddress;
  bisect: BisectResult;
  find: FindResult;
  cancelSearch: { readonly cancelled: boolean };
  changes: ChangesResult;
  diff: DiffResult;
  startRecording: SessionStarted;
  sessionInput: null;
  sessionResize: null;
  sessionControl: null;
  gdbOpen: GdbStarted;
  gdbInput: null;
  gdbResize: null;
  gdbClose: { readonly closed: boolean };
}
export type ResultOf<M extends MethodName> = Results[M];

/** The API as the renderer sees it: one promise-returning function per method. */
export type DeloreanApi = { [M in MethodName]: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

// ---------------------------------------------------------------------------------------------
// Events

export interface DeloreanEvents {
  onRecordingProgress: {
    readonly sessionId: string;
    readonly out: string;
    readonly checkpoints: number;
    readonly rate: number; // checkpoints per second, recent
    readonly rawBytes: number;
    readonly storedBytes: number;
    readonly paused: boolean;
  };
  onTerminalData: { readonly sessionId: string; readonly data: string };
  onRecordingEnded: {
    readonly sessionId: string;
    readonly out: string;
    readonly summary: SessionSummaryJson | null;
    readonly error: string | null;
  };
  onSearchProgress: {
    readonly searchId: string;
    /** 0..1 when the amount of work is known. */
    readonly fraction: number | null;
    readonly evaluations: number;
    readonly message: string;
  };
  /** Output of a gdb terminal (gdbOpen). */
  onGdbData: { readonly sessionId: string; readonly data: string };
  /** A gdb terminal's gdb has exited (quit, closed, or its recording was closed); its server is closed. */
  onGdbExit: { readonly sessionId: string; readonly exitCode: number; readonly signal: number | null };
  /** A gdb terminal's gdb moved to another checkpoint (continue, reverse-continue, monitor goto...). */
  onGdbCheckpoint: { readonly sessionId: string; readonly k: number };
}
export type EventName = keyof DeloreanEvents;
export type AnyEvent = { [E in EventName]: { event: E; payload: DeloreanEvents[E] } }[EventName];

// ---------------------------------------------------------------------------------------------
// Errors and the wire envelope shared by both faces

/** `damaged`: a file of the recording is cut, changed or missing; the message names it and what still reads. */
export type ApiErrorCode = 'invalid-params' | 'unknown-method' | 'not-found' | 'parse-error' | 'unmapped' | 'damaged' | 'cancelled' | 'failed';

/** An error as it crosses the boundary. `position` points into a predicate/expression when it is a parse error. */
export interface ApiErrorJson {
  readonly message: string;
  readonly code: ApiErrorCode;
  readonly position?: number;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: ApiErrorCode,
    readonly position?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toJSON(): ApiErrorJson {
    return this.position === undefined ? { message: this.message, code: this.code } : { message: this.message, code: this.code, position: this.position };
  }
  static fromJSON(e: ApiErrorJson): ApiError {
    return new ApiError(e.message, e.code, e.position);
  }
}

export type Outcome<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: ApiErrorJson };

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(paramSchemas, name);
}

/** Validates a call from outside: the method must exist and its params must match. Throws ApiError. */
export function validateCall(method: unknown, params: unknown): { method: MethodName; params: ParamsOf<MethodName> } {
  if (!isMethodName(method)) throw new ApiError(`unknown method ${JSON.stringify(method)}`, 'unknown-method');
  try {
    return { method, params: paramSchemas[method].parse(params, 'params') as ParamsOf<MethodName> };
  } catch (e) {
    if (e instanceof s.SchemaError) throw new ApiError(`${method}: ${e.message}`, 'invalid-params');
    throw e;
  }
}

/** Turns anything thrown into the JSON error both faces send. */
export function toErrorJson(e: unknown): ApiErrorJson {
  if (e instanceof ApiError) return e.toJSON();
  if (e instanceof Error) return { message: e.message, code: 'failed' };
  return { message: String(e), code: 'failed' };
}

// ---------------------------------------------------------------------------------------------
// What the Electron preload exposes as `window.delorean` (contextBridge): one function per
// method, answering an Outcome so error codes and positions survive the bridge; and events.

export type PreloadApi = { readonly [M in MethodName]: (params: ParamsOf<M>) => Promise<Outcome<ResultOf<M>>> };

export interface DeloreanPreload {
  readonly api: PreloadApi;
  /** Subscribes to every event; returns the unsubscribe function. */
  on(listener: (e: AnyEvent) => void): () => void;
}

/** The WebSocket bridge's reply to a request (main/bridge/server.ts). */
export type BridgeReply = { readonly id: number | null; readonly result: unknown } | { readonly id: number | null; readonly error: ApiErrorJson };
