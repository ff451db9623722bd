/**
 * A page's version list is built once and shared while the recording does not grow: exact
 * search makes a range cursor per range its predicate reads, and with an address that moves
 * inside a page that is thousands of cursors on one page, each of which held its own copy of
 * the page's whole list (gigabytes over a long recording). Checked with sealed index runs and
 * a tail, with and without zero ranges (merged into the list), and against the list's content.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from './reader.js';
import { SYN, writeSyntheticRecording, type SyntheticOptions } from './synthetic.js';
import { tempDir } from './test-support.js';

const t = tempDir();
afterAll(() => t.cleanup());

describe('version lists', () => {
  for (const zeroEvery of [0, 7]) {
    it(`are shared between askers, not copied for each (zero ranges ${zeroEvery ? 'merged in' : 'none'})`, async () => {
      const opts: SyntheticOptions = { checkpoints: 300, heapPages: 2, wordsPerCheckpoint: 4, seed: 9, zeroEvery };
      const dir = join(t.dir, `z${zeroEvery}.dlr`);
      await writeSyntheticRecording(dir, opts, { indexSegmentCheckpoints: 64 }); // 4 sealed runs and a tail
      const r = await openRecording(dir, { readOnly: true });
      try {
        const a = r.versionsOf(SYN.heap);
        const b = r.versionsOf(SYN.heap);
        expect(a.length).toBeGreaterThan(100);
        expect(b.buffer).toBe(a.buffer);
        expect([...b]).toEqual([...a]);
        expect(a[a.length - 1]).toBeGreaterThan(256); // versions from the tail, past the sealed runs
        for (let i = 1; i < a.length; i++) expect(a[i]!).toBeGreaterThan(a[i - 1]!);
      } finally {
        r.close();
      }
    });
  }
});
