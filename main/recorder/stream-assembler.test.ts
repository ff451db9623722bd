/**
 * The ingest worker's stream reader: whatever the chunking, it yields the messages the plain
 * decoder yields, reports garbage as the decoder does, and counts a truncated tail.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage, MessageType, WireDecoder, WireError, type WireMessage } from '../../shared/protocol/wire.js';

import { StreamAssembler } from './stream-assembler.js';
import { prng } from '../testing/prng.js';

function stream(): Uint8Array {
  const msgs: WireMessage[] = [{ type: MessageType.Output, data: new TextEncoder().encode('hello, odd length') }];
  for (let k = 0; k < 6; k++) {
    const count = [1, 3, 700, 2, 2100, 5][k]!; // 700 and 2100 pages: messages far larger than a chunk, and than the initial buffer
    const data = new Uint8Array(count * 4096);
    for (let i = 0; i < data.length; i += 97) data[i] = (i * 7 + k) & 0xff;
    msgs.push({ type: MessageType.Maps, text: `map ${k}` });
    msgs.push({ type: MessageType.Pages, pageSize: 4096, addrs: Array.from({ length: count }, (_, i) => BigInt(0x10000 + i * 4096)), data });
    msgs.push({ type: MessageType.Output, data: Uint8Array.of(k, 1, 2) });
  }
  const parts = msgs.map((m) => encodeMessage(m));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A comparable form of a message (views compared by content). */
const plain = (m: WireMessage): unknown => JSON.parse(JSON.stringify(m, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));

describe('StreamAssembler', () => {
  it('yields the same messages as the decoder, whatever the chunk sizes', () => {
    const bytes = stream();
    const expected = WireDecoder.decodeAll(bytes).map(plain);
    const rand = prng(3);
    for (const chunking of ['tiny', 'socket', 'random', 'whole']) {
      const s = new StreamAssembler();
      const got: unknown[] = [];
      for (let at = 0; at < bytes.length; ) {
        const n = chunking === 'tiny' ? 5 : chunking === 'socket' ? 65536 : chunking === 'whole' ? bytes.length : 1 + Math.floor(rand() * 300_000);
        // A fresh copy, then clobbered: the reader must not keep the caller's chunk.
        const chunk = bytes.slice(at, at + n);
        s.push(chunk);
        chunk.fill(0xee);
        for (let m = s.next(); m; m = s.next()) got.push(plain(m)); // consumed before the next push
        at += n;
      }
      expect(got).toEqual(expected);
      expect(s.pending).toBe(0);
    }
  });

  it('counts a truncated tail and reports garbage as a WireError', () => {
    const bytes = stream();
    const s = new StreamAssembler();
    s.push(bytes.subarray(0, bytes.length - 10));
    while (s.next());
    expect(s.pending).toBeGreaterThan(0);
    const bad = new StreamAssembler();
    bad.push(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0));
    expect(() => bad.next()).toThrow(WireError);
    const huge = new StreamAssembler();
    const h = encodeMessage({ type: MessageType.Output, data: new Uint8Array(4) });
    new DataView(h.buffer, h.byteOffset).setUint32(8, 0xffffffff, true);
    huge.push(h);
    expect(() => huge.next()).toThrow(/exceeds/);
  });
});
