/**
 * Damaged recordings: the log cut at every byte offset, and bit flips and garbage in every file.
 * Whatever happens, an open and every read either return exactly what was written (possibly
 * fewer checkpoints: a cut tail) or throw a RecordingError; never other exceptions, garbage, or
 * a hang.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_FILE, INDEX_SEGMENTS_FILE, LOG_FILE, RecordType } from './format.js';
import { openRecording, type Reader } from './reader.js';
import { writeSyntheticRecording, type SyntheticOptions } from './synthetic.js';
import { tempDir, verifySynthetic } from './test-support.js';
import { LostError, RecordingError } from './types.js';
import { prng } from '../testing/prng.js';

const opts: SyntheticOptions = { checkpoints: 4, heapPages: 16, wordsPerCheckpoint: 3, seed: 3, threads: 2, zeroEvery: 2, outputEvery: 1 };
let original = '';
let work = '';
let cleanup = (): void => undefined;
const files = new Map<string, Buffer>();
/** End offsets of every record, and of the checkpoint records in particular. */
const ends: number[] = [];
const checkpointEnds: number[] = [];

function restore(): void {
  for (const n of readdirSync(work)) if (!files.has(n)) unlinkSync(join(work, n));
  for (const [n, b] of files) writeFileSync(join(work, n), b);
}

/** Runs a read; contents lost to damage in the log may refuse with a LostError, nothing else. */
function unlessLost(read: () => unknown): void {
  try {
    read();
  } catch (e) {
    if (!(e instanceof LostError)) throw e;
  }
}

/** Opens `work` and reads everything; returns the count, or the RecordingError thrown. */
async function openAndCheck(readOnly = true): Promise<number | RecordingError> {
  let r: Reader | null = null;
  try {
    r = (await openRecording(work, { readOnly })) as Reader;
    expect(r.checkpointCount).toBeLessThanOrEqual(opts.checkpoints);
    expect(verifySynthetic(r, opts)).toBeNull();
    for (let k = 0; k < r.checkpointCount; k++) {
      unlessLost(() => r!.mapsAt(k));
      r.checkpoint(k);
      r.programAt(k);
    }
    for (const c of r.terminalOutput()) {
      const step = /^step (\d+)\n$/.exec(new TextDecoder().decode(c.data));
      expect(step).not.toBeNull();
      // Output tagged with a checkpoint lost to damage belongs to the next one read.
      if (r.losses.length > 0) expect(Number(step![1])).toBeLessThanOrEqual(r.recordedIndex(Math.min(c.checkpoint, r.checkpointCount - 1)) + 1);
      else expect(Number(step![1])).toBe(c.checkpoint);
    }
    r.summary();
    return r.checkpointCount;
  } catch (e) {
    if (!(e instanceof RecordingError)) throw e;
    return e;
  } finally {
    r?.close();
  }
}

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  original = join(t.dir, 'orig.dlr');
  work = join(t.dir, 'work.dlr');
  await writeSyntheticRecording(original, opts, { indexSegmentCheckpoints: 2 }); // two sealed index runs
  copyDir(original, work);
  for (const n of readdirSync(original)) files.set(n, readFileSync(join(original, n)));
  const log = files.get(LOG_FILE)!;
  for (let at = 24; at < log.length; ) {
    const len = log.readUInt32LE(at + 4);
    at += 9 + len;
    ends.push(at);
    if (log[at - 9 - len + 8] === RecordType.Checkpoint) checkpointEnds.push(at);
  }
  expect(checkpointEnds).toHaveLength(opts.checkpoints);
});
afterAll(() => cleanup());

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const n of readdirSync(from)) copyFileSync(join(from, n), join(to, n));
}

describe('a log cut at every byte offset', () => {
  it('opens with exactly the checkpoints whose records are whole, or a clear error', async () => {
    const log = files.get(LOG_FILE)!;
    for (let len = 0; len <= log.length; len++) {
      writeFileSync(join(work, LOG_FILE), log.subarray(0, len));
      const got = await openAndCheck();
      if (len < ends[0]!) {
        expect(got).toBeInstanceOf(RecordingError); // no header, or no metadata record yet
        continue;
      }
      expect(got).toBe(checkpointEnds.filter((e) => e <= len).length);
    }
    restore();
  });

  it('a writable open cuts the torn tail back to the last whole record', async () => {
    const log = files.get(LOG_FILE)!;
    for (let len = ends[0]!; len <= log.length; len += 37) {
      writeFileSync(join(work, LOG_FILE), log.subarray(0, len));
      const n = await openAndCheck(false);
      const whole = ends.filter((e) => e <= len);
      expect(statSync(join(work, LOG_FILE)).size).toBe(whole[whole.length - 1]);
      const r = (await openRecording(work, { readOnly: true })) as Reader;
      expect(r.tailDamage).toBeNull();
      expect(r.snapshotUsed).toBe(true);
      expect(r.checkpointCount).toBe(n);
      r.close();
      restore();
    }
  });
});

describe('bit flips and garbage', () => {
  const rand = prng(777);

  afterEach(() => restore());

  it.each([LOG_FILE, 'blobs-000000.seg', INDEX_FILE, INDEX_SEGMENTS_FILE])('in %s: a clear error or correct data, never anything else', async (name) => {
    const pristine = files.get(name)!;
    const full = opts.checkpoints;
    let errors = 0;
    let cuts = 0;
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(pristine);
      let flipped = -1;
      if (i % 4 === 3) {
        // A run of garbage bytes.
        const at = Math.floor(rand() * b.length);
        for (let j = 0; j < 1 + Math.floor(rand() * 16) && at + j < b.length; j++) b[at + j] = Math.floor(rand() * 256);
      } else {
        const bit = Math.floor(rand() * b.length * 8);
        b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
        flipped = bit >> 3;
      }
      writeFileSync(join(work, name), b);
      // Half the log cases without the snapshot, so the whole log is scanned at open.
      const scanned = name === LOG_FILE && i % 2 === 1;
      if (scanned) unlinkSync(join(work, INDEX_FILE));
      const got = await openAndCheck();
      if (scanned) writeFileSync(join(work, INDEX_FILE), files.get(INDEX_FILE)!);
      if (scanned && flipped >= 0) {
        // A single flipped bit loses exactly the record that holds it: the scan resynchronises on
        // the next one. (With the snapshot, damage before its end shows when that record is
        // read: a RecordingError.)
        const recordStart = [24, ...ends].filter((e) => e <= flipped).pop() ?? 0;
        const recordEnd = ends.find((e) => e > flipped)!;
        if (recordStart < ends[0]!) expect(got).toBeInstanceOf(RecordingError); // the header or the metadata
        else expect(got, `bit ${flipped}: ${got instanceof Error ? got.message : ''}`).toBe(full - (checkpointEnds.includes(recordEnd) ? 1 : 0));
      }
      if (got instanceof RecordingError) errors++;
      else if (got < full) cuts++;
      // The index is disposable: damage there must never cost anything.
      if (name === INDEX_FILE || name === INDEX_SEGMENTS_FILE) expect(got).toBe(full);
    }
    writeFileSync(join(work, name), pristine);
    if (name !== INDEX_FILE && name !== INDEX_SEGMENTS_FILE) expect(errors + cuts).toBeGreaterThan(0);
  });
});
