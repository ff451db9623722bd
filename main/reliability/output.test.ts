/**
 * The output at a checkpoint on a real recording (counter.c at every write(2): a line per
 * checkpoint): the store's tail and byte ranges, and the service's terminal query with its
 * scroll-back by byte range, are exactly what the program had printed by then.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeloreanService } from '../api/service.js';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { delorean, PROGRAMS, tempDir } from '../testing/cli.js';
import { prng } from '../testing/prng.js';

const tmp = tempDir();
const rec = join(tmp.path, 'counter.dlr');
const N = 3000;
let r: RecordingReader;
/** What the program had printed when checkpoint k was taken, per the recording's chunks. */
let printed: (k: number) => Buffer;

beforeAll(async () => {
  const res = await delorean(['record', '--syscalls', 'write', '--out', rec, '--', join(PROGRAMS, 'counter'), String(N)]);
  expect(res.code, res.stderr).toBe(0);
  r = await openRecording(rec, { readOnly: true });
  printed = (k) => Buffer.concat(r.terminalOutput(k).map((c) => c.data));
}, 120_000);

afterAll(() => {
  r?.close();
  tmp.cleanup();
});

describe('output at a checkpoint', () => {
  it('the tail and any byte range are exactly what was printed by then', () => {
    // Checkpoint 1001 is the entry of the write of "i=1000": the lines before it were printed.
    expect(printed(1001).toString().replaceAll('\r\n', '\n')).toBe(Array.from({ length: 1000 }, (_, i) => `i=${i}\n`).join(''));
    const rand = prng(14);
    const all = printed(r.checkpointCount - 1);
    expect(all.toString().endsWith(`i=${N - 1}\r\ndone\r\n`)).toBe(true);
    for (let t = 0; t < 200; t++) {
      const k = Math.floor(rand() * r.checkpointCount);
      const want = printed(k);
      const max = [0, 1, 7, 100, 4096, 1 << 20][t % 6]!;
      const tail = r.terminalTail(k, max);
      expect(tail.totalBytes).toBe(want.length);
      expect(Buffer.from(tail.data).equals(want.subarray(Math.max(0, want.length - max)))).toBe(true);
      const from = Math.floor(rand() * all.length);
      const to = from + Math.floor(rand() * (all.length - from));
      expect(Buffer.from(r.terminalBytes(from, to)).equals(all.subarray(from, to))).toBe(true);
    }
    expect(() => r.terminalBytes(0, all.length + 1)).toThrow(RangeError);
  });

  it('the service sends the tail a panel shows, from a line start, and scrolls back by byte range', async () => {
    const service = new DeloreanService({ face: 'bridge', configDir: join(tmp.path, 'config'), recordingsDir: join(tmp.path, 'recordings') });
    try {
      const summary = await service.openRecording({ path: rec });
      expect(summary.damage).toEqual([]);
      const k = r.checkpointCount - 1;
      const all = printed(k).toString();
      const last = await service.terminal({ rec, k });
      expect(last.totalBytes).toBe(all.length);
      expect(last.truncated).toBe(true);
      expect(last.text.length).toBeLessThanOrEqual(16384);
      expect(all.slice(last.from)).toBe(last.text);
      expect(last.text.startsWith('i=')).toBe(true);
      // Scrolling back: the part before, until the start.
      let text = last.text;
      for (let end = last.from; end > 0; ) {
        const before = await service.terminal({ rec, k, end, maxBytes: 5000 });
        expect(all.slice(before.from, end)).toBe(before.text);
        text = before.text + text;
        end = before.from;
      }
      expect(text).toBe(all);
      expect(await service.invoke('terminal', { rec, k: 10, end: all.length })).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
    } finally {
      await service.dispose();
    }
  });
});
