/**
 * The API contract (shared/api/contract.ts) implemented over the store, the engine and
 * recording sessions. Node only, never `electron`: the Electron main process and the WebSocket
 * bridge both serve this one object, so the desktop app and browser mode behave the same.
 *
 *   face (IPC / WebSocket) --invoke(method, params)--> validateCall --> method(params)
 *                          <------------- events (onRecordingProgress, ...) -----------
 *
 * Recordings are opened read-only and named by their resolved path (the `rec` handle);
 * opening an open one again re-reads it (a live recording grows). Searches run in the engine
 * with an AbortSignal per search id; sessions are keyed by a random id. Errors become
 * ApiErrors with a code (and a position for predicate errors) so both faces report them the
 * same way.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { bytesToHex, ByteMask, fromHex64, toHex64 } from '../../shared/api/bytes.js';
import { storageReduction, symbolWithOffset } from '../../shared/api/format.js';
import {
  ApiError,
  TERMINAL_TAIL,
  toErrorJson,
  validateCall,
  type AnyEvent,
  type AppInfo,
  type BisectResult,
  type ChangesResult,
  type CheckpointJson,
  type DeloreanApi,
  type DeloreanEvents,
  type DiffResult,
  type EventName,
  type FindResult,
  type GdbStarted,
  type MapJson,
  type MemoryBlock,
  type MethodName,
  type Outcome,
  type ParamsOf,
  type RecentRecording,
  type RecordingSummary,
  type ResolvedAddress,
  type SessionStarted,
  type SourceLocation,
  type StackFrameJson,
  type SymbolJson,
  type TerminalSnapshot,
  type ThreadRegistersJson,
  type TimelineSlice,
} from '../../shared/api/contract.js';
import { Engine } from '../engine/engine.js';
import { GP_NAMES } from '../engine/registers.js';
import { RecordingSession, type RecordOptions } from '../recorder/session.js';
import { UnmappedError, type RecordingReader } from '../store/types.js';
import { fileChange } from '../store/identity.js';
import type { ApiEndpoint } from './endpoint.js';
import { lostCheckpoints, refuseLost, toApiError } from './errors.js';
import { diffJson, mapJson } from './json.js';
import { describeCheckpoint } from './describe.js';
import { resolveLocation } from './locations.js';
import { openReadOnly } from './recordings.js';
import { GdbTerminals } from './gdb-terminals.js';
import { demoProgram, packageVersion } from './paths.js';
import { defaultConfigDir, defaultRecordingsDir, RecentList } from './recent.js';
import { unwind } from './unwind.js';
import { sliceTimeline } from './timeline.js';

export interface ServiceOptions {
  readonly face: AppInfo['face'];
  /** recent.json lives here (default ~/.config/delorean). */
  readonly configDir?: string;
  /** New recordings go here unless told otherwise (default ~/.local/share/delorean/recordings). */
  readonly recordingsDir?: string;
  readonly initialRecording?: string | null;
  readonly preselectDemo?: boolean;
  /** How recordings are opened; benchmarks pass synthetic readers. */
  readonly openReader?: (path: string) => Promise<RecordingReader>;
  /** How recordings are made. */
  readonly startSession?: (opts: RecordOptions) => Promise<RecordingSession>;
  /** The gdb that "Open in gdb" runs: a name on PATH or a path (default $DELOREAN_GDB or "gdb"). */
  readonly gdb?: string;
}

interface Open {
  readonly reader: RecordingReader;
  readonly engine: Engine;
}

interface Session {
  readonly session: RecordingSession;
  readonly out: string;
  paused: boolean;
  ended: boolean;
}

const PAGE = 4096n;
const SOURCE_MAX = 4 << 20;
/** Registers in the order a debugger shows them. */
const REGISTER_ORDER: readonly (typeof GP_NAMES)[number][] = [
  'rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
  'eflags', 'orig_rax', 'fs_base', 'gs_base', 'cs', 'ss', 'ds', 'es', 'fs', 'gs',
];

export class DeloreanService implements DeloreanApi, ApiEndpoint {
  private readonly listeners = new Set<(e: AnyEvent) => void>();
  private readonly recordings = new Map<string, Open>();
  private readonly opening = new Map<string, Promise<Open>>();
  private readonly searches = new Map<string, AbortController>();
  private readonly sessions = new Map<string, Session>();
  private readonly recent: RecentList;
  private readonly recordingsDir: string;
  private readonly sourceTexts = new Map<string, string | null>();
  private readonly gdbTerminals: GdbTerminals;

  constructor(private readonly options: ServiceOptions) {
    this.recent = new RecentList(options.configDir ?? defaultConfigDir());
    this.recordingsDir = options.recordingsDir ?? defaultRecordingsDir();
    this.gdbTerminals = new GdbTerminals({ ...(options.gdb !== undefined ? { gdb: options.gdb } : {}), emit: (event, payload) => this.emit(event, payload) });
  }

  // ------------------------------------------------------------------------------------------
  // The faces' entry point and events

  async invoke(method: unknown, params: unknown): Promise<Outcome<unknown>> {
    try {
      const call = validateCall(method, params);
      const fn = this[call.method] as (p: ParamsOf<MethodName>) => Promise<unknown>;
      return { ok: true, result: await fn.call(this, call.params) };
    } catch (e) {
      return { ok: false, error: toErrorJson(toApiError(e)) };
    }
  }

  on(listener: (e: AnyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends EventName>(event: E, payload: DeloreanEvents[E]): void {
    const e = { event, payload } as AnyEvent;
    for (const l of this.listeners) l(e);
  }

  /** Stops sessions (killing their programs), ends gdb terminals, cancels searches, closes recordings. */
  async dispose(): Promise<void> {
    for (const c of this.searches.values()) c.abort();
    await this.gdbTerminals.dispose();
    const ends = [...this.sessions.values()].filter((s) => !s.ended).map((s) => (s.session.stop(), s.session.done.catch(() => undefined)));
    await Promise.all(ends);
    for (const r of this.recordings.values()) {
      r.engine.close();
      r.reader.close();
    }
    this.recordings.clear();
  }

  // ------------------------------------------------------------------------------------------
  // App and recordings

  async appInfo(): Promise<AppInfo> {
    return {
      version: packageVersion(),
      face: this.options.face,
      demo: demoProgram(),
      preselectDemo: this.options.preselectDemo ?? false,
      initialRecording: this.options.initialRecording ? resolve(this.options.initialRecording) : null,
      recordingsDir: this.recordingsDir,
      cwd: process.cwd(),
    };
  }

  async listRecent(): Promise<readonly RecentRecording[]> {
    return this.recent.list();
  }

  async openRecording({ path }: ParamsOf<'openRecording'>): Promise<RecordingSummary> {
    const rec = resolve(path);
    const open = this.recordings.get(rec);
    if (open) {
      open.reader.refresh();
      return this.summary(rec, open);
    }
    let pending = this.opening.get(rec);
    if (!pending) {
      pending = this.load(rec);
      this.opening.set(rec, pending);
      pending.finally(() => this.opening.delete(rec)).catch(() => undefined);
    }
    const loaded = await pending;
    this.recent.touch({ path: rec, program: loaded.reader.meta.program, checkpoints: loaded.reader.checkpointCount });
    return this.summary(rec, loaded);
  }

  private async load(rec: string): Promise<Open> {
    const reader = await openReadOnly(rec, this.options.openReader);
    const open: Open = { reader, engine: new Engine(reader) };
    this.recordings.set(rec, open);
    return open;
  }

  async closeRecording({ rec }: ParamsOf<'closeRecording'>): Promise<{ closed: boolean }> {
    const open = this.recordings.get(rec);
    if (!open) return { closed: false };
    this.recordings.delete(rec);
    await this.gdbTerminals.closeFor(rec); // their servers read this recording
    open.engine.close();
    open.reader.close();
    return { closed: true };
  }

  private get(rec: string): Open {
    const open = this.recordings.get(rec);
    if (!open) throw new ApiError(`recording not open: ${rec} (call openRecording first)`, 'not-found');
    return open;
  }

  private summary(rec: string, { reader }: Open): RecordingSummary {
    const n = reader.checkpointCount;
    const s = reader.stats;
    const duration = reader.overview.durationNs;
    return {
      rec,
      path: reader.path,
      meta: { ...reader.meta, argv: [...reader.meta.argv] },
      checkpointCount: n,
      exit: reader.exit,
      stats: { ...s, reduction: storageReduction(s.rawBytes, s.storedBytes) },
      durationNs: duration.toString(),
      damage: [lostCheckpoints(reader), ...reader.lossReport()].filter((d): d is string => d !== null),
      programChanged: reader.meta.programFile ? fileChange(reader.meta.program, reader.meta.programFile) : null,
    };
  }

  // ------------------------------------------------------------------------------------------
  // The timeline and one checkpoint

  async timeline({ rec, from, to, buckets }: ParamsOf<'timeline'>): Promise<TimelineSlice> {
    if (to <= from) throw new ApiError(`timeline: empty range [${from}, ${to})`, 'invalid-params');
    const { reader } = this.get(rec);
    // The summary and the count read together: the pyramid describes exactly these checkpoints.
    const count = reader.checkpointCount;
    return sliceTimeline(reader.summary(), (a, b) => reader.columns(a, b), count, from, to, buckets);
  }

  async checkpoint({ rec, k }: ParamsOf<'checkpoint'>): Promise<CheckpointJson> {
    const { reader, engine } = this.get(rec);
    engine.checkCheckpoint(k);
    const c = reader.checkpoint(k);
    return {
      index: c.index,
      timeNs: c.timeNs.toString(),
      relativeNs: (c.timeNs - reader.checkpoint(0).timeNs).toString(),
      trigger: c.trigger,
      tid: c.tid,
      detail: toHex64(c.detail),
      args: c.args.map(toHex64),
      description: describeCheckpoint(engine, k),
      dirtyPages: c.dirtyPages,
      threads: c.threads,
      mapsVersion: c.mapsVersion,
      program: reader.programAt(k),
    };
  }

  async readMemory({ rec, k, addr, len, compareTo }: ParamsOf<'readMemory'>): Promise<MemoryBlock> {
    const { reader, engine } = this.get(rec);
    engine.checkCheckpoint(k);
    const base = fromHex64(addr);
    if (base + BigInt(len) > 1n << 64n) throw new ApiError('readMemory: the range runs past the end of the address space', 'invalid-params');
    const other = compareTo ?? (k > 0 ? k - 1 : null);
    if (other !== null) engine.checkCheckpoint(other, 'compareTo checkpoint');
    const now = readPages(reader, k, base, len);
    const changed = new ByteMask(len);
    if (other !== null && other !== k) {
      const then = readPages(reader, other, base, len);
      for (let i = 0; i < len; i++) {
        const r1 = now.readable.has(i);
        if (r1 !== then.readable.has(i) || (r1 && now.bytes[i] !== then.bytes[i])) changed.set(i);
      }
    }
    return { addr: toHex64(base), len, bytes: bytesToHex(now.bytes), readable: now.readable.mask.toHex(), changed: changed.toHex(), comparedTo: other };
  }

  /** Registers at k; `changed` and `isNew` compare with checkpoint compareTo (default k - 1). */
  async registers({ rec, k, compareTo }: ParamsOf<'registers'>): Promise<readonly ThreadRegistersJson[]> {
    const { engine } = this.get(rec);
    const now = engine.registers(k);
    const base = compareTo ?? (k > 0 ? k - 1 : null);
    const before = base !== null ? new Map(engine.registers(base).map((t) => [t.tid, t])) : null;
    return now.map((t) => {
      const prev = before?.get(t.tid);
      return {
        tid: t.tid,
        isNew: before !== null && !prev,
        registers: REGISTER_ORDER.map((name) => ({ name, value: toHex64(t.gp[name]), changed: prev !== undefined && prev.gp[name] !== t.gp[name] })),
      };
    });
  }

  async maps({ rec, k }: ParamsOf<'maps'>): Promise<readonly MapJson[]> {
    const { reader, engine } = this.get(rec);
    engine.checkCheckpoint(k);
    return reader.mapsAt(k).map(mapJson);
  }

  async source({ rec, k, tid, frame }: ParamsOf<'source'>): Promise<SourceLocation | null> {
    const { engine } = this.get(rec);
    const at = await engine.source(k, tid);
    if (!at) return null;
    const unwound = unwind(engine, k, at.tid);
    if (unwound.length === 0) unwound.push({ pc: at.pc, cfa: 0n });
    const frames: StackFrameJson[] = [];
    for (const [i, f] of unwound.entries()) {
      // A return address points after its call: its line is the one before.
      const { symbol, location } = i === 0 ? { symbol: at.symbol, location: at.location } : await engine.sourceAt(f.pc - 1n, k);
      const file = location?.file ?? null;
      frames.push({
        pc: toHex64(f.pc),
        function: location?.function ?? (symbol ? symbolWithOffset(symbol.name, symbol.offset) : null),
        library: symbol?.library ?? null,
        file,
        line: location?.line ?? null,
        hasSource: file !== null && this.sourceText(file) !== null,
      });
    }
    const shown = frame !== undefined ? Math.min(frame, frames.length - 1) : Math.max(0, frames.findIndex((f) => f.hasSource));
    const f = frames[shown]!;
    const top = frames[0]!;
    const stoppedIn = shown > 0 && !top.hasSource ? `${top.function ?? top.pc}${top.library ? ` in ${top.library}` : ''}` : null;
    return { tid: at.tid, frames, frame: shown, stoppedIn, pc: f.pc, function: f.function, file: f.file, line: f.line, text: f.file ? this.sourceText(f.file) : null };
  }

  /** The text of a source file named by the line table, when it is a readable, reasonably sized file. */
  private sourceText(file: string): string | null {
    if (this.sourceTexts.has(file)) return this.sourceTexts.get(file)!;
    let text: string | null = null;
    try {
      const st = statSync(file);
      if (st.isFile() && st.size <= SOURCE_MAX) text = readFileSync(file, 'utf8');
    } catch {
      text = null;
    }
    this.sourceTexts.set(file, text);
    return text;
  }

  async terminal({ rec, k, end, maxBytes }: ParamsOf<'terminal'>): Promise<TerminalSnapshot> {
    const { reader, engine } = this.get(rec);
    engine.checkCheckpoint(k);
    const total = reader.terminalTail(k, 0).totalBytes;
    if (end !== undefined && end > total) throw new ApiError(`terminal: byte ${end} is past the ${total} bytes printed by checkpoint ${k}`, 'invalid-params');
    const to = end ?? total;
    let from = Math.max(0, to - (maxBytes ?? TERMINAL_TAIL));
    let data = reader.terminalBytes(from, to);
    if (from > 0) {
      // Cut at a line start, so the text does not begin inside a line (or an escape sequence).
      const nl = data.indexOf(0x0a);
      if (nl >= 0) {
        data = data.subarray(nl + 1);
        from += nl + 1;
      }
    }
    return { text: new TextDecoder().decode(data), totalBytes: total, truncated: from > 0, from };
  }

  // ------------------------------------------------------------------------------------------
  // Symbols and addresses

  async complete({ rec, prefix, limit }: ParamsOf<'complete'>): Promise<readonly SymbolJson[]> {
    const { engine, reader } = this.get(rec);
    const k = reader.checkpointCount - 1;
    if (k < 0) return [];
    const table = engine.symbolsAt(k);
    return engine.complete(prefix, k, limit ?? 50).flatMap((name): SymbolJson[] => {
      const bang = name.indexOf('!');
      try {
        const s = bang >= 0 ? table.symbol(name.slice(bang + 1), name.slice(0, bang)) : table.symbol(name);
        return [{ name, addr: toHex64(s.address), size: Number(s.size), kind: s.type === 'object' ? 'object' : 'function' }];
      } catch {
        return [];
      }
    });
  }

  async resolve({ rec, k, expr }: ParamsOf<'resolve'>): Promise<ResolvedAddress> {
    const { engine } = this.get(rec);
    const { address, size, symbol } = resolveLocation(engine, expr, k);
    return { expr, addr: toHex64(address), size, symbol };
  }

  // ------------------------------------------------------------------------------------------
  // Searches

  private async search<T>(searchId: string, run: (signal: AbortSignal, onProgress: (p: { fraction: number | null; evaluations: number; message: string }) => void) => Promise<T>): Promise<T> {
    if (this.searches.has(searchId)) throw new ApiError(`a search with id ${searchId} is already running`, 'invalid-params');
    const controller = new AbortController();
    this.searches.set(searchId, controller);
    try {
      return await run(controller.signal, (p) => this.emit('onSearchProgress', { searchId, fraction: p.fraction, evaluations: p.evaluations, message: p.message }));
    } finally {
      this.searches.delete(searchId);
    }
  }

  async bisect({ rec, searchId, predicate, lo, hi }: ParamsOf<'bisect'>): Promise<BisectResult> {
    const { engine } = this.get(rec);
    refuseLost(engine.reader, hi ?? null);
    return this.search(searchId, async (signal, onProgress) => {
      const r = await engine.bisect(predicate, { from: lo, to: hi, signal, onProgress });
      return { searchId, checkpoint: r.checkpoint, probes: r.probes };
    });
  }

  async find({ rec, searchId, predicate, from, to, limit }: ParamsOf<'find'>): Promise<FindResult> {
    const { engine } = this.get(rec);
    refuseLost(engine.reader, to ?? null);
    return this.search(searchId, async (signal, onProgress) => {
      const r = await engine.find(predicate, { all: true, from, to, limit: (limit ?? 10_000) * 2, signal, onProgress });
      const t = r.transitions;
      const matches = r.boolean ? t.filter((x, i) => x.holds && (i === 0 || !t[i - 1]!.holds)).map((x) => x.checkpoint) : t.filter((x) => x.error === null).map((x) => x.checkpoint);
      const failures = t.flatMap((x) => (x.error === null ? [] : [{ checkpoint: x.checkpoint, error: x.error }])).slice(0, 100);
      const cap = limit ?? 10_000;
      return { searchId, matches: matches.slice(0, cap), failures, truncated: r.truncated || matches.length > cap, evaluations: r.evaluations, condition: r.boolean };
    });
  }

  async cancelSearch({ searchId }: ParamsOf<'cancelSearch'>): Promise<{ cancelled: boolean }> {
    const c = this.searches.get(searchId);
    c?.abort(new ApiError('search cancelled', 'cancelled'));
    return { cancelled: c !== undefined };
  }

  async changes({ rec, addr, len, from, to, limit }: ParamsOf<'changes'>): Promise<ChangesResult> {
    const { engine } = this.get(rec);
    refuseLost(engine.reader, to ?? null);
    const r = await engine.changes(fromHex64(addr), len, { from, to, limit: limit ?? 10_000 });
    const hex = (b: Uint8Array | null): string | null => (b ? bytesToHex(b) : null);
    return { addr: toHex64(r.address), len: r.len, changes: r.changes.map((c) => ({ checkpoint: c.checkpoint, old: hex(c.old), new: hex(c.new) })), truncated: r.truncated };
  }

  async diff({ rec, from, to, limit }: ParamsOf<'diff'>): Promise<DiffResult> {
    const { engine } = this.get(rec);
    refuseLost(engine.reader, Math.max(from, to));
    const r = await engine.diff(from, to, { limit: limit ?? 10_000 });
    return diffJson(engine, r);
  }

  // ------------------------------------------------------------------------------------------
  // Recording sessions

  async startRecording(p: ParamsOf<'startRecording'>): Promise<SessionStarted> {
    const out = resolve(p.out ?? this.newRecordingPath(p.program));
    const opts: RecordOptions = {
      program: p.program,
      args: p.args,
      out,
      terminal: { kind: 'pty', cols: p.cols, rows: p.rows },
      ...(p.cwd !== undefined ? { cwd: p.cwd } : {}),
      ...(p.env !== undefined ? { env: p.env } : {}),
      ...(p.syscalls !== undefined ? { syscalls: p.syscalls } : {}),
      ...(p.interval !== undefined ? { interval: p.interval } : {}),
      ...(p.breaks !== undefined ? { breaks: p.breaks } : {}),
      ...(p.backend !== undefined ? { backend: p.backend } : {}),
      ...(p.maxCheckpoints !== undefined ? { maxCheckpoints: p.maxCheckpoints } : {}),
    };
    const session = await (this.options.startSession ?? RecordingSession.start)(opts);
    const sessionId = randomBytes(8).toString('hex');
    const s: Session = { session, out: session.out, paused: false, ended: false };
    this.sessions.set(sessionId, s);
    session.onOutput((data) => this.emit('onTerminalData', { sessionId, data }));
    session.onProgress((pr) => this.emit('onRecordingProgress', { sessionId, out: s.out, ...pr, paused: s.paused }));
    session.done.then(
      (sum) => {
        s.ended = true;
        this.recent.touch({ path: s.out, program: this.recordings.get(s.out)?.reader.meta.program ?? p.program, checkpoints: sum.checkpoints });
        this.emit('onRecordingEnded', {
          sessionId,
          out: s.out,
          summary: { out: sum.out, checkpoints: sum.checkpoints, exit: sum.exit, rawBytes: sum.stats.rawBytes, storedBytes: sum.stats.storedBytes, reduction: storageReduction(sum.stats.rawBytes, sum.stats.storedBytes) },
          error: null,
        });
      },
      (e: unknown) => {
        s.ended = true;
        this.emit('onRecordingEnded', { sessionId, out: s.out, summary: null, error: e instanceof Error ? e.message : String(e) });
      },
    );
    return { sessionId, out: s.out };
  }

  private newRecordingPath(program: string): string {
    mkdirSync(this.recordingsDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const name = basename(program).replace(/[^\w.-]/g, '_') || 'program';
    for (let i = 0; ; i++) {
      const p = join(this.recordingsDir, `${name}-${stamp}${i ? `-${i}` : ''}.dlr`);
      if (!existsSync(p)) return p;
    }
  }

  private liveSession(sessionId: string): Session {
    const s = this.sessions.get(sessionId);
    if (!s) throw new ApiError(`no recording session ${sessionId}`, 'not-found');
    return s;
  }

  async sessionInput({ sessionId, data }: ParamsOf<'sessionInput'>): Promise<null> {
    const s = this.liveSession(sessionId);
    if (!s.ended) s.session.write(data);
    return null;
  }

  async sessionResize({ sessionId, cols, rows }: ParamsOf<'sessionResize'>): Promise<null> {
    const s = this.liveSession(sessionId);
    if (!s.ended) s.session.resize(cols, rows);
    return null;
  }

  async sessionControl({ sessionId, action }: ParamsOf<'sessionControl'>): Promise<null> {
    const s = this.liveSession(sessionId);
    if (s.ended) throw new ApiError('the recording has already ended', 'failed');
    switch (action) {
      case 'checkpoint':
        s.session.requestCheckpoint();
        break;
      case 'pause':
        s.session.pause();
        s.paused = true;
        break;
      case 'resume':
        s.session.resume();
        s.paused = false;
        break;
      case 'stop':
        s.session.stop();
        break;
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // gdb terminals ("Open in gdb"): see gdb-terminals.ts

  async gdbOpen({ rec, k, cols, rows }: ParamsOf<'gdbOpen'>): Promise<GdbStarted> {
    const { reader, engine } = this.get(rec);
    engine.checkCheckpoint(k);
    return this.gdbTerminals.open(reader, rec, k, { cols: cols ?? 80, rows: rows ?? 24 });
  }

  async gdbInput({ sessionId, data }: ParamsOf<'gdbInput'>): Promise<null> {
    this.gdbTerminals.input(sessionId, data);
    return null;
  }

  async gdbResize({ sessionId, cols, rows }: ParamsOf<'gdbResize'>): Promise<null> {
    this.gdbTerminals.resize(sessionId, cols, rows);
    return null;
  }

  async gdbClose({ sessionId }: ParamsOf<'gdbClose'>): Promise<{ closed: boolean }> {
    return { closed: await this.gdbTerminals.close(sessionId) };
  }
}

/** Bytes [base, base+len) at checkpoint k, page by page; unmapped pages read as zero and are marked unreadable. */
function readPages(reader: RecordingReader, k: number, base: bigint, len: number): { bytes: Uint8Array; readable: { mask: ByteMask; has(i: number): boolean } } {
  const bytes = new Uint8Array(len);
  const mask = new ByteMask(len);
  const end = base + BigInt(len);
  for (let page = base - (base % PAGE); page < end; page += PAGE) {
    const lo = page < base ? base : page;
    const hi = page + PAGE > end ? end : page + PAGE;
    try {
      const data = reader.pageAt(k, page);
      bytes.set(data.subarray(Number(lo - page), Number(hi - page)), Number(lo - base));
      mask.setRange(Number(lo - base), Number(hi - base));
    } catch (e) {
      if (!(e instanceof UnmappedError)) throw e;
    }
  }
  return { bytes, readable: { mask, has: (i) => ((mask.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0 } };
}
