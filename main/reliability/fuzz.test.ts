/**
 * Hostile and malformed input, bounded (bench/reliability.ts runs the same drivers longer):
 *  - random and malformed argv for every `delorean` command: exit 0 (it happened to be
 *    valid), or 1/2 with a "delorean: ..." message on stderr; never a stack trace, never
 *    exit 70 ("internal error");
 *  - predicate strings, generated from the grammar and mutated, through `delorean find` on a
 *    real recording: a result, or a clear error;
 *  - bit flips, zeroed runs, garbage, truncation and missing files in every file of a REAL
 *    recording: opening and reading everything gives exactly what was recorded (maybe fewer
 *    checkpoints: a cut tail) or a RecordingError naming the recording; never another
 *    exception, a hang or runaway memory.
 * Cases come from a seeded PRNG (DELOREAN_FUZZ_SEED replays a run); a failure names its seed
 * and input. The WebSocket bridge and IPC messages are fuzzed by e2e/bridge-security.test.ts.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordProgram, tempDir } from '../testing/cli.js';
import { cliInProcess } from '../testing/cli.js';
import { damageRecording, fuzzCliInProcess, fuzzCliSubprocess, fuzzFind, judgeCli } from './fuzz.js';
import type { ArgvPools } from './generators.js';

const tmp = tempDir();
let rec = '';
let pools: ArgvPools;
const SEED = Number(process.env.DELOREAN_FUZZ_SEED ?? Date.now() % 1e9);

beforeAll(async () => {
  rec = (await recordProgram(tmp.path, 'counter', ['30'], ['--syscalls', 'write'])).dir;
  const notRecording = join(tmp.path, 'not-a-recording');
  writeFileSync(notRecording, 'hello\n');
  const emptyDir = join(tmp.path, 'empty.dlr');
  mkdirSync(emptyDir);
  pools = { recording: rec, notRecording, emptyDir, missing: join(tmp.path, 'missing.dlr'), outDir: join(tmp.path, 'outs') };
  mkdirSync(pools.outDir);
  // Fuzzed commands write files named by random arguments (core -o WORD): keep them in the
  // temp dir, not the checkout. Test files run in their own process (pool: forks).
  process.chdir(pools.outDir);
});
const startDir = process.cwd();
afterAll(() => {
  process.chdir(startDir);
  tmp.cleanup();
});

describe('CLI arguments', () => {
  it('never crashes on random argv for the query commands and argument errors of all', async () => {
    const stats = await fuzzCliInProcess(pools, SEED, 500);
    expect(stats.runs).toBe(500);
    expect(Object.keys(stats.byCode).length).toBeGreaterThan(1); // some valid, some refused
  });

  it('writes what fuzzed commands create (core -o WORD) in its scratch directory, never the working directory', async () => {
    const here = join(tmp.path, 'cwd');
    mkdirSync(here);
    process.chdir(here);
    try {
      // Seeds chosen so that some cases are `core REC ... -o WORD` with a relative WORD.
      await fuzzCliInProcess(pools, SEED + 500_000, 200);
      expect(process.cwd()).toBe(here);
      expect(readdirSync(here)).toEqual([]);
    } finally {
      process.chdir(pools.outDir);
    }
  });

  it('never crashes on random argv for record, serve and gdbserver (as a user runs them)', async () => {
    const stats = await fuzzCliSubprocess(pools, SEED + 1_000_000, 5);
    expect(stats.runs).toBe(15);
  });

  it('handles edge values of every numeric argument', async () => {
    const edges = ['0', '29', '30', '31', '4096', '4097', '9007199254740993', '18446744073709551615', '18446744073709551616', '0xffffffffffffffff', '0xfffffffffffff000'];
    for (const v of edges) {
      for (const argv of [
        ['read', rec, '--at', v, 'counter'],
        ['read', rec, '--at', '1', v, '--len', '16'],
        ['read', rec, '--at', '1', 'counter', '--len', v],
        ['regs', rec, '--at', v],
        ['regs', rec, '--at', '1', '--thread', v],
        ['maps', rec, '--at', v],
        ['diff', rec, '0', v],
        ['diff', rec, v, '1', '--limit', v],
        ['changes', rec, v, '--len', '8'],
        ['changes', rec, 'counter', '--from', v, '--to', v],
        ['bisect', rec, 'counter > 3', '--from', '0', '--to', v],
        ['find', rec, `counter == ${v}`, '--limit', v, '--all'],
        ['core', rec, '--at', v, '-o', join(pools.outDir, 'edge.core')],
      ]) {
        judgeCli(argv, await cliInProcess(argv), 0);
      }
    }
  });
});

describe('predicates through delorean find', () => {
  it('gives a result or a clear error for generated and mutated predicates', async () => {
    const stats = await fuzzFind(rec, SEED + 2_000_000, 300);
    expect(stats.ok).toBeGreaterThan(0); // the generator makes both kinds
    expect(stats.errors).toBeGreaterThan(0);
  });

  it('refuses absurd predicates cleanly (deep nesting, huge, binary)', async () => {
    const cases = ['('.repeat(5000) + '1' + ')'.repeat(5000), '-'.repeat(100_000) + '1', '1' + '+1'.repeat(40_000), 'u8('.repeat(3000) + 'counter' + ')'.repeat(3000), '\u0000\u0001\uffff', `counter == "${'x'.repeat(70_000)}"`, ''];
    for (const pred of cases) judgeCli(['find', rec, pred], await cliInProcess(['find', rec, pred]), 0);
  });
});

describe('a damaged real recording', () => {
  it('opens exact, opens cut, or refuses with a RecordingError: every file flipped, zeroed, garbled, cut and removed', async () => {
    const work = join(tmp.path, 'damaged.dlr');
    mkdirSync(work, { mode: 0o700 });
    const stats = await damageRecording(rec, work, SEED + 3_000_000, { flips: 28, cuts: 8 });
    expect(stats.cases).toBeGreaterThan(80);
    expect(stats.refused).toBeGreaterThan(0); // damage is noticed...
    expect(stats.intact + stats.cut).toBeGreaterThan(0); // ...and what is intact still opens
  });

  it('gives the CLI a clear error for a damaged recording, never a crash', async () => {
    const work = join(tmp.path, 'bad-header.dlr');
    mkdirSync(work, { mode: 0o700 });
    for (const n of readdirSync(rec)) copyFileSync(join(rec, n), join(work, n));
    const log = readFileSync(join(work, 'log'));
    log.fill(0xff, 0, 24); // the header
    writeFileSync(join(work, 'log'), log);
    for (const args of [['info', work], ['read', work, '--at', '0', 'counter'], ['maps', work, '--at', '0'], ['find', work, 'counter == 3']]) {
      const res = await cliInProcess(args);
      judgeCli(args, res, 0);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/log/);
    }
  });
});
