/**
 * Compiles a predicate into a tree of closures, once per search, so that exact search's
 * evaluation at every change point (a counter that changes at every checkpoint means one per
 * checkpoint) does not walk the syntax tree, switch on node kinds and box every intermediate
 * integer as a Value.
 *
 * The language's types are static: a number literal, a read, a symbol, arithmetic and logic on
 * integers give an integer whose signedness is known from the tree alone (values.ts). So an
 * integer sub-expression compiles to a function returning its bigint, already wrapped to its
 * signedness, and only the result is made a Value. The semantics are values.ts's (the same
 * wrapping, conversions, shift and division rules and error messages); reads, symbols and
 * failures go through the Evaluator (evaluate.ts), so the ranges noted are the interpreter's.
 *
 * Only integer trees without registers are compiled (what searches over memory ask); anything
 * else (floats, strings, registers) runs the interpreter on a reused Evaluator. compile.test.ts
 * checks every operator and read against the interpreter on random values.
 */
import type { BinaryOp, Expr } from '../../shared/predicate/ast.js';
import { PredicateEvalError, type Value } from '../../shared/predicate/values.js';
import { convertInt, type Evaluator } from './evaluate.js';

type IntFn = (ev: Evaluator) => bigint;
interface IntCode {
  readonly fn: IntFn;
  readonly signed: boolean;
}

/** A function computing the expression's value on an Evaluator (reads noted, failures thrown as PredicateEvalError). */
export type CompiledPredicate = (ev: Evaluator) => Value;

export function compilePredicate(expr: Expr): CompiledPredicate {
  const c = compileInt(expr);
  if (!c) return (ev) => ev.eval(expr);
  const { fn, signed } = c;
  return (ev) => ({ kind: 'int', value: fn(ev), signed });
}

/** Whether compilePredicate gives closures (not the interpreter) for this expression (tests). */
export function isCompiled(expr: Expr): boolean {
  return compileInt(expr) !== null;
}

const wrap = (v: bigint, signed: boolean): bigint => (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
const truth = (v: bigint): boolean => v !== 0n;

function compileInt(e: Expr): IntCode | null {
  switch (e.kind) {
    case 'number': {
      const v = wrap(e.value, e.signed);
      return { fn: () => v, signed: e.signed };
    }
    case 'symbol':
      return { fn: (ev) => ev.symbol(e), signed: false };
    case 'static':
      return { fn: (ev) => ev.staticAddress(e), signed: false };
    case 'convert': {
      const a = compileInt(e.operand);
      if (!a) return null;
      const f = a.fn;
      const { bits, signed } = e;
      return { fn: (ev) => convertInt(f(ev), bits, signed), signed };
    }
    case 'unary': {
      const a = compileInt(e.operand);
      if (!a) return null;
      const f = a.fn;
      const s = a.signed;
      switch (e.op) {
        case '!':
          return { fn: (ev) => (f(ev) === 0n ? 1n : 0n), signed: true };
        case '+':
          return a;
        case '-':
          return { fn: (ev) => wrap(-f(ev), s), signed: s };
        case '~':
          return { fn: (ev) => wrap(~f(ev), s), signed: s };
      }
      return null;
    }
    case 'binary':
      return compileBinary(e);
    case 'call':
      return compileRead(e);
    default:
      return null; // floats, strings, registers: the interpreter
  }
}

function compileBinary(e: Extract<Expr, { kind: 'binary' }>): IntCode | null {
  const l = compileInt(e.left);
  const r = compileInt(e.right);
  if (!l || !r) return null;
  const a = l.fn;
  const b = r.fn;
  if (e.op === '&&') return { fn: (ev) => (truth(a(ev)) && truth(b(ev)) ? 1n : 0n), signed: true };
  if (e.op === '||') return { fn: (ev) => (truth(a(ev)) || truth(b(ev)) ? 1n : 0n), signed: true };
  if (e.op === '<<' || e.op === '>>') {
    // The left operand's type; the count as unsigned (values.ts).
    const s = l.signed;
    if (e.op === '<<') return { fn: (ev) => shiftLeft(a(ev), BigInt.asUintN(64, b(ev)), s), signed: s };
    return { fn: (ev) => shiftRight(a(ev), BigInt.asUintN(64, b(ev)), s), signed: s };
  }
  // Usual arithmetic conversions: with an unsigned operand both are taken as u64.
  const s = l.signed && r.signed;
  const x: IntFn = s || !l.signed ? a : (ev) => BigInt.asUintN(64, a(ev));
  const y: IntFn = s || !r.signed ? b : (ev) => BigInt.asUintN(64, b(ev));
  const op: BinaryOp = e.op;
  switch (op) {
    case '<':
      return { fn: (ev) => (x(ev) < y(ev) ? 1n : 0n), signed: true };
    case '<=':
      return { fn: (ev) => (x(ev) <= y(ev) ? 1n : 0n), signed: true };
    case '>':
      return { fn: (ev) => (x(ev) > y(ev) ? 1n : 0n), signed: true };
    case '>=':
      return { fn: (ev) => (x(ev) >= y(ev) ? 1n : 0n), signed: true };
    case '==':
      return { fn: (ev) => (x(ev) === y(ev) ? 1n : 0n), signed: true };
    case '!=':
      return { fn: (ev) => (x(ev) !== y(ev) ? 1n : 0n), signed: true };
    case '+':
      return { fn: (ev) => wrap(x(ev) + y(ev), s), signed: s };
    case '-':
      return { fn: (ev) => wrap(x(ev) - y(ev), s), signed: s };
    case '*':
      return { fn: (ev) => wrap(x(ev) * y(ev), s), signed: s };
    case '&':
      return { fn: (ev) => wrap(x(ev) & y(ev), s), signed: s };
    case '|':
      return { fn: (ev) => wrap(x(ev) | y(ev), s), signed: s };
    case '^':
      return { fn: (ev) => wrap(x(ev) ^ y(ev), s), signed: s };
    case '/':
    case '%': {
      const div = op === '/';
      return {
        fn: (ev) => {
          const p = x(ev);
          const q = y(ev);
          if (q === 0n) throw new PredicateEvalError(div ? 'division by zero' : 'remainder by zero', e);
          return wrap(div ? p / q : p % q, s);
        },
        signed: s,
      };
    }
    default:
      return null;
  }
}

function shiftLeft(v: bigint, count: bigint, signed: boolean): bigint {
  return count >= 64n ? 0n : wrap(v << count, signed);
}

function shiftRight(v: bigint, count: bigint, signed: boolean): bigint {
  if (count >= 64n) return wrap(v < 0n ? -1n : 0n, signed);
  return wrap(v >> count, signed);
}

/** Integer reads; the address (an integer) is taken as u64, as asAddress does. */
function compileRead(e: Extract<Expr, { kind: 'call' }>): IntCode | null {
  if (e.args.length !== 1) return null;
  const arg = compileInt(e.args[0]!);
  if (!arg) return null;
  const at = arg.signed ? (ev: Evaluator) => BigInt.asUintN(64, arg.fn(ev)) : arg.fn;
  const fn = e.label ?? e.fn;
  switch (e.fn) {
    case 'u8':
      return { fn: (ev) => BigInt(ev.scalar(at(ev), 1, fn, e).getUint8(0)), signed: false };
    case 'i8':
      return { fn: (ev) => BigInt(ev.scalar(at(ev), 1, fn, e).getInt8(0)), signed: true };
    case 'u16':
      return { fn: (ev) => BigInt(ev.scalar(at(ev), 2, fn, e).getUint16(0, true)), signed: false };
    case 'i16':
      return { fn: (ev) => BigInt(ev.scalar(at(ev), 2, fn, e).getInt16(0, true)), signed: true };
    case 'u32':
      return { fn: (ev) => BigInt(ev.scalar(at(ev), 4, fn, e).getUint32(0, true)), signed: false };
    case 'i32':
      return { fn: (ev) => BigInt(ev.scalar(at(ev), 4, fn, e).getInt32(0, true)), signed: true };
    case 'u64':
    case 'ptr':
      return { fn: (ev) => ev.scalar(at(ev), 8, fn, e).getBigUint64(0, true), signed: false };
    case 'i64':
      return { fn: (ev) => ev.scalar(at(ev), 8, fn, e).getBigInt64(0, true), signed: true };
    default:
      return null; // floats, strings
  }
}
