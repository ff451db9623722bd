/**
 * Every test run gets a temporary directory of its own (TMPDIR, inherited by the test workers
 * and every recorder, gdb and Chromium they start), removed when the run ends: whatever a test
 * or a killed child process leaves behind goes with it, and nothing accumulates in /tmp.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const outer = tmpdir();
  const run = mkdtempSync(join(outer, 'delorean-test-run-'));
  chmodSync(run, 0o1777); // as /tmp is: the tests that run a second local user need it
  process.env.TMPDIR = run;
  return () => {
    const left = readdirSync(run);
    if (left.length > 0) console.warn(`tests left ${left.length} entries in ${run}: ${left.slice(0, 8).join(', ')}`);
    rmSync(run, { recursive: true, force: true });
    process.env.TMPDIR = outer;
  };
}
