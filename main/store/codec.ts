/**
 * The blob codec: how one content (a 4096-byte page, or a thread's registers) becomes the
 * payload of a blob, and back. Pure functions over bytes; files are blobs.ts's business.
 *
 * Kinds (format.ts): Raw (stored as is), Lz4 (one raw LZ4 block), XorLz4 (an LZ4 block of the
 * content XOR a base content of the same length: the previous version of the same page, which
 * usually differs in a few bytes, so the XOR is mostly zeros and compresses to tens of bytes).
 *
 * Choice: the smallest of the three, ties going to the non-delta kind (cheaper to decode, and it
 * resets the chain). A delta of at most DELTA_GOOD_ENOUGH bytes is taken without trying the full
 * compression: a full LZ4 block of a real page is rarely that small, and this halves the
 * compression work on the common path. Invariant: a payload is never longer than the content.
 */
import { BlobKind, type BlobKindCode } from './format.js';
import { lz4Decode, lz4Encode } from './lz4.js';

export const DELTA_GOOD_ENOUGH = 64;

export interface EncodedBlob {
  readonly kind: BlobKindCode;
  /** A view into the encoder's scratch memory: valid until the next encode() call. */
  readonly payload: Uint8Array;
}

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** XOR of two equal-length byte arrays into `out` (word-wise when aligned). */
export function xorInto(a: Uint8Array, b: Uint8Array, out: Uint8Array): void {
  const n = a.length;
  if (n % 4 === 0 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    const a32 = new Uint32Array(a.buffer, a.byteOffset, n >> 2);
    const b32 = new Uint32Array(b.buffer, b.byteOffset, n >> 2);
    const o32 = new Uint32Array(out.buffer, out.byteOffset, n >> 2);
    for (let i = 0; i < o32.length; i++) o32[i] = a32[i]! ^ b32[i]!;
    return;
  }
  for (let i = 0; i < n; i++) out[i] = a[i]! ^ b[i]!;
}

/** True when every byte is zero (word-wise when aligned; exits at the first non-zero word). */
export function isAllZero(b: Uint8Array): boolean {
  let i = 0;
  if (b.byteOffset % 4 === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.length >> 2);
    for (let j = 0; j < w.length; j++) if (w[j] !== 0) return false;
    i = w.length << 2;
  }
  for (; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export class BlobEncoder {
  private xor = new Uint8Array(4096);
  private delta = new Uint8Array(4096);
  private full = new Uint8Array(4096);

  private fit(n: number): void {
    if (this.xor.length >= n) return;
    this.xor = new Uint8Array(n);
    this.delta = new Uint8Array(n);
    this.full = new Uint8Array(n);
  }

  /** Encodes `content`, as a delta against `base` when that is given (same length) and smaller. */
  encode(content: Uint8Array, base: Uint8Array | null, fullBias = 1): EncodedBlob {
    const n = content.length;
    this.fit(n);
    let deltaLen = 0;
    if (base && base.length === n) {
      const x = this.xor.subarray(0, n);
      xorInto(content, base, x);
      deltaLen = lz4Encode(x, this.delta.subarray(0, n - 1));
      if (deltaLen > 0 && deltaLen <= DELTA_GOOD_ENOUGH) return { kind: BlobKind.XorLz4, payload: this.delta.subarray(0, deltaLen) };
    }
    // Full block, accepted only if no longer than the delta (ties favour the full version).
    const fullLen = lz4Encode(content, this.full.subarray(0, deltaLen > 0 ? Math.min(n - 1, Math.floor(deltaLen * fullBias)) : n - 1));
    if (fullLen > 0) return { kind: BlobKind.Lz4, payload: this.full.subarray(0, fullLen) };
    if (deltaLen > 0) return { kind: BlobKind.XorLz4, payload: this.delta.subarray(0, deltaLen) };
    return { kind: BlobKind.Raw, payload: content };
  }
}

/**
 * Decodes a payload into `out` (whose length is the content length the caller expects).
 * Throws a CodecError when the payload cannot be a valid blob of that length.
 */
export function decodePayload(kind: number, payload: Uint8Array, base: Uint8Array | null, out: Uint8Array): void {
  const n = out.length;
  switch (kind) {
    case BlobKind.Raw:
      if (payload.length !== n) throw new CodecError(`raw blob of ${payload.length} bytes where ${n} were expected`);
      out.set(payload);
      return;
    case BlobKind.Lz4:
      if (lz4Decode(payload, out) !== n) throw new CodecError(`LZ4 block does not decode to ${n} bytes`);
      return;
    case BlobKind.XorLz4:
      if (!base || base.length !== n) throw new CodecError(`delta blob without a ${n}-byte base`);
      if (lz4Decode(payload, out) !== n) throw new CodecError(`delta LZ4 block does not decode to ${n} bytes`);
      xorInto(out, base, out);
      return;
    default:
      throw new CodecError(`unknown blob kind ${kind}`);
  }
}
