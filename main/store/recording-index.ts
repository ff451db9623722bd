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
import { upperBound } from '../../shared/sorted.js';
import { FORMAT_VERSION, HEADER_SIZE, PAGE_SHIFT_N, PAGE_MASK_N, PAGE_SIZE, RecordType } from './format.js';
import { ensure, type Typed } from './growable.js';
import { type BlockRef, DEFAULT_SEGMENT_CHECKPOINTS, type LogRef, type PageEntries, ResidentRun, type RunColumns, type RunIndex } from './index-segments.js';
import { type LogRecord, scanLog } from './log.js';
import { type CheckpointRecord, decodeCheckpoint, decodeMeta, decodeTagged } from './records.js';
import { Pyramid } from './summary.js';
import { RecordingError } from './types.js';
import { PageVersions, VersionList } from './versions.js';
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

/** A sealed run of checkpoints: where its index is (a block of the segments file, or only in memory) and where its records are in the log. */
export interface SealedRun {
  readonly first: number;
  readonly count: number;
  /** The first record of the run's first checkpoint, and the run's last record: a rebuild rescans the log between them. */
  readonly logFrom: number;
  readonly last: LogRef;
  block: BlockRef | null;
  /** The sealed index itself while no block holds it (a reader ahead of the writer's block). */
  resident: ResidentRun | null;
}

/** A page's sealed history: the runs (indices in sealed) where it has versions, and its latest sealed version. */
export interface PageHistory {
  runs: Uint32Array;
  n: number;
  lastCp: number;
  lastVofs: number;
}

/** How sealed runs come back into memory: the reader reads them from the segments file or rebuilds them from the log. */
export interface SealedSource {
  load(run: SealedRun): RunIndex;
}

type Columns = RunColumns;

/** The sealed form of n checkpoints' columns (from index 0) and their versions: columns copied, versions grouped by page. */
function sealedRun(cols: Columns, versions: PageVersions, first: number, n: number, last: LogRef): ResidentRun {
  const lists = [...versions.lists.entries()].sort((a, b) => a[0] - b[0]);
  const e = versions.entries;
  const pageNumber = new Float64Array(lists.length);
  const pageStart = new Uint32Array(lists.length + 1);
  const cps = new Uint32Array(e);
  const vofs = new Float64Array(e);
  let at = 0;
  lists.forEach(([page, l], i) => {
    pageNumber[i] = page;
    pageStart[i] = at;
    cps.set(l.cps.subarray(0, l.n), at);
    vofs.set(l.vofs.subarray(0, l.n), at);
    at += l.n;
  });
  pageStart[lists.length] = at;
  // The tail's arrays have room to grow: cut to n (a rebuild's are exact already: kept as they are).
  const cut = <T extends Typed>(a: T): T => (a.length === n ? a : (a.slice(0, n) as T));
  const own: Columns = {
    timeNs: cut(cols.timeNs),
    recordOffset: cut(cols.recordOffset),
    dirtyPages: cut(cols.dirtyPages),
    storedBytes: cut(cols.storedBytes),
    recordLength: cut(cols.recordLength),
    mapsVersion: cut(cols.mapsVersion),
    trigger: cut(cols.trigger),
  };
  return new ResidentRun(first, n, last, own, pageNumber, pageStart, cps, vofs);
}

export class RecordingIndex {
  meta: RecordingMeta | null = null;
  exit: ExitInfo | null = null;
  count = 0;
  /** The tail: checkpoints [tailFirst, count), columns indexed from tailFirst, and their versions. */
  tailFirst = 0;
  timeNs = new BigInt64Array(16);
  trigger = new Uint8Array(16);
  dirtyPages = new Uint32Array(16);
  storedBytes = new Uint32Array(16);
  recordOffset = new Float64Array(16);
  recordLength = new Uint32Array(16);
  mapsVersion = new Uint32Array(16);
  versions = new PageVersions();
  /**
   * Where the maps version changes: from checkpoint mapsChangeAt[i] on it is mapsChangeTo[i]
   * (the first entry is checkpoint 0). Per change, not per checkpoint: a read finds the maps
   * of any checkpoint without reading a sealed run's columns.
   */
  mapsChangeAt = new Uint32Array(16);
  mapsChangeTo = new Uint32Array(16);
  mapsChanges = 0;
  /** Sealed runs, in order: run i holds checkpoints [i·segmentCheckpoints, (i+1)·segmentCheckpoints). */
  sealed: SealedRun[] = [];
  pages = new Map<number, PageHistory>();
  zero = new ZeroRanges();
  maps: Located[] = [];
  programs: Array<{ from: number; path: string }> = [];
  outputs = { n: 0, tag: new Int32Array(16), offset: new Float64Array(16), length: new Uint32Array(16) };
  warnings: Warning[] = [];
  counters: Counters = { pagesReceived: 0, zeroPages: 0, dedupHits: 0, deltaBlobs: 0, fullBlobs: 0 };
  pyramid = new Pyramid();
  /** vofs past the last blob any committed checkpoint relies on. */
  highWater = HEADER_SIZE;
  /** Log offset just past the last applied record, and where that record is. */
  logEnd = HEADER_SIZE;
  last: Located & { crc: number } = { offset: 0, length: 0, crc: 0 };
  /** Called with each run sealed (the writer writes it out; a reader looks for the writer's block). */
  onSeal: ((run: SealedRun) => void) | null = null;
  /** Sealed runs not resident are loaded through this (readers set it). */
  source: SealedSource | null = null;
  /** Recently used sealed runs read from blocks, oldest first, within a memory budget (each keeps what was read of it). */
  private readonly loaded = new Map<number, RunIndex>();
  private static readonly LOADED = 64;
  private static readonly LOADED_BYTES = 128 * 1024 * 1024;
  /** Sealed parts of recently asked version lists: page -> the list over its first `runs` runs. */
  private readonly sealedLists = new Map<number, { runs: number; list: VersionList; whole?: { tailN: number; list: VersionList } }>();
  private static readonly SEALED_LISTS = 64;
  /** versionsOf's answers for the last pages asked (read-only: shared by every cursor of a page). */
  private readonly mergedLists = new Map<number, { list: VersionList | undefined; n: number; z: number; out: Uint32Array }>();

  constructor(
    readonly logPath: string,
    readonly segmentCheckpoints = DEFAULT_SEGMENT_CHECKPOINTS,
  ) {}

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
    if (r.type === RecordType.Checkpoint && this.count - this.tailFirst >= this.segmentCheckpoints) this.seal(r);
    return undefined;
  }

  private bad(r: LogRecord, message: string): never {
    throw new RecordingError(`record at byte ${r.offset}: ${message}`, this.logPath);
  }

  private addCheckpoint(k: number, timeNs: bigint, trigger: number, dirty: number, stored: number, r: LogRecord, mapsVersion: number): void {
    const t = k - this.tailFirst;
    this.timeNs = ensure(this.timeNs, t + 1);
    this.trigger = ensure(this.trigger, t + 1);
    this.dirtyPages = ensure(this.dirtyPages, t + 1);
    this.storedBytes = ensure(this.storedBytes, t + 1);
    this.recordOffset = ensure(this.recordOffset, t + 1);
    this.recordLength = ensure(this.recordLength, t + 1);
    this.mapsVersion = ensure(this.mapsVersion, t + 1);
    this.timeNs[t] = timeNs;
    this.trigger[t] = trigger;
    this.dirtyPages[t] = dirty;
    this.storedBytes[t] = stored;
    this.recordOffset[t] = r.offset;
    this.recordLength[t] = r.length;
    this.mapsVersion[t] = mapsVersion;
    const m = this.mapsChanges;
    if (m === 0 || this.mapsChangeTo[m - 1] !== mapsVersion) {
      this.mapsChangeAt = ensure(this.mapsChangeAt, m + 1);
      this.mapsChangeTo = ensure(this.mapsChangeTo, m + 1);
      this.mapsChangeAt[m] = k;
      this.mapsChangeTo[m] = mapsVersion;
      this.mapsChanges = m + 1;
    }
    this.pyramid.push(dirty, trigger);
    this.count = k + 1;
  }

  /** The tail, whole: sealed into a run, and the tail starts over (memory back to a run's worth). */
  private seal(r: LogRecord): void {
    const n = this.count - this.tailFirst;
    const last = { offset: r.offset, length: r.length, crc: r.crc };
    const seg = sealedRun(this, this.versions, this.tailFirst, n, last);
    const index = this.sealed.length;
    const run: SealedRun = { first: this.tailFirst, count: n, logFrom: this.recordOffset[0]!, last, block: null, resident: seg };
    this.sealed.push(run);
    for (let i = 0; i < seg.pageNumber.length; i++) {
      const e = seg.pageStart[i + 1]! - 1;
      this.notePageRun(seg.pageNumber[i]!, index, seg.cps[e]!, seg.vofs[e]!);
    }
    this.tailFirst = this.count;
    this.versions = new PageVersions();
    this.timeNs = new BigInt64Array(16);
    this.trigger = new Uint8Array(16);
    this.dirtyPages = new Uint32Array(16);
    this.storedBytes = new Uint32Array(16);
    this.recordOffset = new Float64Array(16);
    this.recordLength = new Uint32Array(16);
    this.mapsVersion = new Uint32Array(16);
    this.onSeal?.(run);
  }

  /**
   * A sealed run rebuilt from its checkpoint records in the log (its block is missing or
   * damaged): the same bytes the writer sealed, as every record is CRC-checked again.
   */
  rebuildRun(run: SealedRun, logFd: number): ResidentRun {
    const cols: Columns = {
      timeNs: new BigInt64Array(run.count),
      trigger: new Uint8Array(run.count),
      dirtyPages: new Uint32Array(run.count),
      storedBytes: new Uint32Array(run.count),
      recordOffset: new Float64Array(run.count),
      recordLength: new Uint32Array(run.count),
      mapsVersion: new Uint32Array(run.count),
    };
    const versions = new PageVersions();
    let k = run.first;
    const end = run.last.offset + run.last.length;
    const result = scanLog(logFd, run.logFrom, end, (rec) => {
      if (rec.type !== RecordType.Checkpoint) return undefined;
      const c = decodeCheckpoint(rec.body, this.logPath, rec.offset);
      if (c.index !== k) this.bad(rec, `checkpoint ${c.index} where ${k} was expected`);
      const t = k - run.first;
      cols.timeNs[t] = c.timeNs;
      cols.trigger[t] = c.trigger;
      cols.dirtyPages[t] = c.dirtyPages;
      cols.storedBytes[t] = c.storedBytes;
      cols.recordOffset[t] = rec.offset;
      cols.recordLength[t] = rec.length;
      cols.mapsVersion[t] = c.mapsVersion;
      for (let i = 0; i < c.pageNumbers.length; i++) versions.push(c.pageNumbers[i]!, k, c.pageVofs[i]!);
      k++;
      return undefined;
    });
    if (result.stop || k !== run.first + run.count) {
      throw new RecordingError(`cannot rebuild the index of checkpoints ${run.first}..${run.first + run.count - 1} from the log: ${result.stop?.reason ?? `${k - run.first} of ${run.count} checkpoints found`}`, this.logPath);
    }
    return sealedRun(cols, versions, run.first, run.count, run.last);
  }

  /** Records that page has versions in sealed run `index`, the latest being (lastCp, lastVofs). */
  private notePageRun(page: number, index: number, lastCp: number, lastVofs: number): void {
    let h = this.pages.get(page);
    if (!h) {
      h = { runs: new Uint32Array(2), n: 0, lastCp, lastVofs };
      this.pages.set(page, h);
    }
    h.runs = ensure(h.runs, h.n + 1);
    h.runs[h.n++] = index;
    h.lastCp = lastCp;
    h.lastVofs = lastVofs;
  }

  /** Sealed run i, from memory, the cache, or its source. */
  run(i: number): RunIndex {
    const r = this.sealed[i]!;
    if (r.resident) return r.resident;
    let s = this.loaded.get(i);
    if (s) {
      if (this.loaded.size > 1) {
        this.loaded.delete(i);
        this.loaded.set(i, s);
      }
      return s;
    }
    if (!this.source) throw new RecordingError(`the index of checkpoints ${r.first}..${r.first + r.count - 1} is not in memory`, this.logPath);
    // Runs grow as they are read: the budget is checked when another one comes in.
    let bytes = 0;
    for (const x of this.loaded.values()) bytes += x.bytes;
    for (const [j, x] of this.loaded) {
      if (this.loaded.size < RecordingIndex.LOADED && bytes <= RecordingIndex.LOADED_BYTES) break;
      this.loaded.delete(j);
      bytes -= x.bytes;
    }
    s = this.source.load(r);
    this.loaded.set(i, s);
    return s;
  }

  /** Where checkpoint k's columns are (the tail's arrays or a sealed run's) and its position in them. */
  private at(k: number): [Columns, number] {
    if (k >= this.tailFirst) return [this, k - this.tailFirst];
    const s = this.run(Math.floor(k / this.segmentCheckpoints));
    return [s.columns(), k - s.first];
  }

  recordOffsetOf(k: number): number {
    const [c, i] = this.at(k);
    return c.recordOffset[i]!;
  }

  recordLengthOf(k: number): number {
    const [c, i] = this.at(k);
    return c.recordLength[i]!;
  }

  mapsVersionOf(k: number): number {
    return this.mapsChangeTo[upperBound(this.mapsChangeAt, k, this.mapsChanges) - 1]!;
  }

  /** Copies of the public columns of checkpoints [from, to) (not where records are: that stays in the store). */
  columns(from: number, to: number): Omit<Columns, 'recordOffset' | 'recordLength'> {
    const n = to - from;
    const out = { timeNs: new BigInt64Array(n), trigger: new Uint8Array(n), dirtyPages: new Uint32Array(n), storedBytes: new Uint32Array(n), mapsVersion: new Uint32Array(n) };
    for (let k = from; k < to; ) {
      const [c, i] = this.at(k);
      const m = Math.min(to, k >= this.tailFirst ? this.count : k - i + this.segmentCheckpoints) - k;
      const at = k - from;
      out.timeNs.set(c.timeNs.subarray(i, i + m), at);
      out.trigger.set(c.trigger.subarray(i, i + m), at);
      out.dirtyPages.set(c.dirtyPages.subarray(i, i + m), at);
      out.storedBytes.set(c.storedBytes.subarray(i, i + m), at);
      out.mapsVersion.set(c.mapsVersion.subarray(i, i + m), at);
      k += m;
    }
    return out;
  }

  /** The blob (vofs, 0 = zero) holding page `page` at checkpoint k. */
  blobAt(page: number, k: number): number {
    let since = -1;
    let vofs = 0;
    if (k >= this.tailFirst) {
      const l = this.versions.get(page);
      const i = l ? l.at(k) : -1;
      if (i >= 0) {
        since = l!.cps[i]!;
        vofs = l!.vofs[i]!;
      }
    }
    if (since < 0) {
      const h = this.pages.get(page);
      if (h && k >= h.lastCp) {
        since = h.lastCp; // the writer's case (k = the last checkpoint): never a load
        vofs = h.lastVofs;
      } else if (h) {
        // The last run at or before k's with versions of the page (in k's own run they may all come after k).
        for (let j = upperBound(h.runs, Math.floor(k / this.segmentCheckpoints), h.n) - 1; j >= 0 && since < 0; j--) {
          const e = this.run(h.runs[j]!).entries(page);
          const i = e ? upperBound(e.cps, k) - 1 : -1;
          if (i >= 0) {
            since = e!.cps[i]!;
            vofs = e!.vofs[i]!;
          }
        }
      }
    }
    if (this.zero.latestCovering(page, since, k) >= 0) return 0;
    return since >= 0 ? vofs : 0;
  }

  /**
   * The page's whole version list (sealed runs, then the tail), valid for the checkpoints
   * committed when asked: the tail's own list when the page has no sealed versions, else a
   * copy. The sealed part and the copy are cached for the last pages asked (a search follows
   * a few pages).
   */
  versionList(page: number): VersionList | undefined {
    const tail = this.versions.get(page);
    const h = this.pages.get(page);
    if (!h) return tail;
    let hit = this.sealedLists.get(page);
    if (!hit || hit.runs !== h.n) {
      const parts: PageEntries[] = [];
      let total = 0;
      for (let j = 0; j < h.n; j++) {
        const e = this.run(h.runs[j]!).entries(page);
        if (!e) throw new RecordingError(`the index of checkpoints from ${this.sealed[h.runs[j]!]!.first} lacks page 0x${page.toString(16)}`, this.logPath);
        parts.push(e);
        total += e.cps.length;
      }
      const list = new VersionList(new Uint32Array(total), new Float64Array(total), total);
      let at = 0;
      for (const e of parts) {
        list.cps.set(e.cps, at);
        list.vofs.set(e.vofs, at);
        at += e.cps.length;
      }
      hit = { runs: h.n, list };
      this.sealedLists.delete(page);
      this.sealedLists.set(page, hit);
      if (this.sealedLists.size > RecordingIndex.SEALED_LISTS) this.sealedLists.delete(this.sealedLists.keys().next().value!);
    }
    const sealed = hit.list;
    if (!tail) return sealed;
    // Kept with the sealed part while the tail does not grow: the cursors of one page (a search
    // whose address moves within it makes one per range) share it instead of a copy each.
    if (hit.whole?.tailN === tail.n) return hit.whole.list;
    const n = sealed.n + tail.n;
    const out = new VersionList(new Uint32Array(n), new Float64Array(n), n);
    out.cps.set(sealed.cps.subarray(0, sealed.n));
    out.cps.set(tail.cps.subarray(0, tail.n), sealed.n);
    out.vofs.set(sealed.vofs.subarray(0, sealed.n));
    out.vofs.set(tail.vofs.subarray(0, tail.n), sealed.n);
    hit.whole = { tailN: tail.n, list: out };
    return out;
  }

  /**
   * Checkpoints where page `page` changed: its version entries, plus the zero-range events that
   * zeroed it while it held non-zero content (merged here, so huge ranges cost nothing stored).
   */
  versionsOf(page: number): Uint32Array {
    const l = this.versionList(page);
    const n = l ? l.n : 0;
    const z = this.zero.n;
    const hit = this.mergedLists.get(page);
    if (hit && hit.list === l && hit.n === n && hit.z === z) return hit.out;
    const out = this.mergeZeroings(page, l, n);
    this.mergedLists.delete(page);
    this.mergedLists.set(page, { list: l, n, z, out });
    if (this.mergedLists.size > RecordingIndex.SEALED_LISTS) this.mergedLists.delete(this.mergedLists.keys().next().value!);
    return out;
  }

  private mergeZeroings(page: number, l: VersionList | undefined, n: number): Uint32Array {
    const zs = this.zero.covering(page);
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
