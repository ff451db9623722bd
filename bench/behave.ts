/**
 * The behaviour matrix (main/recorder/behave.ts) at full length: every program of
 * native-recorder/tests/behave, plainly and in each trigger mode, several rounds, so a result
 * that holds only sometimes shows. Figures: runs, passes, and each failure named.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { behavePrograms, RECORD_MODES, runPlain, runRecorded, type BehaveResult } from '../main/recorder/behave.js';

export async function benchBehave(quick: boolean, log: (s: string) => void): Promise<Record<string, number | string>> {
  const rounds = quick ? 1 : 5;
  const dir = mkdtempSync(join(tmpdir(), 'delorean-behave-'));
  let runs = 0;
  let passed = 0;
  let slowestMs = 0;
  const failures: string[] = [];
  const note = (what: string, r: BehaveResult): void => {
    runs++;
    slowestMs = Math.max(slowestMs, r.ms);
    if (r.success && r.problems.length === 0) passed++;
    else failures.push(`${what}: ${r.exit}${r.problems.length ? `; ${r.problems.join('; ')}` : ''}`);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const p of behavePrograms()) {
        note(`${p.name} plain`, await runPlain(p, dir));
        for (const mode of RECORD_MODES) {
          if (p.skip.has(mode)) continue;
          note(`${p.name} ${mode}`, await runRecorded(p, mode, dir));
        }
      }
      log(`behave: round ${round + 1}/${rounds}: ${passed}/${runs} runs passed`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { programs: behavePrograms().length, rounds, runs, passed, slowest_run_ms: slowestMs, failures: failures.join(' | ') || 'none' };
}
