/**
 * The in-memory index of a recording, built by applying log records in order. The writer
 * applies each record it appends and the reader each record it scans, through the same code,
 * so both always agree on what a recording holds. A snapshot (snapshot.ts) is this state
 * written out, so an open need not replay the whole log.
 *
 * Holds: the columnar checkpoint table (time, trigger, dirty pages, bytes added, where the
 * record is in the log, maps version), the per-page version lists, zero-range events, where
 * each maps version and output chunk is in the log, exec'd programs, exit, warnings, stats
 * counters and the summary pyramid. Whole records are read back from the log on demand
 * (checkpoint details, registers, maps text, output bytes) to keep this small.
 *
 * Every record applied has passed its CRC; anything in it that still makes no sense (an index
 * out of sequence, a second metadata record, a reference past the blobs written) is a
 * RecordingError, not a cut.
 */
import type { ExitInfo, RecordingMeta } from '../../shared/model/recording.js';
import { FORMAT_VERSION, HEADER_SIZE, PAGE_SHIFT_N, PAGE_MASK_N, PAGE_SIZE, RecordType } from './format.js';
import { ensure } from './growable.js';
import type { LogRecord } from './log.js';
import { type CheckpointRecord, decodeCheckpoint, decodeMeta, decodeTagged } from './records.js';
import { Pyramid } from './summary.js';
import { RecordingError } from './types.js';
import { PageVersions } from './versions.js';
import { ZeroRanges } from './zero-ranges.js';

export interface Located {
  readonly offset: number;
  readonly length: number;
}

export interface Warning {
  readonly checkpoint: number;
  readonly errno: number;
  readonly fatal: boolean;
  readonly message: string;
}

export interface Counters {
  pagesReceived: number;
  zeroPages: number;
  dedupHits: number;
  deltaBlobs: number;
  fullBlobs: number;
}

const EXIT_KINDS = ['exited', 'signaled', 'detached'] as const;

export class RecordingIndex {
  meta: RecordingMeta | null = null;
  exit: ExitInfo | null = null;
  count = 0;
  timeNs = new BigInt64Array(16);
  trigger = new Uint8Array(16);
  dirtyPages = new Uint32Array(16);
  storedBytes = new Uint32Array(16);
  recordOffset = new Float64Array(16);
  recordLength = new Uint32Array(16);
  mapsVersion = new Uint32Array(16);
  versions = new PageVersions();
  zero = new ZeroRanges();
  maps: Located[] = [];
  programs: Array<{ from: number; path: string }> = [];
  outputs = { n: 0, tag: new Int32Array(16), offset: new Float64Array(16), length: new Uint32Array(16) };
  warnings: Warning[] = [];
  counters: Counters = { pagesReceived: 0, zeroPages: 0, dedupHits: 0, deltaBlobs: 0, fullBlobs: 0 };
  private summaryPyramid: Pyramid | null = null;
  /** vofs past the last blob any committed checkpoint relies on. */
  highWater = HEADER_SIZE;
  /** Log offset just past the last applied record, and where that record is. */
  logEnd = HEADER_SIZE;
  last: Located & { crc: number } = { offset: 0, length: 0, crc: 0 };

  constructor(readonly logPath: string) {}

  /** The summary pyramid, caught up from the columns when asked (only readers ask: the timeline). */
  get pyramid(): Pyramid {
    if (!this.summaryPyramid) this.summaryPyramid = new Pyramid();
    const p = this.summaryPyramid;
    while (p.count < this.count) p.push(this.dirtyPages[p.count]!, this.trigger[p.count]!);
    return p;
  }

  /**
   * Applies one record. `holds(highWater)` says whether the blob segments hold everything up to
   * that vofs; when they do not, the record is not committed and the reason is returned.
   */
  apply(r: LogRecord, holds: (highWater: number) => boolean, decoded?: CheckpointRecord): string | undefined {
    if (r.type !== RecordType.Meta && !this.meta) this.bad(r, 'the recording metadata must come first');
    switch (r.type) {
      case RecordType.Meta:
        if (this.meta) this.bad(r, 'a second metadata record');
        this.meta = decodeMeta(r.body, this.logPath, FORMAT_VERSION);
        if (this.meta.pageSize !== PAGE_SIZE) this.bad(r, `unsupported page size ${this.meta.pageSize}`);
        break;
      case RecordType.Maps: {
        const { head } = decodeTagged(r.body, 1, this.logPath, r.offset, 'maps record');
        if (head[0] !== this.maps.length) this.bad(r, `maps version ${head[0]} where ${this.maps.length} was expected`);
        this.maps.push({ offset: r.offset, length: r.length });
        break;
      }
      case RecordType.Program: {
        const { head, rest } = decodeTagged(r.body, 1, this.logPath, r.offset, 'program record');
        if (head[0] !== this.count) this.bad(r, `program change for checkpoint ${head[0]} where ${this.count} was expected`);
        this.programs.push({ from: head[0]!, path: new TextDecoder().decode(rest) });
        break;
      }
      case RecordType.Checkpoint: {
        // The writer passes the record it just encoded (decoding it again cost as much as encoding).
        const c = decoded ?? decodeCheckpoint(r.body, this.logPath, r.offset);
        if (c.index !== this.count) this.bad(r, `checkpoint ${c.index} where ${this.count} was expected`);
        if (c.mapsVersion >= this.maps.length) this.bad(r, `checkpoint ${c.index} refers to unknown maps version ${c.mapsVersion}`);
        if (!holds(c.highWater)) return `the blobs of checkpoint ${c.index} (record at byte ${r.offset}) are not all on disk`;
        this.addCheckpoint(c.index, c.timeNs, c.trigger, c.dirtyPages, c.storedBytes, r, c.mapsVersion);
        for (const [s, e] of c.zeroRanges) {
          const first = (s + PAGE_MASK_N) >> PAGE_SHIFT_N;
          const end = e >> PAGE_SHIFT_N;
          if (end > first) this.zero.push(Number(first), Number(end), c.index);
        }
        for (let i = 0; i < c.pageNumbers.length; i++) this.versions.push(c.pageNumbers[i]!, c.index, c.pageVofs[i]!);
        const k = this.counters;
        k.pagesReceived += c.dirtyPages;
        k.zeroPages += c.zeroPages;
        k.dedupHits += c.dedupHits;
        k.deltaBlobs += c.deltaBlobs;
        k.fullBlobs += c.fullBlobs;
        if (c.highWater > this.highWater) this.highWater = c.highWater;
        break;
      }
      case RecordType.Output: {
        const { head } = decodeTagged(r.body, 1, this.logPath, r.offset, 'output record');
        const o = this.outputs;
        o.tag = ensure(o.tag, o.n + 1);
        o.offset = ensure(o.offset, o.n + 1);
        o.length = ensure(o.length, o.n + 1);
        o.tag[o.n] = head[0]! | 0;
        o.offset[o.n] = r.offset;
        o.length[o.n] = r.length;
        o.n++;
        break;
      }
      case RecordType.Warning: {
        const { head, rest } = decodeTagged(r.body, 3, this.logPath, r.offset, 'warning record');
        this.warnings.push({ checkpoint: head[0]! | 0, errno: head[1]!, fatal: head[2] !== 0, message: new TextDecoder().decode(rest) });
        break;
      }
      case RecordType.Exit: {
        const { head, rest } = decodeTagged(r.body, 2, this.logPath, r.offset, 'exit record');
        const kind = EXIT_KINDS[head[0]!];
        if (kind === undefined || rest.length) return this.bad(r, `malformed exit record`);
        const code = head[1]! | 0;
        this.exit = kind === 'exited' ? { kind, code } : kind === 'signaled' ? { kind, signal: code } : { kind };
        break;
      }
      default:
        this.bad(r, `unknown record type ${r.type}`);
    }
    this.logEnd = r.offset + r.length;
    this.last = { offset: r.offset, length: r.length, crc: r.crc };
    return undefined;
  }

  private bad(r: LogRecord, message: string): never {
    throw new RecordingError(`record at byte ${r.offset}: ${message}`, this.logPath);
  }

  private addCheckpoint(k: number, timeNs: bigint, trigger: number, dirty: number, stored: number, r: LogRecord, mapsVersion: number): void {
    this.timeNs = ensure(this.timeNs, k + 1);
    this.trigger = ensure(this.trigger, k + 1);
    this.dirtyPages = ensure(this.dirtyPages, k + 1);
    this.storedBytes = ensure(this.storedBytes, k + 1);
    this.recordOffset = ensure(this.recordOffset, k + 1);
    this.recordLength = ensure(this.recordLength, k + 1);
    this.mapsVersion = ensure(this.mapsVersion, k + 1);
    this.timeNs[k] = timeNs;
    this.trigger[k] = trigger;
    this.dirtyPages[k] = dirty;
    this.storedBytes[k] = stored;
    this.recordOffset[k] = r.offset;
    this.recordLength[k] = r.length;
    this.mapsVersion[k] = mapsVersion;
    this.count = k + 1;
  }

  /** The blob (vofs, 0 = zero) holding page `page` at checkpoint k. */
  blobAt(page: number, k: number): number {
    const l = this.versions.get(page);
    const i = l ? l.at(k) : -1;
    const since = i >= 0 ? l!.cps[i]! : -1;
    if (this.zero.latestCovering(page, since, k) >= 0) return 0;
    return i >= 0 ? l!.vofs[i]! : 0;
  }

  /**
   * Checkpoints where page `page` changed: its version entries, plus the zero-range events that
   * zeroed it while it held non-zero content (merged here, so huge ranges cost nothing stored).
   */
  versionsOf(page: number): Uint32Array {
    const l = this.versions.get(page);
    const zs = this.zero.covering(page);
    const n = l ? l.n : 0;
    if (zs.length === 0) return l ? l.cps.slice(0, n) : new Uint32Array(0);
    const out: number[] = [];
    let nonZero = false;
    let i = 0;
    let j = 0;
    while (i < n || j < zs.length) {
      if (i < n && (j >= zs.length || l!.cps[i]! <= zs[j]!)) {
        const cp = l!.cps[i]!;
        out.push(cp);
        nonZero = l!.vofs[i] !== 0;
        while (j < zs.length && zs[j] === cp) j++; // sent with that checkpoint: the page wins
        i++;
      } else {
        if (nonZero) out.push(zs[j]!);
        nonZero = false;
        j++;
      }
    }
    return Uint32Array.from(out);
  }
}
