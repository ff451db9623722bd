/**
 * The x86-64 register set the remote stub shows gdb: a target description (qXfer:features
 * target.xml) and the bytes of each register from a recorded thread.
 *
 * The description is gdb's own amd64-linux one, inlined in one document: features
 * org.gnu.gdb.i386.core, .sse, .linux (orig_rax), .segments (fs_base, gs_base) and .avx (the
 * upper halves ymm0h..ymm15h). gdb numbers registers in document order, and the `g` packet is
 * every register in that order, so REGISTERS below is the single source of both.
 *
 * Values come from the recorded user_regs_struct (engine/registers.ts GP_NAMES) and XSAVE
 * area: st(i) at 32 + 16i (stack order, as gdb wants), xmm at 160 + 16i, mxcsr at 24, the
 * x87 control words at 0..23 (64-bit FXSAVE: fiseg/foseg are the upper halves of FIP/FDP, as
 * gdb's amd64_supply_fxsave reads them), the full tag word rebuilt from the abridged one the
 * way the CPU would (valid/zero/special/empty), and ymm upper halves at 576 + 16i when
 * XSTATE_BV says AVX state is live. A thread recorded without an XSAVE area reads zeros.
 */
import type { ThreadRegisters } from '../../shared/model/recording.js';
import { decodeGp, type GpName } from '../engine/registers.js';
import { leBytes } from './rsp.js';

interface RegisterDef {
  readonly name: string;
  readonly bits: number;
  readonly type: string;
  readonly group?: string;
  readonly feature: Feature;
  read(gp: Readonly<Record<GpName, bigint>>, fp: Uint8Array): Uint8Array;
}

type Feature = 'core' | 'sse' | 'linux' | 'segments' | 'avx';

const gpReg = (name: GpName, bits: number, type: string, feature: Feature = 'core'): RegisterDef => ({
  name,
  bits,
  type,
  feature,
  read: (gp) => leBytes(gp[name] & ((1n << BigInt(bits)) - 1n), bits / 8),
});

const fpBytes = (offset: number, size: number) => (_gp: unknown, fp: Uint8Array): Uint8Array => {
  const out = new Uint8Array(size);
  if (fp.length >= offset + size) out.set(fp.subarray(offset, offset + size));
  return out;
};

const fpWord = (offset: number, size: number, mask = 0xffffffff) => (_gp: unknown, fp: Uint8Array): Uint8Array => {
  if (fp.length < offset + size) return new Uint8Array(4);
  const v = new DataView(fp.buffer, fp.byteOffset, fp.byteLength);
  const value = size === 2 ? v.getUint16(offset, true) : v.getUint32(offset, true);
  return leBytes(BigInt(value & mask), 4);
};

const XSTATE_BV = 512;
const YMM_HI = 576;
const AVX_BIT = 2n;

function ymmHigh(i: number) {
  return (_gp: unknown, fp: Uint8Array): Uint8Array => {
    const out = new Uint8Array(16);
    if (fp.length < YMM_HI + 256) return out;
    const bv = new DataView(fp.buffer, fp.byteOffset, fp.byteLength).getBigUint64(XSTATE_BV, true);
    if ((bv >> AVX_BIT) & 1n) out.set(fp.subarray(YMM_HI + 16 * i, YMM_HI + 16 * i + 16));
    return out;
  };
}

/** The full x87 tag word (2 bits per physical register) from FXSAVE's abridged one. */
function fullTag(_gp: unknown, fp: Uint8Array): Uint8Array {
  if (fp.length < 160) return leBytes(0xffffn, 4);
  const v = new DataView(fp.buffer, fp.byteOffset, fp.byteLength);
  const abridged = v.getUint8(4);
  const top = (v.getUint16(2, true) >> 11) & 7;
  let tag = 0;
  for (let phys = 0; phys < 8; phys++) {
    let t = 3; // empty
    if (abridged & (1 << phys)) {
      const st = 32 + 16 * ((phys - top + 8) & 7);
      const exp = v.getUint16(st + 8, true) & 0x7fff;
      const mantissa = v.getBigUint64(st, true);
      if (exp === 0x7fff) t = 2;
      else if (exp === 0) t = mantissa === 0n ? 1 : 2;
      else t = mantissa >> 63n ? 0 : 2;
    }
    tag |= t << (2 * phys);
  }
  return leBytes(BigInt(tag), 4);
}

const GP64: readonly GpName[] = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

export const REGISTERS: readonly RegisterDef[] = [
  ...GP64.map((n) => gpReg(n, 64, n === 'rbp' || n === 'rsp' ? 'data_ptr' : 'int64')),
  gpReg('rip', 64, 'code_ptr'),
  gpReg('eflags', 32, 'i386_eflags'),
  ...(['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const).map((n) => gpReg(n, 32, 'int32')),
  ...Array.from({ length: 8 }, (_, i): RegisterDef => ({ name: `st${i}`, bits: 80, type: 'i387_ext', feature: 'core', read: fpBytes(32 + 16 * i, 10) })),
  { name: 'fctrl', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(0, 2) },
  { name: 'fstat', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(2, 2) },
  { name: 'ftag', bits: 32, type: 'int', group: 'float', feature: 'core', read: fullTag },
  { name: 'fiseg', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(12, 4) },
  { name: 'fioff', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(8, 4) },
  { name: 'foseg', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(20, 4) },
  { name: 'fooff', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(16, 4) },
  { name: 'fop', bits: 32, type: 'int', group: 'float', feature: 'core', read: fpWord(6, 2, 0x7ff) },
  ...Array.from({ length: 16 }, (_, i): RegisterDef => ({ name: `xmm${i}`, bits: 128, type: 'vec128', feature: 'sse', read: fpBytes(160 + 16 * i, 16) })),
  { name: 'mxcsr', bits: 32, type: 'i386_mxcsr', group: 'vector', feature: 'sse', read: fpWord(24, 4) },
  gpReg('orig_rax', 64, 'int', 'linux'),
  gpReg('fs_base', 64, 'int', 'segments'),
  gpReg('gs_base', 64, 'int', 'segments'),
  ...Array.from({ length: 16 }, (_, i): RegisterDef => ({ name: `ymm${i}h`, bits: 128, type: 'uint128', feature: 'avx', read: ymmHigh(i) })),
];

/** Register n of a thread, little-endian. Throws RangeError for a number gdb was not given. */
export function readRegister(t: ThreadRegisters, n: number): Uint8Array {
  const def = REGISTERS[n];
  if (!def) throw new RangeError(`no register ${n}`);
  return def.read(decodeGp(t.gp), t.fp);
}

/** Every register in order: the `g` packet's bytes. */
export function readAllRegisters(t: ThreadRegisters): Uint8Array {
  const gp = decodeGp(t.gp);
  const parts = REGISTERS.map((d) => d.read(gp, t.fp));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const EFLAGS_FIELDS: readonly [string, number][] = [
  ['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11],
  ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
];
const MXCSR_FIELDS: readonly [string, number][] = [
  ['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7], ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15],
];

const FEATURE_NAMES: Readonly<Record<Feature, string>> = {
  core: 'org.gnu.gdb.i386.core',
  sse: 'org.gnu.gdb.i386.sse',
  linux: 'org.gnu.gdb.i386.linux',
  segments: 'org.gnu.gdb.i386.segments',
  avx: 'org.gnu.gdb.i386.avx',
};

const FEATURE_TYPES: Partial<Record<Feature, string>> = {
  core: `<flags id="i386_eflags" size="4">${EFLAGS_FIELDS.map(([n, b]) => `<field name="${n}" start="${b}" end="${b}"/>`).join('')}</flags>`,
  sse:
    '<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/>' +
    '<vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/>' +
    '<vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>' +
    '<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>' +
    '<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>' +
    '<field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union>' +
    `<flags id="i386_mxcsr" size="4">${MXCSR_FIELDS.map(([n, b]) => `<field name="${n}" start="${b}" end="${b}"/>`).join('')}</flags>`,
};

/** target.xml: architecture, OS ABI and every register, feature by feature. */
export const TARGET_XML: string = (() => {
  const features = (Object.keys(FEATURE_NAMES) as Feature[]).map((f) => {
    const regs = REGISTERS.filter((r) => r.feature === f)
      .map((r) => `<reg name="${r.name}" bitsize="${r.bits}" type="${r.type}"${r.group ? ` group="${r.group}"` : ''}/>`)
      .join('');
    return `<feature name="${FEATURE_NAMES[f]}">${FEATURE_TYPES[f] ?? ''}${regs}</feature>`;
  });
  return `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>${features.join('')}</target>`;
})();
