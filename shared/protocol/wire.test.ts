import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOLDEN_MESSAGES } from './golden-messages.js';
import { encodeMessage, HEADER_SIZE, MessageType, WireDecoder, WireError, type WireMessage } from './wire.js';

const golden = new Uint8Array(readFileSync(new URL('./golden.bin', import.meta.url)));

describe('wire protocol', () => {
  it('encodes the golden sequence byte for byte (the C side checks the same file)', () => {
    const encoded = Buffer.concat(GOLDEN_MESSAGES.map(encodeMessage));
    expect(encoded.equals(Buffer.from(golden))).toBe(true);
  });

  it('decodes the golden stream back to the same messages', () => {
    expect(WireDecoder.decodeAll(golden)).toEqual(GOLDEN_MESSAGES);
  });

  it('decodes a stream split at every byte boundary', () => {
    for (let cut = 1; cut < golden.length; cut += 97) {
      const d = new WireDecoder();
      const out: WireMessage[] = [];
      d.push(golden.subarray(0, cut));
      for (let m = d.next(); m; m = d.next()) out.push(m);
      d.push(golden.subarray(cut));
      for (let m = d.next(); m; m = d.next()) out.push(m);
      expect(out).toEqual(GOLDEN_MESSAGES);
      expect(d.pending).toBe(0);
    }
  });

  it('reports a truncated stream instead of inventing a message', () => {
    expect(() => WireDecoder.decodeAll(golden.subarray(0, golden.length - 3))).toThrow(/truncated/);
  });

  it('rejects bad magic, unknown types, oversize lengths and malformed bodies', () => {
    const bad = golden.slice(0, 40);
    bad[0] = 0x58;
    expect(() => WireDecoder.decodeAll(bad)).toThrow(/bad magic/);

    const unknown = encodeMessage({ type: MessageType.Pause });
    new DataView(unknown.buffer).setUint16(4, 99, true);
    expect(() => WireDecoder.decodeAll(unknown)).toThrow(/unknown message type 99/);

    const huge = encodeMessage({ type: MessageType.Pause });
    new DataView(huge.buffer).setUint32(8, 0xffffffff, true);
    expect(() => WireDecoder.decodeAll(huge)).toThrow(/exceeds/);

    const pages = encodeMessage({ type: MessageType.Pages, addrs: [0x1000n], data: new Uint8Array(4096), pageSize: 4096 });
    new DataView(pages.buffer).setUint32(HEADER_SIZE, 2, true); // claims two pages, holds one
    expect(() => WireDecoder.decodeAll(pages)).toThrow(/does not hold 2 pages/);

    const unaligned = encodeMessage({ type: MessageType.Pages, addrs: [0x1001n], data: new Uint8Array(4096), pageSize: 4096 });
    expect(() => WireDecoder.decodeAll(unaligned)).toThrow(/unaligned/);
  });

  it('survives random and mutated input: a message or a WireError, never anything else', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    let errors = 0;
    for (let trial = 0; trial < 3000; trial++) {
      let input: Uint8Array;
      if (trial % 3 === 0) {
        input = Uint8Array.from({ length: rand(200) }, () => rand(256));
      } else {
        input = golden.slice(0, 1 + rand(golden.length));
        for (let flips = 1 + rand(4); flips > 0; flips--) { const i = rand(input.length); input[i] = input[i]! ^ (1 << rand(8)); }
      }
      try {
        WireDecoder.decodeAll(input);
      } catch (e) {
        expect(e).toBeInstanceOf(WireError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(2000);
  });
});
