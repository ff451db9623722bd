/**
 * RangeCursor (range-cursor.ts) and the segment block reads under it: the checkpoints it
 * returns must be exactly those where the bytes changed (a superset only on pages a zero range
 * covered), whatever the blobs are: runs deltas, LZ4 XOR deltas, rebases on a chain's root,
 * full versions after mirror eviction, dedup hits on another page's blob.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRecording } from './reader.js';
import { SYN, SyntheticProgram, type SyntheticOptions } from './synthetic.js';
import { msg, page, tempDir } from './test-support.js';
import type { RecordingReader } from './types.js';
import { RecordingWriter, type WriterOptions } from './writer.js';
import { prng } from '../testing/prng.js';

/** Checkpoints in (from, last] where bytes [off, off+len) of the page differ from the checkpoint before. */
function bruteForce(r: RecordingReader, pageAddr: bigint, off: number, len: number, from = 0): number[] {
  const out: number[] = [];
  let prev = r.pageAt(from, pageAddr).subarray(off, off + len);
  for (let k = from + 1; k < r.checkpointCount; k++) {
    const cur = r.pageAt(k, pageAddr).subarray(off, off + len);
    if (Buffer.compare(prev, cur) !== 0) out.push(k);
    prev = cur;
  }
  return out;
}

/** The cursor's change points, checking at each step the bytes it hands out against pageAt. */
function walk(r: RecordingReader, pageAddr: bigint, off: number, len: number, from = 0): number[] {
  const c = r.rangeCursor(pageAddr, off, len);
  const out: number[] = [];
  const bytes = (k: number): Uint8Array => r.pageAt(k, pageAddr).subarray(off, off + len);
  for (let prev = from, k = c.nextChangeAfter(from); ; prev = k, k = c.nextChangeAfter(k)) {
    const before = c.bytesBefore();
    if (before) expect(Buffer.compare(before, bytes(prev)), `bytes at ${prev}`).toBe(0);
    if (k === null) {
      expect(c.bytesAtChange()).toBeNull();
      break;
    }
    const at = c.bytesAtChange();
    expect(at === null).toBe(before === null);
    if (at) expect(Buffer.compare(at, bytes(k)), `bytes at change ${k}`).toBe(0);
    out.push(k);
  }
  return out;
}

describe('range cursor', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  async function synthetic(opts: SyntheticOptions, w: WriterOptions): Promise<RecordingReader> {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const writer = await RecordingWriter.create(d, w);
    const prog = new SyntheticProgram(opts);
    writer.ingest(prog.hello());
    for (let k = 0; k < opts.checkpoints; k++) for (const m of prog.checkpoint(k)) writer.ingest(m);
    writer.close();
    return openRecording(d, { readOnly: true });
  }

  for (const [name, w] of [
    ['chains of 4 (rebases)', { deltaChain: 4 }],
    ['a 2-page mirror (full versions)', { mirrorBytes: 2 * 4096 }],
    ['default writer', {}],
  ] as const) {
    it(`returns exactly the changes of a few bytes, on a synthetic heap (${name})`, async () => {
      const r = await synthetic({ checkpoints: 400, heapPages: 6, wordsPerCheckpoint: 5, seed: 3 }, w);
      const rand = prng(9);
      for (let i = 0; i < 12; i++) {
        const pageAddr = SYN.heap + BigInt(Math.floor(rand() * 6) * 4096);
        const len = 1 + Math.floor(rand() * 24);
        const off = Math.floor(rand() * (4096 - len));
        expect(walk(r, pageAddr, off, len), `page ${pageAddr.toString(16)} +${off} len ${len}`).toEqual(bruteForce(r, pageAddr, off, len));
        const from = Math.floor(rand() * 300);
        expect(walk(r, pageAddr, off, len, from)).toEqual(bruteForce(r, pageAddr, off, len, from));
      }
      // The whole page, and the counter page that changes at every checkpoint.
      expect(walk(r, SYN.heap, 0, 4096)).toEqual(bruteForce(r, SYN.heap, 0, 4096));
      expect(walk(r, SYN.data, 0, 8)).toEqual(Array.from({ length: 399 }, (_, i) => i + 1));
      // Asked out of order, it still answers right.
      const c = r.rangeCursor(SYN.data, 0, 8);
      expect([c.nextChangeAfter(300), c.nextChangeAfter(5), c.nextChangeAfter(399)]).toEqual([301, 6, null]);
      r.close();
    });
  }

  it('is a superset of the changes on pages a zero range covered', async () => {
    const r = await synthetic({ checkpoints: 200, heapPages: 16, wordsPerCheckpoint: 6, zeroEvery: 9, seed: 4 }, {});
    const zeroed = SYN.heap + 15n * 4096n;
    const exact = bruteForce(r, zeroed, 0, 4096);
    const got = walk(r, zeroed, 0, 4096);
    for (const k of exact) expect(got).toContain(k);
    const versions = Array.from(r.versionsOf(zeroed));
    for (const k of got) expect(versions).toContain(k); // extra candidates are versions of the page
    r.close();
  });

  it('on a zeroed page of a growing recording, one cursor keeps up with new versions and zero ranges', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const opts = { checkpoints: 150, heapPages: 16, wordsPerCheckpoint: 6, zeroEvery: 9, seed: 8 };
    const w = await RecordingWriter.create(d);
    const prog = new SyntheticProgram(opts);
    w.ingest(prog.hello());
    const zeroed = SYN.heap + 15n * 4096n;
    let r: RecordingReader | null = null;
    let c = null as ReturnType<RecordingReader['rangeCursor']> | null;
    for (let k = 0; k < opts.checkpoints; k++) {
      for (const m of prog.checkpoint(k)) w.ingest(m);
      if (k % 40 !== 39) continue;
      w.flush();
      if (!r) r = await openRecording(d, { readOnly: true });
      else r.refresh();
      c ??= r.rangeCursor(zeroed, 0, 4096);
      const got: number[] = [];
      for (let x = c.nextChangeAfter(0); x !== null; x = c.nextChangeAfter(x)) got.push(x);
      expect(got).toEqual(Array.from(r.versionsOf(zeroed)).filter((v) => v > 0));
      for (const x of bruteForce(r, zeroed, 0, 4096)) expect(got).toContain(x);
    }
    w.close();
    r!.close();
  });

  it('follows pages whose versions are other pages\' blobs (dedup) and LZ4 XOR deltas', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const A = 0x10000n;
    const B = 0x11000n;
    const w = await RecordingWriter.create(d);
    w.ingest(msg.hello());
    const rand = prng(2);
    const noisy = (): Uint8Array => page(() => Math.floor(rand() * 256)); // a big XOR: LZ4 or full
    const contents: Uint8Array[] = [page((i) => i), page((i) => i * 7), noisy()];
    for (let k = 0; k < 60; k++) {
      w.ingest(msg.begin(k));
      if (k === 0) w.ingest(msg.maps('00010000-00012000 rw-p 00000000 00:00 0 [heap]\n'));
      // A cycles through three contents (dedup hits on its own old blobs), B copies A one checkpoint late,
      // with one byte changed now and then.
      const a = contents[k % 3]!.slice();
      if (k % 5 === 0) a[100] = k;
      const b = k % 7 === 0 ? noisy() : contents[(k + 2) % 3]!;
      w.ingest(msg.pages([[A, a], [B, b]]));
      w.ingest(msg.end(k, 2, 0));
    }
    w.close();
    const r = await openRecording(d, { readOnly: true });
    for (const [pageAddr, off, len] of [[A, 100, 1], [A, 0, 4096], [A, 4000, 50], [B, 100, 8], [B, 0, 4096]] as const) {
      expect(walk(r, pageAddr, off, len), `${pageAddr.toString(16)} +${off}`).toEqual(bruteForce(r, pageAddr, off, len));
    }
    r.close();
  });

  it('reads blobs right through the block cache while the recording grows', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const opts = { checkpoints: 300, heapPages: 8, wordsPerCheckpoint: 4, seed: 6 };
    const w = await RecordingWriter.create(d);
    const prog = new SyntheticProgram(opts);
    const mirror = new SyntheticProgram(opts);
    w.ingest(prog.hello());
    let r: RecordingReader | null = null;
    for (let k = 0; k < opts.checkpoints; k++) {
      for (const m of prog.checkpoint(k)) w.ingest(m);
      mirror.checkpoint(k);
      if (k % 37 !== 5) continue;
      w.flush();
      if (!r) r = await openRecording(d, { readOnly: true });
      else r.refresh();
      expect(r.checkpointCount).toBe(k + 1);
      // The newest blobs sit in the last (short) block of the segment: read them, then more.
      for (const [addr, content] of mirror.memory) expect(Buffer.compare(r.pageAt(k, addr), content), `0x${addr.toString(16)} at ${k}`).toBe(0);
    }
    w.close();
    r!.close();
  });
});
