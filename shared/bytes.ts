/**
 * Little-endian byte cursors for DeLorean's binary formats: the wire protocol and the store's
 * files. The reader never trusts a length: every read past the end of its buffer fails through
 * the format's own error (WireError, RecordingError) with the position, so corrupt input yields
 * a clear error instead of garbage or a huge allocation.
 */
const utf8Dec = new TextDecoder('utf-8', { fatal: false });
const utf8Enc = new TextEncoder();
const SMALL = Array.from({ length: 128 }, (_, i) => BigInt(i));

export class ByteWriter {
  private buf: Uint8Array;
  private dv: DataView;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.len, v, true);
    this.len += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.dv.setInt32(this.len, v, true);
    this.len += 4;
  }
  /** A non-negative integer below 2^53 as a u64. */
  num64(v: number): void {
    this.ensure(8);
    this.dv.setUint32(this.len, v % 2 ** 32, true);
    this.dv.setUint32(this.len + 4, Math.floor(v / 2 ** 32), true);
    this.len += 8;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.dv.setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
  }
  /** LEB128 of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  /** LEB128 of a u64. */
  bigVarint(v: bigint): void {
    this.ensure(10);
    v = BigInt.asUintN(64, v);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }
  f64(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.len, v, true);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  str(s: string): void {
    const b = utf8Enc.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  /** Pads with zeros to a multiple of `n` bytes (so typed-array sections can be viewed in place). */
  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }
  /** Overwrites a u32 written earlier (for fields only known at the end). */
  patchU32(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, true);
  }
  /** A view of the bytes written so far (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  /** A copy of the bytes written so far. */
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
  reset(): void {
    this.len = 0;
  }
}

export class ByteReader {
  pos = 0;
  private readonly dv: DataView;

  constructor(
    readonly buf: Uint8Array,
    /** Throws the format's own error for `message` at position `pos` of buf. */
    private readonly onError: (message: string, pos: number) => never,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string): never {
    return this.onError(message, this.pos);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) this.fail(`truncated ${what} (${n} bytes needed, ${this.buf.length - this.pos} left)`);
  }
  get left(): number {
    return this.buf.length - this.pos;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** A u64 that must be below 2^53 (offsets, page numbers), as a number. */
  num64(what: string): number {
    this.need(8, what);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi >= 2 ** 21) this.fail(`${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is out of range`);
    return hi * 2 ** 32 + lo;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** LEB128, at most 8 bytes (below 2^56; rejected at 2^53 and above). */
  varint(what: string): number {
    const buf = this.buf;
    let p = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8 && p < buf.length; i++) {
      const b = buf[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = p;
        if (v > Number.MAX_SAFE_INTEGER) this.fail(`${what} out of range`);
        return v;
      }
      mul *= 128;
    }
    return this.fail(p >= buf.length ? `truncated ${what}` : `${what} is not a valid varint`);
  }
  /** LEB128 of a u64, at most 10 bytes. */
  bigVarint(what: string): bigint {
    const b0 = this.pos < this.buf.length ? this.buf[this.pos]! : 0x80;
    if (b0 < 0x80) {
      this.pos++;
      return SMALL[b0]!; // most arguments are small: no BigInt arithmetic
    }
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.u8(what);
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (v >= 1n << 64n) this.fail(`${what} out of range`);
        return v;
      }
    }
    return this.fail(`${what} is not a valid varint`);
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  str(what: string): string {
    return utf8Dec.decode(this.bytes(this.u32(`${what} length`), what));
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.skip(pad, 'padding');
  }
  end(what = 'the data'): void {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} stray bytes after ${what}`);
  }
}

export const utf8 = { encode: (s: string): Uint8Array => utf8Enc.encode(s), decode: (b: Uint8Array): string => utf8Dec.decode(b) };
