/**
 * diff against the obvious answer: every readable page both checkpoints map, compared byte by
 * byte. The engine skips pages whose stored content is the same blob at both (sameContent),
 * so this holds that shortcut to never hiding a change, across sealed index runs, zeroed pages
 * and both directions.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../store/reader.js';
import { writeSyntheticRecording } from '../store/synthetic.js';
import { tempDir } from '../store/test-support.js';
import { prng } from '../testing/prng.js';
import { byteRanges, Engine } from './engine.js';

const t = tempDir();
afterAll(() => t.cleanup());

describe('diff', () => {
  it('finds exactly the pages whose bytes differ, by brute force on 40 random pairs', async () => {
    const d = join(t.dir, 'syn.dlr');
    await writeSyntheticRecording(d, { checkpoints: 200, heapPages: 24, wordsPerCheckpoint: 3, zeroEvery: 30, seed: 4 }, { indexSegmentCheckpoints: 16 });
    const engine = new Engine(await openRecording(d, { readOnly: true }));
    try {
      const r = engine.reader;
      const rand = prng(5);
      for (let trial = 0; trial < 40; trial++) {
        const k1 = Math.floor(rand() * 200);
        const k2 = Math.floor(rand() * 200);
        const want: Array<[bigint, number]> = [];
        for (const m of r.mapsAt(k1)) {
          if (m.perms[0] !== 'r') continue;
          for (let page = m.start; page < m.end; page += 4096n) {
            const ranges = byteRanges(r.pageAt(k1, page), r.pageAt(k2, page));
            if (ranges.length) want.push([page, ranges.reduce((n, x) => n + x.length, 0)]);
          }
        }
        const got = (await engine.diff(k1, k2)).pages.map((p): [bigint, number] => [p.page, p.changedBytes]);
        expect(got, `diff ${k1} ${k2}`).toEqual(want);
      }
    } finally {
      engine.close();
      engine.reader.close();
    }
  });
});
