/**
 * The long reliability suite (not in `npm test`; main/reliability/*.test.ts are its bounded
 * versions): many kill -9 trials, a longer fuzz, and a load run at 1,000 checkpoints/s.
 *
 *   npm run bench -- --only=reliability        (a section of the full `npm run bench`; with
 *                                               --quick: 5 trials, fuzz x1, a 60 s load run)
 *   node out/node/bench/reliability.js [--kills N] [--fuzz-scale N] [--load-seconds S] [--interval 1ms]
 *   runLongReliability({ kills: 50, fuzzScale: 10, loadSeconds: 1800 })   (the defaults)
 *
 * - kills: fault trials (main/reliability/trials.ts) cycling through recorder / DeLorean x
 *   kill / detach x counter / threads / churn, each killed after a random number of committed
 *   checkpoints plus a random delay; every committed checkpoint is checked against the
 *   program's history and the program must not be left stopped or traced. Failures are
 *   collected (with their trial) rather than ending the run.
 * - fuzz: the drivers of fuzz.test.ts, fuzzScale times longer; and every query command through
 *   the binary on every damage of main/reliability/cli-damage.ts (cli-damage.test.ts samples them).
 * - load (main/reliability/load.ts): `spin` recorded with --interval 1ms for loadSeconds (the
 *   issue's run: 1,800 s) by `delorean serve`, started and followed live over the WebSocket
 *   bridge as the renderer does; resident memory of DeLorean's process (main thread + ingest
 *   worker) and of the recorder sampled over the run (start, peak, end, slope of the last
 *   half), latency of the follow's requests (median, p95), then the recording checked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { recordProgram } from '../main/testing/cli.js';
import { damageRecording, fuzzCliInProcess, fuzzCliSubprocess, fuzzFind } from '../main/reliability/fuzz.js';
import type { ArgvPools } from '../main/reliability/generators.js';
import { COUNTER_QUERIES, damageThroughCli } from '../main/reliability/cli-damage.js';
import { loadRun, type LoadResult } from '../main/reliability/load.js';
import { faultTrial, type FaultOutcome, type FaultTrial } from '../main/reliability/trials.js';

export interface LongReliabilityOptions {
  /** Kill trials (default 50). */
  kills?: number;
  /** Multiplies the fuzz counts of the bounded suite (default 10). */
  fuzzScale?: number;
  /** Seconds of the load run (default 1800, the issue's 30 minutes). 0 skips it. */
  loadSeconds?: number;
  /** Interval trigger of the load run (default 1ms). */
  interval?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface LongReliabilityResult {
  kills: { trials: number; survived: number; checkpointsVerified: number; fates: Record<string, number>; failures: string[] };
  fuzz: { seed: number; argvRuns: number; subprocessRuns: number; predicates: number; damageCases: number; damageRefused: number; damageCut: number; damageIntact: number; maxRssGrowthMiB: number; cliDamageCases: number; cliDamageQueries: number; cliDamageSame: number; cliDamageRefused: number; failures: string[] };
  load: LoadResult | null;
  /** Why the load run failed, when it did. */
  loadFailure: string | null;
}

const MiB = 2 ** 20;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The kill trial matrix: victim x policy x program, with the flags and arguments each needs. */
const MATRIX: Array<Omit<FaultTrial, 'after' | 'jitterMs'>> = [
  { victim: 'recorder', policy: 'kill', history: 'counter', args: ['5000000'], flags: ['--syscalls', 'write'], immune: false },
  { victim: 'recorder', policy: 'kill', history: 'churn', args: ['32', '0', '200'], flags: ['--interval', '1ms', '--syscalls', 'write'], immune: false },
  { victim: 'recorder', policy: 'kill', history: 'threads', args: ['4', '1000000'], flags: ['--syscalls', 'write', '--interval', '2ms'], immune: false },
  { victim: 'recorder', policy: 'detach', history: 'counter', args: ['3000000'], flags: ['--syscalls', 'write'], immune: true },
  { victim: 'recorder', policy: 'detach', history: 'threads', args: ['4', '500000'], flags: ['--syscalls', 'write'], immune: true },
  { victim: 'recorder', policy: 'detach', history: 'churn', args: ['16', '3000', '500'], flags: ['--interval', '1ms'], immune: false },
  { victim: 'delorean', policy: 'kill', history: 'threads', args: ['4', '1000000'], flags: ['--syscalls', 'write'], immune: false },
  { victim: 'delorean', policy: 'kill', history: 'churn', args: ['32', '0', '200'], flags: ['--interval', '1ms'], immune: false },
  { victim: 'delorean', policy: 'detach', history: 'counter', args: ['100000'], flags: ['--syscalls', 'write'], immune: true },
  { victim: 'delorean', policy: 'detach', history: 'churn', args: ['16', '3000', '500'], flags: ['--interval', '1ms'], immune: true },
];

async function killTrials(dir: string, n: number, log: (s: string) => void): Promise<LongReliabilityResult['kills']> {
  const out: LongReliabilityResult['kills'] = { trials: 0, survived: 0, checkpointsVerified: 0, fates: {}, failures: [] };
  for (let i = 0; i < n; i++) {
    const base = MATRIX[i % MATRIX.length]!;
    const trial: FaultTrial = { ...base, after: 3 + Math.floor(Math.random() * 400), jitterMs: Math.floor(Math.random() * 60) };
    const name = `kill-${i}`;
    out.trials++;
    try {
      const o: FaultOutcome = await faultTrial(dir, name, trial);
      out.survived++;
      out.checkpointsVerified += o.verified;
      out.fates[o.programFate] = (out.fates[o.programFate] ?? 0) + 1;
      log(`  kill ${i + 1}/${n}: ${trial.victim} killed (${trial.policy}, ${trial.history}) after ${o.committedBeforeKill} committed; ${o.checkpoints} checkpoints verified; program ${o.programFate}`);
    } catch (e) {
      const msg = `trial ${i} ${JSON.stringify(trial)}: ${(e as Error).message}`;
      out.failures.push(msg);
      log(`  kill ${i + 1}/${n}: FAILED ${msg}`);
    }
    rmSync(join(dir, `${name}.dlr`), { recursive: true, force: true });
  }
  return out;
}

async function longFuzz(dir: string, scale: number, seed: number, log: (s: string) => void): Promise<LongReliabilityResult['fuzz']> {
  const rec = (await recordProgram(dir, 'counter', ['30'], ['--syscalls', 'write'])).dir;
  const notRecording = join(dir, 'not-a-recording');
  writeFileSync(notRecording, 'hello\n');
  const pools: ArgvPools = { recording: rec, notRecording, emptyDir: join(dir, 'empty.dlr'), missing: join(dir, 'missing.dlr'), outDir: join(dir, 'outs') };
  mkdirSync(pools.emptyDir);
  mkdirSync(pools.outDir);
  const out: LongReliabilityResult['fuzz'] = { seed, argvRuns: 0, subprocessRuns: 0, predicates: 0, damageCases: 0, damageRefused: 0, damageCut: 0, damageIntact: 0, maxRssGrowthMiB: 0, cliDamageCases: 0, cliDamageQueries: 0, cliDamageSame: 0, cliDamageRefused: 0, failures: [] };
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      out.failures.push(`${what}: ${(e as Error).message}`);
      log(`  fuzz ${what}: FAILED ${(e as Error).message.split('\n')[0]}`);
    }
  };
  await step('argv', async () => {
    out.argvRuns = (await fuzzCliInProcess(pools, seed, 500 * scale)).runs;
  });
  log(`  fuzz: ${out.argvRuns} argv in process`);
  await step('argv (subprocess)', async () => {
    out.subprocessRuns = (await fuzzCliSubprocess(pools, seed + 1_000_000, 5 * scale)).runs;
  });
  log(`  fuzz: ${out.subprocessRuns} argv as processes`);
  await step('predicates', async () => {
    out.predicates = (await fuzzFind(rec, seed + 2_000_000, 300 * scale)).runs;
  });
  log(`  fuzz: ${out.predicates} predicates`);
  await step('damage', async () => {
    const work = join(dir, 'damaged.dlr');
    mkdirSync(work, { mode: 0o700 });
    const d = await damageRecording(rec, work, seed + 3_000_000, { flips: 28 * scale, cuts: 8 * scale });
    out.damageCases = d.cases;
    out.damageRefused = d.refused;
    out.damageCut = d.cut;
    out.damageIntact = d.intact;
    out.maxRssGrowthMiB = round1(d.maxRssGrowth / MiB);
  });
  log(`  fuzz: ${out.damageCases} damaged recordings (${out.damageRefused} refused, ${out.damageCut} cut, ${out.damageIntact} intact)`);
  await step('damage through the CLI', async () => {
    const work = join(dir, 'damaged-cli.dlr');
    mkdirSync(work, { mode: 0o700 });
    const d = await damageThroughCli(rec, work, COUNTER_QUERIES, { all: true });
    out.cliDamageCases = d.cases;
    out.cliDamageQueries = d.queries;
    out.cliDamageSame = d.same;
    out.cliDamageRefused = d.refused;
    out.failures.push(...d.failures.map((f) => `damage through the CLI: ${f}`));
  });
  log(`  fuzz: ${out.cliDamageCases} damaged recordings through the CLI, ${out.cliDamageQueries} queries (${out.cliDamageSame} same answer, ${out.cliDamageRefused} refused)`);
  return out;
}

/** The suite's figures as one flat table (a section of `npm run bench`). */
export function reliabilityFigures(r: LongReliabilityResult): Record<string, number | string | null> {
  const f: Record<string, number | string | null> = {
    kill_trials: r.kills.trials,
    kill_trials_survived: r.kills.survived,
    checkpoints_verified_after_kills: r.kills.checkpointsVerified,
    kill_failures: r.kills.failures.length,
    fuzz_seed: r.fuzz.seed,
    fuzz_argv_in_process: r.fuzz.argvRuns,
    fuzz_argv_as_processes: r.fuzz.subprocessRuns,
    fuzz_predicates: r.fuzz.predicates,
    fuzz_damaged_recordings: r.fuzz.damageCases,
    fuzz_damage_max_rss_growth_MiB: r.fuzz.maxRssGrowthMiB,
    cli_damaged_recordings: r.fuzz.cliDamageCases,
    cli_damaged_queries: r.fuzz.cliDamageQueries,
    cli_damaged_same_answer: r.fuzz.cliDamageSame,
    cli_damaged_refused: r.fuzz.cliDamageRefused,
    fuzz_failures: r.fuzz.failures.length,
  };
  if (r.loadFailure) f.load_failure = r.loadFailure.slice(0, 300);
  const l = r.load;
  if (l) {
    Object.assign(f, {
      load_seconds: l.seconds,
      load_interval: l.interval,
      load_checkpoints: l.checkpoints,
      load_checkpoints_per_s: l.checkpointsPerS,
      load_checkpoints_verified: l.verifiedSampled,
      load_stored_MiB: l.storedMiB,
      load_follow_errors: l.followErrors.length,
    });
    for (const [who, m] of [['delorean', l.main], ['recorder', l.recorder]] as const) {
      f[`${who}_rss_start_MiB`] = m.startMiB;
      f[`${who}_rss_peak_MiB`] = m.peakMiB;
      f[`${who}_rss_end_MiB`] = m.endMiB;
      f[`${who}_rss_last_half_MiB_per_min`] = m.lastHalfSlopeMiBPerMin;
      f[`${who}_rss_bytes_per_checkpoint`] = m.growthBytesPerCheckpoint;
    }
    for (const [what, t] of Object.entries(l.latency)) {
      f[`live ${what} median_ms`] = t.medianMs;
      f[`live ${what} p95_ms`] = t.p95Ms;
    }
  }
  return f;
}

/** Runs the long suite; never throws for a failed trial or case (they are listed in the result). */
export async function runLongReliability(opts: LongReliabilityOptions = {}): Promise<LongReliabilityResult> {
  const log = opts.log ?? ((s: string): void => void process.stderr.write(s + '\n'));
  const seed = opts.seed ?? Date.now() % 1e9;
  const dir = mkdtempSync(join(tmpdir(), 'delorean-reliability-'));
  try {
    log(`reliability: ${opts.kills ?? 50} kill trials ...`);
    const kills = await killTrials(dir, opts.kills ?? 50, log);
    log(`reliability: fuzz x${opts.fuzzScale ?? 10} (seed ${seed}) ...`);
    const fuzz = await longFuzz(dir, opts.fuzzScale ?? 10, seed, log);
    const seconds = opts.loadSeconds ?? 1800;
    let load: LongReliabilityResult['load'] = null;
    let loadFailure: string | null = null;
    if (seconds > 0) {
      log(`reliability: load run, ${seconds} s at --interval ${opts.interval ?? '1ms'} ...`);
      const loadDir = join(dir, 'load');
      mkdirSync(loadDir);
      try {
        load = await loadRun({ dir: loadDir, seconds, interval: opts.interval ?? '1ms', log });
        log(`  load: ${load.checkpoints} checkpoints at ${load.checkpointsPerS}/s; DeLorean ${load.main.startMiB} -> ${load.main.endMiB} MiB (peak ${load.main.peakMiB}), recorder ${load.recorder.startMiB} -> ${load.recorder.endMiB} MiB`);
      } catch (e) {
        loadFailure = (e as Error).message;
        log(`  load: FAILED ${loadFailure}`);
      }
    }
    return { kills, fuzz, load, loadFailure };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));
  const result = await runLongReliability({ kills: num('--kills'), fuzzScale: num('--fuzz-scale'), loadSeconds: num('--load-seconds'), interval: arg('--interval'), seed: num('--seed') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  const failed = result.kills.failures.length + result.fuzz.failures.length + (result.loadFailure ? 1 : 0) + (result.load?.followErrors.length ?? 0);
  process.exitCode = failed ? 1 : 0;
}
