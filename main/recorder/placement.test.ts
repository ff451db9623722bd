/**
 * Placement (native-recorder/src/placement.h): a launched program runs on the recorder's CPU
 * while it is single-threaded, and every task gets its CPUs back when a second one starts;
 * --no-pin leaves the mask alone. Checked with the affinity test program, run by the recorder
 * directly (the stream goes to /dev/null: only the program's own report matters here).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROGRAMS, RECORDER, tempDir } from '../testing/cli.js';

const tmp = tempDir(true);
afterAll(() => tmp.cleanup());

function report(flags: string[]): { before: number; thread: number; after: number } {
  const out = join(tmp.path, `affinity-${Math.random().toString(36).slice(2)}.txt`);
  execFileSync(RECORDER, ['--wire-file', '/dev/null', '--syscalls', 'write', ...flags, '--', join(PROGRAMS, 'affinity'), out], { stdio: 'ignore' });
  const m = /before=(\d+) thread=(\d+) after=(\d+)/.exec(readFileSync(out, 'utf8'))!;
  return { before: Number(m[1]), thread: Number(m[2]), after: Number(m[3]) };
}

describe('placement of a launched program', () => {
  const all = Number(execFileSync('nproc').toString().trim()); // our CPUs: what the recorder starts with
  it.skipIf(all < 2)('pins a single-threaded program to one CPU, and gives every task its CPUs back at its second thread', () => {
    expect(report([])).toEqual({ before: 1, thread: all, after: all });
  });
  it('leaves the CPU mask alone with --no-pin', () => {
    expect(report(['--no-pin'])).toEqual({ before: all, thread: all, after: all });
  });
});
