/**
 * The remote-protocol framing on its own: packets cut at every byte boundary, noise between
 * packets, bad checksums, oversized packets, and binary replies that gdb must read back.
 */
import { describe, expect, it } from 'vitest';
import { encodeBinaryPacket, encodePacket, MAX_PACKET, PacketDecoder, type WireEvent } from './rsp.js';

function feedAll(chunks: Uint8Array[]): WireEvent[] {
  const d = new PacketDecoder();
  return chunks.flatMap((c) => d.feed(c));
}

describe('PacketDecoder', () => {
  it('finds the same packets however the stream is cut', () => {
    const stream = Buffer.concat([Buffer.from('+'), encodePacket('qSupported:swbreak+'), Buffer.from('\x03-junk'), encodePacket('m1000,4'), encodePacket('')]);
    const whole = feedAll([stream]);
    expect(whole).toEqual([
      { kind: 'ack' },
      { kind: 'packet', payload: 'qSupported:swbreak+' },
      { kind: 'interrupt' },
      { kind: 'nack' },
      { kind: 'packet', payload: 'm1000,4' },
      { kind: 'packet', payload: '' },
    ]);
    for (let cut = 1; cut < stream.length; cut++) expect(feedAll([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(whole);
    expect(feedAll([...stream].map((b) => Uint8Array.of(b)))).toEqual(whole);
  });

  it('reports bad checksums and drops a packet restarted in the middle', () => {
    expect(feedAll([Buffer.from('$g#00$g#zz$g#67')])).toEqual([{ kind: 'bad-checksum' }, { kind: 'bad-checksum' }, { kind: 'packet', payload: 'g' }]);
    expect(feedAll([Buffer.from('$m10$g#67')])).toEqual([{ kind: 'packet', payload: 'g' }]);
  });

  it('gives up on a packet longer than the packet size, then carries on', () => {
    const events = feedAll([Buffer.from('$' + 'x'.repeat(MAX_PACKET + 10) + '#00'), encodePacket('qC')]);
    expect(events).toEqual([{ kind: 'too-long' }, { kind: 'packet', payload: 'qC' }]);
  });

  it('never throws on random bytes', () => {
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const d = new PacketDecoder();
    for (let i = 0; i < 200; i++) expect(() => d.feed(Uint8Array.from({ length: 512 }, rand))).not.toThrow();
  });
});

describe('encoding replies', () => {
  it('escapes binary data so that it reads back', () => {
    const data = Uint8Array.from({ length: 256 }, (_, i) => i);
    const packet = encodeBinaryPacket('l', data);
    const [event] = feedAll([packet]);
    expect(event?.kind).toBe('packet');
    const payload = Buffer.from((event as { payload: string }).payload, 'latin1');
    const decoded: number[] = [];
    for (let i = 1; i < payload.length; i++) decoded.push(payload[i] === 0x7d ? payload[++i]! ^ 0x20 : payload[i]!);
    expect(Uint8Array.from(decoded)).toEqual(data);
  });

  it('refuses a text reply gdb would misread', () => {
    expect(() => encodePacket('O*')).toThrow(/reserved character/);
    expect(encodePacket('OK').toString()).toBe('$OK#9a');
  });
});
