/**
 * The writer's page mirror (mirror.ts) and the paths of the writer that depend on it: what a
 * reader returns must be exactly what was written whether a page's previous content came from
 * the mirror, was evicted (full version), was zeroed by a zero range, or was sent twice in one
 * checkpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openRecording } from './reader.js';
import { PageMirror, PageTable } from './mirror.js';
import { SyntheticProgram } from './synthetic.js';
import { equalBytes, msg, page, tempDir, verifySynthetic } from './test-support.js';
import { RecordingWriter } from './writer.js';
import { join } from 'node:path';
import { prng } from '../testing/prng.js';

describe('PageTable', () => {
  it('agrees with a Map through random sets and deletes, across growth', () => {
    const t = new PageTable(4);
    const model = new Map<number, number>();
    const rand = prng(5);
    // Keys clustered (neighbouring pages collide in probe runs) and huge (above 2^32).
    const key = (): number => (rand() < 0.5 ? Math.floor(rand() * 300) : 0x7f0000000 + Math.floor(rand() * 300)) + (rand() < 0.1 ? 2 ** 51 : 0);
    for (let i = 0; i < 20000; i++) {
      const k = key();
      if (rand() < 0.4) {
        t.delete(k);
        model.delete(k);
      } else {
        t.set(k, i);
        model.set(k, i);
      }
      if (i % 97 === 0) {
        for (const [mk, mv] of model) expect(t.get(mk)).toBe(mv);
        expect(t.size).toBe(model.size);
      }
    }
    for (let i = 0; i < 2000; i++) {
      const k = key();
      expect(t.get(k)).toBe(model.get(k) ?? -1);
    }
  });
});

describe('PageMirror', () => {
  it('keeps contents under its budget, evicting by clock, and forgets ranges', () => {
    const m = new PageMirror(4 * 4096);
    for (let p = 0; p < 4; p++) m.put(p, page(() => p + 1), 100 + p, 0, 100 + p);
    expect(m.size).toBe(4);
    m.find(0); // used: survives the next eviction
    m.put(9, page(() => 9), 109, 1, 100);
    expect(m.size).toBe(4);
    expect(m.find(0)).toBeGreaterThanOrEqual(0);
    const s9 = m.find(9);
    expect(equalBytes(m.bytes(s9), page(() => 9))).toBe(true);
    expect([m.vofs[s9], m.depth[s9], m.root[s9]]).toEqual([109, 1, 100]);
    for (let p = 0; p < 4; p++) {
      const s = m.find(p);
      if (s >= 0) expect(equalBytes(m.bytes(s), page(() => p + 1))).toBe(true);
    }
    m.deleteRange(0, 10);
    expect(m.size).toBe(0);
    m.put(3, page(() => 3), 1, 0, 1);
    expect(m.size).toBe(1);
  });
});

describe('writer with a small page mirror', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  for (const mirrorPages of [1, 7, 1000]) {
    it(`reads back every page and register of a synthetic recording (mirror of ${mirrorPages} pages, zero ranges)`, async () => {
      const t = tempDir();
      cleanup = t.cleanup;
      const opts = { checkpoints: 120, heapPages: 24, wordsPerCheckpoint: 6, zeroEvery: 7, seed: mirrorPages };
      const d = join(t.dir, 'r.dlr');
      const w = await RecordingWriter.create(d, { mirrorBytes: mirrorPages * 4096, deltaChain: 4 });
      const prog = new SyntheticProgram(opts);
      w.ingest(prog.hello());
      for (let k = 0; k < opts.checkpoints; k++) for (const m of prog.checkpoint(k)) w.ingest(m);
      const stats = w.stats;
      w.close();
      const r = await openRecording(d, { readOnly: true });
      expect(verifySynthetic(r, opts)).toBeNull();
      if (mirrorPages === 1000) expect(stats.deltaBlobs).toBeGreaterThan(stats.fullBlobs * 4);
      r.close();
    });
  }

  it('handles a page sent twice in one checkpoint, unchanged pages and pages zeroed then rewritten', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const HEAP = 0x10000n;
    const MAPS = `00010000-00020000 rw-p 00000000 00:00 0 [heap]\n`;
    const w = await RecordingWriter.create(d);
    const a = page((i) => i * 3);
    const b = page((i) => i * 3 + (i === 100 ? 1 : 0));
    const c = page((i) => i * 5);
    w.ingest(msg.hello());
    // 0: page 0 = a
    w.ingest(msg.begin(0));
    w.ingest(msg.maps(MAPS));
    w.ingest(msg.pages([[HEAP, a]]));
    w.ingest(msg.end(0, 1, 0));
    // 1: page 0 sent as b then back as a (the last copy wins: unchanged), page 1 = c
    w.ingest(msg.begin(1));
    w.ingest(msg.pages([[HEAP, b], [HEAP + 0x1000n, c], [HEAP, a]]));
    w.ingest(msg.end(1, 3, 0));
    // 2: page 0 sent again unchanged
    w.ingest(msg.begin(2));
    w.ingest(msg.pages([[HEAP, a]]));
    w.ingest(msg.end(2, 1, 0));
    // 3: both zeroed by a range; 4: page 0 = b (a delta base must not be the zeroed a... any is fine if bytes are right)
    w.ingest(msg.begin(3));
    w.ingest(msg.zero([[HEAP, HEAP + 0x2000n]]));
    w.ingest(msg.end(3, 0, 0));
    w.ingest(msg.begin(4));
    w.ingest(msg.pages([[HEAP, b]]));
    w.ingest(msg.end(4, 1, 0));
    // 5: page 1 = c again (was zero: a new version), page 0 sent as a and b in reverse order
    w.ingest(msg.begin(5));
    w.ingest(msg.pages([[HEAP + 0x1000n, c], [HEAP, a], [HEAP, b]]));
    w.ingest(msg.end(5, 3, 0));
    w.close();
    const r = await openRecording(d, { readOnly: true });
    const zero = new Uint8Array(4096);
    const want: Array<[Uint8Array, Uint8Array]> = [
      [a, zero],
      [a, c],
      [a, c],
      [zero, zero],
      [b, zero],
      [b, c],
    ];
    want.forEach(([p0, p1], k) => {
      expect(equalBytes(r.pageAt(k, HEAP), p0), `page 0 at ${k}`).toBe(true);
      expect(equalBytes(r.pageAt(k, HEAP + 0x1000n), p1), `page 1 at ${k}`).toBe(true);
    });
    expect(Array.from(r.versionsOf(HEAP))).toEqual([0, 3, 4]);
    expect(Array.from(r.versionsOf(HEAP + 0x1000n))).toEqual([1, 3, 5]);
    r.close();
  });
});
