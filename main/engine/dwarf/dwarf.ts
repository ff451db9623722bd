/**
 * A DWARF 4/5 reader for what naming memory needs: the program's global and static variables
 * (name, file address, type) and its types (base types, pointers, structs and unions with their
 * members and bitfields, arrays, enums, typedefs, qualifiers), from .debug_info, .debug_abbrev,
 * .debug_str, .debug_line_str, .debug_str_offsets and .debug_addr (zlib-compressed sections too).
 *
 * Opening scans every unit once, keeping only an index: variables and named types at unit
 * level, and enumerators. Types are decoded when first asked for, by DIE offset, and cached, so
 * a large program costs one pass over .debug_info and nothing per query after the first.
 *
 * Malformed input throws DwarfError (never reads out of bounds: a truncated section is an
 * error, not garbage).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import type { ElfFile, ElfSection } from '../elf.js';

export class DwarfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfError';
  }
}

export type BaseEncoding = 'signed' | 'unsigned' | 'float' | 'bool' | 'signed char' | 'unsigned char' | 'other';

export interface Member {
  readonly name: string | null;
  /** Byte offset in the enclosing struct (of the storage unit holding a bitfield's bits). */
  readonly offset: number;
  readonly type: Type;
  /** Bitfields: the bit offset from the start of the struct and the width in bits. */
  readonly bitOffset: number | null;
  readonly bitSize: number | null;
}

export type Type =
  | { readonly kind: 'void' }
  | { readonly kind: 'base'; readonly name: string; readonly size: number; readonly encoding: BaseEncoding }
  | { readonly kind: 'pointer'; readonly target: Type; readonly size: number }
  | StructType
  | { readonly kind: 'array'; readonly element: Type; readonly count: number | null }
  | { readonly kind: 'enum'; readonly name: string | null; readonly size: number; readonly signed: boolean; readonly enumerators: ReadonlyArray<readonly [string, bigint]> }
  | { readonly kind: 'typedef'; readonly name: string; target: Type }
  | { readonly kind: 'qualified'; readonly qualifier: 'const' | 'volatile' | 'restrict' | '_Atomic'; target: Type }
  | { readonly kind: 'function'; readonly returns: Type; readonly params: readonly Type[]; readonly variadic: boolean };

export interface StructType {
  readonly kind: 'struct' | 'union';
  readonly name: string | null;
  size: number;
  members: Member[];
  declaration: boolean;
}

export interface Variable {
  readonly name: string;
  /** File (link-time) address; add the module's load base for a run-time address. */
  readonly address: bigint;
  readonly type: Type;
  readonly external: boolean;
}

const VOID: Type = { kind: 'void' };

// Tags, attributes, forms (DWARF 5 numbering, which includes DWARF 4's).
const TAG = {
  array: 0x01, enumeration: 0x04, member: 0x0d, pointer: 0x0f, compileUnit: 0x11, structure: 0x13, subroutine: 0x15, typedef: 0x16,
  union: 0x17, formalParameter: 0x05, unspecifiedParameters: 0x18, subrange: 0x21, baseType: 0x24, constType: 0x26, enumerator: 0x28,
  variable: 0x34, volatileType: 0x35, restrictType: 0x37, partialUnit: 0x3c, atomicType: 0x47,
} as const;
const AT = {
  sibling: 0x01, location: 0x02, name: 0x03, byteSize: 0x0b, bitOffset: 0x0c, bitSize: 0x0d, constValue: 0x1c, lowerBound: 0x22,
  upperBound: 0x2f, count: 0x37, dataMemberLocation: 0x38, declaration: 0x3c, encoding: 0x3e, external: 0x3f, specification: 0x47,
  type: 0x49, dataBitOffset: 0x6b, strOffsetsBase: 0x72, addrBase: 0x73, abstractOrigin: 0x31,
} as const;

interface AttrSpec {
  readonly at: number;
  readonly form: number;
  readonly implicit: bigint;
}
interface Abbrev {
  readonly tag: number;
  readonly children: boolean;
  readonly attrs: readonly AttrSpec[];
  /** Bytes of the attributes when every form has a fixed size (skipping costs one add), else -1. */
  readonly fixedSize: number;
  readonly hasSibling: boolean;
}

interface Unit {
  readonly offset: number; // of the header
  readonly end: number;
  readonly firstDie: number;
  readonly version: number;
  readonly addrSize: number;
  readonly offsetSize: number;
  readonly abbrevs: Map<number, Abbrev>;
  strOffsetsBase: number;
  addrBase: number;
}

/** A DIE's attribute values: numbers as bigint, strings, blocks as bytes, references as .debug_info offsets. */
type AttrValue = bigint | string | Uint8Array | boolean | { readonly ref: number } | { readonly addrx: number } | { readonly sig8: true };

const SHF_COMPRESSED = 0x800n;
export const DEBUG_SECTIONS = ['.debug_info', '.debug_abbrev', '.debug_str', '.debug_line_str', '.debug_str_offsets', '.debug_addr'];

/** Reads the named sections' bytes (decompressed) from the file. */
export function loadSections(path: string, elf: ElfFile, names: readonly string[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const wanted = elf.sections.filter((s) => names.includes(s.name));
  if (wanted.length === 0) return out;
  const fd = openSync(path, 'r');
  try {
    for (const s of wanted) out.set(s.name, sectionBytes(fd, path, s));
  } finally {
    closeSync(fd);
  }
  return out;
}

function sectionBytes(fd: number, path: string, s: ElfSection): Uint8Array {
  const size = Number(s.size);
  const buf = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, Number(s.offset) + done);
    if (n === 0) throw new DwarfError(`${path}: section ${s.name} is truncated`);
    done += n;
  }
  if ((s.flags & SHF_COMPRESSED) === 0n) return buf;
  if (size < 24) throw new DwarfError(`${path}: compressed section ${s.name} is truncated`);
  const type = buf.readUInt32LE(0);
  if (type !== 1) throw new DwarfError(`${path}: section ${s.name} uses compression type ${type} (only zlib is supported)`);
  return inflateSync(buf.subarray(24));
}

/** The debug info of one ELF file: its global variables and types. */
export class DebugInfo {
  private readonly info: Uint8Array;
  private readonly abbrev: Uint8Array;
  private readonly str: Uint8Array;
  private readonly lineStr: Uint8Array;
  private readonly strOffsets: Uint8Array;
  private readonly addr: Uint8Array;
  private readonly units: Unit[] = [];
  private readonly variableDies = new Map<string, number[]>();
  private readonly typeDies = new Map<string, number[]>(); // "struct bin", "enum color", "uint32_t", "int"
  private readonly enumeratorValues = new Map<string, { value: bigint; die: number }>();
  private readonly types = new Map<number, Type>();
  private readonly variables = new Map<string, Variable | null>();
  private readonly abbrevTables = new Map<number, Map<number, Abbrev>>();
  private readonly latin1 = new TextDecoder('latin1');
  private readonly utf8 = new TextDecoder('utf-8');

  /** Null when the file has no .debug_info. Throws DwarfError for damaged debug info. */
  static open(path: string, elf: ElfFile): DebugInfo | null {
    if (!elf.sections.some((s) => s.name === '.debug_info')) return null;
    const s = loadSections(path, elf, DEBUG_SECTIONS);
    const empty = new Uint8Array(0);
    return new DebugInfo(path, s.get('.debug_info')!, s.get('.debug_abbrev') ?? empty, s.get('.debug_str') ?? empty, s.get('.debug_line_str') ?? empty, s.get('.debug_str_offsets') ?? empty, s.get('.debug_addr') ?? empty);
  }

  constructor(
    readonly path: string,
    info: Uint8Array,
    abbrev: Uint8Array,
    str: Uint8Array,
    lineStr: Uint8Array,
    strOffsets: Uint8Array,
    addr: Uint8Array,
  ) {
    this.info = info;
    this.abbrev = abbrev;
    this.str = str;
    this.lineStr = lineStr;
    this.strOffsets = strOffsets;
    this.addr = addr;
    this.index();
  }

  /** Names of every global and static variable at file scope. */
  variableNames(): IterableIterator<string> {
    return this.variableDies.keys();
  }

  /** A file-scope variable by name (an external definition preferred over a static one), or null. */
  variable(name: string): Variable | null {
    const cached = this.variables.get(name);
    if (cached !== undefined) return cached;
    let best: Variable | null = null;
    for (const die of this.variableDies.get(name) ?? []) {
      const v = this.decodeVariable(die, name);
      if (v && (!best || (v.external && !best.external))) best = v;
    }
    this.variables.set(name, best);
    return best;
  }

  /** A named type: "struct bin", "union u", "enum color", or a typedef or base type name ("uint32_t", "unsigned int"). */
  namedType(name: string): Type | null {
    const dies = this.typeDies.get(name);
    if (!dies) return null;
    // A complete definition beats a declaration.
    let first: Type | null = null;
    for (const die of dies) {
      const t = this.typeAt(die);
      if ((t.kind === 'struct' || t.kind === 'union') && t.declaration) {
        first ??= t;
        continue;
      }
      return t;
    }
    return first;
  }

  typeNames(): IterableIterator<string> {
    return this.typeDies.keys();
  }

  enumerator(name: string): { value: bigint; type: Type } | null {
    const e = this.enumeratorValues.get(name);
    return e ? { value: e.value, type: this.typeAt(e.die) } : null;
  }

  // --------------------------------------------------------------------------------------
  // The index: one pass over every unit

  private index(): void {
    const d = this.info;
    let off = 0;
    while (off < d.length) {
      const unit = this.readUnitHeader(off);
      this.units.push(unit);
      this.scanUnit(unit);
      off = unit.end;
    }
  }

  private readUnitHeader(off: number): Unit {
    const r = new Cursor(this.info, off, 'debug_info');
    let length = r.u32();
    let offsetSize = 4;
    if (length === 0xffffffff) {
      length = Number(r.u64());
      offsetSize = 8;
    }
    const end = r.pos + length;
    if (end > this.info.length) throw new DwarfError(`${this.path}: unit at 0x${off.toString(16)} runs past the end of .debug_info`);
    const version = r.u16();
    if (version < 2 || version > 5) throw new DwarfError(`${this.path}: unit at 0x${off.toString(16)} has DWARF version ${version} (2 to 5 are supported)`);
    let addrSize: number;
    let abbrevOff: number;
    if (version >= 5) {
      const unitType = r.u8();
      addrSize = r.u8();
      abbrevOff = r.offset(offsetSize);
      if (unitType === 4 || unitType === 5) r.skip(8); // skeleton, split_compile: dwo_id
      else if (unitType === 2 || unitType === 6) r.skip(8 + offsetSize); // type units: signature, type offset
    } else {
      abbrevOff = r.offset(offsetSize);
      addrSize = r.u8();
    }
    return { offset: off, end, firstDie: r.pos, version, addrSize, offsetSize, abbrevs: this.abbrevTable(abbrevOff), strOffsetsBase: 8, addrBase: 8 };
  }

  private abbrevTable(off: number): Map<number, Abbrev> {
    const cached = this.abbrevTables.get(off);
    if (cached) return cached;
    const table = new Map<number, Abbrev>();
    const r = new Cursor(this.abbrev, off, 'debug_abbrev');
    for (;;) {
      const code = r.uleb();
      if (code === 0) break;
      const tag = r.uleb();
      const children = r.u8() !== 0;
      const attrs: AttrSpec[] = [];
      let fixed = 0;
      for (;;) {
        const at = r.uleb();
        const form = r.uleb();
        if (at === 0 && form === 0) break;
        const implicit = form === 0x21 ? r.sleb() : 0n;
        attrs.push({ at, form, implicit });
        const size = fixedFormSize(form);
        fixed = size < 0 || fixed < 0 ? -1 : fixed + size;
      }
      table.set(code, { tag, children, attrs, fixedSize: fixed, hasSibling: attrs.some((a) => a.at === AT.sibling) });
    }
    this.abbrevTables.set(off, table);
    return table;
  }

  /** Walks a unit's DIEs, indexing unit-level variables and types and every enumerator. */
  private scanUnit(u: Unit): void {
    const d = this.info;
    const r = new Cursor(d, u.firstDie, 'debug_info');
    // Fixed-size forms are sized by the unit (addresses, offsets): compute once per unit.
    const fixed = new Map<Abbrev, number>();
    let depth = 0;
    const parents: number[] = [];
    let first = true;
    while (r.pos < u.end) {
      const dieOff = r.pos;
      const code = r.uleb();
      if (code === 0) {
        depth--;
        parents.pop();
        if (depth <= 0) break;
        continue;
      }
      const ab = u.abbrevs.get(code);
      if (!ab) throw new DwarfError(`${this.path}: DIE at 0x${dieOff.toString(16)} uses unknown abbreviation ${code}`);
      if (first) {
        first = false;
        // The unit DIE: bases for strx and addrx forms (DWARF 5).
        const attrs = this.readAttrs(r, u, ab, true);
        const sob = attrs.get(AT.strOffsetsBase);
        if (typeof sob === 'bigint') u.strOffsetsBase = Number(sob);
        const ab2 = attrs.get(AT.addrBase);
        if (typeof ab2 === 'bigint') u.addrBase = Number(ab2);
        if (ab.children) {
          depth++;
          parents.push(ab.tag);
        }
        continue;
      }
      const parent = parents[parents.length - 1] ?? 0;
      const atUnitLevel = depth === 1 && (parent === TAG.compileUnit || parent === TAG.partialUnit);
      const interesting = atUnitLevel ? isIndexedTag(ab.tag) : ab.tag === TAG.enumerator && depth === 2;
      if (interesting) {
        const attrs = this.readAttrs(r, u, ab, false);
        const name = attrs.get(AT.name);
        if (ab.tag === TAG.variable) {
          let n = typeof name === 'string' ? name : null;
          const spec = attrs.get(AT.specification);
          if (n === null && spec && typeof spec === 'object' && 'ref' in spec) {
            const sn = this.attrsAt(spec.ref).get(AT.name);
            n = typeof sn === 'string' ? sn : null;
          }
          if (n !== null && attrs.has(AT.location)) push(this.variableDies, n, dieOff);
        } else if (ab.tag === TAG.enumerator) {
          const v = attrs.get(AT.constValue);
          const enumDie = this.enumParent;
          if (typeof name === 'string' && typeof v === 'bigint' && enumDie >= 0 && !this.enumeratorValues.has(name)) this.enumeratorValues.set(name, { value: v, die: enumDie });
        } else if (typeof name === 'string') {
          const prefix = ab.tag === TAG.structure ? 'struct ' : ab.tag === TAG.union ? 'union ' : ab.tag === TAG.enumeration ? 'enum ' : '';
          push(this.typeDies, prefix + name, dieOff);
        }
        if (ab.tag === TAG.enumeration) this.enumParent = dieOff;
        if (ab.children && ab.tag !== TAG.enumeration) {
          const sib = attrs.get(AT.sibling);
          if (sib && typeof sib === 'object' && 'ref' in sib && sib.ref > r.pos && sib.ref <= u.end) {
            r.pos = sib.ref;
            continue;
          }
        }
      } else if (ab.children && ab.hasSibling) {
        // Nothing below unit level is indexed: jump over the subtree.
        const sib = this.readAttrs(r, u, ab, false, true).get(AT.sibling);
        if (sib && typeof sib === 'object' && 'ref' in sib && sib.ref > r.pos && sib.ref <= u.end) {
          r.pos = sib.ref;
          continue;
        }
      } else {
        let size = fixed.get(ab);
        if (size === undefined) fixed.set(ab, (size = ab.fixedSize < 0 ? -1 : this.unitFixedSize(u, ab)));
        if (size >= 0) r.pos += size;
        else this.readAttrs(r, u, ab, false, true);
      }
      if (ab.children) {
        depth++;
        parents.push(ab.tag);
      }
    }
  }
  private enumParent = -1;

  private unitFixedSize(u: Unit, ab: Abbrev): number {
    let n = 0;
    for (const a of ab.attrs) n += a.form === 0x01 ? u.addrSize : a.form === 0x0e || a.form === 0x10 || a.form === 0x17 || a.form === 0x1f || a.form === 0x1d || a.form === 0x1f20 || a.form === 0x1f21 ? u.offsetSize : fixedFormSize(a.form);
    return n;
  }

  // --------------------------------------------------------------------------------------
  // DIEs and attributes

  private unitAt(die: number): Unit {
    let lo = 0;
    let hi = this.units.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.units[mid]!.offset <= die) lo = mid;
      else hi = mid - 1;
    }
    const u = this.units[lo];
    if (!u || die < u.firstDie || die >= u.end) throw new DwarfError(`${this.path}: reference to 0x${die.toString(16)} is outside every unit`);
    return u;
  }

  private dieAt(die: number): { unit: Unit; ab: Abbrev; attrs: Map<number, AttrValue>; next: number } {
    const unit = this.unitAt(die);
    const r = new Cursor(this.info, die, 'debug_info');
    const code = r.uleb();
    const ab = unit.abbrevs.get(code);
    if (!ab) throw new DwarfError(`${this.path}: DIE at 0x${die.toString(16)} uses unknown abbreviation ${code}`);
    const attrs = this.readAttrs(r, unit, ab, false);
    return { unit, ab, attrs, next: r.pos };
  }

  private attrsAt(die: number): Map<number, AttrValue> {
    return this.dieAt(die).attrs;
  }

  /** The offsets of a DIE's children (their own children skipped). */
  private children(die: number): number[] {
    const { unit, ab, attrs, next } = this.dieAt(die);
    if (!ab.children) return [];
    void attrs;
    const out: number[] = [];
    const r = new Cursor(this.info, next, 'debug_info');
    let depth = 0;
    while (r.pos < unit.end) {
      const off = r.pos;
      const code = r.uleb();
      if (code === 0) {
        if (depth === 0) break;
        depth--;
        continue;
      }
      const cab = unit.abbrevs.get(code);
      if (!cab) throw new DwarfError(`${this.path}: DIE at 0x${off.toString(16)} uses unknown abbreviation ${code}`);
      if (depth === 0) out.push(off);
      const sib = depth === 0 ? this.readAttrs(r, unit, cab, false).get(AT.sibling) : (this.readAttrs(r, unit, cab, false, true), undefined);
      if (cab.children) {
        if (sib && typeof sib === 'object' && 'ref' in sib) r.pos = sib.ref;
        else depth++;
      }
    }
    return out;
  }

  /** Reads (or, with skip, only steps over) a DIE's attributes. */
  private readAttrs(r: Cursor, u: Unit, ab: Abbrev, unitDie: boolean, skip = false): Map<number, AttrValue> {
    const out = new Map<number, AttrValue>();
    for (const spec of ab.attrs) {
      const v = this.readForm(r, u, spec.form, spec.implicit, skip, unitDie);
      if (v !== undefined && (!skip || spec.at === AT.sibling)) out.set(spec.at, v);
    }
    return out;
  }

  private readForm(r: Cursor, u: Unit, form: number, implicit: bigint, skip: boolean, unitDie: boolean): AttrValue | undefined {
    switch (form) {
      case 0x01: return r.addr(u.addrSize);
      case 0x03: return r.bytes(r.u16());
      case 0x04: return r.bytes(r.u32());
      case 0x05: return BigInt(r.u16());
      case 0x06: return BigInt(r.u32());
      case 0x07: return r.u64();
      case 0x08: return r.cstring(this.latin1);
      case 0x09: case 0x18: return r.bytes(r.uleb());
      case 0x0a: return r.bytes(r.u8());
      case 0x0b: return BigInt(r.u8());
      case 0x0c: return r.u8() !== 0;
      case 0x0d: return r.sleb();
      case 0x0e: { const o = r.offset(u.offsetSize); return skip ? undefined : this.strAt(this.str, o, '.debug_str'); }
      case 0x0f: return BigInt(r.uleb());
      case 0x10: return { ref: r.offset(u.version <= 2 ? u.addrSize : u.offsetSize) };
      case 0x11: return { ref: u.offset + r.u8() };
      case 0x12: return { ref: u.offset + r.u16() };
      case 0x13: return { ref: u.offset + r.u32() };
      case 0x14: return { ref: u.offset + Number(r.u64()) };
      case 0x15: return { ref: u.offset + r.uleb() };
      case 0x16: return this.readForm(r, u, r.uleb(), implicit, skip, unitDie);
      case 0x17: return BigInt(r.offset(u.offsetSize));
      case 0x19: return true;
      case 0x1a: case 0x1f02: { const i = r.uleb(); return skip ? undefined : this.strx(u, i, unitDie); }
      case 0x1b: case 0x1f01: return { addrx: r.uleb() };
      case 0x1c: r.skip(4); return undefined;
      case 0x1d: case 0x1f21: r.skip(u.offsetSize); return undefined; // supplementary files are not read
      case 0x1e: return r.bytes(16);
      case 0x1f: { const o = r.offset(u.offsetSize); return skip ? undefined : this.strAt(this.lineStr, o, '.debug_line_str'); }
      case 0x20: r.skip(8); return { sig8: true };
      case 0x21: return implicit;
      case 0x22: case 0x23: return BigInt(r.uleb());
      case 0x24: r.skip(8); return undefined;
      case 0x25: { const i = r.u8(); return skip ? undefined : this.strx(u, i, unitDie); }
      case 0x26: { const i = r.u16(); return skip ? undefined : this.strx(u, i, unitDie); }
      case 0x27: { const i = r.u24(); return skip ? undefined : this.strx(u, i, unitDie); }
      case 0x28: { const i = r.u32(); return skip ? undefined : this.strx(u, i, unitDie); }
      case 0x29: return { addrx: r.u8() };
      case 0x2a: return { addrx: r.u16() };
      case 0x2b: return { addrx: r.u24() };
      case 0x2c: return { addrx: r.u32() };
      case 0x1f20: r.skip(u.offsetSize); return undefined;
      default:
        throw new DwarfError(`${this.path}: unknown attribute form 0x${form.toString(16)} at 0x${r.pos.toString(16)} of .debug_info`);
    }
  }

  private strx(u: Unit, i: number, unitDie: boolean): string | undefined {
    if (unitDie) return undefined; // before DW_AT_str_offsets_base is known; the unit's name is not needed
    const at = u.strOffsetsBase + i * u.offsetSize;
    if (at + u.offsetSize > this.strOffsets.length) throw new DwarfError(`${this.path}: string index ${i} is past the end of .debug_str_offsets`);
    const c = new Cursor(this.strOffsets, at, 'debug_str_offsets');
    return this.strAt(this.str, c.offset(u.offsetSize), '.debug_str');
  }

  private addrx(u: Unit, i: number): bigint {
    const at = u.addrBase + i * u.addrSize;
    if (at + u.addrSize > this.addr.length) throw new DwarfError(`${this.path}: address index ${i} is past the end of .debug_addr`);
    return new Cursor(this.addr, at, 'debug_addr').addr(u.addrSize);
  }

  private strAt(sec: Uint8Array, off: number, name: string): string {
    if (off >= sec.length) throw new DwarfError(`${this.path}: string offset 0x${off.toString(16)} is past the end of ${name}`);
    let end = off;
    while (end < sec.length && sec[end] !== 0) end++;
    return this.utf8.decode(sec.subarray(off, end));
  }

  // --------------------------------------------------------------------------------------
  // Variables and types

  private decodeVariable(die: number, name: string): Variable | null {
    const { unit, attrs } = this.dieAt(die);
    const loc = attrs.get(AT.location);
    if (!(loc instanceof Uint8Array)) return null;
    const address = this.staticAddress(unit, loc);
    if (address === null) return null;
    let typeRef = attrs.get(AT.type);
    let external = attrs.get(AT.external) === true;
    const spec = attrs.get(AT.specification);
    if (spec && typeof spec === 'object' && 'ref' in spec) {
      const s = this.attrsAt(spec.ref);
      typeRef ??= s.get(AT.type);
      external ||= s.get(AT.external) === true;
    }
    return { name, address, type: this.typeOfRef(typeRef), external };
  }

  /** A location that is one static address (DW_OP_addr / DW_OP_addrx), else null (TLS, registers...). */
  private staticAddress(u: Unit, loc: Uint8Array): bigint | null {
    if (loc.length === 1 + u.addrSize && loc[0] === 0x03) return new Cursor(loc, 1, 'location').addr(u.addrSize);
    if (loc.length >= 2 && (loc[0] === 0xa1 || loc[0] === 0xfb)) {
      const c = new Cursor(loc, 1, 'location');
      const i = c.uleb();
      if (c.pos === loc.length) return this.addrx(u, i);
    }
    return null;
  }

  private typeOfRef(ref: AttrValue | undefined): Type {
    if (ref && typeof ref === 'object' && 'ref' in ref) return this.typeAt(ref.ref);
    if (ref && typeof ref === 'object' && 'sig8' in ref) throw new DwarfError(`${this.path}: type units (DW_FORM_ref_sig8) are not supported`);
    return VOID;
  }

  /** The type described by the DIE at `die` (cached; recursive types come back as the same object). */
  typeAt(die: number): Type {
    const cached = this.types.get(die);
    if (cached) return cached;
    // Damaged debug info can make a type contain itself (an array of itself): bounded, not a stack overflow.
    if (this.typeDepth > MAX_TYPE_DEPTH) throw new DwarfError(`${this.path}: types nested more than ${MAX_TYPE_DEPTH} deep at 0x${die.toString(16)} of .debug_info`);
    this.typeDepth++;
    try {
      return this.decodeType(die);
    } finally {
      this.typeDepth--;
    }
  }
  private typeDepth = 0;

  private decodeType(die: number): Type {
    const { ab, attrs } = this.dieAt(die);
    const name = attrs.get(AT.name);
    const nm = typeof name === 'string' ? name : null;
    const size = Number((attrs.get(AT.byteSize) as bigint | undefined) ?? 0n);
    const target = (): Type => this.typeOfRef(attrs.get(AT.type));
    let t: Type;
    switch (ab.tag) {
      case TAG.baseType: {
        const enc = Number((attrs.get(AT.encoding) as bigint | undefined) ?? 0n);
        const encoding: BaseEncoding = enc === 5 ? 'signed' : enc === 7 ? 'unsigned' : enc === 4 ? 'float' : enc === 2 ? 'bool' : enc === 6 ? 'signed char' : enc === 8 ? 'unsigned char' : enc === 0x10 ? 'unsigned' : 'other';
        t = { kind: 'base', name: canonicalBaseName(nm ?? '?'), size, encoding };
        break;
      }
      case TAG.pointer: {
        // The target is decoded when first asked for: eagerly, one pointer would pull in every
        // type reachable from it (in a large program, most of them).
        const ref = attrs.get(AT.type);
        let decoded: Type | null = null;
        const decode = (): Type => (decoded ??= this.typeOfRef(ref));
        const p = {
          kind: 'pointer' as const,
          size: size || 8,
          get target(): Type {
            return decode();
          },
        };
        this.types.set(die, p);
        return p;
      }
      case TAG.structure:
      case TAG.union: {
        const s: StructType = { kind: ab.tag === TAG.structure ? 'struct' : 'union', name: nm, size, members: [], declaration: attrs.get(AT.declaration) === true };
        this.types.set(die, s);
        if (s.declaration && nm !== null) {
          // Complete it from a definition elsewhere in the program, as gdb does.
          const def = (this.typeDies.get(`${s.kind} ${nm}`) ?? []).filter((d) => d !== die).map((d) => this.typeAt(d)).find((x) => (x.kind === 'struct' || x.kind === 'union') && !x.declaration);
          if (def && (def.kind === 'struct' || def.kind === 'union')) {
            s.size = def.size;
            s.members = def.members;
            s.declaration = false;
          }
          return s;
        }
        for (const c of this.children(die)) {
          const m = this.dieAt(c);
          if (m.ab.tag !== TAG.member) continue;
          s.members.push(this.member(m.attrs, s.kind === 'union'));
        }
        return s;
      }
      case TAG.array: {
        const dims: Array<number | null> = [];
        for (const c of this.children(die)) {
          const sub = this.dieAt(c);
          if (sub.ab.tag !== TAG.subrange) continue;
          const count = sub.attrs.get(AT.count);
          const upper = sub.attrs.get(AT.upperBound);
          const lower = sub.attrs.get(AT.lowerBound);
          const lo = typeof lower === 'bigint' ? lower : 0n;
          dims.push(typeof count === 'bigint' ? Number(count) : typeof upper === 'bigint' ? Number(upper - lo + 1n) : null);
        }
        let el = target();
        for (let i = dims.length - 1; i >= 1; i--) el = { kind: 'array', element: el, count: dims[i]! };
        t = { kind: 'array', element: el, count: dims.length ? dims[0]! : null };
        break;
      }
      case TAG.enumeration: {
        const enumerators: Array<[string, bigint]> = [];
        const under = attrs.get(AT.type) ? target() : null;
        let signed = under ? isSignedType(under) : false;
        for (const c of this.children(die)) {
          const e = this.dieAt(c);
          if (e.ab.tag !== TAG.enumerator) continue;
          const v = e.attrs.get(AT.constValue);
          const n = e.attrs.get(AT.name);
          if (typeof n === 'string' && typeof v === 'bigint') {
            enumerators.push([n, v]);
            if (!under && v < 0n) signed = true;
          }
        }
        t = { kind: 'enum', name: nm, size: size || 4, signed, enumerators };
        break;
      }
      case TAG.typedef: {
        const td: { kind: 'typedef'; name: string; target: Type } = { kind: 'typedef', name: nm ?? '?', target: VOID };
        this.types.set(die, td);
        td.target = target();
        return td;
      }
      case TAG.constType:
      case TAG.volatileType:
      case TAG.restrictType:
      case TAG.atomicType: {
        const qualifier = ab.tag === TAG.constType ? 'const' : ab.tag === TAG.volatileType ? 'volatile' : ab.tag === TAG.restrictType ? 'restrict' : '_Atomic';
        const q: { kind: 'qualified'; qualifier: typeof qualifier; target: Type } = { kind: 'qualified', qualifier, target: VOID };
        this.types.set(die, q);
        q.target = target();
        return q;
      }
      case TAG.subroutine: {
        const params: Type[] = [];
        let variadic = false;
        for (const c of this.children(die)) {
          const p = this.dieAt(c);
          if (p.ab.tag === TAG.formalParameter) params.push(this.typeOfRef(p.attrs.get(AT.type)));
          if (p.ab.tag === TAG.unspecifiedParameters) variadic = true;
        }
        t = { kind: 'function', returns: target(), params, variadic };
        break;
      }
      default:
        t = { kind: 'base', name: nm ?? `<type tag 0x${ab.tag.toString(16)}>`, size, encoding: 'other' };
    }
    this.types.set(die, t);
    return t;
  }

  private member(attrs: Map<number, AttrValue>, inUnion: boolean): Member {
    const name = attrs.get(AT.name);
    const type = this.typeOfRef(attrs.get(AT.type));
    const loc = attrs.get(AT.dataMemberLocation);
    let offset = typeof loc === 'bigint' ? Number(loc) : loc instanceof Uint8Array ? memberLocationExpr(loc, this.path) : 0;
    if (loc === undefined && inUnion) offset = 0;
    const bitSize = attrs.get(AT.bitSize);
    let bitOffset: number | null = null;
    if (typeof bitSize === 'bigint') {
      const dbo = attrs.get(AT.dataBitOffset);
      const oldBo = attrs.get(AT.bitOffset);
      if (typeof dbo === 'bigint') bitOffset = Number(dbo);
      else if (typeof oldBo === 'bigint') {
        // DWARF 2/3: counted from the most significant bit of the storage unit (little-endian here).
        const unit = Number((attrs.get(AT.byteSize) as bigint | undefined) ?? BigInt(sizeOf(type)));
        bitOffset = offset * 8 + unit * 8 - Number(oldBo) - Number(bitSize);
      } else bitOffset = offset * 8;
      offset = Math.floor(bitOffset / 8);
    }
    return { name: typeof name === 'string' ? name : null, offset, type, bitOffset, bitSize: typeof bitSize === 'bigint' ? Number(bitSize) : null };
  }
}

function memberLocationExpr(e: Uint8Array, path: string): number {
  // DW_OP_plus_uconst N, the only form C compilers emit for a member.
  if (e[0] === 0x23) return new Cursor(e, 1, 'member location').uleb();
  throw new DwarfError(`${path}: unsupported member location expression (opcode 0x${(e[0] ?? 0).toString(16)})`);
}

function isIndexedTag(tag: number): boolean {
  return tag === TAG.variable || tag === TAG.structure || tag === TAG.union || tag === TAG.enumeration || tag === TAG.typedef || tag === TAG.baseType;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Size in bytes of a form whose size does not depend on the unit or the data (-1: variable or unit-dependent). */
function fixedFormSize(form: number): number {
  switch (form) {
    case 0x0b: case 0x0c: case 0x11: case 0x25: case 0x29: return 1;
    case 0x05: case 0x12: case 0x26: case 0x2a: return 2;
    case 0x27: case 0x2b: return 3;
    case 0x06: case 0x13: case 0x28: case 0x2c: case 0x1c: return 4;
    case 0x07: case 0x14: case 0x20: case 0x24: return 8;
    case 0x1e: return 16;
    case 0x19: case 0x21: return 0;
    // Unit-dependent but fixed: addresses and offsets (unitFixedSize sizes them).
    case 0x01: case 0x0e: case 0x10: case 0x17: case 0x1f: case 0x1d: case 0x1f20: case 0x1f21: return 0;
    default: return -1;
  }
}

// ----------------------------------------------------------------------------------------
// Types: sizes and names

/**
 * C base type names as gdb spells them, whichever compiler wrote them: "long unsigned int"
 * (gcc) and "unsigned long" (clang) are both "unsigned long"; "short int" is "short".
 */
export function canonicalBaseName(name: string): string {
  const words = name.split(/\s+/);
  const known = ['unsigned', 'signed', 'long', 'short', 'int', 'char'];
  if (!words.every((w) => known.includes(w))) return name;
  const sign = words.filter((w) => w === 'unsigned' || (w === 'signed' && words.includes('char')));
  const size = words.filter((w) => w === 'long' || w === 'short');
  const core = words.filter((w) => w === 'char' || (w === 'int' && size.length === 0));
  if (size.length === 0 && core.length === 0) core.push('int');
  return [...sign, ...size, ...core].join(' ');
}

const MAX_TYPE_DEPTH = 1000;

/** The type without typedefs and qualifiers. */
export function stripType(t: Type): Type {
  for (let i = 0; t.kind === 'typedef' || t.kind === 'qualified'; i++) {
    if (i > MAX_TYPE_DEPTH) throw new DwarfError(`typedef '${typeName(t)}' refers to itself`);
    t = t.target;
  }
  return t;
}

export function sizeOf(t: Type): number {
  const s = stripType(t);
  switch (s.kind) {
    case 'void': return 1; // as gdb and GNU C: sizeof(void) == 1
    case 'base': case 'pointer': case 'struct': case 'union': case 'enum': return s.size;
    case 'array': return s.count === null ? 0 : s.count * sizeOf(s.element);
    case 'function': return 1;
    default: return 0;
  }
}

export function isSignedType(t: Type): boolean {
  const s = stripType(t);
  if (s.kind === 'base') return s.encoding === 'signed' || s.encoding === 'signed char';
  if (s.kind === 'enum') return s.signed;
  return false;
}

/** The type's name as C writes it (gdb's `whatis`): "struct node *", "int [8]", "int (*)[4]", "uint32_t". */
export function typeName(t: Type, decl = ''): string {
  const named = (base: string): string => (decl ? `${base} ${decl}` : base);
  switch (t.kind) {
    case 'void': return named('void');
    case 'base': case 'typedef': return named(t.name);
    case 'struct': case 'union': return named(`${t.kind} ${t.name ?? '{...}'}`);
    case 'enum': return named(`enum ${t.name ?? '{...}'}`);
    case 'qualified':
      // "const char *", but "char * const" for a qualified pointer.
      if (t.target.kind === 'pointer') {
        const p = t.target;
        const d = `* ${t.qualifier}${decl ? (decl.startsWith('[') ? decl : ' ' + decl) : ''}`; // gdb: "char * const[4]"
        return typeName(p.target, p.target.kind === 'array' || p.target.kind === 'function' ? `(${d})` : d);
      }
      if (t.target.kind === 'array') {
        // A qualified array is an array of qualified elements (C11 6.7.3): "const char [7]".
        const a = t.target;
        const el = a.element;
        const qualified = el.kind === 'qualified' && el.qualifier === t.qualifier ? el : { kind: 'qualified' as const, qualifier: t.qualifier, target: el };
        return typeName({ kind: 'array', element: qualified, count: a.count }, decl);
      }
      return `${t.qualifier} ${typeName(t.target, decl)}`;
    case 'pointer': {
      const k = t.target.kind;
      return typeName(t.target, k === 'array' || k === 'function' ? `(*${decl})` : `*${decl}`);
    }
    case 'array': return typeName(t.element, `${decl}[${t.count ?? ''}]`);
    case 'function': {
      const params = t.params.map((p) => typeName(p)).join(', ');
      return typeName(t.returns, `${decl}(${t.variadic ? (params ? params + ', ...' : '...') : params || 'void'})`);
    }
  }
}

// ----------------------------------------------------------------------------------------

class Cursor {
  constructor(
    private readonly d: Uint8Array,
    public pos: number,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.d.length) throw new DwarfError(`.${this.what} is truncated (need ${n} bytes at 0x${this.pos.toString(16)}, ${this.d.length} in all)`);
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  u8(): number {
    this.need(1);
    return this.d[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.d[this.pos]! | (this.d[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.d[this.pos]! | (this.d[this.pos + 1]! << 8) | (this.d[this.pos + 2]! << 16);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const d = this.d;
    const p = this.pos;
    this.pos += 4;
    return (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16)) + d[p + 3]! * 0x1000000;
  }
  u64(): bigint {
    const lo = this.u32();
    const hi = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  offset(size: number): number {
    return size === 8 ? Number(this.u64()) : this.u32();
  }
  addr(size: number): bigint {
    return size === 8 ? this.u64() : size === 4 ? BigInt(this.u32()) : size === 2 ? BigInt(this.u16()) : BigInt(this.u8());
  }
  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }
  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) {
        if (b & 0x40) result -= 1n << shift;
        return result;
      }
    }
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.d.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  cstring(dec: { decode(b: Uint8Array): string }): string {
    let end = this.pos;
    while (end < this.d.length && this.d[end] !== 0) end++;
    if (end >= this.d.length) throw new DwarfError(`.${this.what}: unterminated string at 0x${this.pos.toString(16)}`);
    const s = dec.decode(this.d.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}
