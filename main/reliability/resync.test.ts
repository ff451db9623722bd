/**
 * Damage in the middle of a real recording's log, with no index snapshot (a kill -9'd
 * recording of fewer than a run of checkpoints has none): the records after the damaged one
 * are found again, and every face says what was lost (where, how many bytes, which
 * checkpoints), and refuses a value the loss made unknown instead of showing an older one.
 */
import { copyFileSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_FILE, LOG_FILE, RecordType } from '../store/format.js';
import { scanLog } from '../store/log.js';
import { openRecording } from '../store/reader.js';
import { decodeCheckpoint } from '../store/records.js';
import { delorean, deloreanJson, PROGRAMS, tempDir } from '../testing/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const N = 400;
/** The first checkpoint that sees latch == 1 (latch.c: checkpoint j sees the step j-1). */
const LATCHED = N / 2 + 1;
const rec = join(tmp.path, 'latch.dlr');
const damaged = join(tmp.path, 'damaged.dlr');
let damageAt = 0;

interface InfoJson {
  checkpoints: number;
  exit: { kind: string } | null;
  losses: Array<{ offset: number; bytes: number; at: number; recordedFrom: number; checkpoints: number | null; message: string }>;
}

/** Copies the recording without its snapshot and flips a byte inside the record of checkpoint `k`; returns the record's offset. */
function damageCheckpoint(from: string, to: string, k: number): number {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { mode: 0o700 });
  for (const n of readdirSync(from)) if (n !== INDEX_FILE) copyFileSync(join(from, n), join(to, n));
  const log = join(to, LOG_FILE);
  const bytes = readFileSync(log);
  const fd = openSync(log, 'r');
  let at = -1;
  let length = 0;
  try {
    scanLog(fd, 24, bytes.length, (r) => {
      if (r.type === RecordType.Checkpoint && decodeCheckpoint(r.body, log, r.offset).index === k) {
        at = r.offset;
        length = r.length;
      }
      return undefined;
    });
  } finally {
    closeSync(fd);
  }
  expect(at).toBeGreaterThan(0);
  bytes[at + Math.floor(length / 2)]! ^= 0x40;
  writeFileSync(log, bytes);
  return at;
}

beforeAll(async () => {
  const r = await delorean(['record', '--syscalls', 'write', '--out', rec, '--', join(PROGRAMS, 'latch'), String(N)]);
  expect(r.code, r.stderr).toBe(0);
  damageAt = damageCheckpoint(rec, damaged, LATCHED);
}, 120_000);

describe('a flipped byte in the log of a recording without its index', () => {
  it('info finds every checkpoint after the damaged record and says what was lost', async () => {
    const whole = await deloreanJson<InfoJson>(['info', rec]);
    expect(whole.losses).toEqual([]);
    const info = await deloreanJson<InfoJson>(['info', damaged]);
    expect(info.checkpoints).toBe(whole.checkpoints - 1);
    expect(info.exit).toEqual(whole.exit);
    expect(info.losses).toHaveLength(1);
    const [loss] = info.losses;
    expect(loss).toMatchObject({ offset: damageAt, at: LATCHED, recordedFrom: LATCHED, checkpoints: 1 });
    expect(loss!.bytes).toBeGreaterThan(0);
    expect(loss!.message).toContain(`log bytes ${damageAt}..`);
    const text = await delorean(['info', damaged]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`damaged +log bytes ${damageAt}\\.\\.\\d+ \\(\\d+ bytes\\).*1 checkpoint lost \\(the recorder's #${LATCHED}\\); reading resumes at checkpoint ${LATCHED}`));
  });

  it('read gives true values before and after the damage, and refuses the one it made unknown', async () => {
    // Checkpoint 300 here is the recorder's 301: it saw counter == 300.
    const counter = await delorean(['read', damaged, '--at', '300', 'counter', '--type', 'u64', '--json']);
    expect(counter.code, counter.stderr).toBe(0);
    expect(JSON.parse(counter.stdout).value).toBe('300');
    expect(counter.stderr).toContain('is damaged: log bytes');
    const before = await delorean(['read', damaged, '--at', String(LATCHED - 1), 'latch', '--type', 'u64', '--json']);
    expect(JSON.parse(before.stdout).value).toBe('0');
    // latch's page changed only in the lost checkpoint: its value after is unknown, never the old 0.
    const after = await delorean(['read', damaged, '--at', '300', 'latch', '--type', 'u64', '--json']);
    expect(after.code).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toMatch(/at checkpoint 300 is unknown: log bytes \d+\.\.\d+/);
  });

  it('find and bisect report the loss instead of "never holds"', async () => {
    for (const command of ['find', 'bisect']) {
      const r = await delorean([command, damaged, 'u64(&latch) == 1']);
      expect(r.code, `${command}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toMatch(/is unknown: log bytes \d+\.\.\d+ .*1 checkpoint lost/);
    }
    // A question the loss does not touch is answered.
    const r = await delorean(['find', damaged, 'u64(&counter) == 350', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).checkpoint).toBe(350);
  });

  it('a writable open keeps the loss on record (the snapshot it writes says so)', async () => {
    const w = await openRecording(damaged);
    w.close();
    expect(readdirSync(damaged)).toContain(INDEX_FILE);
    const r = await openRecording(damaged, { readOnly: true });
    try {
      expect((r as unknown as { snapshotUsed: boolean }).snapshotUsed).toBe(true);
      expect(r.losses).toHaveLength(1);
      expect(r.losses[0]).toMatchObject({ offset: damageAt, checkpoints: 1, at: LATCHED });
    } finally {
      r.close();
    }
  });
});
