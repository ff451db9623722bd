/**
 * Values and operator semantics of the predicate language, independent of where memory comes
 * from (the engine supplies reads; tests and the renderer can use these directly).
 *
 * Integers are 64-bit, held as bigint with a signedness flag, following C's rules for
 * 64-bit operands: literals that fit in i64 and signed reads (i8..i64) are signed; unsigned
 * reads, addresses, symbols and registers are unsigned; an operation with any unsigned operand
 * is unsigned. Results wrap to 64 bits (BigInt.asUintN / asIntN). Comparisons and logic give
 * signed 0 or 1. Floats (f32, f64, float literals) are doubles; mixing a float and an integer
 * converts the integer. Strings (cstr, bytes, "literals") are byte arrays and compare
 * bytewise. Anything C would reject or leave undefined is an evaluation error here (division
 * by zero, bitwise operators on floats, arithmetic on strings), never a crash; shifts by 64 or
 * more give 0 (or -1 for a negative signed value shifted right).
 */
import type { BinaryOp, Span, UnaryOp } from './ast.js';

export type Value =
  | { readonly kind: 'int'; readonly value: bigint; readonly signed: boolean }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bytes'; readonly value: Uint8Array };

/** A predicate that parsed but cannot be evaluated here (a bad read, a division by zero...). */
export class PredicateEvalError extends Error {
  constructor(
    message: string,
    readonly span: Span | null = null,
  ) {
    super(message);
    this.name = 'PredicateEvalError';
  }
}

export const int = (value: bigint, signed = false): Value => ({ kind: 'int', value: signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value), signed });
export const bool = (b: boolean): Value => ({ kind: 'int', value: b ? 1n : 0n, signed: true });

/** C truthiness: non-zero numbers. Strings are not conditions. */
export function truthy(v: Value, span: Span | null = null): boolean {
  if (v.kind === 'int') return v.value !== 0n;
  if (v.kind === 'float') return v.value !== 0;
  throw new PredicateEvalError('a string is not a condition (compare it: cstr(a) == "text")', span);
}

/** Human form: integers in decimal, floats as JS prints them, strings quoted. */
export function formatValue(v: Value): string {
  if (v.kind === 'int') return v.value.toString();
  if (v.kind === 'float') return Number.isInteger(v.value) && Math.abs(v.value) < 1e21 ? v.value.toFixed(1) : String(v.value);
  return JSON.stringify(decodeBytes(v.value));
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'bytes') return bytesEqual(a.value, (b as typeof a).value);
  if (a.kind === 'float') return Object.is(a.value, (b as typeof a).value) || a.value === (b as typeof a).value;
  return a.value === (b as typeof a).value && a.signed === (b as typeof a).signed;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const utf8 = new TextDecoder('utf-8');
/** Bytes as text (UTF-8 with replacement characters). */
export function decodeBytes(b: Uint8Array): string {
  return utf8.decode(b);
}

function toAddressLike(v: Value, what: string, span: Span | null): bigint {
  if (v.kind === 'int') return v.value;
  throw new PredicateEvalError(`${what} must be an integer, got ${v.kind === 'float' ? 'a float' : 'a string'}`, span);
}

/** An integer used as an address or length: wrapped to u64. */
export function asAddress(v: Value, what: string, span: Span | null): bigint {
  return BigInt.asUintN(64, toAddressLike(v, what, span));
}

export function unaryOp(op: UnaryOp, a: Value, span: Span | null): Value {
  if (op === '!') return bool(!truthy(a, span));
  if (a.kind === 'bytes') throw new PredicateEvalError(`'${op}' does not apply to a string`, span);
  if (a.kind === 'float') {
    if (op === '~') throw new PredicateEvalError("'~' does not apply to a float", span);
    return { kind: 'float', value: op === '-' ? -a.value : a.value };
  }
  if (op === '+') return a;
  return int(op === '-' ? -a.value : ~a.value, a.signed);
}

function compare(op: BinaryOp, c: number): Value {
  switch (op) {
    case '<':
      return bool(c < 0);
    case '<=':
      return bool(c <= 0);
    case '>':
      return bool(c > 0);
    case '>=':
      return bool(c >= 0);
    case '==':
      return bool(c === 0);
    default:
      return bool(c !== 0);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const COMPARISONS = new Set<BinaryOp>(['<', '<=', '>', '>=', '==', '!=']);

/** Every binary operator except && and || (which short-circuit, so the evaluator handles them). */
export function binaryOp(op: BinaryOp, a: Value, b: Value, span: Span | null): Value {
  if (op === '&&' || op === '||') {
    const l = truthy(a, span);
    return bool(op === '&&' ? l && truthy(b, span) : l || truthy(b, span));
  }
  if (a.kind === 'bytes' || b.kind === 'bytes') {
    if (a.kind === 'bytes' && b.kind === 'bytes' && COMPARISONS.has(op)) return compare(op, compareBytes(a.value, b.value));
    throw new PredicateEvalError(
      COMPARISONS.has(op) ? 'a string can only be compared with a string' : `'${op}' does not apply to a string`,
      span,
    );
  }
  if (a.kind === 'float' || b.kind === 'float') {
    const x = a.kind === 'float' ? a.value : Number(a.value);
    const y = b.kind === 'float' ? b.value : Number(b.value);
    if (COMPARISONS.has(op)) {
      if (Number.isNaN(x) || Number.isNaN(y)) return bool(op === '!=');
      return compare(op, x < y ? -1 : x > y ? 1 : 0);
    }
    switch (op) {
      case '+':
        return { kind: 'float', value: x + y };
      case '-':
        return { kind: 'float', value: x - y };
      case '*':
        return { kind: 'float', value: x * y };
      case '/':
        return { kind: 'float', value: x / y };
      case '%':
        return { kind: 'float', value: x % y };
      default:
        throw new PredicateEvalError(`'${op}' does not apply to a float`, span);
    }
  }
  const signed = a.signed && b.signed;
  // Usual arithmetic conversions: with an unsigned operand both are reinterpreted as u64.
  const x = signed ? a.value : BigInt.asUintN(64, a.value);
  const y = signed ? b.value : BigInt.asUintN(64, b.value);
  if (COMPARISONS.has(op)) return compare(op, x < y ? -1 : x > y ? 1 : 0);
  switch (op) {
    case '+':
      return int(x + y, signed);
    case '-':
      return int(x - y, signed);
    case '*':
      return int(x * y, signed);
    case '/':
    case '%':
      if (y === 0n) throw new PredicateEvalError(op === '/' ? 'division by zero' : 'remainder by zero', span);
      return int(op === '/' ? x / y : x % y, signed);
    case '&':
      return int(x & y, signed);
    case '|':
      return int(x | y, signed);
    case '^':
      return int(x ^ y, signed);
    case '<<':
    case '>>': {
      // The result has the left operand's type (C); counts are taken as unsigned.
      const count = BigInt.asUintN(64, b.value);
      const v = a.signed ? a.value : BigInt.asUintN(64, a.value);
      if (op === '<<') return count >= 64n ? int(0n, a.signed) : int(v << count, a.signed);
      if (count >= 64n) return int(v < 0n ? -1n : 0n, a.signed);
      return int(v >> count, a.signed);
    }
    default:
      throw new PredicateEvalError(`unknown operator '${op}'`, span);
  }
}
