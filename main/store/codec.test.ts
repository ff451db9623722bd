/**
 * The blob codec and blob store on their own: round trips on realistic and adversarial
 * contents, delta choice, chains, and corrupt payloads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from './blobs.js';
import { applyRuns, BlobEncoder, decodePayload, encodeRuns, isAllZero, isDelta, RUNS_MAX_WORDS, xorInto } from './codec.js';
import { BlobKind, SEGMENT_SPAN } from './format.js';
import { newRecordingId } from './files.js';
import { native } from './native.js';

import { page, tempDir } from './test-support.js';
import { RecordingError } from './types.js';
import { prng } from '../testing/prng.js';

const r = prng(42);
const realistic: Record<string, Uint8Array> = {
  code: page((i) => [0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10, 0xe8, i >> 4, 0, 0, 0, 0xc9, 0xc3][i % 15]!),
  text: page((i) => 'the quick brown fox jumps over the lazy dog; '.charCodeAt(i % 45)),
  pointers: (() => {
    const p = new Uint8Array(4096);
    const dv = new DataView(p.buffer);
    for (let j = 0; j < 512; j++) dv.setBigUint64(j * 8, 0x555555580000n + BigInt(Math.floor(r() * 65536) * 16), true);
    return p;
  })(),
  sparse: page((i) => (i % 512 === 0 ? i >> 9 : 0) + (i === 4000 ? 7 : 0)),
  random: page(() => Math.floor(r() * 256)),
  zero: new Uint8Array(4096),
  ones: new Uint8Array(4096).fill(0xff),
};

function roundTrip(content: Uint8Array, base: Uint8Array | null, enc = new BlobEncoder()): { kind: number; size: number } {
  const e = enc.encode(content, base);
  const kind = e.kind;
  const size = e.payload.length;
  const out = new Uint8Array(content.length);
  decodePayload(kind, e.payload.slice(), isDelta(kind) ? base : null, out);
  expect(Buffer.compare(out, content)).toBe(0);
  expect(size).toBeLessThanOrEqual(content.length);
  return { kind, size };
}

describe('codec', () => {
  it.each(Object.entries(realistic))('round-trips a %s page', (_, p) => {
    const { kind, size } = roundTrip(p, null);
    if (p === realistic.random) expect(kind).toBe(BlobKind.Raw);
    else expect(size).toBeLessThan(4096);
  });

  it('stores an incompressible page raw, never larger than the page', () => {
    expect(roundTrip(realistic.random!, null)).toEqual({ kind: BlobKind.Raw, size: 4096 });
  });

  it('encodes a single-bit change as a tiny delta, even on a random page', () => {
    for (const bit of [0, 1, 4095 * 8 + 7, 2048 * 8 + 3]) {
      const next = realistic.random!.slice();
      next[bit >> 3] = next[bit >> 3]! ^ (1 << (bit & 7));
      const { kind, size } = roundTrip(next, realistic.random!);
      expect(kind).toBe(BlobKind.XorRuns);
      expect(size).toBeLessThanOrEqual(4); // skip, length, one byte
    }
  });

  it('prefers a full version when the delta does not help', () => {
    // Replacing a text page by a zero-ish one: the full block is smaller than the XOR.
    const { kind } = roundTrip(realistic.sparse!, realistic.random!);
    expect(kind).toBe(BlobKind.Lz4);
  });

  it('uses runs for scattered small changes and LZ4 for dense ones', () => {
    const next = realistic.pointers!.slice();
    for (let i = 0; i < 6; i++) next[i * 700 + 3] = next[i * 700 + 3]! + 1;
    expect(roundTrip(next, realistic.pointers!).kind).toBe(BlobKind.XorRuns);
    // A repeated pattern over the whole page: many runs, but LZ4 sees the repetition.
    const striped = realistic.text!.slice();
    for (let i = 0; i < 4096; i += 8) striped[i] = striped[i]! ^ 0x20;
    const { kind, size } = roundTrip(striped, realistic.text!);
    expect(kind).toBe(BlobKind.XorLz4);
    expect(size).toBeLessThan(100);
  });

  it('encodes runs exactly: gaps of up to 2 zero bytes stay inside a run', () => {
    const x = new Uint8Array(300);
    x[0] = 1;
    x[3] = 2; // gap of 2: same run
    x[10] = 3; // gap of 6: new run
    x[299] = 4; // last byte
    const out = new Uint8Array(64);
    const n = encodeRuns(x, new Uint8Array(300), out, 64);
    expect(Array.from(out.subarray(0, n))).toEqual([0, 4, 1, 0, 0, 2, 6, 1, 3, 0x80 + 32, 2, 1, 4]);
    const acc = new Uint8Array(300);
    applyRuns(out.subarray(0, n), acc);
    expect(Buffer.compare(acc, x)).toBe(0);
    expect(encodeRuns(x, new Uint8Array(300), out, 5)).toBe(-1);
    expect(encodeRuns(new Uint8Array(8), new Uint8Array(8), out, 64)).toBe(0);
    // Straight from two contents, aligned or not, it equals the runs of their XOR.
    const buf = new Uint8Array(305);
    const a = buf.subarray(1, 301);
    a.set(Uint8Array.from({ length: 300 }, (_, i) => i * 13));
    const b = a.map((v, i) => (i % 97 === 5 || i === 299 ? v ^ 0x40 : v));
    const xab = a.map((v, i) => v ^ b[i]!);
    const o1 = new Uint8Array(300);
    const o2 = new Uint8Array(300);
    const n1 = encodeRuns(a, b, o1, 299);
    const n2 = encodeRuns(xab, new Uint8Array(300), o2, 299);
    expect(n1).toBeGreaterThan(0);
    expect(Array.from(o1.subarray(0, n1))).toEqual(Array.from(o2.subarray(0, n2)));
  });

  it('encodes the same runs as encodeRuns, inspected first or not, aligned or not', () => {
    const enc = new BlobEncoder();
    const rand = prng(7);
    const buf = new Uint8Array(4096 + 8);
    for (let trial = 0; trial < 300; trial++) {
      const n = trial % 3 === 0 ? 2648 + (trial % 4) : 4096; // registers' lengths too, tails included
      const base = page(() => Math.floor(rand() * 256)).subarray(0, n);
      const content = buf.subarray(trial % 4, (trial % 4) + n); // unaligned for 3 trials in 4
      content.set(base);
      const changes = Math.floor(rand() * (trial % 5 === 0 ? 400 : 20));
      for (let c = 0; c < changes; c++) {
        const at = Math.floor(rand() * n);
        const len = 1 + Math.floor(rand() * 6);
        for (let k = at; k < Math.min(n, at + len); k++) content[k] = rand() < 0.8 ? content[k]! ^ (1 + Math.floor(rand() * 255)) : content[k]!;
      }
      const expected = new Uint8Array(n);
      const len = encodeRuns(content, base, expected, n - 1);
      let changed = 0;
      for (let w = 0; w < Math.ceil(n / 4); w++) if (content.subarray(w * 4, w * 4 + 4).some((v, k) => v !== base[w * 4 + k])) changed++;
      if (trial % 2) expect(enc.inspect(content, base)).toBe(changed === 0 ? 'same' : 'changed');
      const e = enc.encode(content, base);
      const out = new Uint8Array(n);
      decodePayload(e.kind, e.payload.slice(), isDelta(e.kind) ? base : null, out);
      expect(Buffer.compare(out, content)).toBe(0);
      if (e.kind === BlobKind.XorRuns) expect(Array.from(e.payload)).toEqual(Array.from(expected.subarray(0, len)));
      else if (len >= 0 && len <= 64 && changed <= RUNS_MAX_WORDS) throw new Error(`runs of ${len} bytes not taken`);
    }
  });

  it('inspects contents by their bytes alone, aligned or not, and tells the same bytes from a change of one bit', () => {
    const buf = new Uint8Array(4100);
    const a = realistic.pointers!;
    const enc = new BlobEncoder();
    for (let off = 0; off < 4; off++) {
      const view = buf.subarray(off, off + 4096);
      view.set(a);
      expect(enc.inspect(view, a)).toBe('same');
      expect(enc.inspect(a, view)).toBe('same');
      for (let bit = off; bit < 4096 * 8; bit += 61) {
        view[bit >> 3] = view[bit >> 3]! ^ (1 << (bit & 7));
        expect(enc.inspect(view, a)).toBe('changed');
        view[bit >> 3] = view[bit >> 3]! ^ (1 << (bit & 7));
      }
    }
    const tail = new Uint8Array(7);
    tail[6] = 1;
    expect(enc.inspect(tail, new Uint8Array(7))).toBe('changed');
    expect(enc.inspect(tail, tail.subarray(0, 6))).toBe('changed'); // another length is never the same
    expect(enc.inspect(tail, null)).toBe('changed');
    expect(enc.inspect(new Uint8Array(4096), a)).toBe('zero');
    expect(enc.inspect(buf.subarray(1, 4098).fill(0), null)).toBe('zero');
  });

  it('hashes the bytes alone: equal contents hash alike wherever they lie, a one-bit change hashes apart', () => {
    const enc = new BlobEncoder();
    const buf = new Uint8Array(4100);
    const hashOf = (c: Uint8Array): string => (enc.inspect(c, null), `${enc.hashHi}:${enc.hashLo}`);
    const a = realistic.text!;
    const want = hashOf(a);
    const seen = new Set([want]);
    for (let off = 0; off < 4; off++) {
      const view = buf.subarray(off, off + 4096);
      view.set(a);
      expect(hashOf(view)).toBe(want);
      view[off * 100] = view[off * 100]! ^ 1;
      seen.add(hashOf(view));
    }
    expect(seen.size).toBe(5);
  });

  it('handles contents of other lengths (registers)', () => {
    const regs = page((i) => i * 3).subarray(0, 216 + 2696);
    const next = regs.slice();
    next[80] = next[80]! ^ 0x10;
    roundTrip(regs, null);
    expect(roundTrip(next, regs).kind).toBe(BlobKind.XorRuns);
    roundTrip(new Uint8Array(3), null);
  });

  it('xor and zero test agree with byte loops on unaligned views', () => {
    const buf = new Uint8Array(4096 + 3);
    buf.set(realistic.text!, 1);
    const a = buf.subarray(1, 4097);
    const out = new Uint8Array(4096);
    xorInto(a, realistic.pointers!, out);
    for (let i = 0; i < 4096; i++) expect(out[i]).toBe(realistic.text![i]! ^ realistic.pointers![i]!);
    expect(isAllZero(new Uint8Array(8192).subarray(3, 4099))).toBe(true);
    const z = new Uint8Array(4099);
    z[4098] = 1;
    expect(isAllZero(z.subarray(3))).toBe(false);
  });

  it('the native calls name a wrong argument instead of reading it', () => {
    const bad = { length: 4096 } as unknown as Uint8Array;
    expect(() => native.inspect(bad, null, new Uint32Array(2))).toThrow(/content must be a typed array/);
    expect(() => native.inspect(new Uint8Array(8), bad, new Uint32Array(2))).toThrow(/previous must be a typed array or null/);
    expect(() => native.inspect(new Uint8Array(8), null, new Uint32Array(1))).toThrow(/hashOut must be a Uint32Array of 2/);
    expect(() => native.encode(new Uint8Array(4096), null, 1, new Uint8Array(4096))).toThrow(/scratch must hold 4 times the content/);
    expect(() => native.lz4Decode(new Uint8Array(4), bad)).toThrow(/output must be a typed array/);
    expect(native.lz4Decode(Uint8Array.of(0xf0, 1, 2), new Uint8Array(4096))).toBeLessThan(0); // a literal run past the input's end
  });

  it('rejects malformed payloads with a CodecError', () => {
    const out = new Uint8Array(4096);
    expect(() => decodePayload(BlobKind.Lz4, Uint8Array.of(0xff, 0xff, 0xff), null, out)).toThrow(/does not decode/);
    expect(() => decodePayload(BlobKind.Raw, new Uint8Array(10), null, out)).toThrow(/raw blob/);
    expect(() => decodePayload(BlobKind.XorLz4, new Uint8Array(10), null, out)).toThrow(/without a 4096-byte base/);
    expect(() => decodePayload(9, new Uint8Array(10), null, out)).toThrow(/not a full version/);
    const base = new Uint8Array(4096);
    expect(() => decodePayload(BlobKind.XorRuns, Uint8Array.of(0x80, 0x80, 0x80, 0x80, 1), base, out)).toThrow(/run header too long/);
    expect(() => decodePayload(BlobKind.XorRuns, Uint8Array.of(0x80), base, out)).toThrow(/truncated run header/);
    expect(() => decodePayload(BlobKind.XorRuns, Uint8Array.of(0xff, 0x1f, 2, 1, 1), base, out)).toThrow(/does not fit/);
    expect(() => decodePayload(BlobKind.XorRuns, Uint8Array.of(0, 0), base, out)).toThrow(/does not fit/);
    expect(() => decodePayload(BlobKind.XorRuns, Uint8Array.of(0, 3, 1), base, out)).toThrow(/does not fit/);
    const e = new BlobEncoder().encode(realistic.text!, null);
    expect(() => decodePayload(e.kind, e.payload, null, new Uint8Array(4000))).toThrow(/does not decode to 4000/);
  });
});

describe('blob store', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  it('reads back a delta chain longer than the writer limit, from a cold reader', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const id = newRecordingId();
    const w = BlobStore.create(t.dir, id, 1 << 20);
    const enc = new BlobEncoder();
    const versions: Uint8Array[] = [];
    const vofs: number[] = [];
    let cur = realistic.pointers!.slice();
    // 40 versions, each one delta on the previous (depth up to 39 < MAX_DEPTH): the store itself
    // enforces no writer policy, only the format's bound.
    for (let v = 0; v < 40; v++) {
      cur = cur.slice();
      cur[(v * 97) % 4096] = cur[(v * 97) % 4096]! ^ 0x5a;
      const prevV = vofs.length ? vofs[vofs.length - 1]! : 0;
      const base = prevV ? w.read(prevV, 4096) : null;
      const e = enc.encode(cur, base ? base.data : null);
      const delta = isDelta(e.kind);
      vofs.push(w.append(e.kind, delta ? base!.depth + 1 : 0, delta ? prevV : 0, e.payload, cur));
      versions.push(cur);
    }
    w.writePending();
    w.sync();
    w.close();
    const rd = BlobStore.forReading(t.dir, id, 4);
    for (let v = 39; v >= 0; v--) expect(Buffer.compare(rd.read(vofs[v]!, 4096).data, versions[v]!)).toBe(0);
    expect(rd.read(vofs[39]!, 4096).depth).toBe(39);
    rd.close();
  });

  it('rolls over to a new segment at the size limit', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const id = newRecordingId();
    const w = BlobStore.create(t.dir, id, 10_000);
    const addrs: number[] = [];
    for (let i = 0; i < 10; i++) addrs.push(w.append(BlobKind.Raw, 0, 0, realistic.random!, realistic.random!));
    w.writePending();
    w.close();
    expect(Math.floor(addrs[9]! / SEGMENT_SPAN)).toBeGreaterThanOrEqual(4);
    const rd = BlobStore.forReading(t.dir, id);
    for (const a of addrs) expect(Buffer.compare(rd.read(a, 4096).data, realistic.random!)).toBe(0);
    expect(() => rd.read(a0(addrs) + 1, 4096)).toThrow(RecordingError);
    rd.close();
    expect(() => BlobStore.forReading(t.dir, newRecordingId()).read(addrs[0]!, 4096)).toThrow(/another recording/);
  });
});

const a0 = (a: number[]): number => a[0]!;

describe('dedup table', () => {
  it('finds what it holds, grows, and starts over at its memory bound', async () => {
    const { ContentIndex } = await import('./content-index.js');
    const t = new ContentIndex(4, 64);
    for (let i = 1; i <= 32; i++) t.set(BigInt(i) * 0x9e3779b97f4a7c15n, i * 100);
    for (let i = 1; i <= 32; i++) expect(t.get(BigInt(i) * 0x9e3779b97f4a7c15n)).toBe(i * 100);
    expect(t.get(12345n)).toBe(0);
    t.set(33n, 3300); // past 64 slots at half load: starts over
    expect(t.size).toBeLessThanOrEqual(32);
    expect(t.get(33n)).toBe(3300);
  });
});
