/**
 * Evaluates a parsed predicate at one checkpoint of a recording.
 *
 * Memory reads go through the reader's partial rollback (only the pages touched are rebuilt),
 * and every page a read touched is noted in `pagesRead`: exact search relies on the fact that
 * a predicate's value can only change where one of those pages (or the memory map, or a
 * register) changes. Evaluation is lazy where C is (&&, ||), so only pages that decided the
 * result are noted, and that is still exact: the skipped operand did not matter as long as
 * the pages that were read keep their bytes.
 *
 * Nothing here throws for a predicate that fails at run time (an unmapped address, an unknown
 * symbol, a division by zero, a missing thread): the result is `{ ok: false, reason }`, and a
 * search treats it as false. The reason names the read and the checkpoint, e.g.
 * "u32(0x1234): address 0x1234 is not mapped at checkpoint 7".
 */
import type { Expr, ThreadRef } from '../../shared/predicate/ast.js';
import {
  asAddress,
  binaryOp,
  bool,
  int,
  PredicateEvalError,
  truthy,
  unaryOp,
  type Value,
} from '../../shared/predicate/values.js';
import { UnmappedError, type RecordingReader } from '../store/types.js';
import { decodeRegisters, RegisterDecodeError, registerValue, type DecodedRegisters } from './registers.js';
import { SymbolError, type SymbolTable } from './symbols.js';

export const PAGE_SIZE = 4096n;
const PAGE_MASK = ~(PAGE_SIZE - 1n);
const PAGE_BYTES = Number(PAGE_SIZE);
const ADDRESS_END = 1n << 64n;
export const CSTR_MAX = 4096;
export const BYTES_MAX = 4096;

export interface EvalEnv {
  readonly reader: RecordingReader;
  readonly k: number;
  /** The symbol table at k (called only when the predicate names a symbol). */
  symbols(): SymbolTable;
  /**
   * Reads len bytes at addr as of k (throws UnmappedError): a search passes one that serves
   * bytes its range cursors already hold. Default: the reader's readMemory.
   */
  readMemory?(addr: bigint, len: number): Uint8Array;
  /**
   * The bytes [off, off+len) of one page as of k if held at hand (a search's range cursors),
   * copied into `out` (or a new array when null) and returned; else null (then readMemory is
   * asked). Spares a read the address arithmetic again, and a typed read an allocation.
   */
  heldBytes?(page: bigint, off: number, len: number, out: Uint8Array | null): Uint8Array | null;
}

/** Per page read: the smallest byte range [lo, hi) (offsets in the page) covering every read of it. */
export interface RangesRead extends Iterable<[bigint, { readonly lo: number; readonly hi: number }]> {
  /** Pages read. */
  readonly size: number;
  /** The i-th page read (in order of first read), and its range. */
  page(i: number): bigint;
  lo(i: number): number;
  hi(i: number): number;
  keys(): IterableIterator<bigint>;
}

/**
 * RangesRead as parallel arrays, emptied for the next evaluation without allocating: a search
 * notes a range or two per step, where a Map and an entry object per step showed in its time.
 */
export class PageRanges implements RangesRead {
  private readonly pages: bigint[] = [];
  private readonly los: number[] = [];
  private readonly his: number[] = [];
  size = 0;

  clear(): void {
    this.size = 0;
  }

  /** Widens the range noted for page p to cover [lo, hi). */
  note(p: bigint, lo: number, hi: number): void {
    for (let i = 0; i < this.size; i++) {
      if (this.pages[i] === p) {
        if (lo < this.los[i]!) this.los[i] = lo;
        if (hi > this.his[i]!) this.his[i] = hi;
        return;
      }
    }
    const i = this.size++;
    this.pages[i] = p;
    this.los[i] = lo;
    this.his[i] = hi;
  }

  page(i: number): bigint {
    return this.pages[i]!;
  }
  lo(i: number): number {
    return this.los[i]!;
  }
  hi(i: number): number {
    return this.his[i]!;
  }

  *keys(): IterableIterator<bigint> {
    for (let i = 0; i < this.size; i++) yield this.pages[i]!;
  }

  *[Symbol.iterator](): IterableIterator<[bigint, { readonly lo: number; readonly hi: number }]> {
    for (let i = 0; i < this.size; i++) yield [this.pages[i]!, { lo: this.los[i]!, hi: this.his[i]! }];
  }
}

export type EvalResult =
  | { readonly ok: true; readonly value: Value; readonly pagesRead: ReadonlySet<bigint>; readonly rangesRead: RangesRead; readonly usesRegisters: boolean }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Source span of the failing sub-expression, when known. */
      readonly span: { start: number; end: number } | null;
      readonly pagesRead: ReadonlySet<bigint>;
      readonly rangesRead: RangesRead;
      readonly usesRegisters: boolean;
    };

/** Evaluates `expr` at env.k. Never throws for run-time failures (see EvalResult). */
export function evaluate(expr: Expr, env: EvalEnv): EvalResult {
  const ev = new Evaluator(env);
  try {
    return new Evaluated(ev.eval(expr), ev.ranges, ev.usedRegisters);
  } catch (e) {
    if (e instanceof PredicateEvalError) {
      const span = e.span ? { start: e.span.start, end: e.span.end } : null;
      return new Failed(e.message, span, ev.ranges, ev.usedRegisters);
    }
    throw e;
  }
}

/**
 * Runs a compiled predicate (compile.ts) on an Evaluator just reset: the same result as
 * evaluate() on its expression. The result's rangesRead is the evaluator's own map, valid
 * until its next reset (a search uses it before the next step).
 */
export function runCompiled(run: (ev: Evaluator) => Value, ev: Evaluator): EvalResult {
  ev.reset();
  try {
    return new Evaluated(run(ev), ev.ranges, ev.usedRegisters);
  } catch (e) {
    if (e instanceof PredicateEvalError) {
      const span = e.span ? { start: e.span.start, end: e.span.end } : null;
      return new Failed(e.message, span, ev.ranges, ev.usedRegisters);
    }
    throw e;
  }
}

/** Results are classes so that pagesRead (the keys of rangesRead) is built only when asked for: searches never ask. */
class Evaluated {
  readonly ok = true as const;
  constructor(
    readonly value: Value,
    readonly rangesRead: RangesRead,
    readonly usesRegisters: boolean,
  ) {}
  get pagesRead(): ReadonlySet<bigint> {
    return new Set(this.rangesRead.keys());
  }
}

class Failed {
  readonly ok = false as const;
  constructor(
    readonly reason: string,
    readonly span: { start: number; end: number } | null,
    readonly rangesRead: RangesRead,
    readonly usesRegisters: boolean,
  ) {}
  get pagesRead(): ReadonlySet<bigint> {
    return new Set(this.rangesRead.keys());
  }
}

/** Is the result a true condition? Failures and strings count as false. */
export function holds(r: EvalResult): boolean {
  if (!r.ok) return false;
  try {
    return truthy(r.value);
  } catch {
    return false;
  }
}

/**
 * The interpreter, and the run-time support of compiled predicates (compile.ts): reads that
 * note their byte ranges, symbols, registers. A search reuses one across its steps (reset()).
 */
export class Evaluator {
  readonly ranges = new PageRanges();
  usedRegisters = false;
  private threads: readonly DecodedRegisters[] | null = null;

  constructor(private readonly env: EvalEnv) {}

  /** Forgets the last evaluation (ranges, registers) for one at env.k as it is now. */
  reset(): void {
    this.ranges.clear();
    this.usedRegisters = false;
    this.threads = null;
  }

  /** The address of a symbol at k (unsigned); an unknown one is an evaluation error. */
  symbol(e: Extract<Expr, { kind: 'symbol' }>): bigint {
    try {
      return BigInt.asUintN(64, this.env.symbols().resolveSymbol(e.name, e.library));
    } catch (err) {
      if (err instanceof SymbolError) throw new PredicateEvalError(err.message, e);
      throw err;
    }
  }

  eval(e: Expr): Value {
    switch (e.kind) {
      case 'number':
        return int(e.value, e.signed);
      case 'float':
        return { kind: 'float', value: e.value };
      case 'string':
        return { kind: 'bytes', value: e.bytes };
      case 'symbol':
        return int(this.symbol(e));
      case 'register':
        return int(this.register(e.thread, e.name, e));
      case 'unary':
        return unaryOp(e.op, this.eval(e.operand), e);
      case 'binary':
        if (e.op === '&&' || e.op === '||') {
          const l = truthy(this.eval(e.left), e.left);
          if (e.op === '&&' ? !l : l) return bool(l);
          return bool(truthy(this.eval(e.right), e.right));
        }
        return binaryOp(e.op, this.eval(e.left), this.eval(e.right), e);
      case 'call':
        return this.call(e);
      case 'static':
        return int(this.staticAddress(e));
      case 'convert':
        return int(convertInt(asAddress(this.eval(e.operand), 'a converted value', e.operand), e.bits, e.signed), e.signed);
      case 'address':
        if (e.operand.kind === 'symbol') return int(this.symbol(e.operand));
        throw new PredicateEvalError(`'&' of anything but a symbol needs the program's debug info at ${e.start}`, e);
      default:
        throw new PredicateEvalError(`'${printKind(e)}' needs the program's debug info at ${e.start}`, e);
    }
  }

  /** A module's file address relocated to where the module is loaded at k. */
  staticAddress(e: Extract<Expr, { kind: 'static' }>): bigint {
    const table = this.env.symbols();
    if (table !== this.lastTable) {
      this.lastTable = table;
      this.lastBases.clear();
    }
    let base = this.lastBases.get(e.module);
    if (base === undefined) {
      const mod = table.modules.find((m) => m.path === e.module);
      if (!mod) throw new PredicateEvalError(`${e.name}: ${e.module} is not loaded at checkpoint ${this.env.k}`, e);
      this.lastBases.set(e.module, (base = mod.base));
    }
    return BigInt.asUintN(64, base + e.offset);
  }
  private lastTable: SymbolTable | null = null;
  private readonly lastBases = new Map<string, bigint>();

  private call(e: Extract<Expr, { kind: 'call' }>): Value {
    const addr = asAddress(this.eval(e.args[0]!), `the address given to ${e.fn}()`, e.args[0]!);
    const where = e.label ?? e.fn; // read() names the address in a failure, only then formatting it
    switch (e.fn) {
      // Signed reads sign-extend from their width: i32 of ff ff ff ff is -1.
      case 'u8':
        return int(BigInt(this.scalar(addr, 1, where, e).getUint8(0)));
      case 'i8':
        return int(BigInt(this.scalar(addr, 1, where, e).getInt8(0)), true);
      case 'u16':
        return int(BigInt(this.scalar(addr, 2, where, e).getUint16(0, true)));
      case 'i16':
        return int(BigInt(this.scalar(addr, 2, where, e).getInt16(0, true)), true);
      case 'u32':
        return int(BigInt(this.scalar(addr, 4, where, e).getUint32(0, true)));
      case 'i32':
        return int(BigInt(this.scalar(addr, 4, where, e).getInt32(0, true)), true);
      case 'u64':
      case 'ptr':
        return int(this.scalar(addr, 8, where, e).getBigUint64(0, true));
      case 'i64':
        return int(this.scalar(addr, 8, where, e).getBigInt64(0, true), true);
      case 'f32':
        return { kind: 'float', value: this.scalar(addr, 4, where, e).getFloat32(0, true) };
      case 'f64':
        return { kind: 'float', value: this.scalar(addr, 8, where, e).getFloat64(0, true) };
      case 'cstr':
        return { kind: 'bytes', value: this.cstr(addr, where, e) };
      case 'bytes': {
        const len = asAddress(this.eval(e.args[1]!), 'the length given to bytes()', e.args[1]!);
        if (len > BigInt(BYTES_MAX)) throw new PredicateEvalError(`bytes(): length ${len} is over the limit of ${BYTES_MAX}`, e.args[1]!);
        return { kind: 'bytes', value: this.read(addr, Number(len), `bytes`, e, `, ${len}`) };
      }
    }
  }

  /**
   * Reads [addr, addr+len) at k, noting the byte ranges per page; unmapped memory becomes an
   * evaluation error naming `fn(named${extra})`.
   */
  read(addr: bigint, len: number, fn: string, span: Expr, extra = '', named = addr, into: Uint8Array | null = null): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const first = addr & PAGE_MASK;
    const off = Number(addr - first);
    if (off + len <= PAGE_BYTES) {
      this.note(first, off, off + len); // within one page (the common case: no overflow possible)
      const held = this.env.heldBytes?.(first, off, len, into);
      if (held) return held;
    } else {
      const last = addr + BigInt(len) - 1n;
      if (last >= ADDRESS_END) throw new PredicateEvalError(`${fn}(0x${named.toString(16)}${extra}): the read runs past the end of the address space`, span);
      for (let p = first; p <= last; p += PAGE_SIZE) {
        this.note(p, p > addr ? 0 : Number(addr - p), p + PAGE_SIZE - 1n > last ? Number(last - p) + 1 : PAGE_BYTES);
      }
    }
    try {
      return this.env.readMemory ? this.env.readMemory(addr, len) : this.env.reader.readMemory(this.env.k, addr, len);
    } catch (err) {
      if (err instanceof UnmappedError) throw new PredicateEvalError(`${fn}(0x${named.toString(16)}${extra}): ${err.message}`, span);
      throw err;
    }
  }

  /**
   * A typed read (len <= 8): the bytes in a scratch DataView, valid until the next call. Held
   * bytes are copied straight into it (no array per read).
   */
  scalar(addr: bigint, len: number, fn: string, span: Expr): DataView {
    const b = this.read(addr, len, fn, span, '', addr, scratchBytes);
    if (b !== scratchBytes) scratchBytes.set(b);
    return scratch;
  }

  /** Widens the range noted for page p to cover [lo, hi). */
  private note(p: bigint, lo: number, hi: number): void {
    this.ranges.note(p, lo, hi);
  }

  /** A NUL-terminated string of at most CSTR_MAX bytes, read page by page so only touched pages count. */
  private cstr(addr: bigint, fn: string, span: Expr): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    let a = addr;
    while (total < CSTR_MAX) {
      const chunk = Math.min(Number(((a & PAGE_MASK) + PAGE_SIZE) - a), CSTR_MAX - total);
      const bytes = this.read(a, chunk, fn, span, '', addr);
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        parts.push(bytes.subarray(0, nul));
        total += nul;
        break;
      }
      parts.push(bytes);
      total += chunk;
      a += BigInt(chunk);
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  private register(thread: ThreadRef, name: string, span: Expr): bigint {
    this.usedRegisters = true;
    const { reader, k } = this.env;
    if (!this.threads) {
      this.threads = reader.registersAt(k).map((t) => {
        try {
          return decodeRegisters(t.tid, t.gp, t.fp);
        } catch (err) {
          if (err instanceof RegisterDecodeError) throw new PredicateEvalError(`thread ${t.tid} at checkpoint ${k}: ${err.message}`, span);
          throw err;
        }
      });
    }
    const threads = this.threads;
    let regs: DecodedRegisters | undefined;
    if (thread.kind === 'main') regs = threads.find((t) => t.tid === reader.meta.pid) ?? threads[0];
    else if (thread.kind === 'index') regs = threads[thread.index];
    else regs = threads.find((t) => t.tid === thread.tid);
    if (!regs) {
      const what = thread.kind === 'main' ? 'no threads' : thread.kind === 'index' ? `no thread with index ${thread.index}` : `no thread with tid ${thread.tid}`;
      throw new PredicateEvalError(`$${name}: ${what} at checkpoint ${k} (threads: ${threads.map((t) => t.tid).join(', ') || 'none'})`, span);
    }
    try {
      return registerValue(regs, name);
    } catch (err) {
      if (err instanceof RegisterDecodeError) throw new PredicateEvalError(`$${name}: ${err.message}`, span);
      throw err;
    }
  }
}

/** An integer wrapped to `bits` bits, sign-extended when signed. */
export function convertInt(v: bigint, bits: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

function printKind(e: Expr): string {
  switch (e.kind) {
    case 'member':
      return e.arrow ? '->' : '.';
    case 'index':
      return '[]';
    case 'deref':
      return '*';
    case 'cast':
      return 'a cast';
    case 'sizeof':
      return 'sizeof';
    default:
      return e.kind;
  }
}

// Typed reads decode from a copy in one scratch buffer (Evaluator.scalar): a DataView over a
// small read would make V8 materialise the read's own ArrayBuffer, the costliest step of a
// search's evaluation.
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);
