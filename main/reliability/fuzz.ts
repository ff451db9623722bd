/**
 * The fuzz drivers shared by fuzz.test.ts (bounded, in `npm test`) and bench/reliability.ts
 * (longer): argv for every command, predicates through `delorean find`, and damage to every
 * file of a real recording. Each driver throws an Error naming the seed and the input at the
 * first case that misbehaves, and otherwise returns what it saw.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRecording } from '../store/reader.js';
import { LostError, RecordingError, type RecordingReader } from '../store/types.js';
import { cliInProcess, delorean } from '../testing/cli.js';
import { fuzzArgv, fuzzPredicate, type ArgvPools } from './generators.js';
import { prng } from '../testing/prng.js';

/** The rule for every CLI run: exit 0, or 1/2 with a `delorean...` message on stderr; never a stack trace or 70. */
export function judgeCli(argv: readonly string[], r: { code: number | null; stderr: string }, seed: number): void {
  const shown = argv.map((a) => (a.length > 80 ? `${a.slice(0, 80)}...(${a.length} chars)` : a));
  const what = `seed ${seed}: delorean ${JSON.stringify(shown)} exited ${r.code}:\n${r.stderr.slice(0, 3000)}`;
  if (r.code !== 0 && r.code !== 1 && r.code !== 2) throw new Error(what);
  if (/internal error|\n\s+at \S+ \(|\n\s+at file:/.test(r.stderr)) throw new Error(`${what}\n(a stack trace)`);
  if (r.code !== 0 && !/^delorean[: ]/.test(r.stderr)) throw new Error(`${what}\n(no message on stderr)`);
}

/** Commands run in this process; the query commands and the argument errors of every other one. */
export const IN_PROCESS_COMMANDS = ['info', 'read', 'maps', 'regs', 'diff', 'changes', 'bisect', 'find', 'core', 'open', 'frobnicate', '', 'help'];
/** Commands that may legitimately keep running (servers) or start processes: run as a user would, with a time limit. */
export const SUBPROCESS_COMMANDS = ['record', 'serve', 'gdbserver'];

export interface CliFuzzStats {
  runs: number;
  byCode: Record<string, number>;
  stillRunning: number;
}

/**
 * `count` random argv in this process, for commands drawn from IN_PROCESS_COMMANDS. They run
 * in pools.outDir: fuzzed commands write files named by random arguments (`core -o WORD`),
 * which must land in that scratch directory, never in the caller's working directory.
 */
export async function fuzzCliInProcess(pools: ArgvPools, seed: number, count: number): Promise<CliFuzzStats> {
  const rnd = prng(seed);
  const stats: CliFuzzStats = { runs: 0, byCode: {}, stillRunning: 0 };
  const startDir = process.cwd();
  process.chdir(pools.outDir);
  try {
    for (let i = 0; i < count; i++) {
      const caseSeed = seed + 1 + i;
      const command = IN_PROCESS_COMMANDS[Math.floor(rnd() * IN_PROCESS_COMMANDS.length)]!;
      const argv = fuzzArgv(command, pools, prng(caseSeed));
      const res = await cliInProcess(argv);
      judgeCli(argv, res, caseSeed);
      stats.runs++;
      stats.byCode[String(res.code)] = (stats.byCode[String(res.code)] ?? 0) + 1;
    }
  } finally {
    process.chdir(startDir);
  }
  return stats;
}

/** `perCommand` random argv for each of record, serve and gdbserver, as separate processes (two at a time). */
export async function fuzzCliSubprocess(pools: ArgvPools, seed: number, perCommand: number, timeoutMs = 4000): Promise<CliFuzzStats> {
  const stats: CliFuzzStats = { runs: 0, byCode: {}, stillRunning: 0 };
  const cases = SUBPROCESS_COMMANDS.flatMap((c, j) => Array.from({ length: perCommand }, (_, i) => [c, seed + j * 100_000 + i] as const));
  for (let i = 0; i < cases.length; i += 2) {
    // Both runs end (each is killed at its time limit) before either is judged: no process outlives a failure.
    const runs = await Promise.all(
      cases.slice(i, i + 2).map(async ([command, caseSeed]) => {
        const argv = fuzzArgv(command, pools, prng(caseSeed));
        return { argv, caseSeed, res: await delorean(argv, { cwd: pools.outDir, timeoutMs }) };
      }),
    );
    for (const { argv, caseSeed, res } of runs) {
      stats.runs++;
      if (res.signal === 'SIGKILL') {
        stats.stillRunning++; // valid enough to start serving or recording: not a crash
        continue;
      }
      judgeCli(argv, res, caseSeed);
      stats.byCode[String(res.code)] = (stats.byCode[String(res.code)] ?? 0) + 1;
    }
  }
  return stats;
}

/** `count` generated and mutated predicates through `delorean find REC` (in process). */
export async function fuzzFind(recording: string, seed: number, count: number): Promise<{ runs: number; ok: number; errors: number }> {
  let ok = 0;
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const caseSeed = seed + i;
    const pred = fuzzPredicate(prng(caseSeed));
    const argv = ['find', recording, pred, ...(i % 3 === 0 ? ['--all', '--limit', '5'] : []), ...(i % 2 ? ['--json'] : [])];
    const res = await cliInProcess(argv);
    judgeCli(argv, res, caseSeed);
    if (res.code === 0) ok++;
    else errors++;
  }
  return { runs: count, ok, errors };
}

const json = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));

/**
 * A digest of what a reader returns about checkpoint k: record, map, registers, output so far,
 * and the pages of every writable mapping (of every readable one when `all`).
 */
export function digestCheckpoint(r: RecordingReader, k: number, all = false, recorded?: { index: number }): string {
  const h = createHash('sha256');
  h.update(json(recorded ? { ...r.checkpoint(k), index: recorded.index } : r.checkpoint(k)));
  const maps = r.mapsAt(k);
  h.update(json(maps));
  for (const t of r.registersAt(k)) {
    h.update(String(t.tid));
    h.update(t.gp);
    h.update(t.fp);
  }
  for (const m of maps) {
    if (!m.perms.startsWith('r') || m.path.startsWith('[v') || (!all && m.perms[1] !== 'w')) continue;
    for (let a = m.start; a < m.end; a += 4096n) h.update(r.pageAt(k, a));
  }
  // Output records lost to damage leave a gap in the output, which the reader reports as a loss.
  if (!recorded) for (const chunk of r.terminalOutput(k)) h.update(chunk.data);
  h.update(r.programAt(k));
  return h.digest('hex');
}

export interface DamageStats {
  cases: number;
  /** Opened and read back exactly what was recorded. */
  intact: number;
  /** Opened with fewer checkpoints (a cut tail), every one of them exact. */
  cut: number;
  /** Opened past damage in the log, which it reports; every checkpoint read is exact or says it was lost. */
  lost: number;
  /** Refused, or a read refused, with a RecordingError. */
  refused: number;
  /** Largest RSS growth over one case, bytes. */
  maxRssGrowth: number;
}

/**
 * Damages a copy of `recording` in `work` (an empty directory) case by case: bit flips, zeroed
 * runs and random bytes at random places of every file, every file cut short at random
 * lengths, every file missing. After each, opens the copy read-only and reads everything:
 * it must come back exact (maybe with fewer checkpoints) or fail with a RecordingError, and
 * memory must not run away (over 512 MiB for one case throws).
 */
export async function damageRecording(recording: string, work: string, seed: number, perFile: { flips: number; cuts: number }): Promise<DamageStats> {
  const files = new Map(readdirSync(recording).map((n) => [n, readFileSync(join(recording, n))]));
  const r0 = await openRecording(recording, { readOnly: true });
  let pristine: string[];
  let lastAll: string;
  let pristineNoOutput: string[];
  try {
    pristine = Array.from({ length: r0.checkpointCount }, (_, k) => digestCheckpoint(r0, k));
    pristineNoOutput = Array.from({ length: r0.checkpointCount }, (_, k) => digestCheckpoint(r0, k, false, { index: k }));
    lastAll = digestCheckpoint(r0, r0.checkpointCount - 1, true);
  } finally {
    r0.close();
  }
  const stats: DamageStats = { cases: 0, intact: 0, cut: 0, lost: 0, refused: 0, maxRssGrowth: 0 };
  const restore = (): void => {
    for (const n of readdirSync(work)) if (!files.has(n)) rmSync(join(work, n), { force: true, recursive: true });
    for (const n of files.keys()) copyFileSync(join(recording, n), join(work, n));
  };
  const check = async (what: string): Promise<void> => {
    stats.cases++;
    let r: RecordingReader | null = null;
    const before = process.memoryUsage().rss;
    let growth: number;
    try {
      r = await openRecording(work, { readOnly: true });
      if (r.checkpointCount > pristine.length) throw new Error(`${what}: ${r.checkpointCount} checkpoints, more than the ${pristine.length} recorded`);
      if (r.losses.length > 0) {
        // Damage in the log, resynchronised past: every checkpoint read is the one the recorder
        // numbered so, exact, or says what it lost (LostError).
        const lossReport = r.lossReport();
        if (lossReport.length !== r.losses.length || lossReport.some((l) => !/log bytes \d+\.\.\d+ \(\d+ bytes\)/.test(l))) throw new Error(`${what}: a loss is not described: ${lossReport.join('; ')}`);
        for (let k = 0; k < r.checkpointCount; k++) {
          const index = r.recordedIndex(k);
          let d: string;
          try {
            d = digestCheckpoint(r, k, false, { index });
          } catch (e) {
            if (e instanceof LostError) continue;
            throw e;
          }
          if (d !== pristineNoOutput[index]) throw new Error(`${what}: checkpoint ${k} (recorded as ${index}) reads back different from what was recorded`);
        }
        stats.lost++;
        return;
      }
      for (let k = 0; k < r.checkpointCount; k++) {
        if (digestCheckpoint(r, k) !== pristine[k]) throw new Error(`${what}: checkpoint ${k} reads back different from what was recorded`);
      }
      if (r.checkpointCount === pristine.length && digestCheckpoint(r, r.checkpointCount - 1, true) !== lastAll) throw new Error(`${what}: the last checkpoint's pages differ`);
      r.summary();
      // A window of the columns agrees with the checkpoints' own records.
      const cols = r.columns(0, Math.min(r.checkpointCount, 1000));
      for (let k = 0; k < cols.count; k++) {
        if (cols.dirtyPages[k] !== r.checkpoint(k).dirtyPages) throw new Error(`${what}: checkpoint ${k}'s dirty-page count differs between the columns and its record`);
      }
      if (r.checkpointCount === pristine.length) stats.intact++;
      else stats.cut++;
    } catch (e) {
      if (!(e instanceof RecordingError)) throw new Error(`${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, { cause: e });
      if (!e.message.startsWith(work)) throw new Error(`${what}: the error does not name the recording: ${e.message}`, { cause: e });
      stats.refused++;
    } finally {
      r?.close();
      growth = process.memoryUsage().rss - before;
      stats.maxRssGrowth = Math.max(stats.maxRssGrowth, growth);
    }
    if (growth > 512 * 2 ** 20) throw new Error(`${what}: memory grew by ${Math.round(growth / 2 ** 20)} MiB`);
  };

  const rnd = prng(seed);
  for (const [name, bytes] of files) {
    if (bytes.length === 0) continue;
    for (let i = 0; i < perFile.flips; i++) {
      restore();
      const b = Buffer.from(bytes);
      const at = Math.floor(rnd() * b.length);
      let what: string;
      switch (i % 4) {
        case 0:
        case 1: {
          const bit = Math.floor(rnd() * 8);
          b[at] = b[at]! ^ (1 << bit);
          what = `bit ${bit} of byte ${at} flipped`;
          break;
        }
        case 2: {
          const n = 1 + Math.floor(rnd() * 64);
          b.fill(0, at, Math.min(at + n, b.length)); // Buffer.fill does not clamp
          what = `${n} bytes zeroed at ${at}`;
          break;
        }
        default: {
          const n = 1 + Math.floor(rnd() * 16);
          for (let j = 0; j < n && at + j < b.length; j++) b[at + j] = Math.floor(rnd() * 256);
          what = `${n} random bytes at ${at}`;
        }
      }
      writeFileSync(join(work, name), b);
      await check(`seed ${seed}, case ${i}: ${name}: ${what}`);
    }
    const lengths = [0, 1, 23, 24, 25, bytes.length - 1, ...Array.from({ length: perFile.cuts }, () => Math.floor(rnd() * bytes.length))];
    for (const len of new Set(lengths.filter((n) => n >= 0 && n < bytes.length))) {
      restore();
      truncateSync(join(work, name), len);
      await check(`${name} cut to ${len} of ${bytes.length} bytes`);
    }
    restore();
    rmSync(join(work, name));
    await check(`${name} missing`);
  }
  restore();
  return stats;
}
