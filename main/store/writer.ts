/**
 * RecordingWriter: turns the recorder's message stream into a recording directory (format.ts).
 *
 * Per page, one native call (codec.ts, BlobEncoder.inspect) tells its fate: all-zero pages cost
 * nothing (vofs 0); a page sent again with the bytes it already holds (memcmp with its previous
 * content) keeps its blob, unhashed; otherwise its content hash (XXH3-64) is looked up in the dedup table and, on a match, the
 * bytes are compared (so a hash collision can never return wrong bytes) and the
 * existing blob reused; otherwise a new blob is appended, as an XOR delta against the page's
 * previous content when that is smaller and the chain is short enough (codec.ts,
 * DEFAULT_DELTA_CHAIN). A thread's registers (user_regs_struct || XSAVE area, ~3 KiB with
 * AVX-512, mostly unchanged between checkpoints) go through the same path, keyed by tid.
 *
 * The previous content comes from the page mirror (mirror.ts: each page's latest raw bytes,
 * bounded by a memory budget), never from the segment files: ingest costs O(bytes received)
 * however large and scattered the working set. A page the mirror no longer holds gets a full
 * (LZ4) version instead of a delta, which also starts a new chain. Only a dedup candidate and
 * a chain's root (read once per K versions, to rebase) are ever read back, through a small LRU.
 *
 * A checkpoint commits at its CheckpointEnd: its blobs are written to the segment, then its
 * record (with a new maps version and an exec'd program if any) is appended to the log in one
 * write, then applied to the in-memory index through the same code the reader uses. Only pages
 * whose content changed get an entry. flush() is the durability point (fsync blobs, then log)
 * and now and then writes an interim index snapshot; close() flushes, writes the final
 * snapshot and removes writer.pid.
 *
 * The writer is single-threaded and synchronous: it runs in the ingest worker, and the time it
 * takes is the backpressure the recorder feels.
 */
import { closeSync, fsync, fsyncSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FileIdentity, RecordingStats } from '../../shared/model/recording.js';
import { BACKEND_NAMES, HelloFlags, MessageType, type WireMessage } from '../../shared/protocol/wire.js';
import { BlobStore } from './blobs.js';
import { BlobEncoder, isDelta } from './codec.js';
import { ContentIndex } from './content-index.js';
import { createFile, createRecordingDir, encodeHeader, fsyncDir, newRecordingId } from './files.js';
import { DEFAULT_SEGMENT_LIMIT, HEADER_SIZE, LOCK_FILE, LOG_FILE, MAGIC_LOG, MAX_BLOB, MAX_DEPTH, PAGE_MASK_N, PAGE_SHIFT_N, PAGE_SIZE_N, PAGE_SIZE, RecordType } from './format.js';
import { frameRecord } from './log.js';
import { Lru } from './lru.js';
import { defaultMirrorBytes, PageMirror } from './mirror.js';
import { DEFAULT_SEGMENT_CHECKPOINTS, SegmentFile } from './index-segments.js';
import { RecordingIndex, type SealedRun } from './recording-index.js';
import { type CheckpointRecord, encodeCheckpoint, encodeMeta, encodeTagged, STORED_BYTES_AT, type ThreadRef } from './records.js';
import { writeSnapshot } from './snapshot.js';
import { identifyProgram } from './identity.js';
import { RecordingError } from './types.js';

export interface WriterOptions {
  /** Content hash instead of the encoder's XXH3-64. Tests pass a constant to force collisions. */
  hash?: (content: Uint8Array) => bigint;
  /** Segment size limit in bytes (default 1 GiB); small values exercise segment rollover. */
  segmentBytes?: number;
  /** Longest delta chain the writer builds (default DEFAULT_DELTA_CHAIN, at most MAX_DEPTH + 1). */
  deltaChain?: number;
  /** Checkpoints before flush() writes the first interim index snapshot (default 50 000; later ones at each seal). */
  firstSnapshotAt?: number;
  /** Checkpoints per sealed index run (default DEFAULT_SEGMENT_CHECKPOINTS); tests pass a few to exercise sealing. */
  indexSegmentCheckpoints?: number;
  /**
   * Memory for the latest content of each page (default 512 MiB, at most 1/8 of RAM). Pages
   * past it are stored as full versions; tests pass a few pages to exercise that.
   */
  mirrorBytes?: number;
  /**
   * Write checkpoints out at flush() (or past DEFERRED_LIMIT bytes) instead of one by one: two
   * write(2) per flush instead of per checkpoint (at 5,000 checkpoints/s those writes were a
   * fifth of ingest). A checkpoint is then visible to readers, and survives a crash of this
   * process, from the next flush on, not from its commit. For writers that flush on a clock
   * (the ingest worker: every 100 ms) or in bulk (synthetic recordings).
   */
  deferWrites?: boolean;
}


/** With deferWrites, pending log records past this many bytes are written without waiting for flush(). */
const DEFERRED_LIMIT = 1024 * 1024;
/**
 * With deferWrites, pending log records are also written once this many bytes of blobs went to
 * disk since the last write-out: a burst of big checkpoints commits as it goes, so a full disk
 * (which fails the next blob write) loses only the checkpoints of the last few MiB, not the
 * whole 100 ms between flushes (at a fast program's start: the whole recording).
 */
const DEFERRED_BLOB_LIMIT = 4 * 1024 * 1024;

/**
 * K, the longest delta chain: a cold read decodes at most K blobs. When a page's chain is full
 * the next version is a delta against the chain's root (its full version), unless a full
 * version is not much bigger (REBASE_FULL_BIAS), so reaching K costs the drift since the root,
 * not a whole page. Measured on the synthetic workload (10k checkpoints, bench.ts numbers):
 * K=8 stores 9.5 MB with a 22 us median cold pageAt, K=16 7.6 MB / 27 us, K=32 6.5 MB / 36 us.
 * 16 is the knee. The textbook scheme (a full version every K) stores 16.6 MB at K=16.
 */
export const DEFAULT_DELTA_CHAIN = 16;

/**
 * At the chain limit a full version wins unless the delta against the root is under a quarter
 * of it: the root is refreshed before drift makes every rebase expensive (K=16: 7.6 MB with
 * this, 9.0 MB always taking the smaller).
 */
const REBASE_FULL_BIAS = 4;

interface Pending {
  readonly seq: number;
  readonly begin: Extract<WireMessage, { type: typeof MessageType.CheckpointBegin }>;
  // The pages received, in order: page number, its blob now, its blob at the previous checkpoint.
  readonly pageNums: number[];
  readonly pageVofs: number[];
  readonly prevVofs: number[];
  ordered: boolean; // page numbers strictly ascending so far (the recorder's order)
  readonly threads: ThreadRef[];
  readonly zeroRanges: Array<readonly [bigint, bigint]>;
  readonly output: Uint8Array[]; // terminal bytes the program wrote before this checkpoint's stop
  readonly blobBytesAtBegin: number;
  received: number;
  zeroPages: number;
  dedupHits: number;
  deltaBlobs: number;
  fullBlobs: number;
}

const OUTPUT_CHUNK = 1024 * 1024;
const MAX_SAFE_ADDRESS = 2 ** 53;
/** Registers mirrored per thread; a program churning threads past this starts the table over. */
const MAX_MIRRORED_THREADS = 4096;

interface Latest {
  readonly vofs: number;
  readonly data: Uint8Array;
  readonly depth: number;
  readonly root: number;
}

export class RecordingWriter {
  private readonly index: RecordingIndex;
  private readonly content = new ContentIndex();
  private readonly encoder = new BlobEncoder();
  /** Recent distinct maps texts -> version: bounded, a program churning mappings must not grow it. */
  private readonly mapsVersions = new Lru<string, number>(256);
  private mapsCount = 0;
  private readonly lastRegs = new Map<number, number>(); // tid -> vofs of its last committed registers
  private readonly regsMirror = new Map<number, Latest>(); // tid -> its latest registers as stored
  private readonly mirror: PageMirror;
  private cur: Pending | null = null;
  private pendingMaps: string | null = null;
  private pendingProgram: string | null = null;
  private mapsVersion = -1;
  private logEnd = HEADER_SIZE; // the log's logical end (records not yet written included)
  private logWritten = HEADER_SIZE; // what the log file holds
  private logPending: Uint8Array[] = [];
  private logPendingBytes = 0;
  private blobBytesAtWriteOut = 0; // blobs.bytesWritten at the last writeOut()
  private logPendingCheckpoints: number[] = []; // per pending record: checkpoints written once it is
  private writtenCheckpoints = 0;
  private deferWrites = false;
  private lockBytes = 0; // writer.pid
  private snapshotBytes = 0;
  private nextSnapshotAt = 50_000;
  private sealedAtSnapshot = 0; // sealed runs the last snapshot listed
  private sealedUnwritten: SealedRun[] = []; // sealed runs whose block is not written yet
  private closed = false;
  private early: Uint8Array[] = []; // terminal output that arrived before the Hello

  private constructor(
    readonly dir: string,
    private readonly id: Uint8Array,
    private readonly logFd: number,
    private readonly blobs: BlobStore,
    private readonly segments: SegmentFile,
    private readonly hash: ((content: Uint8Array) => bigint) | null, // unsigned 64 bits
    private readonly deltaChain: number,
    mirrorBytes: number,
  ) {
    this.index = new RecordingIndex(join(dir, LOG_FILE), segments.segmentCheckpoints);
    // A sealed run's block is written after its records (writeOut), and then it leaves memory.
    this.index.onSeal = (run) => this.sealedUnwritten.push(run);
    this.mirror = new PageMirror(mirrorBytes);
  }

  /** Creates the recording directory (0700; files 0600). It must not exist. */
  static async create(dir: string, opts: WriterOptions = {}): Promise<RecordingWriter> {
    const custom = opts.hash;
    const hash = custom ? (c: Uint8Array): bigint => BigInt.asUintN(64, custom(c)) : null;
    try {
      createRecordingDir(dir);
    } catch (e) {
      throw e instanceof RecordingError ? e : new RecordingError(`cannot create recording: ${(e as Error).message}`, dir);
    }
    const id = newRecordingId();
    const logFd = createFile(join(dir, LOG_FILE));
    writeSync(logFd, encodeHeader(MAGIC_LOG, id), 0, HEADER_SIZE, 0);
    const pid = `${process.pid}\n`;
    const lockFd = createFile(join(dir, LOCK_FILE));
    try {
      writeSync(lockFd, pid);
    } finally {
      closeSync(lockFd);
    }
    const blobs = BlobStore.create(dir, id, opts.segmentBytes ?? DEFAULT_SEGMENT_LIMIT);
    const segments = SegmentFile.create(dir, id, Math.max(1, opts.indexSegmentCheckpoints ?? DEFAULT_SEGMENT_CHECKPOINTS));
    fsyncSync(logFd);
    fsyncDir(dir);
    const w = new RecordingWriter(dir, id, logFd, blobs, segments, hash, Math.max(1, Math.min(MAX_DEPTH + 1, opts.deltaChain ?? DEFAULT_DELTA_CHAIN)), opts.mirrorBytes ?? defaultMirrorBytes());
    w.lockBytes = pid.length;
    if (opts.firstSnapshotAt !== undefined) w.nextSnapshotAt = Math.max(1, opts.firstSnapshotAt);
    w.deferWrites = opts.deferWrites ?? false;
    return w;
  }

  /**
   * Checkpoints written to the files (what a reader sees, and what survives kill -9 of this
   * process). With deferWrites the last ones committed may still be pending: see flush().
   */
  get checkpointCount(): number {
    return this.writtenCheckpoints;
  }

  get stats(): RecordingStats {
    const c = this.index.counters;
    return {
      rawBytes: c.pagesReceived * PAGE_SIZE,
      storedBytes: this.logEnd + this.blobs.bytesAppended + this.lockBytes + this.snapshotBytes + this.segments.size,
      pagesReceived: c.pagesReceived,
      zeroPages: c.zeroPages,
      dedupHits: c.dedupHits,
      deltaBlobs: c.deltaBlobs,
      fullBlobs: c.fullBlobs,
    };
  }

  private fail(message: string): never {
    throw new RecordingError(message, this.dir);
  }

  /** Feeds one recorder message, in stream order. */
  ingest(m: WireMessage): void {
    if (this.closed) this.fail('the recording writer is closed');
    if (m.type !== MessageType.Hello && !this.index.meta && m.type < MessageType.RequestCheckpoint) this.fail(`message type ${m.type} before the recorder's Hello`);
    switch (m.type) {
      case MessageType.Hello: {
        if (this.index.meta) this.fail('a second Hello from the recorder');
        if (m.pageSize !== PAGE_SIZE) this.fail(`unsupported page size ${m.pageSize}`);
        const meta = {
          program: m.exe,
          argv: m.argv,
          cwd: m.cwd,
          pid: m.pid,
          backend: BACKEND_NAMES[m.backend] ?? this.fail(`unknown backend ${m.backend}`),
          attached: (m.flags & HelloFlags.Attached) !== 0,
          pageSize: m.pageSize,
          startedAt: new Date().toISOString(),
          ...programIdentity(m.exe, m.pid),
        };
        this.append([[RecordType.Meta, encodeMeta(meta)]]);
        for (const o of this.early) this.appendOutput(o);
        this.early = [];
        break;
      }
      case MessageType.Maps:
        this.pendingMaps = m.text;
        break;
      case MessageType.Exec:
        this.pendingProgram = m.exe;
        break;
      case MessageType.CheckpointBegin: {
        if (this.cur) this.fail(`checkpoint ${m.seq} begins inside checkpoint ${this.cur.seq}`);
        if (m.seq !== BigInt(this.index.count)) this.fail(`checkpoint ${m.seq} where ${this.index.count} was expected`);
        if (!this.deferWrites) this.blobs.writePending();
        this.cur = {
          seq: this.index.count,
          begin: m,
          pageNums: [],
          pageVofs: [],
          prevVofs: [],
          ordered: true,
          threads: [],
          zeroRanges: [],
          output: [],
          blobBytesAtBegin: this.blobs.bytesAppended,
          received: 0,
          zeroPages: 0,
          dedupHits: 0,
          deltaBlobs: 0,
          fullBlobs: 0,
        };
        break;
      }
      case MessageType.Output:
        // Inside a checkpoint: printed before its stop, so it belongs to it (written with it at
        // its end). Outside (the end of the recording): after the last committed one.
        if (this.cur) this.cur.output.push(m.data.slice());
        else this.appendOutput(m.data);
        break;
      case MessageType.ZeroRanges:
        this.inCheckpoint('ZeroRanges').zeroRanges.push(...m.ranges);
        // Those pages read as zero from this checkpoint on, unless sent with it (sent after
        // this, they are mirrored again; sent before, they merely lose their entry).
        for (const [start, end] of m.ranges) {
          const first = (start + PAGE_MASK_N) >> PAGE_SHIFT_N;
          const last = end >> PAGE_SHIFT_N;
          if (last > first) this.mirror.deleteRange(Number(first), Number(last));
        }
        break;
      case MessageType.Pages: {
        const cur = this.inCheckpoint('Pages');
        if (m.pageSize !== PAGE_SIZE || m.data.length !== m.addrs.length * PAGE_SIZE) this.fail('malformed Pages message');
        for (let i = 0; i < m.addrs.length; i++) {
          const addr = m.addrs[i]!;
          const a = Number(addr); // exact below 2^53 (every user-space address): no bigint arithmetic
          let page: number;
          if (a < MAX_SAFE_ADDRESS) {
            if (a % PAGE_SIZE !== 0) this.fail(`unaligned page address 0x${addr.toString(16)}`);
            page = a / PAGE_SIZE;
          } else {
            if (addr % PAGE_SIZE_N !== 0n) this.fail(`unaligned page address 0x${addr.toString(16)}`);
            page = Number(addr >> PAGE_SHIFT_N);
          }
          this.storePage(cur, page, m.data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
        }
        break;
      }
      case MessageType.Regs: {
        const cur = this.inCheckpoint('Regs');
        const len = m.gp.length + m.fp.length;
        if (len > MAX_BLOB) this.fail(`registers of thread ${m.tid} too large (${len} bytes)`);
        const content = new Uint8Array(len);
        content.set(m.gp);
        content.set(m.fp, m.gp.length);
        const prev = this.lastRegs.get(m.tid) ?? 0;
        const latest = this.regsMirror.get(m.tid);
        const known = latest !== undefined && prev !== 0 && latest.vofs === prev && latest.data.length === len;
        const vofs = this.store(content, prev, known ? latest.data : null, known ? latest.depth : 0, known ? latest.root : 0);
        if (vofs === 0) this.regsMirror.delete(m.tid);
        else if (this.outcome !== 'same') {
          if (this.regsMirror.size >= MAX_MIRRORED_THREADS && !this.regsMirror.has(m.tid)) this.regsMirror.clear();
          this.regsMirror.set(m.tid, { vofs, data: content, depth: this.lastDepth, root: this.lastRoot });
        }
        cur.threads.push({ tid: m.tid, gpLen: m.gp.length, fpLen: m.fp.length, vofs });
        break;
      }
      case MessageType.CheckpointEnd:
        this.commit(m.seq, m.pageCount, m.threadCount);
        break;
      case MessageType.Exit: {
        if (m.kind > 2) this.fail(`unknown exit kind ${m.kind}`);
        this.append([[RecordType.Exit, encodeTagged([m.kind, m.code])]]);
        break;
      }
      case MessageType.Error:
        this.append([[RecordType.Warning, encodeTagged([this.index.count - 1, m.errno, m.fatal ? 1 : 0], new TextEncoder().encode(m.message))]]);
        break;
      default:
        // Control messages (main -> recorder) carry nothing to store.
        break;
    }
  }

  private inCheckpoint(what: string): Pending {
    if (!this.cur) this.fail(`${what} outside a checkpoint`);
    return this.cur;
  }

  private storePage(cur: Pending, page: number, data: Uint8Array): void {
    cur.received++;
    const m = this.mirror;
    const s = m.find(page);
    // A mirrored page's entry is its blob at the previous checkpoint (mirror.ts), except for a
    // page sent twice in one checkpoint: commit() looks those up in the index.
    const prev = s >= 0 ? m.vofs[s]! : this.index.count > 0 ? this.index.blobAt(page, this.index.count - 1) : 0;
    const n = cur.pageNums.length;
    if (n > 0 && cur.pageNums[n - 1]! >= page) cur.ordered = false;
    cur.pageNums.push(page);
    cur.prevVofs.push(prev);
    const known = s >= 0;
    const vofs = this.store(data, prev, known ? m.bytes(s) : null, known ? m.depth[s]! : 0, known ? m.root[s]! : 0);
    const outcome = this.outcome;
    if (outcome === 'zero') {
      cur.zeroPages++;
      m.delete(page);
    } else {
      if (outcome === 'same' || outcome === 'dedup') cur.dedupHits++;
      else if (outcome === 'delta') cur.deltaBlobs++;
      else cur.fullBlobs++;
      if (outcome !== 'same') m.put(page, data, vofs, this.lastDepth, this.lastRoot);
    }
    cur.pageVofs.push(vofs);
  }

  /** How the last store() went ('same': the content it already had), and the depth and root of its blob. */
  private outcome: 'zero' | 'same' | 'dedup' | 'delta' | 'full' = 'zero';
  private lastDepth = 0;
  private lastRoot = 0;

  /**
   * The vofs of a blob holding `data` (0 if all zero): `prev` when `latest` (prev's content,
   * if known) holds the same bytes, an existing blob with the same bytes, or a new one, a delta
   * against `latest` when smaller. At the chain limit the delta base is the chain's root (read
   * back, once per K versions); with `latest` unknown the new blob is a full version.
   */
  private store(data: Uint8Array, prev: number, latest: Uint8Array | null, latestDepth: number, latestRoot: number): number {
    this.outcome = 'zero';
    // One native call: all zero, the same bytes as before (no hash needed), or changed and hashed.
    const fate = this.encoder.inspect(data, latest);
    if (fate === 'zero') return 0;
    if (fate === 'same') {
      this.outcome = 'same';
      this.lastDepth = latestDepth;
      this.lastRoot = latestRoot;
      return prev;
    }
    let hi = this.encoder.hashHi;
    let lo = this.encoder.hashLo;
    if (this.hash) {
      const h = this.hash(data);
      hi = Number(h >> 32n);
      lo = Number(h & 0xffffffffn);
    }
    const candidate = this.content.getHalves(hi, lo);
    if (candidate !== 0 && !(latest !== null && candidate === prev)) {
      const existing = this.blobs.read(candidate, data.length);
      if (equalBytes(existing.data, data)) {
        this.outcome = 'dedup';
        this.lastDepth = existing.depth;
        this.lastRoot = existing.root;
        return candidate;
      }
    }
    // Delta base: the previous version; at the chain limit, the chain's root (a full blob).
    let base = latest;
    let baseVofs = prev;
    let baseDepth = latestDepth;
    let bias = 1;
    if (base !== null && latestDepth + 1 >= this.deltaChain) {
      bias = REBASE_FULL_BIAS;
      baseVofs = latestRoot;
      const root = this.blobs.read(latestRoot, data.length);
      base = root.data;
      baseDepth = root.depth;
    }
    if (base !== null && (base.length !== data.length || this.deltaChain < 2)) base = null;
    const enc = this.encoder.encode(data, base, bias);
    const delta = isDelta(enc.kind);
    const depth = delta ? baseDepth + 1 : 0;
    const vofs = this.blobs.append(enc.kind, depth, delta ? baseVofs : 0, enc.payload, null, delta ? latestRoot : 0);
    this.content.setHalves(hi, lo, vofs);
    this.outcome = delta ? 'delta' : 'full';
    this.lastDepth = depth;
    this.lastRoot = delta ? latestRoot : vofs;
    return vofs;
  }

  private commit(seq: bigint, pageCount: number, threadCount: number): void {
    const cur = this.inCheckpoint('CheckpointEnd');
    if (seq !== BigInt(cur.seq)) this.fail(`checkpoint ${cur.seq} ends with sequence ${seq}`);
    if (pageCount !== cur.received) this.fail(`checkpoint ${cur.seq} announced ${pageCount} pages but sent ${cur.received}`);
    if (threadCount !== cur.threads.length) this.fail(`checkpoint ${cur.seq} announced ${threadCount} threads but sent ${cur.threads.length}`);

    const records: Array<[number, Uint8Array, CheckpointRecord?]> = [];
    if (this.pendingMaps !== null || this.mapsVersion < 0) {
      const text = this.pendingMaps ?? '';
      let v = this.mapsVersions.get(text);
      if (v === undefined) {
        v = this.mapsCount++;
        this.mapsVersions.set(text, v);
        records.push([RecordType.Maps, encodeTagged([v], new TextEncoder().encode(text))]);
      }
      this.mapsVersion = v;
      this.pendingMaps = null;
    }
    if (this.pendingProgram !== null) {
      records.push([RecordType.Program, encodeTagged([cur.seq], new TextEncoder().encode(this.pendingProgram))]);
      this.pendingProgram = null;
    }
    for (const o of cur.output) {
      for (let at = 0; at < o.length; at += OUTPUT_CHUNK) records.push([RecordType.Output, encodeTagged([cur.seq], o.subarray(at, at + OUTPUT_CHUNK))]);
    }
    // Entries only for pages whose content changed.
    const k = cur.seq;
    const { pageNumbers, pageVofs } = changedPages(cur, (page) => (k > 0 ? this.index.blobAt(page, k - 1) : 0));
    const b = cur.begin;
    const rec: CheckpointRecord = {
      index: k,
      mapsVersion: this.mapsVersion,
      timeNs: b.timeNs,
      detail: b.detail,
      args: b.args,
      tid: b.tid,
      trigger: b.trigger,
      dirtyPages: cur.received,
      storedBytes: 0,
      zeroPages: cur.zeroPages,
      dedupHits: cur.dedupHits,
      deltaBlobs: cur.deltaBlobs,
      fullBlobs: cur.fullBlobs,
      highWater: this.blobs.highWater,
      threads: cur.threads,
      zeroRanges: cur.zeroRanges,
      pageNumbers,
      pageVofs,
    };
    const body = encodeCheckpoint(rec);
    let recordBytes = 0;
    for (const [, r] of records) recordBytes += 9 + r.length;
    const storedBytes = this.blobs.bytesAppended - cur.blobBytesAtBegin + recordBytes + 9 + body.len;
    body.patchU32(STORED_BYTES_AT, storedBytes);
    records.push([RecordType.Checkpoint, body.view(), { ...rec, storedBytes }]);
    this.cur = null;
    this.append(records);
    for (const t of cur.threads) this.lastRegs.set(t.tid, t.vofs);
  }

  /**
   * Appends records to the log (in one write, after the blobs they refer to; with deferWrites
   * at the next writeOut), then applies them to the index.
   */
  private append(records: Array<[number, Uint8Array, CheckpointRecord?]>): void {
    const framed = records.map(([type, body]) => frameRecord(type, body));
    let checkpoints = this.index.count; // applied below, after the write
    framed.forEach((f, i) => {
      this.logPending.push(f);
      this.logPendingBytes += f.length;
      this.logPendingCheckpoints.push(records[i]![0] === RecordType.Checkpoint ? ++checkpoints : -1);
    });
    if (!this.deferWrites || this.logPendingBytes > DEFERRED_LIMIT || this.blobs.bytesWritten - this.blobBytesAtWriteOut > DEFERRED_BLOB_LIMIT) this.writeOut();
    let at = this.logEnd;
    framed.forEach((f, i) => {
      const dv = new DataView(f.buffer, f.byteOffset, 9);
      this.index.apply({ type: f[8]!, body: f.subarray(9), offset: at, length: f.length, crc: dv.getUint32(0, true) }, () => true, records[i]![2]);
      at += f.length;
    });
    this.logEnd = at;
  }

  /**
   * Terminal output, tagged with the last committed checkpoint (-1 before the first). The
   * recorder's own Output messages come through ingest(); this is for other sources.
   */
  appendOutput(data: Uint8Array): void {
    if (this.closed) this.fail('the recording writer is closed');
    if (!this.index.meta) {
      this.early.push(data.slice()); // the log starts with the metadata: keep it until then
      return;
    }
    for (let at = 0; at < data.length; at += OUTPUT_CHUNK) {
      this.append([[RecordType.Output, encodeTagged([this.index.count - 1], data.subarray(at, at + OUTPUT_CHUNK))]]);
    }
  }

  /** Writes pending blobs, then the pending log records that refer to them (one write each). */
  private writeOut(): void {
    this.blobs.writePending();
    this.blobBytesAtWriteOut = this.blobs.bytesWritten;
    if (this.logPendingBytes === 0) return this.writeSealed();
    const parts = this.logPending;
    const all = parts.length === 1 ? parts[0]! : new Uint8Array(this.logPendingBytes);
    if (parts.length > 1) {
      let at = 0;
      for (const f of parts) {
        all.set(f, at);
        at += f.length;
      }
    }
    const total = all.length;
    let done = 0;
    try {
      while (done < total) done += writeSync(this.logFd, all, done, total - done, this.logWritten + done);
    } finally {
      // Records wholly written count, even when the write failed past them (a full disk).
      let end = 0;
      parts.forEach((f, i) => {
        end += f.length;
        const n = this.logPendingCheckpoints[i]!;
        if (end <= done && n > this.writtenCheckpoints) this.writtenCheckpoints = n;
      });
    }
    this.logWritten += total;
    this.logPending = [];
    this.logPendingBytes = 0;
    this.logPendingCheckpoints = [];
    this.writeSealed();
  }

  /** Blocks of the runs sealed since the last write-out (their records are written now). */
  private writeSealed(): void {
    for (const run of this.sealedUnwritten) {
      run.block = this.segments.append(run.resident!);
      run.resident = null;
    }
    this.sealedUnwritten = [];
  }

  /** Whether flush() writes a snapshot: a run was sealed since the last one, or the first one is due. */
  private snapshotDue(): boolean {
    return this.index.sealed.length > this.sealedAtSnapshot || this.index.count >= this.nextSnapshotAt;
  }

  private snapshot(): void {
    this.snapshotBytes = writeSnapshot(this.dir, this.id, this.index);
    this.sealedAtSnapshot = this.index.sealed.length;
    this.nextSnapshotAt = Math.ceil(this.index.count * 1.5);
  }

  /**
   * flush() without waiting for the disk: what is pending is written at once (visible to
   * readers, safe from kill -9 of this process), and the fsyncs run on libuv's threads, so
   * ingest goes on meanwhile (a busy disk made each fsync of the ingest worker's 100 ms flush
   * stall it for tens of ms). Resolves when everything committed before the call survives a
   * crash of the machine (a record durable before its blobs is cut at open: readers check).
   * Let it settle before close().
   */
  async flushAsync(): Promise<void> {
    if (this.closed) return;
    this.writeOut();
    const logFd = this.logFd;
    await Promise.all([this.blobs.syncAsync(), new Promise<void>((resolve, reject) => fsync(logFd, (e) => (e ? reject(e) : resolve()))), this.segments.syncAsync()]);
    // (A run sealed meanwhile has no block yet: the next flush lists it.)
    if (!this.closed && this.snapshotDue() && this.sealedUnwritten.length === 0) this.snapshot();
  }

  /** Durability point: everything committed so far survives a crash of the machine. */
  flush(): void {
    if (this.closed) return;
    this.writeOut();
    this.blobs.sync();
    fsyncSync(this.logFd);
    this.segments.sync();
    // Interim snapshots: the first one on a geometric schedule (x1.5, so an open after a crash
    // replays at most a third of the log), then at each seal (a snapshot holds at most a run's
    // worth of checkpoints, so an open replays at most two runs of the log).
    if (this.snapshotDue()) this.snapshot();
  }

  /** Final flush, the index snapshot (fast next open), writer.pid removed. An open checkpoint is dropped. */
  close(): void {
    if (this.closed) return;
    const orphan = this.cur?.output ?? [];
    this.cur = null;
    for (const o of orphan) this.appendOutput(o); // the program did print it: kept, after the last checkpoint
    this.nextSnapshotAt = Infinity; // the final snapshot follows
    this.flush();
    this.closed = true;
    this.snapshot();
    this.segments.close();
    this.lockBytes = 0;
    try {
      unlinkSync(join(this.dir, LOCK_FILE));
    } catch {
      // already gone: nothing to release
    }
    fsyncDir(this.dir);
    closeSync(this.logFd);
    this.blobs.close();
  }
}

/**
 * The entries of a checkpoint: pages whose blob differs from the previous checkpoint's,
 * ascending; a page sent twice counts once, with its last content, compared with its blob in
 * the index (`indexed`: its prevVofs are the first copy's).
 */
function changedPages(cur: Pending, indexed: (page: number) => number): { pageNumbers: Float64Array; pageVofs: Float64Array } {
  const n = cur.pageNums.length;
  let order: number[] | null = null;
  if (!cur.ordered) {
    order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cur.pageNums[a]! - cur.pageNums[b]! || a - b);
    for (let i = 1; i < n; i++) {
      const page = cur.pageNums[order[i]!]!;
      if (page === cur.pageNums[order[i - 1]!]) cur.prevVofs[order[i]!] = indexed(page);
    }
  }
  let count = 0;
  const at = (i: number): number => (order ? order[i]! : i);
  const keep = (i: number): boolean => {
    const j = at(i);
    if (i + 1 < n && cur.pageNums[at(i + 1)] === cur.pageNums[j]) return false; // a later copy wins
    return cur.pageVofs[j] !== cur.prevVofs[j];
  };
  for (let i = 0; i < n; i++) if (keep(i)) count++;
  const pageNumbers = new Float64Array(count);
  const pageVofs = new Float64Array(count);
  for (let i = 0, o = 0; i < n; i++) {
    if (!keep(i)) continue;
    pageNumbers[o] = cur.pageNums[at(i)]!;
    pageVofs[o++] = cur.pageVofs[at(i)]!;
  }
  return { pageNumbers, pageVofs };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.compare(a, b) === 0;
}

/** The executable's identity for the metadata (none for a program that is not a file here, as in synthetic recordings). */
function programIdentity(exe: string, pid: number): { programFile?: FileIdentity } {
  const id = exe.startsWith('/') ? identifyProgram(exe, pid) : null;
  return id ? { programFile: id } : {};
}
