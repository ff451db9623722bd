/**
 * Encoding helpers for the JSON contract: byte blocks as hex strings, per-byte bitmasks, and
 * 64-bit values as "0x..." strings. Used on both sides of the boundary (service and renderer),
 * so both agree on the layout. Pure: no Node, no DOM.
 */

const HEX = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex byte string: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A bitmask of `len` bits, one per byte: bit i is bit (i % 8) of mask byte (i >> 3). */
export class ByteMask {
  readonly bits: Uint8Array;
  constructor(readonly length: number) {
    this.bits = new Uint8Array((length + 7) >> 3);
  }
  set(i: number): void {
    this.bits[i >> 3]! |= 1 << (i & 7);
  }
  setRange(from: number, to: number): void {
    for (let i = from; i < to; i++) this.set(i);
  }
  toHex(): string {
    return bytesToHex(this.bits);
  }
}

/** Reads bit i of a hex bitmask produced by ByteMask.toHex (decoded once with hexToBytes). */
export function maskHas(mask: Uint8Array, i: number): boolean {
  return ((mask[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

export function toHex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

export function fromHex64(s: string): bigint {
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(s)) throw new Error(`not a 64-bit hex value: ${JSON.stringify(s)}`);
  return BigInt(s);
}

/**
 * Bytes as the program reads them: 1, 2, 4 or 8 bytes as the unsigned little-endian integer
 * they hold, in decimal and hex ("3735928559 (0xdeadbeef)"); other sizes as hex bytes.
 */
export function formatLittleEndian(b: Uint8Array): string {
  if (![1, 2, 4, 8].includes(b.length)) return bytesToHex(b);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return `${v} (0x${v.toString(16).padStart(b.length * 2, '0')})`;
}
