/**
 * x86-64 register decoding: the raw bytes the recorder stores per thread (PTRACE_GETREGS'
 * user_regs_struct, and the XSAVE area from PTRACE_GETREGSET NT_X86_XSTATE) into named values.
 *
 * user_regs_struct is 27 little-endian u64 in the kernel's order (GP_NAMES). The XSAVE area
 * starts with the 512-byte legacy FXSAVE region:
 *
 *   0 fcw u16 | 2 fsw u16 | 4 ftw u8 (abridged) | 6 fop u16 | 8 fip u64 | 16 fdp u64
 *   24 mxcsr u32 | 28 mxcsr_mask u32 | 32 st0..st7 (16 bytes each, 80-bit used)
 *   160 xmm0..xmm15 (16 bytes each)
 *
 * then the XSAVE header at 512 (XSTATE_BV u64: which components are not in their initial
 * state), and the AVX component (upper 128 bits of ymm0..15) at 576. A component whose
 * XSTATE_BV bit is clear is in its initial state (zero), as the SDM specifies.
 */

export const GP_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type GpName = (typeof GP_NAMES)[number];
export const USER_REGS_SIZE = GP_NAMES.length * 8; // 216

const FXSAVE_SIZE = 512;
const XSAVE_HEADER = 512;
const YMM_HI_OFFSET = 576;
const XFEATURE_AVX = 2n;

export interface FpRegisters {
  readonly fcw: number;
  readonly fsw: number;
  readonly ftw: number; // abridged tag word: bit i set = st(i) valid
  readonly mxcsr: number;
  /** st0..st7 as 10-byte extended-precision values, and as the nearest double. */
  readonly st: readonly { readonly raw: Uint8Array; readonly value: number }[];
  /** xmm0..xmm15, 16 bytes each. */
  readonly xmm: readonly Uint8Array[];
  /** ymm0..ymm15 (xmm low half + AVX high half, 32 bytes each), or null when the area has no AVX state. */
  readonly ymm: readonly Uint8Array[] | null;
}

export interface DecodedRegisters {
  readonly tid: number;
  readonly gp: Readonly<Record<GpName, bigint>>;
  readonly fp: FpRegisters | null;
}

export class RegisterDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegisterDecodeError';
  }
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function decodeGp(gp: Uint8Array): Record<GpName, bigint> {
  if (gp.length < USER_REGS_SIZE) throw new RegisterDecodeError(`general registers: ${gp.length} bytes, expected ${USER_REGS_SIZE} (x86-64 user_regs_struct)`);
  const v = dv(gp);
  const out = {} as Record<GpName, bigint>;
  GP_NAMES.forEach((name, i) => (out[name] = v.getBigUint64(i * 8, true)));
  return out;
}

/** The XSAVE (or plain FXSAVE) area; null when it is empty (a recorder that did not capture it). */
export function decodeFp(fp: Uint8Array): FpRegisters | null {
  if (fp.length === 0) return null;
  if (fp.length < FXSAVE_SIZE) throw new RegisterDecodeError(`floating-point registers: ${fp.length} bytes, expected at least ${FXSAVE_SIZE} (FXSAVE area)`);
  const v = dv(fp);
  const st = Array.from({ length: 8 }, (_, i) => {
    const raw = fp.slice(32 + i * 16, 32 + i * 16 + 10);
    return { raw, value: extendedToDouble(raw) };
  });
  const xmm = Array.from({ length: 16 }, (_, i) => fp.slice(160 + i * 16, 176 + i * 16));
  let ymm: Uint8Array[] | null = null;
  if (fp.length >= YMM_HI_OFFSET + 256) {
    const avx = (v.getBigUint64(XSAVE_HEADER, true) >> XFEATURE_AVX) & 1n;
    ymm = xmm.map((lo, i) => {
      const y = new Uint8Array(32);
      y.set(lo, 0);
      if (avx) y.set(fp.subarray(YMM_HI_OFFSET + i * 16, YMM_HI_OFFSET + (i + 1) * 16), 16);
      return y;
    });
  }
  return { fcw: v.getUint16(0, true), fsw: v.getUint16(2, true), ftw: v.getUint8(4), mxcsr: v.getUint32(24, true), st, xmm, ymm };
}

export function decodeRegisters(tid: number, gp: Uint8Array, fp: Uint8Array): DecodedRegisters {
  return { tid, gp: decodeGp(gp), fp: decodeFp(fp) };
}

/** An x87 80-bit extended value (little-endian: 64-bit mantissa, then sign and 15-bit exponent) as a double. */
export function extendedToDouble(raw: Uint8Array): number {
  const v = dv(raw);
  const mantissa = v.getBigUint64(0, true);
  const se = v.getUint16(8, true);
  const sign = se & 0x8000 ? -1 : 1;
  const exp = se & 0x7fff;
  if (exp === 0 && mantissa === 0n) return sign * 0;
  if (exp === 0x7fff) return (mantissa & ((1n << 63n) - 1n)) === 0n ? sign * Infinity : NaN;
  // value = mantissa * 2^(exp - 16383 - 63); denormals use exponent 1 - 16383.
  const e = (exp === 0 ? 1 : exp) - 16383 - 63;
  return sign * Number(mantissa) * Math.pow(2, e);
}

/** Sub-register aliases a predicate may use: name -> [full register, bit offset, bits]. */
const ALIASES: Readonly<Record<string, readonly [GpName, number, number]>> = {
  pc: ['rip', 0, 64],
  sp: ['rsp', 0, 64],
  fp: ['rbp', 0, 64],
  eip: ['rip', 0, 32],
  ...Object.fromEntries(
    (['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp'] as const).flatMap((r) => [
      [`e${r}`, [`r${r}` as GpName, 0, 32]],
      [r === 'sp' ? 'sp16' : r, [`r${r}` as GpName, 0, 16]],
    ]),
  ),
  ...Object.fromEntries(
    (['a', 'b', 'c', 'd'] as const).flatMap((r) => [
      [`${r}l`, [`r${r}x` as GpName, 0, 8]],
      [`${r}h`, [`r${r}x` as GpName, 8, 8]],
    ]),
  ),
  ...Object.fromEntries([8, 9, 10, 11, 12, 13, 14, 15].flatMap((n) => [
    [`r${n}d`, [`r${n}` as GpName, 0, 32]],
    [`r${n}w`, [`r${n}` as GpName, 0, 16]],
    [`r${n}b`, [`r${n}` as GpName, 0, 8]],
  ])),
};
const FP_SCALARS = ['fcw', 'fsw', 'ftw', 'mxcsr'] as const;

/** Every register name a predicate may use (for validation and completion). */
export const REGISTER_NAMES: readonly string[] = [...new Set([...GP_NAMES, ...Object.keys(ALIASES), ...FP_SCALARS])].sort();

export function isRegisterName(name: string): boolean {
  return REGISTER_NAMES.includes(name);
}

/** The integer value of a named register (64-bit names, 32/16/8-bit aliases, fcw/fsw/ftw/mxcsr). */
export function registerValue(regs: DecodedRegisters, name: string): bigint {
  if ((GP_NAMES as readonly string[]).includes(name)) return regs.gp[name as GpName];
  const alias = ALIASES[name];
  if (alias) {
    const [full, shift, bits] = alias;
    return (regs.gp[full] >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);
  }
  if ((FP_SCALARS as readonly string[]).includes(name)) {
    if (!regs.fp) throw new RegisterDecodeError(`register ${name}: the recording has no floating-point state for thread ${regs.tid}`);
    return BigInt(regs.fp[name as (typeof FP_SCALARS)[number]]);
  }
  throw new RegisterDecodeError(`unknown register '${name}'`);
}
