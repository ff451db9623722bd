/**
 * openRecording: a RecordingReader over a recording directory (format.ts), finished, still
 * being written by another process or thread, or left behind by a writer killed at any moment.
 *
 * Open: check the log header, load the index snapshot if it describes this log (snapshot.ts),
 * then replay the log records after it (log.ts, recording-index.ts). The scan stops at the first
 * record that is not whole, fails its CRC, or whose blobs are not all in the segments: that and
 * everything after it is not committed. refresh() continues from there, so a live recording
 * grows as its writer commits.
 *
 * A read-only open never modifies anything. A writable open of a recording without a live
 * writer (writer.pid missing, or naming a dead process) repairs what a crash left: it cuts a
 * torn log tail and unreferenced blob bytes, and writes a fresh snapshot when the log had to be
 * replayed. Damage in the middle of the log is never cut (forensics), only read up to. With a
 * snapshot, damage in the log before the snapshot's end surfaces as a RecordingError when the
 * damaged record is read back (records are CRC-checked on every read), not at open.
 *
 * Reads: page contents come from the blob store (blobs.ts: CRC-checked, LZ4 delta chains, LRU
 * of decoded blobs); checkpoint details, registers, maps texts and terminal output are read back
 * from their log records on demand (CRC-checked again) and cached in small amounts.
 */
import { closeSync, fstatSync, ftruncateSync, lstatSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { CheckpointInfo, ExitInfo, MapEntry, RecordingMeta, RecordingStats, ThreadRegisters } from '../../shared/model/recording.js';
import { parseMaps } from '../../shared/model/recording.js';
import { TRIGGER_NAMES, type TriggerName } from '../../shared/protocol/wire.js';
import { BlobStore } from './blobs.js';
import { checkHeader, openFile, readAt } from './files.js';
import { HEADER_SIZE, LOCK_FILE, LOG_FILE, MAGIC_LOG, PAGE_SHIFT_N, PAGE_MASK_N, PAGE_SIZE, SEGMENT_RE, SEGMENT_SPAN, segmentFile } from './format.js';
import { checkRecord, type LogStop, scanLog } from './log.js';
import { Lru } from './lru.js';
import { describeLoss, type Loss, OUTPUT_RECORD_OVERHEAD, RecordingIndex, type Warning } from './recording-index.js';
import { type CheckpointRecord, decodeCheckpoint, decodeTagged } from './records.js';
import { type BlockRef, DEFAULT_SEGMENT_CHECKPOINTS, FILE_HEAD, type LogRef, type PageEntries, type ResidentRun, type RunColumns, type RunIndex, SegmentFile, type StoredRun } from './index-segments.js';
import type { SealedRun } from './recording-index.js';
import { LONGER_LOG, loadSnapshot, writeSnapshot } from './snapshot.js';
import { PageRangeCursor } from './range-cursor.js';
import { type CheckpointColumns, type RangeCursor, RecordingError, type RecordingOverview, type RecordingReader, type SummaryLevel, type TerminalChunk, UnmappedError } from './types.js';
import { upperBound } from '../../shared/sorted.js';

const ADDRESS_LIMIT = 1n << 64n;
/** Most log bytes one read of output records takes (they lie among checkpoint records). */
const OUTPUT_WINDOW = 1 << 20;

export interface OpenOptions {
  /** Never modify the recording (default false: a writable open repairs a crashed recording). */
  readOnly?: boolean;
}

/** Maps of one version, sorted by start, with page-number bounds for a quick readable test. */
interface MapsTable {
  readonly entries: readonly MapEntry[];
  readonly first: Float64Array;
  readonly end: Float64Array;
  readonly readable: Uint8Array;
}

/** True when writer.pid names a live process (this one included: an ingest worker thread). */
function writerIsLive(dir: string): boolean {
  let pid: number;
  let fd: number;
  try {
    fd = openFile(join(dir, LOCK_FILE));
  } catch (e) {
    if (e instanceof RecordingError) throw e;
    return false;
  }
  try {
    pid = Number.parseInt(new TextDecoder().decode(readAt(fd, 0, 32)), 10);
  } finally {
    closeSync(fd);
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openRecording(dir: string, opts: OpenOptions = {}): Promise<RecordingReader> {
  return Reader.open(dir, opts.readOnly ?? false);
}

export class Reader implements RecordingReader {
  private index!: RecordingIndex;
  private readonly blobs: BlobStore;
  private readonly segmentSizes = new Map<number, number>();
  private readonly records = new Lru<number, CheckpointRecord>(64);
  private readonly mapsTables = new Lru<number, MapsTable>(64);
  /** Decoded output chunks, recent ones only (a chatty program's output would not fit). */
  private readonly outputData = new Lru<number, Uint8Array>(64);
  /** The sealed index runs on disk (null: none usable, runs are rebuilt from the log), and the blocks seen in it by first checkpoint. */
  private segments: SegmentFile | null = null;
  private readonly blocks = new Map<number, BlockRef & { count: number; last: LogRef }>();
  private blocksScanned = FILE_HEAD;
  private storedBytes = 0;
  private closed = false;
  /** Why the log scan stopped before the end of the file (a torn or damaged tail), if it did. */
  tailDamage: LogStop | null = null;
  /** The log is shorter than the index snapshot written after its records: committed checkpoints were cut off. */
  private logCut = false;
  /** Whether the open started from the index snapshot (false: the whole log was replayed). */
  snapshotUsed = false;
  /** Sealed index runs rebuilt from the log because their block was missing or damaged. */
  rebuiltRuns = 0;
  /** First checkpoints of the runs whose block failed its check: rebuilt from the log from then on. */
  private readonly damagedRuns = new Set<number>();

  private constructor(
    readonly path: string,
    private readonly logPath: string,
    private readonly logFd: number,
    private readonly id: Uint8Array,
  ) {
    this.blobs = BlobStore.forReading(path, id);
  }

  static open(dir: string, readOnly: boolean): Reader {
    try {
      if (!statSync(dir).isDirectory()) throw new RecordingError('not a recording (not a directory)', dir);
    } catch (e) {
      if (e instanceof RecordingError) throw e;
      throw new RecordingError(`cannot open recording: ${(e as Error).message}`, dir);
    }
    const logPath = join(dir, LOG_FILE);
    let logFd: number;
    try {
      logFd = openFile(logPath, !readOnly);
    } catch (e) {
      if (e instanceof RecordingError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new RecordingError(code === 'ENOENT' ? 'not a DeLorean recording (no log file)' : `cannot open the log: ${(e as Error).message}`, code === 'ENOENT' ? dir : logPath);
    }
    let r: Reader | null = null;
    try {
      const id = checkHeader(readAt(logFd, 0, HEADER_SIZE), MAGIC_LOG, logPath, 'recording log');
      r = new Reader(dir, logPath, logFd, id);
      const live = writerIsLive(dir);
      const size = fstatSync(logFd).size;
      const segments = SegmentFile.open(dir, id, !readOnly && !live);
      r.segments = typeof segments === 'string' ? null : segments;
      let snap = loadSnapshot(dir, id, logPath, logFd, size);
      if (typeof snap !== 'string' && r.segments && snap.segmentCheckpoints !== r.segments.segmentCheckpoints) snap = 'index snapshot and index segments disagree on the run length';
      r.index = typeof snap === 'string' ? new RecordingIndex(logPath, r.segments?.segmentCheckpoints ?? DEFAULT_SEGMENT_CHECKPOINTS) : snap;
      r.index.source = { load: (run) => r!.loadRun(run) };
      r.index.onSeal = (run) => r!.adopt(run);
      r.snapshotUsed = typeof snap !== 'string';
      r.logCut = snap === LONGER_LOG;
      const from = r.index.logEnd;
      r.scan(size);
      if (!readOnly && !live) r.repair(typeof snap === 'string' || r.index.logEnd !== from);
      if (!r.index.meta) throw new RecordingError('the recording holds no metadata yet (the recorder never said hello)', logPath);
      r.measure();
      return r;
    } catch (e) {
      if (r) r.close();
      else closeSync(logFd);
      throw e;
    }
  }

  /** Applies the log records after the index's end, up to `size`. */
  private scan(size: number): void {
    const result = scanLog(
      this.logFd,
      this.index.logEnd,
      size,
      (rec) => this.index.apply(rec, (hw) => this.segmentHolds(hw)),
      (damage) => this.index.noteDamage(damage),
    );
    this.tailDamage = result.stop;
  }

  private segmentHolds(highWater: number): boolean {
    const seg = Math.floor(highWater / SEGMENT_SPAN);
    const end = highWater % SEGMENT_SPAN;
    let size = this.segmentSizes.get(seg);
    if (size === undefined || size < end) {
      const file = join(this.path, segmentFile(seg));
      try {
        const st = lstatSync(file);
        if (!st.isFile()) closeSync(openFile(file)); // throws the error naming what it is instead
        size = st.size;
      } catch (e) {
        if (e instanceof RecordingError) throw e;
        size = 0;
      }
      this.segmentSizes.set(seg, size);
    }
    return size >= end;
  }

  /**
   * A sealed run not in memory: read from its block (sections checked as they are read), or,
   * when the block is missing, damaged or not this log's, rebuilt from the log. Either way the
   * index caches it within its budget: a recording whose index blocks are all lost costs
   * rebuilds, not memory.
   */
  private loadRun(run: SealedRun): RunIndex {
    if (run.block && this.segments) {
      try {
        const s = this.segments.read(run.block);
        if (s.count === run.count && sameRef(s.last, run.last)) return new RunOrRebuild(s, () => this.rebuild(run));
      } catch (e) {
        if (!(e instanceof RecordingError)) throw e;
      }
    }
    return this.rebuild(run);
  }

  /** Run `run` rebuilt from the log; its block, if damaged, is not read again (a writable open writes one where none is). */
  private rebuild(run: SealedRun): ResidentRun {
    this.rebuiltRuns++;
    if (run.block) this.damagedRuns.add(run.first);
    run.block = null;
    return this.index.rebuildRun(run, this.logFd);
  }

  /** Sealed index runs held in memory for want of a block on disk (a reader ahead of its writer, or of a crashed one). */
  get residentRuns(): number {
    return this.index.sealed.filter((r) => r.resident).length;
  }

  /** A run this reader sealed: dropped from memory once the writer's block for it is on disk. */
  private adopt(run: SealedRun): void {
    let b = this.blocks.get(run.first);
    if (!b && this.segments) {
      this.segments.refresh();
      for (const found of this.segments.scan(this.blocksScanned)) {
        this.blocks.set(found.first, found);
        this.blocksScanned = found.offset + found.length;
      }
      b = this.blocks.get(run.first);
    }
    if (b && b.count === run.count && sameRef(b.last, run.last)) {
      run.block = { first: b.first, offset: b.offset, length: b.length };
      run.resident = null;
    }
  }

  /** Crash repair for a writable open with no live writer. */
  private repair(replayed: boolean): void {
    const stop = this.tailDamage;
    if (stop && !stop.torn) return; // damage in the middle: read up to it, change nothing
    if (stop) {
      ftruncateSync(this.logFd, stop.offset);
      this.tailDamage = null;
    }
    // Blob bytes past the last committed checkpoint's high water belong to nothing.
    const hw = this.index.highWater;
    const last = Math.floor(hw / SEGMENT_SPAN);
    for (const name of readdirSync(this.path)) {
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const seg = Number(m[1]);
      const file = join(this.path, name);
      if (seg > last) unlinkSync(file);
      else if (seg === last && statSync(file).size > hw % SEGMENT_SPAN) {
        const fd = openFile(file, true);
        try {
          ftruncateSync(fd, hw % SEGMENT_SPAN);
        } finally {
          closeSync(fd);
        }
      }
    }
    this.segmentSizes.clear();
    const appended = this.repairSegments();
    if (replayed || stop || appended) writeSnapshot(this.path, this.id, this.index);
  }

  /**
   * The index segments after a crash: blocks past the last one a sealed run uses are cut (runs
   * the log no longer has, a torn block), and runs with no block get one. Returns whether any
   * block was written.
   */
  private repairSegments(): boolean {
    const runs = this.index.sealed;
    if (!this.segments) {
      this.segments = SegmentFile.create(this.path, this.id, this.index.segmentCheckpoints, true);
      for (const run of runs) run.block = null;
    }
    let end = FILE_HEAD;
    for (const run of runs) if (run.block) end = Math.max(end, run.block.offset + run.block.length);
    if (this.segments.size > end) this.segments.truncate(end);
    let appended = false;
    runs.forEach((run) => {
      if (run.block) return;
      run.block = this.segments!.append(run.resident ?? this.rebuild(run));
      run.resident = null;
      appended = true;
    });
    if (appended) this.segments.sync();
    return appended;
  }

  /** Every byte on disk, all files. */
  private measure(): void {
    let total = 0;
    for (const name of readdirSync(this.path)) {
      try {
        const st = lstatSync(join(this.path, name));
        if (st.isFile()) total += st.size;
      } catch {
        // removed meanwhile (a temporary snapshot): not part of the recording
      }
    }
    this.storedBytes = total;
  }

  private live(): void {
    if (this.closed) throw new RecordingError('the recording is closed', this.path);
  }

  private checkK(k: number): void {
    this.live();
    if (!Number.isInteger(k) || k < 0 || k >= this.index.count) {
      throw new RangeError(`checkpoint ${k} out of range (the recording has ${this.index.count} checkpoints)`);
    }
  }

  get meta(): RecordingMeta {
    return this.index.meta!;
  }

  get checkpointCount(): number {
    return this.index.count;
  }

  get exit(): ExitInfo | null {
    return this.index.exit;
  }

  get lostCheckpoints(): { offset: number; reason: string } | null {
    if (this.tailDamage && !this.tailDamage.torn) return this.tailDamage;
    if (this.logCut && this.tailDamage) return { ...this.tailDamage, reason: `the log ends inside a record its index snapshot lists (${this.tailDamage.reason})` };
    if (this.logCut) return { offset: this.index.logEnd, reason: 'the log is shorter than its index snapshot says' };
    return null;
  }

  get warnings(): readonly Warning[] {
    return this.index.warnings;
  }

  get losses(): readonly Loss[] {
    return this.index.losses;
  }

  lossReport(): string[] {
    return this.index.losses.map((l) => describeLoss(l, this.index.count));
  }

  /** How the recorder numbered checkpoint k (differs from k after checkpoints lost to damage). */
  recordedIndex(k: number): number {
    this.checkK(k);
    return this.index.recordedIndex(k);
  }

  get stats(): RecordingStats {
    const c = this.index.counters;
    return {
      rawBytes: c.pagesReceived * PAGE_SIZE,
      storedBytes: this.storedBytes,
      pagesReceived: c.pagesReceived,
      zeroPages: c.zeroPages,
      dedupHits: c.dedupHits,
      deltaBlobs: c.deltaBlobs,
      fullBlobs: c.fullBlobs,
    };
  }

  get overview(): RecordingOverview {
    this.live();
    const c = this.index.counters;
    const triggers: Partial<Record<TriggerName, number>> = {};
    c.triggers.forEach((n, t) => {
      if (n > 0) triggers[TRIGGER_NAMES[t]!] = n;
    });
    const n = this.index.count;
    const durationNs = n > 1 ? this.record(n - 1).timeNs - this.record(0).timeNs : 0n;
    return { triggers, maxThreads: c.maxThreads, durationNs };
  }

  programAt(k: number): string {
    this.checkK(k);
    let program = this.index.meta!.program;
    for (const p of this.index.programs) {
      if (p.from > k) break;
      program = p.path;
    }
    return program;
  }

  /** The whole record of checkpoint k, read back from the log. */
  private record(k: number): CheckpointRecord {
    this.checkK(k);
    const hit = this.records.get(k);
    if (hit) return hit;
    const offset = this.index.recordOffsetOf(k);
    const rec = checkRecord(readAt(this.logFd, offset, this.index.recordLengthOf(k)));
    if (!rec) throw new RecordingError(`the record of checkpoint ${k} at byte ${offset} changed on disk (checksum mismatch)`, this.logPath);
    const c = decodeCheckpoint(rec.body, this.logPath, offset);
    this.records.set(k, c);
    return c;
  }

  checkpoint(k: number): CheckpointInfo {
    const c = this.record(k);
    return {
      index: k,
      timeNs: c.timeNs,
      trigger: TRIGGER_NAMES[c.trigger],
      tid: c.tid,
      detail: c.detail,
      args: c.args,
      dirtyPages: c.dirtyPages,
      threads: c.threads.length,
      mapsVersion: c.mapsVersion,
    };
  }

  columns(from: number, to: number): CheckpointColumns {
    this.live();
    const ix = this.index;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > ix.count) throw new RangeError(`checkpoints [${from}, ${to}) out of range (the recording has ${ix.count})`);
    return { from, count: to - from, ...ix.columns(from, to) };
  }

  summary(): readonly SummaryLevel[] {
    this.live();
    return this.index.pyramid.view();
  }

  private mapsTable(k: number): MapsTable {
    this.checkK(k);
    const v = this.index.mapsVersionOf(k);
    const hit = this.mapsTables.get(v);
    if (hit) return hit;
    const loc = this.index.maps[v]!;
    if (loc.length === 0) throw this.index.lostError(`the memory map (version ${v})`, k);
    const rec = checkRecord(readAt(this.logFd, loc.offset, loc.length));
    if (!rec) throw new RecordingError(`the maps record at byte ${loc.offset} changed on disk (checksum mismatch)`, this.logPath);
    const { rest } = decodeTagged(rec.body, 1, this.logPath, loc.offset, 'maps record');
    let entries: MapEntry[];
    try {
      entries = parseMaps(new TextDecoder().decode(rest));
    } catch (e) {
      throw new RecordingError(`maps version ${v} (record at byte ${loc.offset}): ${(e as Error).message}`, this.logPath);
    }
    entries.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const table: MapsTable = {
      entries,
      first: Float64Array.from(entries, (e) => Number(e.start >> PAGE_SHIFT_N)),
      end: Float64Array.from(entries, (e) => Number((e.end + PAGE_MASK_N) >> PAGE_SHIFT_N)),
      readable: Uint8Array.from(entries, (e) => (e.perms[0] === 'r' ? 1 : 0)),
    };
    this.mapsTables.set(v, table);
    return table;
  }

  mapsAt(k: number): readonly MapEntry[] {
    return this.mapsTable(k).entries;
  }

  mapsVersionChanges(): Uint32Array {
    this.live();
    return this.index.mapsChangeAt.subarray(0, this.index.mapsChanges);
  }

  registersAt(k: number): readonly ThreadRegisters[] {
    return this.record(k).threads.map((t) => {
      const len = t.gpLen + t.fpLen;
      const data = t.vofs === 0 ? new Uint8Array(len) : this.blobs.read(t.vofs, len).data;
      return { tid: t.tid, gp: data.slice(0, t.gpLen), fp: data.slice(t.gpLen, len) };
    });
  }

  /** Whether page `page` lies in a readable mapping at k (mappings are sorted and disjoint). */
  private readable(k: number, page: number): boolean {
    const t = this.mapsTable(k);
    const lo = upperBound(t.first, page);
    return lo > 0 && page < t.end[lo - 1]! && t.readable[lo - 1] === 1;
  }

  pageAt(k: number, pageAddr: bigint): Uint8Array {
    this.checkK(k);
    const page = pageNumber(pageAddr);
    if (!this.readable(k, page)) throw new UnmappedError(pageAddr, k);
    const vofs = this.index.blobAt(page, k);
    return vofs === 0 ? new Uint8Array(PAGE_SIZE) : this.blobs.read(vofs, PAGE_SIZE).data.slice();
  }

  readMemory(k: number, addr: bigint, len: number): Uint8Array {
    this.checkK(k);
    if (!Number.isInteger(len) || len < 0) throw new RangeError(`invalid length ${len}`);
    if (addr < 0n || addr + BigInt(len) > ADDRESS_LIMIT) throw new RangeError(`range 0x${addr.toString(16)}+${len} is outside the address space`);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = addr + BigInt(done);
      const pageAddr = a & ~PAGE_MASK_N;
      const off = Number(a - pageAddr);
      const n = Math.min(PAGE_SIZE - off, len - done);
      const page = Number(pageAddr >> PAGE_SHIFT_N);
      if (!this.readable(k, page)) throw new UnmappedError(a, k);
      const vofs = this.index.blobAt(page, k);
      if (vofs !== 0) out.set(this.blobs.read(vofs, PAGE_SIZE).data.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /**
   * With no zero range in the recording, a read-only view of the page's list (index.versionList:
   * no copy for a page with versions in the tail only); else the list merged with the zeroings
   * (index.versionsOf).
   */
  versionsOf(pageAddr: bigint): Uint32Array {
    this.live();
    const page = pageNumber(pageAddr);
    if (this.index.zero.n > 0 || this.index.lossPoints.length > 0) return this.index.versionsOf(page);
    const l = this.index.versionList(page);
    return l ? l.cps.subarray(0, l.n) : new Uint32Array(0);
  }

  sameContent(pageAddr: bigint, k1: number, k2: number): boolean {
    this.checkK(k1);
    this.checkK(k2);
    const page = pageNumber(pageAddr);
    return this.index.blobAt(page, k1) === this.index.blobAt(page, k2);
  }

  rangeCursor(pageAddr: bigint, off: number, len: number): RangeCursor {
    this.live();
    const cursor = new PageRangeCursor(this.index, this.blobs, pageNumber(pageAddr), off, len, this.path);
    return this.index.lossPoints.length > 0 ? new LossAwareCursor(cursor, this.index.lossPoints) : cursor;
  }

  terminalOutput(k?: number): readonly TerminalChunk[] {
    this.live();
    const o = this.index.outputs;
    const out: TerminalChunk[] = [];
    for (let i = 0; i < o.n; i++) {
      const tag = o.tag[i]!;
      if (k !== undefined && tag > k) break; // tags never decrease
      out.push({ checkpoint: tag, data: this.outputChunk(i) });
    }
    return out;
  }

  terminalTail(k: number, maxBytes: number): { data: Uint8Array; totalBytes: number } {
    this.live();
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`invalid length ${maxBytes}`);
    const o = this.index.outputs;
    const total = o.before[upperBound(o.tag, k, o.n)]!; // tags never decrease
    return { data: this.terminalBytes(Math.max(0, total - maxBytes), total), totalBytes: total };
  }

  terminalBytes(from: number, to: number): Uint8Array {
    this.live();
    const o = this.index.outputs;
    const all = o.before[o.n]!;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > all) throw new RangeError(`output bytes [${from}, ${to}) out of range (the recording has ${all} bytes of output)`);
    const out = new Uint8Array(to - from);
    let i = upperBound(o.before, from, o.n) - 1; // the chunk holding byte `from`
    let pos = from;
    while (pos < to) {
      // The records of chunks i..end-1 in one read of the log, within a window.
      const start = o.offset[i]!;
      let end = i + 1;
      while (end < o.n && o.before[end]! < to && o.offset[end]! + o.length[end]! - start <= OUTPUT_WINDOW) end++;
      const span = readAt(this.logFd, start, o.offset[end - 1]! + o.length[end - 1]! - start);
      for (; i < end && pos < to; i++) {
        const rel = o.offset[i]! - start;
        const data = this.decodeOutput(i, span.subarray(rel, rel + o.length[i]!));
        const skip = pos - o.before[i]!;
        const n = Math.min(data.length - skip, to - pos);
        out.set(data.subarray(skip, skip + n), pos - from);
        pos += n;
      }
    }
    return out;
  }

  /** The bytes of output chunk i, read back from its log record. */
  private outputChunk(i: number): Uint8Array {
    const hit = this.outputData.get(i);
    if (hit) return hit;
    const o = this.index.outputs;
    const data = this.decodeOutput(i, readAt(this.logFd, o.offset[i]!, o.length[i]!)).slice();
    this.outputData.set(i, data);
    return data;
  }

  /** The output in chunk i's record (`bytes`, as read from the log), CRC-checked: a view into bytes. */
  private decodeOutput(i: number, bytes: Uint8Array): Uint8Array {
    const o = this.index.outputs;
    // The index checked its type and length when it applied it: the CRC says it is still that record.
    const crc = bytes.length === o.length[i] && bytes.length >= OUTPUT_RECORD_OVERHEAD ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : -1;
    if (crc !== crc32(bytes.subarray(4))) throw new RecordingError(`the output record at byte ${o.offset[i]} changed on disk (checksum mismatch)`, this.logPath);
    return bytes.subarray(OUTPUT_RECORD_OVERHEAD);
  }

  refresh(): void {
    this.live();
    const size = fstatSync(this.logFd).size;
    if (size > this.index.logEnd) this.scan(size);
    // The writer's block may be there now (not for a run whose block failed its check).
    for (const run of this.index.sealed) if (!run.block && !this.damagedRuns.has(run.first)) this.adopt(run);
    this.measure();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blobs.close();
    this.segments?.close();
    closeSync(this.logFd);
  }
}

/** The page number of a page address; a RangeError if it is not one. */
function pageNumber(pageAddr: bigint): number {
  if (pageAddr < 0n || (pageAddr & PAGE_MASK_N) !== 0n || pageAddr >= ADDRESS_LIMIT) throw new RangeError(`page address 0x${pageAddr.toString(16)} is not a page-aligned address`);
  return Number(pageAddr >> PAGE_SHIFT_N);
}

const sameRef = (a: LogRef, b: LogRef): boolean => a.offset === b.offset && a.length === b.length && a.crc === b.crc;

/** A run read from its block until a section of it turns out damaged, then rebuilt from the log. */
class RunOrRebuild implements RunIndex {
  private current: RunIndex;

  constructor(
    private readonly stored: StoredRun,
    private readonly rebuild: () => ResidentRun,
  ) {
    this.current = stored;
  }

  get first(): number {
    return this.stored.first;
  }

  get count(): number {
    return this.stored.count;
  }

  get last(): LogRef {
    return this.stored.last;
  }

  get bytes(): number {
    return this.current.bytes;
  }

  private use<T>(f: (r: RunIndex) => T): T {
    try {
      return f(this.current);
    } catch (e) {
      if (!(e instanceof RecordingError) || this.current !== this.stored) throw e;
      this.current = this.rebuild();
      return f(this.current);
    }
  }

  columns(): RunColumns {
    return this.use((r) => r.columns());
  }

  entries(page: number): PageEntries | null {
    return this.use((r) => r.entries(page));
  }
}

/**
 * A range cursor over a recording with losses: a loss point (contents may have changed in the
 * checkpoints lost before it) counts as a change with unknown bytes, so a search reads the page
 * there and learns it is unknown (LostError) instead of carrying the old bytes across.
 */
class LossAwareCursor implements RangeCursor {
  private atLoss = false;

  constructor(
    private readonly inner: RangeCursor,
    private readonly points: readonly number[],
  ) {}

  nextChangeAfter(k: number): number | null {
    const c = this.inner.nextChangeAfter(k);
    const p = this.points.find((x) => x > k);
    this.atLoss = p !== undefined && (c === null || p < c);
    return this.atLoss ? p! : c;
  }

  bytesBefore(): Uint8Array | null {
    return this.inner.bytesBefore(); // they hold up to the inner cursor's change, past the loss point
  }

  bytesAtChange(): Uint8Array | null {
    return this.atLoss ? null : this.inner.bytesAtChange();
  }
}
