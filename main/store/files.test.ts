/**
 * How a recording's files are opened: a symbolic link or a special file put in place of any of
 * them (by another user, by accident) is refused with an error naming it, and what a link
 * points at is never read, written or truncated, by read-only and writable (repairing) opens
 * alike. (A FIFO, which would block an open, is tried through the CLI, which can be timed out:
 * main/reliability/other-users.test.ts.)
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_FILE, LOCK_FILE } from './format.js';
import { openRecording } from './reader.js';
import { writeSyntheticRecording, type SyntheticOptions } from './synthetic.js';
import { tempDir, verifySynthetic } from './test-support.js';

const opts: SyntheticOptions = { checkpoints: 6, heapPages: 8, wordsPerCheckpoint: 3, seed: 5, threads: 1, outputEvery: 1 };
const PRECIOUS = 'precious: not a DeLorean file, and nobody may write it\n';
let t: { dir: string; cleanup: () => void };
let original: string;
beforeAll(async () => {
  t = tempDir();
  original = join(t.dir, 'orig.dlr');
  await writeSyntheticRecording(original, opts, { indexSegmentCheckpoints: 2 });
});
afterAll(() => t.cleanup());

/** Opens and reads every checkpoint; the error's message, or null. */
async function readAll(dir: string, readOnly: boolean): Promise<string | null> {
  try {
    const r = await openRecording(dir, { readOnly });
    try {
      return verifySynthetic(r, opts) ?? null;
    } finally {
      r.close();
    }
  } catch (e) {
    return (e as Error).message;
  }
}

describe('a link in place of a recording file', () => {
  it('is refused, naming it, and its target is never touched (log, index, index segments, blobs, writer.pid)', async () => {
    const names = [...readdirSync(original), LOCK_FILE];
    expect(names).toEqual(expect.arrayContaining(['log', 'index', 'index-segments', 'blobs-000000.seg']));
    for (const name of names) {
      for (const readOnly of [true, false]) {
        const work = join(t.dir, `work-${name}.dlr`);
        rmSync(work, { recursive: true, force: true });
        mkdirSync(work);
        for (const n of readdirSync(original)) copyFileSync(join(original, n), join(work, n));
        // No index snapshot: a writable open replays the log and repairs, which writes files.
        if (name !== INDEX_FILE) unlinkSync(join(work, INDEX_FILE));
        const target = join(t.dir, `precious-${name}`);
        writeFileSync(target, PRECIOUS);
        rmSync(join(work, name), { force: true });
        symlinkSync(target, join(work, name));
        const why = await readAll(work, readOnly);
        expect(why, `${name}, ${readOnly ? 'read-only' : 'writable'}`).toBe(`${join(work, name)}: is a symbolic link; the files of a recording are never followed through links`);
        expect(readFileSync(target, 'utf8'), `${name}'s target`).toBe(PRECIOUS);
      }
    }
  });

  it('the same recording with its files in place reads back exactly', async () => {
    expect(await readAll(original, true)).toBeNull();
  });
});
