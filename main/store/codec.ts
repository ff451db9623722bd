/**
 * The blob codec: how one content (a 4096-byte page, or a thread's registers) becomes the
 * payload of a blob, and back. Pure functions over bytes; files are blobs.ts's business.
 *
 * Kinds (format.ts):
 *   Raw     the content as is (incompressible)
 *   Lz4     one raw LZ4 block of the content
 *   XorLz4  an LZ4 block of (content XOR base), base being an earlier content of the same length
 *   XorRuns the non-zero runs of (content XOR base): repeated [varint skip][varint len][len bytes],
 *           `skip` counting zero bytes since the previous run's end. Successive versions of a page
 *           usually differ in a few bytes; LZ4 spends ~16 bytes just to say "4 KiB of zeros"
 *           (one length byte per 255), runs spend ~2 per change, so a changed word costs ~10
 *           bytes instead of ~35.
 *
 * Choice: the smallest, ties going to the non-delta kinds (cheaper to decode, and they reset
 * the chain), with shortcuts where trying the rest costs time for nothing: a runs delta of at
 * most DELTA_GOOD_ENOUGH bytes is taken without trying LZ4 at all; runs are not tried past
 * RUNS_MAX_WORDS changed words (LZ4 of the XOR does as well there); a delta under an eighth of
 * the content is taken without trying a full block. The encoder (BlobEncoder, native code)
 * counts the changed words first, and XORs the contents only for LZ4. `fullBias` lets the writer prefer a full version
 * unless the delta is that many times smaller. Invariant: a payload is never longer than the
 * content.
 */
import { BlobKind, type BlobKindCode } from './format.js';
import { lz4Decode } from './lz4.js';
import { native } from './native.js';

export const DELTA_GOOD_ENOUGH = 64;

export interface EncodedBlob {
  readonly kind: BlobKindCode;
  /** A view into the encoder's scratch memory: valid until the next encode() call. */
  readonly payload: Uint8Array;
}

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

export const isDelta = (kind: number): boolean => kind === BlobKind.XorLz4 || kind === BlobKind.XorRuns;

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

/** Writes v (a non-negative integer below 2^53) as LEB128 at out[o]; returns the end. */
export function putVarint(out: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    out[o++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[o++] = v;
  return o;
}

/**
 * Encodes the non-zero runs of (a XOR b) into `out`, straight from a and b (one pass, no XOR
 * buffer); returns the size, or -1 past `limit` bytes. Zero gaps of up to 2 bytes stay inside
 * a run (a new run costs at least 2 bytes). With b all zero this encodes a itself.
 * The format's reference encoder: the writer's BlobEncoder makes the same bytes in native code,
 * and codec.test.ts holds it to this.
 */
export function encodeRuns(a: Uint8Array, b: Uint8Array, out: Uint8Array, limit: number): number {
  const n = a.length;
  const aligned = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0;
  const a32 = aligned ? new Uint32Array(a.buffer, a.byteOffset, n >> 2) : null;
  const b32 = aligned ? new Uint32Array(b.buffer, b.byteOffset, n >> 2) : null;
  let o = 0;
  let last = 0;
  let p = 0;
  for (;;) {
    while (p < n && (p & 3) !== 0 && a[p] === b[p]) p++;
    if (a32 && b32 && (p & 3) === 0) while (p + 4 <= n && a32[p >> 2] === b32[p >> 2]) p += 4;
    while (p < n && a[p] === b[p]) p++;
    if (p >= n) return o;
    const start = p;
    let end = p + 1;
    for (let j = p + 1; j < n && j - end < 3; j++) if (a[j] !== b[j]) end = j + 1;
    if (o + 8 + (end - start) > limit) return -1;
    o = putVarint(out, o, start - last);
    o = putVarint(out, o, end - start);
    for (let k = start; k < end; k++) out[o++] = a[k]! ^ b[k]!;
    last = p = end;
  }
}

/** XORs the runs of `payload` into `acc` in place. */
export function applyRuns(payload: Uint8Array, acc: Uint8Array): void {
  const n = acc.length;
  let p = 0;
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= payload.length) throw new CodecError('truncated run header');
      const b = payload[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    throw new CodecError('run header too long');
  };
  while (p < payload.length) {
    pos += varint();
    const len = varint();
    if (len === 0 || pos + len > n || p + len > payload.length) throw new CodecError(`run of ${len} bytes at ${pos} does not fit`);
    for (let k = 0; k < len; k++) acc[pos + k] = acc[pos + k]! ^ payload[p + k]!;
    p += len;
    pos += len;
  }
}

/**
 * XORs into `acc` (bytes [off, off + acc.length) of the content) the part of a runs delta that
 * falls in that range; returns whether any run touched it. Same checks as applyRuns.
 */
export function applyRunsRange(payload: Uint8Array, n: number, off: number, acc: Uint8Array): boolean {
  const end = off + acc.length;
  let p = 0;
  let pos = 0;
  let touched = false;
  while (p < payload.length) {
    let skip = 0;
    let len = 0;
    for (let shift = 0, done = false; !done; shift += 7) {
      if (shift >= 28) throw new CodecError('run header too long');
      if (p >= payload.length) throw new CodecError('truncated run header');
      const b = payload[p++]!;
      skip += (b & 0x7f) * 2 ** shift;
      done = b < 0x80;
    }
    for (let shift = 0, done = false; !done; shift += 7) {
      if (shift >= 28) throw new CodecError('run header too long');
      if (p >= payload.length) throw new CodecError('truncated run header');
      const b = payload[p++]!;
      len += (b & 0x7f) * 2 ** shift;
      done = b < 0x80;
    }
    pos += skip;
    if (len === 0 || pos + len > n || p + len > payload.length) throw new CodecError(`run of ${len} bytes at ${pos} does not fit`);
    if (pos < end && pos + len > off) {
      const from = Math.max(pos, off);
      const to = Math.min(pos + len, end);
      for (let q = from; q < to; q++) acc[q - off] = acc[q - off]! ^ payload[p + q - pos]!;
      touched = true;
    }
    p += len;
    pos += len;
  }
  return touched;
}

/**
 * Above this many changed 32-bit words the runs encoding is not tried: it would take at least
 * that many bytes and a byte-wise pass over most of the page, and LZ4 of the XOR, which is
 * tried anyway, is then about as small (measured on the gzip, sqlite and python streams: under
 * 0.5% more bytes stored, the encode of such a page ~4x faster). native-codec uses the same.
 */
export const RUNS_MAX_WORDS = 256;

/**
 * The writer's per-page work, in native code (native-codec/src/codec.c: the choice described
 * in this file's header, its runs byte for byte those of encodeRuns): one call tells a page's
 * fate (zero, unchanged, or changed and hashed), one more encodes it.
 */
export class BlobEncoder {
  private scratch = new Uint8Array(4 * 4096);
  private readonly hashOut = new Uint32Array(2);

  /** The 64-bit content hash of the last inspect() that returned 'changed', as two uint32 halves. */
  get hashHi(): number {
    return this.hashOut[0]!;
  }
  get hashLo(): number {
    return this.hashOut[1]!;
  }

  /**
   * 'zero' when every byte is zero, 'same' when `previous` holds the same bytes, else
   * 'changed' (and hashHi/hashLo hold its hash).
   */
  inspect(content: Uint8Array, previous: Uint8Array | null): 'zero' | 'same' | 'changed' {
    const r = native.inspect(content, previous, this.hashOut);
    return r === 0 ? 'zero' : r === 1 ? 'same' : 'changed';
  }

  /** Encodes `content`, as a delta against `base` when that is given (same length) and smaller. */
  encode(content: Uint8Array, base: Uint8Array | null, fullBias = 1): EncodedBlob {
    const n = content.length;
    if (this.scratch.length < 4 * n) this.scratch = new Uint8Array(4 * n);
    const r = native.encode(content, base && base.length === n ? base : null, fullBias, this.scratch);
    const kind = (r % 8) as BlobKindCode;
    return { kind, payload: kind === BlobKind.Raw ? content : this.scratch.subarray(0, Math.floor(r / 8)) };
  }
}

/** Decodes a full (Raw or Lz4) payload into `out`, whose length is the content length. */
export function decodeFull(kind: number, payload: Uint8Array, out: Uint8Array): void {
  const n = out.length;
  if (kind === BlobKind.Raw) {
    if (payload.length !== n) throw new CodecError(`raw blob of ${payload.length} bytes where ${n} were expected`);
    out.set(payload);
  } else if (kind === BlobKind.Lz4) {
    if (lz4Decode(payload, out) !== n) throw new CodecError(`LZ4 block does not decode to ${n} bytes`);
  } else {
    throw new CodecError(`blob kind ${kind} is not a full version`);
  }
}

/** Turns `acc` (the base content) into the delta's content, in place; `scratch` >= acc.length. */
export function applyDelta(kind: number, payload: Uint8Array, acc: Uint8Array, scratch: Uint8Array): void {
  if (kind === BlobKind.XorRuns) return applyRuns(payload, acc);
  if (kind !== BlobKind.XorLz4) throw new CodecError(`blob kind ${kind} is not a delta`);
  const x = scratch.subarray(0, acc.length);
  if (lz4Decode(payload, x) !== acc.length) throw new CodecError(`delta LZ4 block does not decode to ${acc.length} bytes`);
  xorInto(acc, x, acc);
}

/** Decodes any payload into `out`; a delta needs its base's content (same length). */
export function decodePayload(kind: number, payload: Uint8Array, base: Uint8Array | null, out: Uint8Array): void {
  if (!isDelta(kind)) return decodeFull(kind, payload, out);
  if (!base || base.length !== out.length) throw new CodecError(`delta blob without a ${out.length}-byte base`);
  out.set(base);
  applyDelta(kind, payload, out, new Uint8Array(out.length));
}
