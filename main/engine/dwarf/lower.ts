/**
 * Source-level names to reads: an expression that uses the program's variables, members,
 * elements, pointers, casts and sizeof (`head->next->sku`, `table.rows[i].id`) is rewritten,
 * once per query, into the primitive predicate language (static addresses, typed reads,
 * arithmetic): `ledger.guard` becomes `u32(<ledger's address> + 32)`. Searches then run the
 * primitive expression at each checkpoint exactly as they run hand-written typed reads, so
 * names cost nothing per step and a pointer chain is re-read at every checkpoint.
 *
 * Semantics are C's with three exceptions, so the primitive language keeps working:
 * - a name the debug info does not describe (an ELF symbol) is its address, as before;
 * - a struct or union used as a number is its address (`u32(shop + 64)`), as an array is;
 * - arithmetic on addresses and pointers counts bytes; `p[i]` steps by elements;
 * and a typed read's argument that is an lvalue is its location: `u32(x)` reads x's bytes.
 *
 * Static mistakes (an unknown member, `->` on a struct, `*` of a non-pointer) are NameErrors
 * pointing at the sub-expression.
 */
import type { Expr, Span, TypeNameNode } from '../../../shared/predicate/ast.js';
import { canonicalBaseName, isSignedType, sizeOf, stripType, typeName, type Member, type Type, type Variable } from './dwarf.js';

/** A static mistake in a source-level expression, with the span it is about. */
export class NameError extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
    this.name = 'NameError';
  }
}

/** What lowering asks of the program at a checkpoint. */
export interface NameScope {
  /** A variable from the debug info: of the main program first, then libraries. */
  variable(name: string, library: string | null): { module: string; variable: Variable } | null;
  namedType(name: string): Type | null;
  enumerator(name: string): { value: bigint; type: Type } | null;
  /** The ELF symbol's size, or null when there is no such symbol. */
  elfSymbolSize(name: string, library: string | null): bigint | null;
  /** Does any loaded module carry debug info? (for the message when a name needs it) */
  readonly hasDebugInfo: boolean;
}

/** A lowered sub-expression: a location (addr, with bits for a bitfield) or a value, with its type when known. */
export interface Typed {
  readonly type: Type | null;
  /** The address of an lvalue. */
  readonly addr: Expr | null;
  readonly bits: { readonly offset: number; readonly size: number } | null;
  /** The value of a non-lvalue. */
  readonly value: Expr | null;
  /** Source text, for read labels and messages. */
  readonly text: string;
}

export interface Lowered {
  /** The primitive expression computing the value. */
  readonly expr: Expr;
  /** The top expression before it was made a value: its type and location (read prints aggregates from it). */
  readonly top: Typed;
}

const ULONG: Type = { kind: 'base', name: 'unsigned long', size: 8, encoding: 'unsigned' };

/** Rewrites `e` into the primitive language using `scope`. Throws NameError. */
export function lowerExpression(e: Expr, scope: NameScope, src: string): Lowered {
  const l = new Lowering(scope, src);
  const top = l.lower(e);
  return { expr: l.rvalue(top, e), top };
}

/** Is there anything source-level in the expression (so lowering is needed)? */
export function needsLowering(e: Expr): boolean {
  switch (e.kind) {
    case 'symbol':
    case 'member':
    case 'index':
    case 'deref':
    case 'address':
    case 'cast':
    case 'sizeof':
      return true;
    case 'call':
      return e.args.some(needsLowering);
    case 'unary':
      return needsLowering(e.operand);
    case 'binary':
      return needsLowering(e.left) || needsLowering(e.right);
    default:
      return false;
  }
}

class Lowering {
  constructor(
    private readonly scope: NameScope,
    private readonly src: string,
  ) {}

  private text(s: Span): string {
    return this.src.slice(s.start, s.end).trim() || '?';
  }

  lower(e: Expr): Typed {
    switch (e.kind) {
      case 'symbol':
        return this.symbol(e);
      case 'member':
        return this.member(this.lower(e.object), e.member, e.arrow, { start: e.memberStart, end: e.memberStart + e.member.length }, e);
      case 'index':
        return this.index(this.lower(e.object), e.index, e);
      case 'deref': {
        const p = this.lower(e.operand);
        return this.deref(p, e, `*${p.text}`);
      }
      case 'address': {
        const o = this.lower(e.operand);
        if (o.bits) throw new NameError(`cannot take the address of the bitfield '${o.text}' at ${e.start}`, e);
        if (o.addr && o.type) return value(o.addr, { kind: 'pointer', target: o.type, size: 8 }, this.text(e));
        // An ELF symbol: its address, as before (errors about it point at the '&' too).
        if (o.addr) return value(o.addr.kind === 'symbol' ? { ...o.addr, start: e.start } : o.addr, null, this.text(e));
        throw new NameError(`'&' needs something with an address; '${o.text}' is a value at ${e.start}`, e);
      }
      case 'sizeof': {
        let size: number;
        if (e.type) size = sizeOf(this.resolveType(e.type));
        else {
          const o = this.lower(e.operand!);
          if (o.type) size = sizeOf(o.type);
          else if (e.operand!.kind === 'symbol' && this.scope.elfSymbolSize(e.operand!.name, e.operand!.library) !== null) size = Number(this.scope.elfSymbolSize(e.operand!.name, e.operand!.library));
          else throw new NameError(`sizeof: the type of '${o.text}' is unknown${this.noDebugInfo()} at ${e.start}`, e);
        }
        return value(num(BigInt(size), e, false), ULONG, this.text(e));
      }
      case 'cast':
        return this.cast(this.resolveType(e.type), this.lower(e.operand), e);
      case 'call': {
        // A typed read of an lvalue reads the lvalue's bytes: u32(x), ptr(head), cstr(name).
        const args = e.args.map((a, i) => {
          const t = this.lower(a);
          if (i === 0 && t.addr && !t.bits && t.type) return t.addr;
          return this.rvalue(t, a);
        });
        return value({ ...e, args }, null, this.text(e));
      }
      case 'unary': {
        const o = this.lower(e.operand);
        return value({ ...e, operand: this.rvalue(o, e.operand) }, null, this.text(e));
      }
      case 'binary': {
        const l = this.lower(e.left);
        const r = this.lower(e.right);
        return value({ ...e, left: this.rvalue(l, e.left), right: this.rvalue(r, e.right) }, null, this.text(e));
      }
      default:
        return value(e, null, this.text(e));
    }
  }

  private noDebugInfo(): string {
    return this.scope.hasDebugInfo ? '' : ' (the program has no debug info: build it with -g)';
  }

  private symbol(e: Extract<Expr, { kind: 'symbol' }>): Typed {
    const whole = this.scope.variable(e.name, e.library);
    if (whole) return this.variable(whole, e.name, e);
    const parts = e.name.split('.');
    if (parts.length > 1) {
      const base = this.scope.variable(parts[0]!, e.library);
      if (base) {
        try {
          let t = this.variable(base, parts[0]!, { start: e.start, end: e.start + parts[0]!.length });
          let at = e.start + parts[0]!.length + 1;
          for (const p of parts.slice(1)) {
            t = this.member(t, p, false, { start: at, end: at + p.length }, { start: e.start, end: at + p.length });
            at += p.length + 1;
          }
          return t;
        } catch (err) {
          // `buf.1` (a compiler-made local symbol) beats a member that does not exist.
          if (!(err instanceof NameError) || this.scope.elfSymbolSize(e.name, e.library) === null) throw err;
        }
      }
    }
    if (e.library === null) {
      const en = this.scope.enumerator(e.name);
      if (en) return value(num(en.value, e, isSignedType(en.type)), en.type, e.name);
    }
    // An ELF symbol (or an unknown name: evaluation says so, as before): its address.
    return { type: null, addr: e, bits: null, value: null, text: this.text(e) };
  }

  private variable(v: { module: string; variable: Variable }, name: string, span: Span): Typed {
    const addr: Expr = { kind: 'static', module: v.module, offset: v.variable.address, name, start: span.start, end: span.end };
    return { type: v.variable.type, addr, bits: null, value: null, text: name };
  }

  private member(o: Typed, name: string, arrow: boolean, nameSpan: Span, whole: Span): Typed {
    const text = `${o.text}${arrow ? '->' : '.'}${name}`;
    if (!o.type) throw new NameError(`'${o.text}' has no type to take the member '${name}' of${this.noDebugInfo()} at ${whole.start}`, whole);
    let t = stripType(o.type);
    let base = o;
    if (arrow) {
      if (t.kind !== 'pointer') throw new NameError(`'->' needs a pointer, but '${o.text}' is ${typeName(o.type)}${t.kind === 'struct' || t.kind === 'union' ? ` (use '.')` : ''} at ${nameSpan.start - 2}`, { start: nameSpan.start - 2, end: nameSpan.end });
      base = this.deref(o, whole, o.text);
      t = stripType(base.type!);
    } else if (t.kind === 'pointer' && isAggregate(t.target)) {
      // gdb's leniency: `p.member` on a pointer to a struct means p->member.
      base = this.deref(o, whole, o.text);
      t = stripType(base.type!);
    }
    if (t.kind !== 'struct' && t.kind !== 'union') throw new NameError(`'${o.text}' is ${typeName(base.type!)}, not a struct or union: it has no member '${name}' at ${nameSpan.start}`, nameSpan);
    if (t.declaration) throw new NameError(`${t.kind} ${t.name ?? ''} is only declared in the debug info (its members are unknown) at ${nameSpan.start}`, nameSpan);
    const path = findMember(t.members, name);
    if (!path) {
      const names = t.members.flatMap(memberNames);
      throw new NameError(`${typeName(t)} has no member '${name}' (members: ${names.join(', ') || 'none'}) at ${nameSpan.start}`, nameSpan);
    }
    let offset = 0;
    for (const m of path) offset += m.offset;
    const m = path[path.length - 1]!;
    const addr = add(base.addr!, offset, whole);
    const bits = m.bitSize !== null && m.bitOffset !== null ? { offset: m.bitOffset - m.offset * 8, size: m.bitSize } : null;
    return { type: m.type, addr, bits, value: null, text };
  }

  private index(o: Typed, idxExpr: Expr, e: Span): Typed {
    const idx = this.rvalue(this.lower(idxExpr), idxExpr);
    const text = `${o.text}[${this.text(idxExpr)}]`;
    if (!o.type) throw new NameError(`'${o.text}' has no type to index${this.noDebugInfo()} at ${e.start}`, e);
    const t = stripType(o.type);
    let base: Expr;
    let element: Type;
    if (t.kind === 'array') {
      base = o.addr!;
      element = t.element;
    } else if (t.kind === 'pointer') {
      base = this.rvalue(o, e);
      element = t.target;
    } else {
      throw new NameError(`cannot index '${o.text}': it is ${typeName(o.type)}, not an array or a pointer at ${e.start}`, e);
    }
    const size = sizeOf(element);
    const scaled: Expr = size === 1 ? idx : { kind: 'binary', op: '*', left: idx, right: num(BigInt(size), e), start: e.start, end: e.end };
    return { type: element, addr: { kind: 'binary', op: '+', left: base, right: scaled, start: e.start, end: e.end }, bits: null, value: null, text };
  }

  private deref(p: Typed, e: Span, text: string): Typed {
    if (!p.type) throw new NameError(`'*' needs a pointer; '${p.text}' has no type (cast it: *(int *)addr)${this.noDebugInfo()} at ${e.start}`, e);
    const t = stripType(p.type);
    if (t.kind === 'array') return { type: t.element, addr: p.addr, bits: null, value: null, text };
    if (t.kind !== 'pointer') throw new NameError(`'${p.text}' is ${typeName(p.type)}, not a pointer at ${e.start}`, e);
    if (stripType(t.target).kind === 'void') throw new NameError(`'${p.text}' is a void pointer: cast it to say what it points to, as in *(int *)${p.text} at ${e.start}`, e);
    return { type: t.target, addr: this.rvalue(p, e), bits: null, value: null, text: `*${text}` };
  }

  private cast(to: Type, o: Typed, e: Extract<Expr, { kind: 'cast' }>): Typed {
    const t = stripType(to);
    const text = this.text(e);
    const v = o.type && isAggregate(o.type) ? o.addr! : this.rvalue(o, e.operand);
    if (t.kind === 'pointer') return value(v, to, text);
    if (t.kind === 'enum' || (t.kind === 'base' && t.encoding !== 'float' && t.encoding !== 'other')) {
      const size = sizeOf(t);
      if (![1, 2, 4, 8].includes(size)) throw new NameError(`cannot cast to ${typeName(to)} (${size} bytes) at ${e.start}`, e);
      const bool = t.kind === 'base' && t.encoding === 'bool';
      const inner: Expr = bool ? { kind: 'binary', op: '!=', left: v, right: num(0n, e), start: e.start, end: e.end } : v;
      return value({ kind: 'convert', operand: inner, bits: size * 8, signed: isSignedType(t), start: e.start, end: e.end }, to, text);
    }
    throw new NameError(`cannot cast to ${typeName(to)}: only integer, enum and pointer types at ${e.type.start}`, e.type);
  }

  private resolveType(n: TypeNameNode): Type {
    let t = baseType(n.words) ?? this.scope.namedType(n.words.join(' '));
    if (!t) {
      const what = n.words.join(' ');
      throw new NameError(`unknown type '${what}'${this.noDebugInfo()} at ${n.start}`, n);
    }
    for (let i = 0; i < n.pointers; i++) t = { kind: 'pointer', target: t, size: 8 };
    return t;
  }

  /** The primitive expression for the value of `t` (a read for a scalar lvalue, the address for an aggregate). */
  rvalue(t: Typed, span: Span): Expr {
    if (t.value) return t.value;
    const addr = t.addr!;
    if (!t.type) return addr; // an ELF symbol: its address
    const s = stripType(t.type);
    if (isAggregate(s) || s.kind === 'function') return addr;
    if (t.bits) return bitfield(addr, t.bits, isSignedType(s), t.text, span);
    return read(s, addr, t.text, span);
  }
}

function isAggregate(t: Type): boolean {
  const s = stripType(t);
  return s.kind === 'struct' || s.kind === 'union' || s.kind === 'array';
}

function value(e: Expr, type: Type | null, text: string): Typed {
  return { type, addr: null, bits: null, value: e, text };
}

function num(v: bigint, s: Span, signed = true): Expr {
  return { kind: 'number', value: v, signed, start: s.start, end: s.end };
}

function add(a: Expr, off: number, s: Span): Expr {
  if (off === 0) return a;
  return { kind: 'binary', op: '+', left: a, right: num(BigInt(off), s, false), start: s.start, end: s.end };
}

/** The members leading to `name`, looking into anonymous structs and unions. */
function findMember(members: readonly Member[], name: string): Member[] | null {
  for (const m of members) {
    if (m.name === name) return [m];
    if (m.name === null) {
      const s = stripType(m.type);
      if (s.kind === 'struct' || s.kind === 'union') {
        const inner = findMember(s.members, name);
        if (inner) return [m, ...inner];
      }
    }
  }
  return null;
}

function memberNames(m: Member): string[] {
  if (m.name !== null) return [m.name];
  const s = stripType(m.type);
  return s.kind === 'struct' || s.kind === 'union' ? s.members.flatMap(memberNames) : [];
}

/** The read function for a scalar of this (stripped) type. */
export function readFunctionFor(t: Type): 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64' | 'ptr' | null {
  if (t.kind === 'pointer') return 'ptr';
  if (t.kind === 'enum' || t.kind === 'base') {
    if (t.kind === 'base' && t.encoding === 'float') return t.size === 4 ? 'f32' : t.size === 8 ? 'f64' : null;
    if (t.kind === 'base' && t.encoding === 'other') return null;
    const bits = t.size * 8;
    if (![8, 16, 32, 64].includes(bits)) return null;
    return `${isSignedType(t) ? 'i' : 'u'}${bits}` as 'u8';
  }
  return null;
}

function read(t: Type, addr: Expr, label: string, span: Span): Expr {
  const fn = readFunctionFor(t);
  if (!fn) throw new NameError(`cannot read '${label}': ${typeName(t)} (${sizeOf(t)} bytes) is not a supported scalar at ${span.start}`, span);
  return { kind: 'call', fn, args: [addr], label, start: span.start, end: span.end };
}

function bitfield(addr: Expr, bits: { offset: number; size: number }, signed: boolean, label: string, span: Span): Expr {
  const first = Math.floor(bits.offset / 8);
  const need = Math.ceil((bits.offset % 8 + bits.size) / 8);
  const width = need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : 8;
  // The read ends at the bitfield's last byte, so it never runs past the struct.
  const byte = Math.max(0, first + need - width);
  const shift = bits.offset - byte * 8;
  const at = add(addr, byte, span);
  const raw: Expr = { kind: 'call', fn: `u${width * 8}` as 'u8', args: [at], label, start: span.start, end: span.end };
  const shifted: Expr = shift ? { kind: 'binary', op: '>>', left: raw, right: num(BigInt(shift), span), start: span.start, end: span.end } : raw;
  return { kind: 'convert', operand: shifted, bits: bits.size, signed, start: span.start, end: span.end };
}

/** C's base types on x86-64 (LP64), for casts and sizeof whatever the debug info holds. */
function baseType(words: readonly string[]): Type | null {
  if (words.length === 0 || !words.every((w) => ['unsigned', 'signed', 'char', 'short', 'int', 'long', 'float', 'double', 'void', '_Bool'].includes(w))) return null;
  const has = (w: string): number => words.filter((x) => x === w).length;
  const unsigned = has('unsigned') > 0;
  const name = canonicalBaseName(words.join(' '));
  if (has('void')) return { kind: 'void' };
  if (has('_Bool')) return { kind: 'base', name, size: 1, encoding: 'bool' };
  if (has('float')) return { kind: 'base', name, size: 4, encoding: 'float' };
  if (has('double')) return { kind: 'base', name, size: has('long') ? 16 : 8, encoding: has('long') ? 'other' : 'float' };
  if (has('char')) return { kind: 'base', name, size: 1, encoding: unsigned ? 'unsigned char' : 'signed char' };
  const size = has('short') ? 2 : has('long') ? 8 : 4;
  return { kind: 'base', name, size, encoding: unsigned ? 'unsigned' : 'signed' };
}
