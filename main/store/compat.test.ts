/**
 * Recordings written by earlier builds still read. fixtures/lz4-package-recording was written by the
 * writer when LZ4 came from the `lz4` npm package (reference liblz4 1.9.2), with every blob kind:
 * full LZ4 and raw pages, XOR-runs and XOR+LZ4 deltas, chains rebased at the delta limit,
 * dedup hits, zeroed pages, registers and an LZ4-packed index snapshot. Its pages follow
 * expectedPage() below, so the test knows every byte without storing it twice.
 *
 * To write the fixture again (only when the format changes on purpose):
 *   DELOREAN_WRITE_COMPAT_FIXTURE=1 npx vitest run main/store/compat.test.ts
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MessageType, type WireMessage } from '../../shared/protocol/wire.js';
import { prng } from '../testing/prng.js';
import { openRecording } from './reader.js';
import { equalBytes, msg, tempDir } from './test-support.js';
import { RecordingWriter } from './writer.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/lz4-package-recording');
const CHECKPOINTS = 40;
const BASE = 0x555555580000n;
const PAGES = 6;

/** Text-like bytes (LZ4 compresses them), from `seed`. */
function textPage(seed: number): Uint8Array {
  const rand = prng(seed);
  const words = ['alpha ', 'beta ', 'gamma ', 'request ', 'response ', 'timeout ', 'cache ', 'entry '];
  const p = new Uint8Array(4096);
  for (let o = 0; o < 4096; ) for (const c of words[Math.floor(rand() * words.length)]!) if (o < 4096) p[o++] = c.charCodeAt(0);
  return p;
}

/** Content of page i at checkpoint k (all zero: not present). */
export function expectedPage(i: number, k: number): Uint8Array {
  switch (i) {
    case 0: {
      // A few words change each checkpoint: runs deltas, rebased every 16.
      const p = textPage(1);
      for (let j = 0; j <= k; j++) p[(j * 97) % 4096] = (j * 13 + 1) & 0xff;
      return p;
    }
    case 1: {
      // Random bytes (raw), then a third of its words changed at a time: XOR+LZ4 deltas.
      const p = new Uint8Array(4096);
      const rand = prng(2);
      for (let o = 0; o < 4096; o++) p[o] = Math.floor(rand() * 256);
      for (let j = 1; j <= k; j++) for (let w = j % 3; w < 1024; w += 3) p[w * 4] = (p[w * 4]! + j) & 0xff;
      return p;
    }
    case 2:
      // Rewritten whole every 5 checkpoints: a new full version.
      return textPage(100 + Math.floor(k / 5));
    case 3:
      // Page 0's content of 3 checkpoints ago: dedup hits.
      return k >= 3 ? expectedPage(0, k - 3) : new Uint8Array(4096);
    case 4: {
      // Zeroed on every fourth checkpoint.
      const p = k % 4 === 3 ? new Uint8Array(4096) : textPage(7);
      if (k % 4 !== 3) p[k] = 0xff;
      return p;
    }
    default: {
      // A counter in a mostly zero page.
      const p = new Uint8Array(4096);
      new DataView(p.buffer).setUint32(2048, k * 2654435761, true);
      return p;
    }
  }
}

async function writeFixture(dir: string): Promise<void> {
  const w = await RecordingWriter.create(dir, { deferWrites: true });
  w.ingest(msg.hello());
  w.ingest(msg.maps(`555555580000-555555586000 rw-p 00000000 00:00 0 [heap]\n`));
  for (let k = 0; k < CHECKPOINTS; k++) {
    w.ingest(msg.begin(k));
    const pages: Array<[bigint, Uint8Array]> = [];
    for (let i = 0; i < PAGES; i++) pages.push([BASE + BigInt(i) * 4096n, expectedPage(i, k)]);
    w.ingest(msg.pages(pages));
    w.ingest(msg.regs(4242, k));
    w.ingest(msg.end(k, PAGES, 1));
  }
  w.ingest({ type: MessageType.Exit, kind: 0, code: 0 });
  w.close();
}

describe('recordings written by earlier builds', () => {
  it.runIf(process.env.DELOREAN_WRITE_COMPAT_FIXTURE === '1')('writes the fixture', async () => {
    rmSync(FIXTURE, { recursive: true, force: true });
    await writeFixture(FIXTURE);
  });

  it('reads every page and register of the recording written with the lz4 package', async () => {
    expect(existsSync(FIXTURE)).toBe(true);
    // A copy: a writable open may repair or rewrite its snapshot, the fixture must stay as written.
    const { dir, cleanup } = tempDir('dlr-compat-');
    try {
      cpSync(FIXTURE, join(dir, 'r.dlr'), { recursive: true });
      for (const readOnly of [true, false]) {
        const r = await openRecording(join(dir, 'r.dlr'), { readOnly });
        try {
          expect(r.checkpointCount).toBe(CHECKPOINTS);
          for (let k = 0; k < CHECKPOINTS; k++) {
            for (let i = 0; i < PAGES; i++) {
              const want = expectedPage(i, k);
              if (!equalBytes(r.pageAt(k, BASE + BigInt(i) * 4096n), want)) throw new Error(`page ${i} differs at checkpoint ${k}`);
            }
            const regs = r.registersAt(k);
            const sent = msg.regs(4242, k) as Extract<WireMessage, { type: typeof MessageType.Regs }>;
            expect(regs.length).toBe(1);
            expect(equalBytes(regs[0]!.gp, sent.gp) && equalBytes(regs[0]!.fp, sent.fp)).toBe(true);
          }
        } finally {
          r.close();
        }
      }
    } finally {
      cleanup();
    }
  });
});
