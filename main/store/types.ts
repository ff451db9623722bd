/**
 * The store's public surface: what the engine, CLI and app may rely on. The implementation
 * (writer, reader, codec, ingest worker) lives beside this file.
 */
import type { TriggerName } from '../../shared/protocol/wire.js';
import type { Loss } from './recording-index.js';
import type { CheckpointInfo, ExitInfo, MapEntry, RecordingMeta, RecordingStats, ThreadRegisters } from '../../shared/model/recording.js';

/** Thrown for anything wrong with a recording on disk: names the file and what is wrong. */
export class RecordingError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'RecordingError';
  }
}

/** Thrown for contents the recording lost to damage (its log holds no valid record of them): says what was lost and where. */
export class LostError extends RecordingError {
  constructor(message: string, path: string) {
    super(message, path);
    this.name = 'LostError';
  }
}

/** Thrown when a read touches memory that is not mapped (readably) at that checkpoint. */
export class UnmappedError extends Error {
  constructor(
    readonly address: bigint,
    readonly checkpoint: number,
  ) {
    super(`address 0x${address.toString(16)} is not mapped at checkpoint ${checkpoint}`);
    this.name = 'UnmappedError';
  }
}

/** Columnar checkpoint table of checkpoints [from, from + count): one entry each, read without touching pages. */
export interface CheckpointColumns {
  readonly from: number;
  readonly count: number;
  readonly timeNs: BigInt64Array;
  readonly trigger: Uint8Array; // TriggerCode
  readonly dirtyPages: Uint32Array;
  readonly storedBytes: Uint32Array; // bytes this checkpoint added to disk
  readonly mapsVersion: Uint32Array; // which distinct memory map (equal numbers: the same map)
}

/**
 * Min/max/sum of dirty pages and the set of triggers (bit 1 << TriggerCode) per power-of-two
 * bucket of checkpoints, for drawing millions of them: cell c covers [c·bucket, (c+1)·bucket),
 * the last one up to the checkpoint count.
 */
export interface SummaryLevel {
  readonly bucket: number; // checkpoints per cell (SUMMARY_BUCKET, twice that, ...)
  readonly min: Uint32Array;
  readonly max: Uint32Array;
  readonly sum: Float64Array;
  readonly triggers: Uint8Array;
}

/** What a recording holds, in figures the store keeps as it goes: any size costs the same. */
export interface RecordingOverview {
  /** Checkpoints per trigger name (only the triggers that occur). */
  readonly triggers: Readonly<Partial<Record<TriggerName, number>>>;
  /** The most threads any checkpoint had. */
  readonly maxThreads: number;
  /** Time from the first checkpoint to the last. */
  readonly durationNs: bigint;
}

export interface TerminalChunk {
  /** The first checkpoint these bytes belong to: printed before it was taken (or after the last one, tagged with it). */
  readonly checkpoint: number;
  readonly data: Uint8Array;
}

/** Follows bytes [off, off+len) of one page along the timeline (RecordingReader.rangeCursor). */
export interface RangeCursor {
  /**
   * The first checkpoint after k at which those bytes may differ from their value at k, or
   * null. Never skips a change; exact except for a page a zero range covered, where every
   * version of the page is returned. Cheapest when called with increasing k.
   */
  nextChangeAfter(k: number): number | null;
  /**
   * The bytes at the k of the last nextChangeAfter(k), which they keep up to the change it
   * returned (or to the end): a view valid until the next call; null on a page a zero range
   * covered (only change points are known there). Lets a search evaluate without a page rebuild.
   */
  bytesBefore(): Uint8Array | null;
  /** The bytes at the change the last nextChangeAfter returned; null if it returned null or on a zero-range page. A view valid until the next call. */
  bytesAtChange(): Uint8Array | null;
}

export interface RecordingReader {
  readonly path: string;
  readonly meta: RecordingMeta;
  /** Committed checkpoints (a live recording grows: call refresh()). */
  readonly checkpointCount: number;
  readonly exit: ExitInfo | null;
  readonly stats: RecordingStats;
  /**
   * Where the log lost committed checkpoints, when it did: a damaged record, or a log shorter
   * than the index snapshot written after it. Everything before still reads; checkpointCount
   * counts only that. (A torn tail of an interrupted append loses nothing committed: null.)
   */
  readonly lostCheckpoints?: { readonly offset: number; readonly reason: string } | null;
  /** Trigger counts, threads and duration, from counters (never a walk over checkpoints). */
  readonly overview: RecordingOverview;
  /**
   * Damage found in the log between valid records (empty for an intact recording): each says
   * where, how many bytes, and which checkpoints were lost. Checkpoints are numbered densely
   * over what was read; contents a loss made unknown throw LostError, never an older value.
   */
  readonly losses: readonly Loss[];
  /** What each loss means, in words (one line each). */
  lossReport(): string[];
  /** How the recorder numbered checkpoint k (k plus the checkpoints lost before it). */
  recordedIndex(k: number): number;
  /** The executable path at checkpoint k (changes at exec). */
  programAt(k: number): string;
  checkpoint(k: number): CheckpointInfo;
  /**
   * Copies of the columns of checkpoints [from, to): ask for the window you need (a long
   * recording's table is not all in memory).
   */
  columns(from: number, to: number): CheckpointColumns;
  /** The timeline's pyramid: level 0 has buckets of SUMMARY_BUCKET (summary.ts) checkpoints, each next level doubles them; finer detail from columns(). */
  summary(): readonly SummaryLevel[];
  mapsAt(k: number): readonly MapEntry[];
  /**
   * The checkpoints at which the maps version changes (ascending, 0 first): mapsAt can differ
   * from the checkpoint before only there. A view, valid until the next refresh().
   */
  mapsVersionChanges(): Uint32Array;
  registersAt(k: number): readonly ThreadRegisters[];
  /**
   * The 4096 bytes of the page at pageAddr as of checkpoint k (partial rollback: the latest
   * version at or before k; zero if the page was zeroed or never populated). Throws
   * UnmappedError if no readable mapping holds it at k.
   */
  pageAt(k: number, pageAddr: bigint): Uint8Array;
  /** Bytes [addr, addr+len) at checkpoint k, across pages. Throws UnmappedError. */
  readMemory(k: number, addr: bigint, len: number): Uint8Array;
  /**
   * Checkpoints at which the page at pageAddr got a new version (content captured or zeroed),
   * ascending. Exact search and change lists walk these instead of every checkpoint.
   */
  versionsOf(pageAddr: bigint): Uint32Array;
  /**
   * Whether the page at pageAddr holds the very same stored content at checkpoints k1 and k2
   * (then its bytes are equal; false promises nothing): a diff skips such pages unread.
   */
  sameContent(pageAddr: bigint, k1: number, k2: number): boolean;
  /** A cursor over bytes [off, off+len) of the page at pageAddr (inside the page): see RangeCursor. */
  rangeCursor(pageAddr: bigint, off: number, len: number): RangeCursor;
  /**
   * Terminal output chunks up to and including checkpoint k (all if k omitted): their
   * concatenation is what the program had printed when checkpoint k was taken. For the last
   * checkpoint it also holds what came after it (the program's last words before exiting).
   */
  terminalOutput(k?: number): readonly TerminalChunk[];
  /**
   * The last maxBytes (at most) of what the program had printed when checkpoint k was taken
   * (terminalOutput(k) concatenated), and how many bytes that is in all: found through the
   * index and read only for the bytes returned, so it costs the same at any point of a long
   * recording.
   */
  terminalTail(k: number, maxBytes: number): { data: Uint8Array; totalBytes: number };
  /**
   * Bytes [from, to) of everything the program printed (terminalOutput() concatenated), found
   * through the index: a terminal view scrolls back by byte range at the same cost anywhere.
   */
  terminalBytes(from: number, to: number): Uint8Array;
  /** Picks up checkpoints committed since open (for a recording still being written). */
  refresh(): void;
  close(): void;
}
