/**
 * The long reliability suite (not in `npm test`; main/reliability/*.test.ts are its bounded
 * versions): many kill -9 trials, a longer fuzz, and a load run at 1,000 checkpoints/s.
 *
 *   runLongReliability({ kills: 50, fuzzScale: 10, loadSeconds: 180 })
 *   node out/node/bench/reliability.js [--kills N] [--fuzz-scale N] [--load-seconds S] [--interval 1ms]
 *
 * - kills: fault trials (main/reliability/trials.ts) cycling through recorder / DeLorean x
 *   kill / detach x counter / threads / churn, each killed after a random number of committed
 *   checkpoints plus a random delay; every committed checkpoint is checked against the
 *   program's history and the program must not be left stopped or traced. Failures are
 *   collected (with their trial) rather than ending the run.
 * - fuzz: the drivers of fuzz.test.ts, fuzzScale times longer.
 * - load: `spin` (a busy loop, one word written all the time) recorded with --interval 1ms for
 *   loadSeconds (30 minutes work: 1,800 s), sampling the resident memory of DeLorean's process
 *   (main thread + ingest worker) and of the recorder every few seconds; then the recording
 *   is opened and checked (ticks never go back). Reports rates, peak RSS and the series.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openRecording } from '../main/store/reader.js';
import { PROGRAMS, recordProgram } from '../main/testing/cli.js';
import { damageRecording, fuzzCliInProcess, fuzzCliSubprocess, fuzzFind } from '../main/reliability/fuzz.js';
import type { ArgvPools } from '../main/reliability/generators.js';
import { intAt, peakRss, recorderOf, rss, sleep, startRecording, waitForCheckpoints } from '../main/reliability/support.js';
import { faultTrial, type FaultOutcome, type FaultTrial } from '../main/reliability/trials.js';

export interface LongReliabilityOptions {
  /** Kill trials (default 50). */
  kills?: number;
  /** Multiplies the fuzz counts of the bounded suite (default 10). */
  fuzzScale?: number;
  /** Seconds of the load run (default 180; 1800 for the 30-minute run). 0 skips it. */
  loadSeconds?: number;
  /** Interval trigger of the load run (default 1ms). */
  interval?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface LoadSample {
  atS: number;
  checkpoints: number;
  mainRssMiB: number;
  recorderRssMiB: number;
}

export interface LongReliabilityResult {
  kills: { trials: number; survived: number; checkpointsVerified: number; fates: Record<string, number>; failures: string[] };
  fuzz: { seed: number; argvRuns: number; subprocessRuns: number; predicates: number; damageCases: number; damageRefused: number; damageCut: number; damageIntact: number; maxRssGrowthMiB: number; failures: string[] };
  load: null | {
    seconds: number;
    interval: string;
    checkpoints: number;
    checkpointsPerS: number;
    peakMainRssMiB: number;
    peakRecorderRssMiB: number;
    storedMiB: number;
    rawMiB: number;
    samples: LoadSample[];
    verifiedSampled: number;
  };
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
  const out: LongReliabilityResult['fuzz'] = { seed, argvRuns: 0, subprocessRuns: 0, predicates: 0, damageCases: 0, damageRefused: 0, damageCut: 0, damageIntact: 0, maxRssGrowthMiB: 0, failures: [] };
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
  return out;
}

async function loadRun(dir: string, seconds: number, interval: string, log: (s: string) => void): Promise<NonNullable<LongReliabilityResult['load']>> {
  const out = join(dir, 'load.dlr');
  const rec = startRecording(out, ['--interval', interval, '--json'], join(PROGRAMS, 'spin'), [String(seconds * 1000)]);
  await waitForCheckpoints(out, 1, 30_000);
  const cli = rec.cli.pid!;
  const recorder = recorderOf(cli);
  const samples: LoadSample[] = [];
  let peakMain = 0;
  let peakRecorder = 0;
  const t0 = Date.now();
  const every = Math.max(1000, Math.min(10_000, (seconds * 1000) / 60));
  let lastLog = 0;
  let done = false;
  void rec.closed.then(() => (done = true));
  while (!done) {
    peakMain = Math.max(peakMain, peakRss(cli));
    if (recorder) peakRecorder = Math.max(peakRecorder, peakRss(recorder));
    let checkpoints = -1;
    try {
      const r = await openRecording(out, { readOnly: true });
      checkpoints = r.checkpointCount;
      r.close();
    } catch {
      // between commits
    }
    const s: LoadSample = { atS: round1((Date.now() - t0) / 1000), checkpoints, mainRssMiB: round1(rss(cli) / MiB), recorderRssMiB: recorder ? round1(rss(recorder) / MiB) : 0 };
    if (s.mainRssMiB > 0) samples.push(s);
    if (Date.now() - lastLog > 30_000) {
      lastLog = Date.now();
      log(`  load: ${s.atS} s, ${s.checkpoints} checkpoints, DeLorean ${s.mainRssMiB} MiB, recorder ${s.recorderRssMiB} MiB`);
    }
    await Promise.race([sleep(every), rec.closed]);
  }
  const code = await rec.closed;
  if (code !== 0) throw new Error(`the load recording failed (${code}): ${rec.stderr().slice(-2000)}`);
  const summary = JSON.parse(rec.stdout()) as { checkpoints: number; durationMs: number; rawBytes: number; storedBytes: number };
  // The recording: ticks never go back, sampled across the whole run.
  const r = await openRecording(out, { readOnly: true });
  let verified = 0;
  try {
    let prev = -1n;
    const stride = Math.max(1, Math.floor(r.checkpointCount / 2000));
    for (let k = 0; k < r.checkpointCount; k += stride) {
      const ticks = intAt(r, k, 'ticks');
      if (ticks < prev) throw new Error(`load recording: ticks went back at checkpoint ${k}`);
      prev = ticks;
      verified++;
    }
  } finally {
    r.close();
  }
  rmSync(out, { recursive: true, force: true });
  return {
    seconds,
    interval,
    checkpoints: summary.checkpoints,
    checkpointsPerS: Math.round((summary.checkpoints * 1000) / summary.durationMs),
    peakMainRssMiB: round1(peakMain / MiB),
    peakRecorderRssMiB: round1(peakRecorder / MiB),
    storedMiB: round1(summary.storedBytes / MiB),
    rawMiB: round1(summary.rawBytes / MiB),
    samples,
    verifiedSampled: verified,
  };
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
    const seconds = opts.loadSeconds ?? 180;
    let load: LongReliabilityResult['load'] = null;
    if (seconds > 0) {
      log(`reliability: load run, ${seconds} s at --interval ${opts.interval ?? '1ms'} ...`);
      load = await loadRun(dir, seconds, opts.interval ?? '1ms', log);
    }
    return { kills, fuzz, load };
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
  const failed = result.kills.failures.length + result.fuzz.failures.length;
  process.exitCode = failed ? 1 : 0;
}
