/**
 * Register decoding: user_regs_struct order, sub-register aliases, the FXSAVE legacy region
 * (x87 extended values, MXCSR, xmm) and the AVX upper halves gated by XSTATE_BV.
 */
import { describe, expect, it } from 'vitest';
import { gpBytes } from './fixtures.js';
import { decodeFp, decodeGp, decodeRegisters, extendedToDouble, GP_NAMES, RegisterDecodeError, registerValue, REGISTER_NAMES, USER_REGS_SIZE } from './registers.js';

function extended(mantissa: bigint, signExp: number): Uint8Array {
  const b = new Uint8Array(10);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, mantissa, true);
  v.setUint16(8, signExp, true);
  return b;
}

describe('general registers', () => {
  it('follows the kernel order of user_regs_struct', () => {
    expect(USER_REGS_SIZE).toBe(216);
    expect(GP_NAMES.indexOf('rax')).toBe(10);
    expect(GP_NAMES.indexOf('rip')).toBe(16);
    expect(GP_NAMES.indexOf('rsp')).toBe(19);
    const raw = new Uint8Array(216);
    const v = new DataView(raw.buffer);
    GP_NAMES.forEach((_, i) => v.setBigUint64(i * 8, BigInt(i) * 0x0101010101010101n, true));
    const gp = decodeGp(raw);
    GP_NAMES.forEach((name, i) => expect(gp[name]).toBe(BigInt(i) * 0x0101010101010101n));
    expect(() => decodeGp(new Uint8Array(100))).toThrow(RegisterDecodeError);
  });

  it('gives aliases the right bits', () => {
    const regs = decodeRegisters(7, gpBytes({ rax: 0x1122334455667788n, r9: 0xaabbccddeeff0011n, rip: 0x401000n, rsp: 0x7ffe0000n }), new Uint8Array(0));
    expect(registerValue(regs, 'eax')).toBe(0x55667788n);
    expect(registerValue(regs, 'ax')).toBe(0x7788n);
    expect(registerValue(regs, 'al')).toBe(0x88n);
    expect(registerValue(regs, 'ah')).toBe(0x77n);
    expect(registerValue(regs, 'r9d')).toBe(0xeeff0011n);
    expect(registerValue(regs, 'r9w')).toBe(0x0011n);
    expect(registerValue(regs, 'r9b')).toBe(0x11n);
    expect(registerValue(regs, 'pc')).toBe(0x401000n);
    expect(registerValue(regs, 'sp')).toBe(0x7ffe0000n);
    expect(() => registerValue(regs, 'fcw')).toThrow('the recording has no floating-point state for thread 7');
    expect(() => registerValue(regs, 'xyz')).toThrow("unknown register 'xyz'");
    expect(REGISTER_NAMES).toContain('r15d');
  });
});

describe('XSAVE area', () => {
  it('decodes x87, SSE and AVX state', () => {
    const fp = new Uint8Array(1024);
    const v = new DataView(fp.buffer);
    v.setUint16(0, 0x37f, true);
    v.setUint16(2, 0x3800, true);
    v.setUint8(4, 0x03);
    v.setUint32(24, 0x1fa0, true);
    fp.set(extended(0x8000000000000000n, 0x3fff), 32); // st0 = 1.0
    fp.set(extended(0xa000000000000000n, 0xc000), 48); // st1 = -2.5
    for (let i = 0; i < 16; i++) fp.fill(i + 1, 160 + i * 16, 176 + i * 16); // xmm_i = bytes i+1
    for (let i = 0; i < 16; i++) fp.fill(0x80 + i, 576 + i * 16, 592 + i * 16); // ymm_hi_i
    const plain = decodeFp(fp)!;
    expect(plain).toMatchObject({ fcw: 0x37f, fsw: 0x3800, ftw: 3, mxcsr: 0x1fa0 });
    expect(plain.st[0]!.value).toBe(1);
    expect(plain.st[1]!.value).toBe(-2.5);
    expect(plain.xmm[15]).toEqual(new Uint8Array(16).fill(16));
    // XSTATE_BV without the AVX bit: the upper halves are in their initial state (zero).
    expect(plain.ymm![3]!.subarray(16)).toEqual(new Uint8Array(16));
    v.setBigUint64(512, 0b111n, true);
    const avx = decodeFp(fp)!;
    expect(avx.ymm![3]).toEqual(Uint8Array.from([...new Uint8Array(16).fill(4), ...new Uint8Array(16).fill(0x83)]));
    // A bare FXSAVE area (512 bytes): no AVX state at all.
    expect(decodeFp(fp.subarray(0, 512))!.ymm).toBe(null);
    expect(decodeFp(new Uint8Array(0))).toBe(null);
    expect(() => decodeFp(new Uint8Array(100))).toThrow(RegisterDecodeError);
    expect(registerValue(decodeRegisters(1, gpBytes({}), fp), 'mxcsr')).toBe(0x1fa0n);
  });

  it('converts x87 extended values', () => {
    expect(extendedToDouble(extended(0n, 0))).toBe(0);
    expect(Object.is(extendedToDouble(extended(0n, 0x8000)), -0)).toBe(true);
    expect(extendedToDouble(extended(0xc000000000000000n, 0x4000))).toBe(3);
    expect(extendedToDouble(extended(0x8000000000000000n, 0x7fff))).toBe(Infinity);
    expect(extendedToDouble(extended(0xc000000000000000n, 0x7fff))).toBeNaN();
    expect(extendedToDouble(extended(0x8000000000000000n, 0x3fff - 10))).toBe(1 / 1024);
  });
});
