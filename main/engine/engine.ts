/**
 * The query engine over one recording: reads, symbols, registers, source lines, and the three
 * searches the product is about (bisect, exact find, change lists) plus diffs.
 *
 * Everything stands on partial rollback: the reader rebuilds only the pages a query touches,
 * as of a checkpoint, and reports for each page the checkpoints where it got a new version.
 *
 *   bisect   binary search for the first checkpoint where a monotone predicate holds; each
 *            probe evaluates the predicate at one checkpoint (a few page rebuilds).
 *   find     exact search, no monotonicity needed. A predicate's value is a function of the
 *            pages it read, the memory map (symbols, what is mapped) and registers. So after
 *            evaluating at k, nothing can change before the earliest checkpoint > k where one
 *            of the pages read got a new version or the memory map changed: jump there and
 *            evaluate again. Pointers are followed for free, since the pages read change as
 *            the pointers do. A predicate that reads registers can change at any checkpoint
 *            and is evaluated at every one (results say so: mode 'every-checkpoint').
 *   changes  every checkpoint where some bytes changed: the union of their pages' version
 *            lists (and map changes), with the bytes compared at each.
 *   diff     pages (and byte ranges) that differ between two checkpoints, skipping any page
 *            with no version in between, plus mappings added and removed.
 *
 * `find --all` reports transitions of the expression's value: for a comparison or a logical
 * expression that is its truth (0/1), for any other expression its value (so
 * `find --all 'u32(&counter)'` lists every value counter took). The value at `from` is the
 * first transition. An evaluation failure (say an unmapped read) is a value of its own (null,
 * with the reason) and counts as false.
 *
 * Long operations are async: they yield to the event loop every 25 ms (EngineOptions.yieldMs), honour an
 * AbortSignal (rejecting with the signal's reason, an AbortError by default) and report
 * progress. The engine never mutates the recording.
 */
import type { MapEntry } from '../../shared/model/recording.js';
import { childrenOf, isBooleanOp, symbolsOf, usesRegisters as exprUsesRegisters, type Expr } from '../../shared/predicate/ast.js';
import { parsePredicate, PredicateSyntaxError } from '../../shared/predicate/parser.js';
import { bytesEqual, valuesEqual, type Value } from '../../shared/predicate/values.js';
import { UnmappedError, type RangeCursor, type RecordingReader } from '../store/types.js';
import { compilePredicate } from './compile.js';
import { evaluate, Evaluator, holds, PAGE_SIZE, runCompiled, type EvalEnv, type EvalResult, type RangesRead } from './evaluate.js';
import { decodeRegisters, isRegisterName, REGISTER_NAMES, type DecodedRegisters } from './registers.js';
import { SourceResolver, type SourceLocation } from './source.js';
import { ElfCache, nearest, SymbolError, SymbolTable, type SymbolLocation } from './symbols.js';
import { lowerExpression, NameError, needsLowering, type Typed } from './dwarf/lower.js';
import { DebugInfoCache, DebugScope } from './dwarf/scope.js';
import { DwarfError, sizeOf, typeName, type Type } from './dwarf/dwarf.js';
import { formatBitfield, formatTyped, type FormatContext, type JsonValue } from './dwarf/format.js';
import { lowerBound, upperBound } from '../../shared/sorted.js';
import { checkpointOutOfRange } from '../../shared/api/format.js';

const PAGE_MASK = ~(PAGE_SIZE - 1n);
const YIELD_MS = 25;

/** A request the engine cannot serve as asked (a checkpoint out of range, a bad address...). */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A predicate that parses but names something that does not exist (a symbol, a register). */
export class PredicateNameError extends PredicateSyntaxError {
  constructor(message: string, position: number, end: number) {
    super(message, position, end);
    this.name = 'PredicateNameError';
  }
}

export interface Progress {
  /** 0..1 when the amount of work is known. */
  readonly fraction: number | null;
  /** Predicate evaluations (or checkpoints compared) so far. */
  readonly evaluations: number;
  /** The checkpoint being looked at. */
  readonly checkpoint: number;
  readonly message: string;
}

export interface RangeOptions {
  readonly from?: number;
  readonly to?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

export interface BisectResult {
  readonly checkpoint: number | null;
  readonly probes: number;
  readonly ms: number;
}

export type SearchMode = 'pages' | 'every-checkpoint';

export interface FindFirstResult {
  readonly checkpoint: number | null;
  readonly evaluations: number;
  readonly mode: SearchMode;
  readonly ms: number;
}

export interface Transition {
  readonly checkpoint: number;
  /** The expression's value from this checkpoint on; null when evaluation failed. */
  readonly value: Value | null;
  readonly holds: boolean;
  /** Why evaluation failed (value null), else null. */
  readonly error: string | null;
}

export interface FindAllResult {
  readonly transitions: readonly Transition[];
  /** True when `limit` cut the list short. */
  readonly truncated: boolean;
  readonly evaluations: number;
  readonly mode: SearchMode;
  /** The expression is a condition (comparison/logic): transitions are of its truth. */
  readonly boolean: boolean;
  readonly ms: number;
}

export interface Change {
  readonly checkpoint: number;
  /** The bytes before and after; null where they were not mapped. */
  readonly old: Uint8Array | null;
  readonly new: Uint8Array | null;
}

export interface ChangesResult {
  readonly address: bigint;
  readonly len: number;
  /** The bytes at `from` (null when not mapped). */
  readonly initial: Uint8Array | null;
  readonly changes: readonly Change[];
  readonly truncated: boolean;
  readonly ms: number;
}

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface PageDiff {
  readonly page: bigint;
  readonly ranges: readonly ByteRange[];
  readonly changedBytes: number;
}

export interface DiffResult {
  readonly from: number;
  readonly to: number;
  readonly pages: readonly PageDiff[];
  readonly totalPages: number;
  readonly truncated: boolean;
  readonly maps: { readonly added: readonly MapEntry[]; readonly removed: readonly MapEntry[] };
  readonly ms: number;
}

/** An expression's value by its type (Engine.readTyped); `value` is JSON (see dwarf/format.ts). */
export interface TypedRead {
  readonly expression: string;
  readonly address: bigint | null;
  readonly type: string;
  /** Bytes (0 for a bitfield). */
  readonly size: number;
  readonly value: JsonValue;
  /** As gdb's print shows it. */
  readonly text: string;
}

/** The largest object a typed read shows. */
export const TYPED_READ_MAX = 1 << 20;

export interface SourceAt {
  readonly tid: number;
  readonly pc: bigint;
  readonly symbol: SymbolLocation | null;
  readonly location: SourceLocation | null;
}

/** A parsed and checked predicate, reusable across calls. */
export interface Predicate {
  readonly source: string;
  /** The expression as evaluated: source-level names already rewritten to reads (dwarf/lower.ts). */
  readonly expr: Expr;
  /** The top expression's type and location when it names something the debug info describes. */
  readonly typed: Typed | null;
  /** False when names still need the debug info (prepared without a checkpoint). */
  readonly lowered: boolean;
  readonly usesRegisters: boolean;
  /** Top level is a comparison or logical operator. */
  readonly boolean: boolean;
}

export interface EngineOptions {
  readonly elfCache?: ElfCache;
  /** How often long operations yield to the event loop and report progress (default 25 ms; 0 = every step). */
  readonly yieldMs?: number;
}

export class Engine {
  private readonly elfCache: ElfCache;
  private readonly symbolsByMaps = new WeakMap<readonly MapEntry[], SymbolTable>();
  private readonly symbolsByKey = new Map<string, SymbolTable>();
  private readonly sources = new SourceResolver();
  private readonly debugInfo = new DebugInfoCache();
  private readonly scopes = new WeakMap<SymbolTable, DebugScope>();
  private mapsChanges: { scanned: number; points: number[] } = { scanned: 0, points: [] };
  /** The span of one memory map [from, to) that nextMapsChange last answered `next` for, with the checkpoint count then. */
  private lastMapsSpan: { n: number; from: number; to: number; next: number | null } = { n: -1, from: 0, to: 0, next: null };
  private readonly yieldMs: number;

  constructor(
    readonly reader: RecordingReader,
    options: EngineOptions = {},
  ) {
    this.elfCache = options.elfCache ?? new ElfCache();
    this.yieldMs = options.yieldMs ?? YIELD_MS;
  }

  get checkpointCount(): number {
    return this.reader.checkpointCount;
  }

  close(): void {
    this.sources.close();
  }

  // ------------------------------------------------------------------------------------------
  // Checkpoints, symbols, addresses

  /** Throws EngineError unless k is a committed checkpoint. */
  checkCheckpoint(k: number, what = 'checkpoint'): number {
    const n = this.reader.checkpointCount;
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      throw new EngineError(checkpointOutOfRange(k, n, what));
    }
    return k;
  }

  private range(opts: RangeOptions): { from: number; to: number } {
    const n = this.reader.checkpointCount;
    if (n === 0) throw new EngineError('the recording has no checkpoints');
    const from = this.checkCheckpoint(opts.from ?? 0, '--from checkpoint');
    const to = this.checkCheckpoint(opts.to ?? n - 1, '--to checkpoint');
    if (from > to) throw new EngineError(`empty range: from ${from} is after to ${to}`);
    return { from, to };
  }

  /**
   * The symbol table at checkpoint k, cached per memory map: by the identity of the reader's
   * mapsAt(k) array (the store hands out one array per distinct map, so this costs nothing per
   * checkpoint), falling back to what the table depends on (program, file mappings).
   */
  symbolsAt(k: number): SymbolTable {
    this.checkCheckpoint(k);
    const maps = this.reader.mapsAt(k);
    let t = this.symbolsByMaps.get(maps);
    if (!t) {
      const program = this.reader.programAt(k);
      const key = `${program}\n${maps.filter((m) => m.offset === 0n && m.path.startsWith('/')).map((m) => `${m.start} ${m.inode} ${m.path}`).join('\n')}`;
      t = this.symbolsByKey.get(key);
      if (!t) this.symbolsByKey.set(key, (t = new SymbolTable(maps, program, this.elfCache, program === this.reader.meta.program ? this.reader.meta.programFile : undefined)));
      this.symbolsByMaps.set(maps, t);
    }
    return t;
  }

  symbolAt(addr: bigint, k: number): SymbolLocation | null {
    return this.symbolsAt(k).lookup(addr);
  }

  /** Symbol names for completion (at checkpoint k, default the last). */
  complete(prefix: string, k = this.reader.checkpointCount - 1, limit = 50): string[] {
    if (this.reader.checkpointCount === 0) return [];
    return this.symbolsAt(k).complete(prefix, limit);
  }

  /** The debug info of the modules mapped at k (cached per symbol table). */
  debugScopeAt(k: number): DebugScope {
    const table = this.symbolsAt(k);
    let s = this.scopes.get(table);
    if (!s) this.scopes.set(table, (s = new DebugScope(table, this.debugInfo)));
    return s;
  }

  /**
   * Parses and checks a predicate: unknown symbols, registers and members are errors with a
   * position. Source-level names are resolved through the debug info at the first checkpoint
   * of `at` (the last checkpoint when `at` is empty), once: evaluation only reads.
   */
  prepare(pred: string | Predicate, at: readonly number[] = []): Predicate {
    if (typeof pred !== 'string') return pred.lowered ? pred : this.prepare(pred.source, at);
    const parsed = parsePredicate(pred);
    let expr = parsed;
    let typed: Typed | null = null;
    let lowered = true;
    if (needsLowering(parsed)) {
      const n = this.reader.checkpointCount;
      const where = at.length ? at : n > 0 ? [n - 1] : [];
      if (where.length === 0) lowered = false;
      else {
        try {
          const l = lowerExpression(parsed, this.debugScopeAt(where[0]!), pred);
          expr = l.expr;
          typed = l.top;
        } catch (e) {
          if (e instanceof NameError) throw new PredicateNameError(e.message, e.span.start, Math.max(e.span.end, e.span.start + 1));
          if (e instanceof DwarfError) throw new EngineError(`cannot resolve '${pred}': damaged debug info: ${e.message}`);
          throw e;
        }
      }
    }
    this.checkNames(expr, at);
    return { source: pred, expr, typed, lowered, usesRegisters: exprUsesRegisters(expr), boolean: isCondition(expr) };
  }

  private checkNames(expr: Expr, at: readonly number[]): void {
    const walk = (e: Expr): void => {
      if (e.kind === 'register' && !isRegisterName(e.name)) {
        const near = nearest(e.name, REGISTER_NAMES);
        throw new PredicateNameError(`unknown register '$${e.name}'${near.length ? ` (did you mean ${near.map((n) => `'$${n}'`).join(', ')}?)` : ''} at ${e.start}`, e.start, e.end);
      }
      childrenOf(e).forEach(walk);
    };
    walk(expr);
    const symbols = symbolsOf(expr);
    if (symbols.length === 0 || at.length === 0) return;
    for (const s of symbols) {
      let first: SymbolError | null = null;
      for (const k of at) {
        try {
          this.symbolsAt(k).resolveSymbol(s.name, s.library);
          first = null;
          break;
        } catch (e) {
          if (!(e instanceof SymbolError)) throw e;
          first ??= e;
        }
      }
      if (first) throw new PredicateNameError(`${first.message} at ${s.start}`, s.start, s.end);
    }
  }

  /** Evaluates a predicate or expression at checkpoint k. */
  evaluate(pred: string | Predicate, k: number): EvalResult {
    this.checkCheckpoint(k);
    const p = this.prepare(pred, [k]);
    return evaluate(p.expr, { reader: this.reader, k, symbols: () => this.symbolsAt(k) });
  }

  /** An address expression ("0x1234", "counter", "counter+8", "ptr(head)+8", "ledger.slots[2]") at checkpoint k. */
  resolveAddress(expr: string, k: number): bigint {
    // A name or lvalue the debug info describes names its location (as a typed read's argument does).
    const loc = this.locate(expr, k);
    if (loc && loc.address !== null) return loc.address;
    const r = this.evaluate(loc ? loc.predicate : expr, k);
    if (!r.ok) throw new EngineError(`cannot compute the address '${expr}': ${r.reason}`);
    if (r.value.kind !== 'int') throw new EngineError(`'${expr}' is not an address (it is a ${r.value.kind === 'float' ? 'float' : 'string'})`);
    return BigInt.asUintN(64, r.value.value);
  }

  /**
   * Where an expression's object is and what it is, from the debug info: its address (null
   * for a value that is not in memory, such as `&x` or a cast), type and size in bytes; null
   * when the expression has no type (an ELF symbol, a typed read, arithmetic).
   */
  locate(expr: string | Predicate, k: number): { address: bigint | null; type: Type; size: number; predicate: Predicate } | null {
    this.checkCheckpoint(k);
    const p = this.prepare(expr, [k]);
    const t = p.typed;
    if (!t || !t.type) return null;
    const size = t.bits ? Math.ceil((t.bits.offset + t.bits.size) / 8) : sizeOf(t.type);
    if (!t.addr) return { address: null, type: t.type, size, predicate: p };
    const r = evaluate(t.addr, { reader: this.reader, k, symbols: () => this.symbolsAt(k) });
    if (!r.ok) throw new EngineError(`cannot compute the address of '${p.source}': ${r.reason}`);
    if (r.value.kind !== 'int') throw new EngineError(`the address of '${p.source}' is not an integer`);
    return { address: BigInt.asUintN(64, r.value.value), type: t.type, size, predicate: p };
  }

  /**
   * The value of an expression at k shown by its type (gdb's `print`), or null when the
   * expression has no type from the debug info (then it is a plain address or number).
   */
  readTyped(expr: string, k: number): TypedRead | null {
    const loc = this.locate(expr, k);
    if (!loc) return null;
    const { address, type, predicate } = loc;
    const t = predicate.typed!;
    let bytes: Uint8Array;
    if (address === null) {
      // A value, not an object: its integer as the type's bytes.
      const r = evaluate(predicate.expr, { reader: this.reader, k, symbols: () => this.symbolsAt(k) });
      if (!r.ok) throw new EngineError(`cannot compute '${expr}': ${r.reason}`);
      if (r.value.kind !== 'int') throw new EngineError(`'${expr}' is not an integer`);
      bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, r.value.value), true);
    } else {
      if (loc.size > TYPED_READ_MAX) throw new EngineError(`'${expr}' is ${loc.size} bytes, over the ${TYPED_READ_MAX}-byte limit of a typed read (read a member or an element)`);
      try {
        bytes = this.reader.readMemory(k, address, loc.size);
      } catch (e) {
        if (e instanceof UnmappedError) throw new EngineError(`cannot read '${expr}' (${loc.size} bytes at 0x${address.toString(16)}): ${e.message}`);
        throw e;
      }
    }
    const table = this.symbolsAt(k);
    const ctx: FormatContext = {
      symbolAt: (a) => {
        const s = table.lookup(a);
        return s ? (s.offset ? `${s.name}+${s.offset}` : s.name) : null;
      },
      cString: (a, max) => this.cString(k, a, max),
    };
    let f;
    try {
      f = t.bits ? formatBitfield(type, bytes, t.bits) : formatTyped(type, bytes, ctx);
    } catch (e) {
      if (e instanceof DwarfError) throw new EngineError(`cannot show '${expr}': damaged debug info: ${e.message}`);
      throw e;
    }
    return { expression: expr, address, type: typeName(type) + (t.bits ? ` : ${t.bits.size}` : ''), size: t.bits ? 0 : sizeOf(type), value: f.json, text: f.text };
  }

  /** A NUL-terminated string at addr (at most max bytes) as of k, page by page; null if unreadable. */
  private cString(k: number, addr: bigint, max: number): Uint8Array | null {
    const out: number[] = [];
    let a = addr;
    while (out.length < max) {
      const chunk = Math.min(Number(PAGE_SIZE - (a & (PAGE_SIZE - 1n))), max - out.length);
      let b: Uint8Array;
      try {
        b = this.reader.readMemory(k, a, chunk);
      } catch (e) {
        if (e instanceof UnmappedError) return out.length ? Uint8Array.from(out) : null;
        throw e;
      }
      const nul = b.indexOf(0);
      if (nul >= 0) return Uint8Array.from([...out, ...b.subarray(0, nul)]);
      out.push(...b);
      a += BigInt(chunk);
    }
    return Uint8Array.from(out);
  }

  /** `len` bytes at an address expression, as of checkpoint k. Throws EngineError when unmapped. */
  read(k: number, addrExpr: string | bigint, len: number): { address: bigint; bytes: Uint8Array } {
    this.checkCheckpoint(k);
    if (!Number.isInteger(len) || len < 0) throw new EngineError(`length must be a non-negative integer, got ${len}`);
    const address = typeof addrExpr === 'bigint' ? addrExpr : this.resolveAddress(addrExpr, k);
    try {
      return { address, bytes: this.reader.readMemory(k, address, len) };
    } catch (e) {
      if (e instanceof UnmappedError) throw new EngineError(e.message);
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Registers and source

  /** Decoded registers of every thread at k, or of one thread (by tid). */
  registers(k: number, tid?: number): DecodedRegisters[] {
    this.checkCheckpoint(k);
    const threads = this.reader.registersAt(k);
    const pick = tid === undefined ? threads : threads.filter((t) => t.tid === tid);
    if (tid !== undefined && pick.length === 0) {
      throw new EngineError(`no thread ${tid} at checkpoint ${k} (threads: ${threads.map((t) => t.tid).join(', ') || 'none'})`);
    }
    return pick.map((t) => decodeRegisters(t.tid, t.gp, t.fp));
  }

  /** The current source line of a thread (default: the main thread) from its rip. */
  async source(k: number, tid?: number): Promise<SourceAt | null> {
    const all = this.registers(k, tid);
    const regs = tid === undefined ? (all.find((t) => t.tid === this.reader.meta.pid) ?? all[0]) : all[0];
    if (!regs) return null;
    const pc = regs.gp.rip;
    return { tid: regs.tid, pc, ...(await this.sourceAt(pc, k)) };
  }

  /** Symbol and source line of a code address at checkpoint k. */
  async sourceAt(pc: bigint, k: number): Promise<{ symbol: SymbolLocation | null; location: SourceLocation | null }> {
    const table = this.symbolsAt(k);
    const symbol = table.lookup(pc);
    const mod = table.moduleAt(pc);
    if (!mod) return { symbol, location: null };
    const [location] = await this.sources.lookup(mod.path, [pc - mod.base]);
    return { symbol, location: location ?? null };
  }

  // ------------------------------------------------------------------------------------------
  // Searches

  /** First checkpoint in [from, to] where a monotone predicate (false, then true for good) holds. */
  async bisect(pred: string | Predicate, opts: RangeOptions = {}): Promise<BisectResult> {
    const t0 = performance.now();
    const { from, to } = this.range(opts);
    const p = this.prepare(pred, [from, to]);
    const tick = new Ticker(opts.signal, this.yieldMs);
    let lo = from;
    let hi = to;
    let found: number | null = null;
    let probes = 0;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      probes++;
      if (holds(this.eval(p, mid))) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
      if (tick.due()) {
        await tick.pause();
        const left = Math.max(0, hi - lo + 1);
        opts.onProgress?.({
          fraction: 1 - Math.log2(left + 1) / Math.log2(to - from + 2),
          evaluations: probes,
          checkpoint: mid,
          message: `bisecting: ${left} checkpoints left between ${lo} and ${hi}`,
        });
      }
    }
    return { checkpoint: found, probes, ms: performance.now() - t0 };
  }

  /** Exact search: the first checkpoint in [from, to] where the predicate holds. */
  async find(pred: string | Predicate, opts: RangeOptions & { all?: false }): Promise<FindFirstResult>;
  /** Exact search: every transition of the predicate's value in [from, to], starting with its value at `from`. */
  async find(pred: string | Predicate, opts: RangeOptions & { all: true; limit?: number }): Promise<FindAllResult>;
  async find(pred: string | Predicate, opts: RangeOptions & { all?: boolean; limit?: number } = {}): Promise<FindFirstResult | FindAllResult> {
    const t0 = performance.now();
    const { from, to } = this.range(opts);
    const p = this.prepare(pred, [from, to]);
    const mode: SearchMode = p.usesRegisters ? 'every-checkpoint' : 'pages';
    const limit = opts.limit ?? Infinity;
    const tick = new Ticker(opts.signal, this.yieldMs);
    const tracker = new RangeTracker(this);
    // One environment for the whole search (k set per step): reads come from the tracker's
    // cursors where they hold the bytes.
    const env: { -readonly [K in keyof EvalEnv]: EvalEnv[K] } = { reader: this.reader, k: from, symbols: () => this.symbolsAt(env.k) };
    if (mode === 'pages') {
      env.readMemory = (addr, len) => tracker.bytes(env.k, addr, len) ?? this.reader.readMemory(env.k, addr, len);
      env.heldBytes = (page, off, len, out) => tracker.bytesIn(env.k, page, off, len, out);
    }
    // Compiled once; one evaluator for every step (its ranges are used before the next one).
    const run = compilePredicate(p.expr);
    const ev = new Evaluator(env);
    const transitions: Transition[] = [];
    let evaluations = 0;
    let prev: EvalResult | null = null;
    let k = from;
    for (;;) {
      env.k = k;
      const r = runCompiled(run, ev);
      evaluations++;
      const h = holds(r);
      if (!opts.all) {
        if (h) return { checkpoint: k, evaluations, mode, ms: performance.now() - t0 };
      } else if (prev === null || !sameValue(prev, r)) {
        if (transitions.length >= limit) return { transitions, truncated: true, evaluations, mode, boolean: p.boolean, ms: performance.now() - t0 };
        transitions.push({ checkpoint: k, value: r.ok ? r.value : null, holds: h, error: r.ok ? null : r.reason });
      }
      prev = r;
      const next = mode === 'pages' ? this.nextChange(r.rangesRead, k, tracker) : k + 1;
      if (next === null || next > to) break;
      k = next;
      if (tick.due()) {
        await tick.pause();
        opts.onProgress?.({
          fraction: (k - from) / Math.max(1, to - from),
          evaluations,
          checkpoint: k,
          message: `searching: checkpoint ${k} of ${from}..${to}, ${evaluations} evaluations`,
        });
      }
    }
    const ms = performance.now() - t0;
    return opts.all ? { transitions, truncated: false, evaluations, mode, boolean: p.boolean, ms } : { checkpoint: null, evaluations, mode, ms };
  }

  /**
   * The earliest checkpoint after k where some bytes read at k (a range per page) changed, or
   * the memory map changed: before it, the predicate reads the same bytes, so has the same value.
   */
  private nextChange(ranges: RangesRead, k: number, tracker: RangeTracker): number | null {
    let best = this.nextMapsChange(k);
    for (let i = 0; i < ranges.size; i++) {
      const v = tracker.nextAfter(ranges.page(i), ranges.lo(i), ranges.hi(i), k);
      if (v !== null && (best === null || v < best)) best = v;
    }
    return best;
  }

  /**
   * The first checkpoint after k whose memory map differs from k's. Change points are found
   * once (and extended as a live recording grows) from the store's maps-version change points,
   * comparing the maps of neighbours by content where the version changes.
   */
  nextMapsChange(k: number): number | null {
    const n = this.reader.checkpointCount;
    const last = this.lastMapsSpan;
    if (last.n === n && last.from <= k && k < last.to) return last.next; // a search asks once per step
    const mc = this.mapsChanges;
    if (mc.scanned < n) {
      // Only where the store's maps version changes can the map differ (same version: same text).
      const versions = this.reader.mapsVersionChanges();
      for (let j = lowerBound(versions, mc.scanned); j < versions.length; j++) {
        const i = versions[j]!;
        if (i > 0 && i < n && !sameMaps(this.reader.mapsAt(i - 1), this.reader.mapsAt(i))) mc.points.push(i);
      }
      mc.scanned = n;
    }
    const i = upperBound(mc.points, k);
    const next = i < mc.points.length ? mc.points[i]! : null;
    this.lastMapsSpan = { n, from: i > 0 ? mc.points[i - 1]! : 0, to: next ?? Infinity, next };
    return next;
  }

  private eval(p: Predicate, k: number): EvalResult {
    return evaluate(p.expr, { reader: this.reader, k, symbols: () => this.symbolsAt(k) });
  }

  /**
   * The first maps change point at or before k (0 if none) and the next one after k (Infinity
   * if none): the memory map is the same at every checkpoint in between.
   */
  mapsSpan(k: number): { from: number; to: number } {
    const next = this.nextMapsChange(k);
    const pts = this.mapsChanges.points;
    const i = upperBound(pts, k);
    return { from: i > 0 ? pts[i - 1]! : 0, to: next ?? Infinity };
  }

  /** Every checkpoint in (from, to] where the bytes [addr, addr+len) changed, with old and new bytes. */
  async changes(addr: bigint | string, len: number, opts: RangeOptions & { limit?: number } = {}): Promise<ChangesResult> {
    const t0 = performance.now();
    const { from, to } = this.range(opts);
    if (!Number.isInteger(len) || len < 1) throw new EngineError(`length must be a positive integer, got ${len}`);
    const address = typeof addr === 'bigint' ? addr : this.resolveAddress(addr, from);
    if (address < 0n || address + BigInt(len) > 1n << 64n) {
      throw new EngineError(`${len} bytes at 0x${address.toString(16)} run past the end of the 64-bit address space`);
    }
    const limit = opts.limit ?? Infinity;
    const tick = new Ticker(opts.signal, this.yieldMs);
    // Candidates: where the bytes of each page in the range changed (a range cursor skips the
    // versions of the page that left these bytes alone), and where the memory map changed.
    // The bytes at a candidate come from the cursors where they hold them (no page rebuild).
    const end = address + BigInt(len);
    const pieces: Array<{ page: bigint; lo: number; hi: number; at: bigint; outOff: number }> = [];
    for (let page = address & PAGE_MASK; page < end; page += PAGE_SIZE) {
      const lo = page > address ? 0 : Number(address - page);
      const hi = page + PAGE_SIZE > end ? Number(end - page) : Number(PAGE_SIZE);
      pieces.push({ page, lo, hi, at: page + BigInt(lo), outOff: Number(page + BigInt(lo) - address) });
    }
    const tracker = new RangeTracker(this);
    const nextCandidate = (k: number): number | null => {
      let best = this.nextMapsChange(k);
      for (const p of pieces) {
        const c = tracker.nextAfter(p.page, p.lo, p.hi, k);
        if (c !== null && (best === null || c < best)) best = c;
      }
      return best;
    };
    const readAt = (k: number): Uint8Array | null => {
      try {
        return this.reader.readMemory(k, address, len);
      } catch (e) {
        if (e instanceof UnmappedError) return null;
        throw e;
      }
    };
    const bytesAt = (k: number): Uint8Array | null => {
      if (pieces.length === 1) return tracker.bytes(k, address, len) ?? readAt(k);
      const out = new Uint8Array(len);
      for (const p of pieces) {
        const b = tracker.bytes(k, p.at, p.hi - p.lo);
        if (!b) return readAt(k);
        out.set(b, p.outOff);
      }
      return out;
    };
    const initial = readAt(from);
    let prev = initial;
    const changes: Change[] = [];
    let candidates = 0;
    for (let k = nextCandidate(from); k !== null && k <= to; k = nextCandidate(k)) {
      candidates++;
      const cur = bytesAt(k);
      if (!sameBytes(prev, cur)) {
        if (changes.length >= limit) return { address, len, initial, changes, truncated: true, ms: performance.now() - t0 };
        changes.push({ checkpoint: k, old: prev, new: cur });
        prev = cur;
      }
      if (tick.due()) {
        await tick.pause();
        opts.onProgress?.({
          fraction: (k - from) / Math.max(1, to - from),
          evaluations: candidates,
          checkpoint: k,
          message: `comparing: checkpoint ${k} of ${from}..${to}, ${candidates} candidates, ${changes.length} changes`,
        });
      }
    }
    return { address, len, initial, changes, truncated: false, ms: performance.now() - t0 };
  }

  /** What differs between checkpoints k1 and k2: mappings added/removed, and pages (with byte ranges) in mappings both share. */
  async diff(k1: number, k2: number, opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void; limit?: number } = {}): Promise<DiffResult> {
    const t0 = performance.now();
    this.checkCheckpoint(k1);
    this.checkCheckpoint(k2);
    const lo = Math.min(k1, k2);
    const hi = Math.max(k1, k2);
    const limit = opts.limit ?? Infinity;
    const tick = new Ticker(opts.signal, this.yieldMs);
    const maps1 = this.reader.mapsAt(k1);
    const maps2 = this.reader.mapsAt(k2);
    const key = (m: MapEntry): string => `${m.start}-${m.end} ${m.perms} ${m.offset} ${m.dev} ${m.inode} ${m.path}`;
    const keys1 = new Set(maps1.map(key));
    const keys2 = new Set(maps2.map(key));
    const maps = { added: maps2.filter((m) => !keys1.has(key(m))), removed: maps1.filter((m) => !keys2.has(key(m))) };

    const shared = intersectReadable(maps1, maps2);
    const totalCandidates = shared.reduce((n, [s, e]) => n + Number((e - s) / PAGE_SIZE), 0);
    const pages: PageDiff[] = [];
    let totalPages = 0;
    let done = 0;
    for (const [start, end] of shared) {
      for (let page = start; page < end; page += PAGE_SIZE) {
        done++;
        if (this.reader.sameContent(page, lo, hi)) continue; // the same blob: no need to compare
        const a = this.reader.pageAt(k1, page);
        const b = this.reader.pageAt(k2, page);
        const ranges = byteRanges(a, b);
        if (ranges.length === 0) continue;
        totalPages++;
        if (pages.length < limit) pages.push({ page, ranges, changedBytes: ranges.reduce((n, r) => n + r.length, 0) });
        if (tick.due()) {
          await tick.pause();
          opts.onProgress?.({ fraction: done / totalCandidates, evaluations: done, checkpoint: k2, message: `diffing: ${done} of ${totalCandidates} pages` });
        }
      }
      if (tick.due()) {
        await tick.pause();
        opts.onProgress?.({ fraction: done / totalCandidates, evaluations: done, checkpoint: k2, message: `diffing: ${done} of ${totalCandidates} pages` });
      }
    }
    return { from: k1, to: k2, pages, totalPages, truncated: totalPages > pages.length, maps, ms: performance.now() - t0 };
  }
}

/** Comparisons and logic give truth values; anything else is a plain expression. */
function isCondition(e: Expr): boolean {
  return (e.kind === 'binary' || e.kind === 'unary') && isBooleanOp(e.op);
}

function sameValue(a: EvalResult, b: EvalResult): boolean {
  if (!a.ok || !b.ok) return !a.ok && !b.ok;
  return valuesEqual(a.value, b.value);
}

function sameMaps(a: readonly MapEntry[], b: readonly MapEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m, i) => {
    const o = b[i]!;
    return m.start === o.start && m.end === o.end && m.perms === o.perms && m.offset === o.offset && m.inode === o.inode && m.path === o.path && m.dev === o.dev;
  });
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return bytesEqual(a, b);
}


const EMPTY = new Uint8Array(0);

/** One byte range a search follows: its cursor and the bytes it handed out. */
interface Tracked {
  readonly lo: number;
  readonly hi: number;
  readonly cursor: RangeCursor;
  /** The bytes are `before` at every checkpoint in [from, next), `after` at next. */
  from: number;
  next: number | null;
  /** Whether before/after hold bytes (not on a page a zero range covered). */
  hasBytes: boolean;
  /** The cursor's own views: they stay valid until its next nextChangeAfter, which only this range's nextAfter calls. */
  before: Uint8Array;
  after: Uint8Array | null;
}

/**
 * The byte ranges one search follows, a range cursor each, with the bytes each cursor handed
 * out. A range asked at k for its next change after k, answered c, answers c again for any k'
 * in [k, c) without a walk (its bytes did not change in between), and serves an evaluation's
 * read at any k' in [k, c] from the bytes it holds: evaluating at a change point then costs
 * no page rebuild. A read is served only where the page is readable (the memory map can
 * differ at a change point; the answer is cached per span of checkpoints with the same map).
 * Each cursor walks its page's versions forward once.
 */
class RangeTracker {
  private readonly byPage = new Map<bigint, Tracked[]>();
  private count = 0;
  private span = { from: 0, to: -1 };
  private readonly readable = new Map<bigint, boolean>();
  private lastReadable: bigint | null = null; // a page readable in this span

  constructor(private readonly engine: Engine) {}

  /** The ranges followed on a page; the last page asked is remembered (a search asks for the same one at every step). */
  private listOf(page: bigint): Tracked[] | undefined {
    if (page === this.lastPage) return this.lastList;
    const list = this.byPage.get(page);
    this.lastPage = page;
    this.lastList = list;
    return list;
  }
  private lastPage: bigint | null = null;
  private lastList: Tracked[] | undefined = undefined;

  nextAfter(page: bigint, lo: number, hi: number, k: number): number | null {
    let list = this.listOf(page);
    let t: Tracked | undefined;
    if (list) for (const x of list) if (x.lo === lo && x.hi === hi) t = x;
    if (t && t.from <= k && (t.next === null || k < t.next)) return t.next;
    if (!t) {
      if (this.count >= 4096) {
        this.byPage.clear();
        this.count = 0;
        list = undefined;
        this.lastPage = null;
      }
      t = { lo, hi, cursor: this.engine.reader.rangeCursor(page, lo, hi - lo), from: k, next: null, hasBytes: false, before: EMPTY, after: null };
      if (list) list.push(t);
      else {
        this.byPage.set(page, [t]);
        this.lastPage = null;
      }
      this.count++;
    }
    t.from = k;
    t.next = t.cursor.nextChangeAfter(k);
    const before = t.cursor.bytesBefore();
    t.hasBytes = before !== null;
    if (before) {
      t.before = before;
      t.after = t.cursor.bytesAtChange();
    }
    return t.next;
  }

  /** Bytes [addr, addr+len) at k when a followed range holds them and the page is readable at k, else null. */
  bytes(k: number, addr: bigint, len: number): Uint8Array | null {
    const page = addr & PAGE_MASK;
    return this.bytesIn(k, page, Number(addr - page), len, null);
  }

  /** Bytes [off, off+len) of a page at k, as bytes() (the range must lie inside the page), copied into `out` (or a new array). */
  bytesIn(k: number, page: bigint, off: number, len: number, out: Uint8Array | null): Uint8Array | null {
    const list = this.listOf(page);
    if (!list) return null;
    for (const t of list) {
      if (!t.hasBytes || off < t.lo || off + len > t.hi || k < t.from) continue;
      const src = t.next === null || k < t.next ? t.before : k === t.next ? t.after : null;
      if (!src || !this.isReadable(k, page)) continue;
      // A copy (the evaluator may keep it as a value); by hand, as TypedArray slice costs more for a few bytes.
      const dst = out ?? new Uint8Array(len);
      for (let i = 0, from = off - t.lo; i < len; i++) dst[i] = src[from + i]!;
      return dst;
    }
    return null;
  }

  private isReadable(k: number, page: bigint): boolean {
    if (k < this.span.from || k >= this.span.to) {
      this.span = this.engine.mapsSpan(k);
      this.readable.clear();
      this.lastReadable = null;
    }
    if (page === this.lastReadable) return true; // the page of the last read (bigint Map lookups are slow)
    let r = this.readable.get(page);
    if (r === undefined) {
      r = this.engine.reader.mapsAt(k).some((m) => m.perms[0] === 'r' && m.start <= page && page < m.end);
      this.readable.set(page, r);
    }
    if (r) this.lastReadable = page;
    return r;
  }
}

/** Checks the abort signal on every call; says when it is time to yield to the event loop (every everyMs). */
class Ticker {
  private last = performance.now();
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly everyMs: number,
  ) {}
  private calls = 0;
  /** True when it is time to pause() (then a good moment to report progress). Throws when aborted. */
  due(): boolean {
    this.signal?.throwIfAborted();
    // The clock is read every 64 calls (a search step can take well under a microsecond).
    if (this.everyMs > 0 && (++this.calls & 63) !== 0) return false;
    return performance.now() - this.last >= this.everyMs;
  }
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
    this.last = performance.now();
  }
}

/** Address ranges readable in both maps (page-aligned, merged, ascending). */
function intersectReadable(a: readonly MapEntry[], b: readonly MapEntry[]): Array<[bigint, bigint]> {
  const readable = (m: readonly MapEntry[]): Array<[bigint, bigint]> =>
    m
      .filter((e) => e.perms[0] === 'r' && e.path !== '[vvar]' && e.path !== '[vsyscall]')
      .map((e): [bigint, bigint] => [e.start, e.end])
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const ra = readable(a);
  const rb = readable(b);
  const out: Array<[bigint, bigint]> = [];
  let i = 0;
  let j = 0;
  while (i < ra.length && j < rb.length) {
    const s = ra[i]![0] > rb[j]![0] ? ra[i]![0] : rb[j]![0];
    const e = ra[i]![1] < rb[j]![1] ? ra[i]![1] : rb[j]![1];
    if (s < e) {
      const lastRange = out[out.length - 1];
      if (lastRange && lastRange[1] === s) lastRange[1] = e;
      else out.push([s, e]);
    }
    if (ra[i]![1] < rb[j]![1]) i++;
    else j++;
  }
  return out;
}

/** Runs of differing bytes between two equal-length blocks. */
export function byteRanges(a: Uint8Array, b: Uint8Array): ByteRange[] {
  const out: ByteRange[] = [];
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && a[i] !== b[i]) i++;
    out.push({ offset: start, length: i - start });
  }
  return out;
}
