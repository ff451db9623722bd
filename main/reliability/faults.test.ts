/**
 * Faults during a real recording, beyond main/recorder/crash.test.ts (which kills the CLI and
 * the recorder of a blocking program with the default policy): kill -9 of the recorder and
 * of DeLorean (the ingest worker is a thread of DeLorean's process, so killing DeLorean kills
 * it too) at random moments, on programs with known histories at high checkpoint rates, with
 * both --on-recorder-exit policies; and a disk that fills up.
 *
 * After each fault: every checkpoint committed before it is still there and agrees with the
 * program's history (main/reliability/histories.ts), every page of the last one reads back,
 * and the program is never left stopped or traced (/proc/PID/status State and TracerPid):
 * with `kill` it is gone; with `detach` it is either gone (a program on a terminal gets
 * SIGHUP when that terminal goes away, as any program would) or runs untraced, and then
 * finishes by itself (the trials run it with SIGHUP ignored to see that).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../store/reader.js';
import { delorean, PROGRAMS, tempDir } from '../testing/cli.js';
import { checkHistory, readAllPages } from './histories.js';
import { faultTrial, type FaultTrial } from './trials.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** The trials run in `npm test`: every victim x policy pair, three programs, rates up to 1000/s. */
const TRIALS: Array<[string, Omit<FaultTrial, 'after' | 'jitterMs'>]> = [
  ['recorder killed, policy kill, counter at every write', { victim: 'recorder', policy: 'kill', history: 'counter', args: ['5000000'], flags: ['--syscalls', 'write'], immune: false }],
  ['recorder killed, policy kill, churn at 1 ms intervals', { victim: 'recorder', policy: 'kill', history: 'churn', args: ['32', '0', '200'], flags: ['--interval', '1ms', '--syscalls', 'write'], immune: false }],
  ['recorder killed, policy detach, counter (SIGHUP ignored)', { victim: 'recorder', policy: 'detach', history: 'counter', args: ['3000000'], flags: ['--syscalls', 'write'], immune: true }],
  ['recorder killed, policy detach, threads (SIGHUP ignored)', { victim: 'recorder', policy: 'detach', history: 'threads', args: ['4', '500000'], flags: ['--syscalls', 'write'], immune: true }],
  ['DeLorean killed, policy kill, threads', { victim: 'delorean', policy: 'kill', history: 'threads', args: ['4', '1000000'], flags: ['--syscalls', 'write'], immune: false }],
  ['DeLorean killed, policy detach, counter (SIGHUP ignored)', { victim: 'delorean', policy: 'detach', history: 'counter', args: ['100000'], flags: ['--syscalls', 'write'], immune: true }],
  ['DeLorean killed, policy detach, churn at 1 ms intervals', { victim: 'delorean', policy: 'detach', history: 'churn', args: ['16', '3000', '500'], flags: ['--interval', '1ms'], immune: false }],
];

describe('kill -9 at a random moment', () => {
  for (const [i, [title, trial]] of TRIALS.entries()) {
    it(title, async () => {
      const after = 3 + Math.floor(Math.random() * 120);
      const jitterMs = Math.floor(Math.random() * 40);
      const o = await faultTrial(tmp.path, `trial-${i}`, { ...trial, after, jitterMs });
      if (process.env.DELOREAN_TRIAL_LOG) console.log(title, JSON.stringify(o));
      expect(o.checkpoints).toBeGreaterThanOrEqual(o.committedBeforeKill);
      expect(o.verified).toBeGreaterThan(0);
      expect(o.pagesRead).toBeGreaterThan(0);
      // Let go by a dead recorder and deaf to the hangup: it goes on running, untraced, to its end.
      // threads.c ignores write errors: once the recorder (which owns its terminal) is dead, its
      // writes fail fast with EIO and it may finish before it is first looked at, so 'gone' is
      // an honest outcome there; counter runs long enough to be seen running untraced.
      if (trial.victim === 'recorder' && trial.policy === 'detach' && trial.immune) {
        expect(trial.history === 'threads' ? ['ran untraced', 'gone'] : ['ran untraced']).toContain(o.programFate);
      }
    });
  }
});

describe('disk full', () => {
  it('stops with an error naming the full disk; the recording opens consistent up to its last commit', async (ctx) => {
    const mnt = join(tmp.path, 'small');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      ctx.skip(`cannot mount a small tmpfs to fill (needs root): ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      const out = join(mnt, 'full.dlr');
      // 64 pages of noise per step, 200 steps: ~50 MiB that neither compresses nor deduplicates
      // (a first checkpoint that does not fit keeps nothing: the disk must hold a few).
      const res = await delorean(['record', '--out', out, '--syscalls', 'write', '--', join(PROGRAMS, 'churn'), '64', '200']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/disk is full/);
      expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
      const kept = /kept (\d+) checkpoints/.exec(res.stderr);
      expect(kept).not.toBeNull();
      const r = await openRecording(out, { readOnly: true });
      try {
        expect(r.checkpointCount).toBe(Number(kept![1]));
        expect(r.checkpointCount).toBeGreaterThan(1);
        expect(checkHistory(r, 'churn', 64)).toBe(r.checkpointCount);
        readAllPages(r, r.checkpointCount - 1);
      } finally {
        r.close();
      }
      // The queries work on it as on any recording.
      const info = await delorean(['info', out, '--json']);
      expect(info.code).toBe(0);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });
});
