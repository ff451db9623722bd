/**
 * A value's bytes shown by its type, as gdb's `print` shows it (with `set print pretty on`):
 * structs field by field, arrays in braces, char arrays and char pointers as strings, pointers
 * as addresses with the symbol they point into, enums by name, bitfields by value. Alongside
 * the text, a JSON form: integers as numbers when they are exact in a double, else as decimal
 * strings; pointers as "0x..." strings; aggregates as objects and arrays.
 */
import { isSignedType, sizeOf, stripType, typeName, type Member, type Type } from './dwarf.js';

export type JsonValue = number | string | boolean | null | JsonValue[] | { [member: string]: JsonValue };

export interface FormatContext {
  /** "name" or "name+off" of the symbol containing addr, or null. */
  symbolAt(addr: bigint): string | null;
  /** The NUL-terminated string at addr (at most `max` bytes), or null when unreadable. */
  cString(addr: bigint, max: number): Uint8Array | null;
}

/** Elements shown per array before "..." (gdb's default `print elements`). */
export const ELEMENTS_MAX = 200;

export interface Formatted {
  readonly text: string;
  readonly json: JsonValue;
}

/** The value of `type` in `bytes` (its whole size), as text (pretty-printed, indented) and JSON. */
export function formatTyped(type: Type, bytes: Uint8Array, ctx: FormatContext): Formatted {
  const f = new Formatter(bytes, ctx);
  const json = f.json(type, 0);
  const s = stripType(type);
  // gdb names a pointer's type at the top (not a string's).
  const prefix = s.kind === 'pointer' && !isCharType(s.target) ? `(${typeName(type)}) ` : '';
  return { text: prefix + f.text(type, 0, 0), json };
}

/** A bitfield's value from the bytes that hold it. */
export function formatBitfield(type: Type, bytes: Uint8Array, bits: { offset: number; size: number }): Formatted {
  const f = new Formatter(bytes, { symbolAt: () => null, cString: () => null });
  return { text: f.text(type, 0, 0, bits), json: f.json(type, 0, bits) };
}

/** An integer or float read from the bytes of a scalar type (bitfields: their bits). */
export function scalarValue(t: Type, bytes: Uint8Array, off: number, bits: { offset: number; size: number } | null = null): bigint | number {
  const s = stripType(t);
  const size = sizeOf(s);
  const signed = isSignedType(s);
  if (bits) {
    let wide = 0n;
    const end = Math.ceil((bits.offset + bits.size) / 8);
    for (let i = end - 1; i >= 0; i--) wide = (wide << 8n) | BigInt(bytes[off + i] ?? 0);
    const field = BigInt.asUintN(bits.size, wide >> BigInt(bits.offset));
    return signed ? BigInt.asIntN(bits.size, field) : field;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + off, size);
  if (s.kind === 'base' && s.encoding === 'float') return size === 4 ? v.getFloat32(0, true) : v.getFloat64(0, true);
  let raw = 0n;
  for (let i = Math.min(size, 8) - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(v.getUint8(i));
  return signed ? BigInt.asIntN(size * 8, raw) : raw;
}

const CHAR_ESCAPES: Record<number, string> = { 0: '\\000', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\033', 34: '\\"', 39: "\\'", 92: '\\\\' };

function charText(c: number): string {
  if (c in CHAR_ESCAPES) return CHAR_ESCAPES[c]!;
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return '\\' + c.toString(8).padStart(3, '0');
}

/** A C string literal of the bytes (escapes as gdb writes them). */
export function quote(b: Uint8Array): string {
  let s = '"';
  for (const c of b) s += c === 39 ? "'" : charText(c);
  return s + '"';
}

function isCharType(t: Type): boolean {
  const s = stripType(t);
  return s.kind === 'base' && (s.encoding === 'signed char' || s.encoding === 'unsigned char') && s.size === 1;
}

const exactJson = (v: bigint): JsonValue => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
const hex = (v: bigint): string => '0x' + v.toString(16);

class Formatter {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly ctx: FormatContext,
  ) {}

  private pointerValue(off: number): bigint {
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + off, 8);
    return v.getBigUint64(0, true);
  }

  /** Text of the scalar at off (a bitfield when bits is given). */
  private scalar(t: Type, off: number, bits: { offset: number; size: number } | null): string {
    const s = stripType(t);
    if (s.kind === 'pointer') {
      const p = this.pointerValue(off);
      if (p === 0n) return '0x0';
      const target = stripType(s.target);
      if (isCharType(target)) {
        const str = this.ctx.cString(p, ELEMENTS_MAX);
        return str === null ? `${hex(p)} <error: Cannot access memory at address ${hex(p)}>` : `${hex(p)} ${quote(str)}`;
      }
      const sym = this.ctx.symbolAt(p);
      return sym ? `${hex(p)} <${sym}>` : hex(p);
    }
    const v = scalarValue(t, this.bytes, off, bits);
    if (typeof v === 'number') return formatFloat(v, sizeOf(s) === 4);
    if (s.kind === 'enum') {
      const e = s.enumerators.find(([, x]) => x === v);
      return e ? e[0] : v.toString();
    }
    if (s.kind === 'base' && s.encoding === 'bool') return v === 0n ? 'false' : v === 1n ? 'true' : v.toString();
    if (isCharType(s) && !bits) return `${v} '${charText(Number(BigInt.asUintN(8, v)))}'`;
    return v.toString();
  }

  private scalarJson(t: Type, off: number, bits: { offset: number; size: number } | null): JsonValue {
    const s = stripType(t);
    if (s.kind === 'pointer') return hex(this.pointerValue(off));
    const v = scalarValue(t, this.bytes, off, bits);
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (s.kind === 'base' && s.encoding === 'bool') return v !== 0n;
    return exactJson(v);
  }

  json(t: Type, off: number, bits: { offset: number; size: number } | null = null): JsonValue {
    const s = stripType(t);
    if (s.kind === 'struct' || s.kind === 'union') {
      const out: { [k: string]: JsonValue } = {};
      this.membersJson(s.members, off, out);
      return out;
    }
    if (s.kind === 'array') {
      if (isCharType(s.element)) return decodeString(this.charArray(s, off));
      const n = Math.min(s.count ?? 0, ELEMENTS_MAX);
      const size = sizeOf(s.element);
      const out: JsonValue[] = [];
      for (let i = 0; i < n; i++) out.push(this.json(s.element, off + i * size));
      return out;
    }
    if (s.kind === 'function' || s.kind === 'void') return null;
    return this.scalarJson(s, off, bits);
  }

  private membersJson(members: readonly Member[], off: number, out: { [k: string]: JsonValue }): void {
    for (const m of members) {
      if (m.name === null) {
        const inner = stripType(m.type);
        if (inner.kind === 'struct' || inner.kind === 'union') this.membersJson(inner.members, off + m.offset, out);
        continue;
      }
      out[m.name] = this.json(m.type, off + m.offset, memberBits(m));
    }
  }

  private charArray(s: Extract<Type, { kind: 'array' }>, off: number): Uint8Array {
    const n = Math.min(s.count ?? 0, this.bytes.length - off);
    const b = this.bytes.subarray(off, off + n);
    const nul = b.indexOf(0);
    return nul >= 0 && b.subarray(nul).every((c) => c === 0) ? b.subarray(0, nul) : b;
  }

  text(t: Type, off: number, depth: number, bits: { offset: number; size: number } | null = null): string {
    const s = stripType(t);
    const pad = '  '.repeat(depth + 1);
    const close = '  '.repeat(depth) + '}';
    if (s.kind === 'struct' || s.kind === 'union') {
      const lines = this.memberLines(s.members, off, depth);
      return lines.length ? `{\n${lines.map((l) => pad + l).join(',\n')}\n${close}` : '{}';
    }
    if (s.kind === 'array') {
      if (isCharType(s.element)) return quote(this.charArray(s, off));
      const count = s.count ?? 0;
      const n = Math.min(count, ELEMENTS_MAX);
      const size = sizeOf(s.element);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(this.text(s.element, off + i * size, depth + 1));
      if (count > n) items.push('...');
      const el = stripType(s.element);
      if (el.kind === 'struct' || el.kind === 'union') return `{\n${items.map((l) => pad + l).join(',\n')}\n${close}`;
      return `{${items.join(', ')}}`;
    }
    if (s.kind === 'function') return `{${typeName(s)}}`;
    if (s.kind === 'void') return 'void';
    return this.scalar(s, off, bits);
  }

  private memberLines(members: readonly Member[], off: number, depth: number): string[] {
    const out: string[] = [];
    for (const m of members) {
      const v = this.text(m.type, off + m.offset, depth + 1, memberBits(m));
      out.push(m.name === null ? v : `${m.name} = ${v}`);
    }
    return out;
  }
}

function memberBits(m: Member): { offset: number; size: number } | null {
  return m.bitSize !== null && m.bitOffset !== null ? { offset: m.bitOffset - m.offset * 8, size: m.bitSize } : null;
}

const utf8 = new TextDecoder('utf-8');
function decodeString(b: Uint8Array): string {
  return utf8.decode(b);
}

/** Floats as gdb prints them: the shortest text that reads back as the same float (or double); nan, inf. */
export function formatFloat(v: number, single: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const t = Number(v.toPrecision(p));
      if (Math.fround(t) === v) return String(t);
    }
  }
  return String(v);
}
