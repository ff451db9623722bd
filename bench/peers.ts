/**
 * The numbers users compare with other tools (bench/run.ts sections `real-programs`,
 * `when-did-it-go-bad` and `storage`):
 *
 *   real-programs       recording overhead on Debian's redis-server (requests/s under
 *                       redis-benchmark, checkpoints at each epoll_wait and every 1 ms), sqlite3,
 *                       python3 and gzip (wall time), each against the same run unrecorded:
 *                       plain, recorded, bare recorder, plain, recorded, ... so every recorded
 *                       run is compared with the mean of the plain runs on either side of it
 *                       (the machine's load drifts), medians of those ratios
 *   when-did-it-go-bad  guard.c's overrun found three ways: gdb `record full` + watchpoint +
 *                       reverse-continue, gdb with a hardware watchpoint on a re-run, and
 *                       DeLorean record + bisect + find; the iteration each answers and how long
 *                       it takes; the same on guard_scaled (the bug after real work)
 *   storage             per recording: raw and stored bytes, bytes per checkpoint and each
 *                       layer's share (zero pages, unchanged pages, dedup, deltas, LZ4, index
 *                       and other overhead), from the recording's own files
 *
 * Recordings made by the first two sections are kept (one per configuration) for the third, so
 * a full run records nothing twice; `--only=storage` records each configuration once itself.
 * rr is not measured: it needs hardware performance counters, which this VM does not expose.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBatch, SIZES, type BatchWorkload } from './workloads/batch.js';
import { NO_AVX_TUNABLES, num, runGdb, type GdbResult } from './workloads/gdb.js';
import * as redis from './workloads/redis.js';
import { layerShares, storageLayers } from './workloads/storage-layers.js';
import { cliJson, load, median, missing, removeDir, round, runPlain, runRecorded, runRecorderOnly, scratchDir, type Figures, type RecordedRun, type Trigger } from './workloads/util.js';

const log = (s: string): void => void process.stderr.write(`  ${s}\n`);
const MB = (b: number): number => round(b / 1e6, 2);

/** Recordings kept between sections: one directory per configuration name. */
export class PeerRecordings {
  readonly parent = scratchDir('recordings');
  private readonly dirs = new Map<string, string>();
  private batchInputs: { dir: string; quick: boolean; workloads: BatchWorkload[] } | null = null;

  keep(name: string, run: RecordedRun): void {
    const old = this.dirs.get(name);
    if (old && old !== run.dir) removeDir(old);
    this.dirs.set(name, run.dir);
  }
  get(name: string): string | undefined {
    return this.dirs.get(name);
  }
  /** The batch workloads' generated inputs (made once per run). */
  batch(quick: boolean): BatchWorkload[] {
    if (!this.batchInputs || this.batchInputs.quick !== quick) {
      const dir = join(this.parent, 'inputs');
      mkdirSync(dir, { recursive: true });
      this.batchInputs = { dir, quick, workloads: prepareBatch(dir, quick ? SIZES.quick : SIZES.full) };
    }
    return this.batchInputs.workloads;
  }
  dispose(): void {
    removeDir(this.parent);
  }
}

// ---------------------------------------------------------------------------------------------
// real-programs

const REDIS_TRIGGERS: Array<[string, Trigger]> = [
  ['epoll_wait', { syscalls: ['epoll_wait'] }],
  ['1ms', { interval: '1ms' }],
];

/** Batch configurations: workload name, trigger label, trigger. */
const BATCH_CONFIGS: Array<[string, string, Trigger]> = [
  ['sqlite', '1ms', { interval: '1ms' }],
  ['sqlite', 'write', { syscalls: ['write'] }],
  ['python', '1ms', { interval: '1ms' }],
  ['gzip', '1ms', { interval: '1ms' }],
];

async function recordBatch(kept: PeerRecordings, w: BatchWorkload, label: string, trigger: Trigger): Promise<RecordedRun> {
  w.reset();
  const run = await runRecorded(kept.parent, `${w.name}_${label}`, { program: w.program, args: w.args, cwd: w.cwd, trigger });
  if (run.summary.exit?.kind !== 'exited' || run.summary.exit.code !== 0 || !w.check(run.output)) {
    throw new Error(`recorded ${w.name} (${label}) did not complete: exit ${JSON.stringify(run.summary.exit)}, output ${JSON.stringify(run.output.slice(-300))}`);
  }
  return run;
}

export async function benchRealPrograms(quick: boolean, kept: PeerRecordings): Promise<Figures> {
  const out: Figures = { load_before: load() };
  const absent = missing(['redis-server', 'redis-benchmark', 'redis-cli', 'sqlite3', 'python3', 'gzip']);
  if (absent.length) {
    out.skipped = `not installed: ${absent.join(', ')} (apt-get install redis-server redis-tools sqlite3 python3 gzip)`;
    return out;
  }
  const reps = quick ? 1 : 3;
  out.reps = reps;

  // redis-server under redis-benchmark.
  const loadSpec: redis.BenchmarkLoad = { requests: quick ? 4000 : 20000, clients: 4, tests: ['set', 'get'] };
  out.redis_benchmark = `-n ${loadSpec.requests} -c ${loadSpec.clients} -P 1 -t ${loadSpec.tests.join(',')}`;
  const plainRps: number[] = [];
  const perTrigger = new Map<string, { kept: number[]; set: number[]; get: number[]; rps: number[]; runs: RecordedRun[]; recorderOnly: number[] }>();
  for (const [label, trigger] of REDIS_TRIGGERS) {
    // plain, recorded, bare, plain, recorded, bare, ..., plain: each recorded and bare run is
    // compared with the mean of the plain runs on either side of it.
    let before = await redis.plain(loadSpec);
    plainRps.push(before.overall);
    for (let i = 0; i < reps; i++) {
      log(`redis: recorded (${label}), bare recorder, plain, rep ${i + 1}/${reps} ...`);
      const r = await redis.recorded(kept.parent, `redis_${label}`, loadSpec, trigger);
      const bare = await redis.recorderOnly(loadSpec, trigger);
      const after = await redis.plain(loadSpec);
      plainRps.push(after.overall);
      const base = (k: 'overall' | 'set' | 'get'): number => (k === 'overall' ? (before.overall + after.overall) / 2 : (before.rps[k]! + after.rps[k]!) / 2);
      const t = perTrigger.get(label) ?? { kept: [], set: [], get: [], rps: [], runs: [], recorderOnly: [] };
      t.kept.push(r.throughput.overall / base('overall'));
      t.set.push(r.throughput.rps.set! / base('set'));
      t.get.push(r.throughput.rps.get! / base('get'));
      t.rps.push(r.throughput.overall);
      t.runs.push(r.run);
      t.recorderOnly.push(bare.overall / base('overall'));
      perTrigger.set(label, t);
      kept.keep(`redis_${label}`, r.run);
      before = after;
    }
  }
  out.redis_plain_rps = Math.round(median(plainRps));
  for (const [label] of REDIS_TRIGGERS) {
    const t = perTrigger.get(label)!;
    const cps = median(t.runs.map((r) => r.summary.checkpoints));
    out[`redis_${label}_rps`] = Math.round(median(t.rps));
    out[`redis_${label}_throughput_kept`] = round(median(t.kept));
    out[`redis_${label}_set_kept`] = round(median(t.set));
    out[`redis_${label}_get_kept`] = round(median(t.get));
    out[`redis_${label}_checkpoints`] = cps;
    out[`redis_${label}_checkpoints_per_s`] = Math.round(median(t.runs.map((r) => (r.summary.checkpoints * 1000) / r.runMs)));
    out[`redis_${label}_raw_MB`] = MB(median(t.runs.map((r) => r.summary.stats.rawBytes)));
    out[`redis_${label}_stored_MB`] = MB(median(t.runs.map((r) => r.summary.stats.storedBytes)));
    out[`redis_${label}_recorder_only_kept`] = round(median(t.recorderOnly));
  }
  out.redis_peers_kept = 'CheckSync 0.88, CRIU 0.55, VM live migration 0.32 (published, in-memory KV store)';

  // sqlite3, python3, gzip: wall time plain vs recorded.
  const workloads = kept.batch(quick);
  const gz = workloads.find((w) => w.name === 'gzip')!;
  out.gzip_input_MB = MB(statSync(gz.args[gz.args.length - 1]!).size);
  for (const [name, label, trigger] of BATCH_CONFIGS) {
    const w = workloads.find((x) => x.name === name)!;
    const wall: number[] = [];
    const runR: number[] = [];
    const bareR: number[] = [];
    const plainMs: number[] = [];
    const runs: RecordedRun[] = [];
    const plain = async (): Promise<number> => {
      w.reset();
      const p = await runPlain(w.program, w.args, { cwd: w.cwd });
      if (p.status !== 0 || !w.check(p.stdout)) throw new Error(`plain ${name} failed (${p.status}): ${p.stderr.slice(0, 300)}`);
      plainMs.push(p.wallMs);
      return p.wallMs;
    };
    // plain, recorded, bare, plain, ...: each compared with the mean of the plain runs around it.
    let before = await plain();
    for (let i = 0; i < reps; i++) {
      log(`${name}: recorded (${label}), bare recorder, plain, rep ${i + 1}/${reps} ...`);
      const r = await recordBatch(kept, w, label, trigger);
      w.reset();
      const bare = await runRecorderOnly(w.program, w.args, trigger, w.cwd);
      if (bare.status !== 0) throw new Error(`${name} under the bare recorder failed (${bare.status}): ${bare.stderr.slice(0, 300)}`);
      const after = await plain();
      const base = (before + after) / 2;
      wall.push(r.wallMs / base);
      runR.push(r.runMs / base);
      bareR.push(bare.wallMs / base);
      runs.push(r);
      kept.keep(`${name}_${label}`, r);
      before = after;
    }
    const k = `${name}_${label}`;
    out[`${k}_plain_s`] = round(median(plainMs) / 1000, 2);
    out[`${k}_wall_ratio`] = round(median(wall), 2);
    out[`${k}_run_ratio`] = round(median(runR), 2);
    out[`${k}_recorder_only_ratio`] = round(median(bareR), 2);
    out[`${k}_checkpoints`] = median(runs.map((r) => r.summary.checkpoints));
    out[`${k}_raw_MB`] = MB(median(runs.map((r) => r.summary.stats.rawBytes)));
    out[`${k}_stored_MB`] = MB(median(runs.map((r) => r.summary.stats.storedBytes)));
    out[`${k}_ingest_raw_MBps`] = round(median(runs.map((r) => r.summary.stats.rawBytes / 1e6 / (r.runMs / 1000))), 1);
    if (trigger.interval) out[`${k}_near_empty_checkpoints`] = round(median(runs.map((r) => r.nearEmptyShare)), 2);
  }
  out.load_after = load();
  return out;
}

// ---------------------------------------------------------------------------------------------
// when-did-it-go-bad

const GUARD = join(process.cwd(), 'native-recorder/build/programs/guard');
const SCALED_SRC = join(process.cwd(), 'bench/workloads/programs/guard_scaled.c');
const SCALED = join(process.cwd(), 'native-recorder/build/bench/guard_scaled');
const GUARD_PRED = 'u32(&store + 64) != 0xdeadbeef';

function buildScaled(): void {
  if (existsSync(SCALED) && statSync(SCALED).mtimeMs >= statSync(SCALED_SRC).mtimeMs) return;
  mkdirSync(join(SCALED, '..'), { recursive: true });
  execFileSync('gcc', ['-std=gnu17', '-O0', '-g', '-Wall', '-Wextra', '-o', SCALED, SCALED_SRC], { stdio: 'inherit' });
}

interface Case {
  prefix: string; // figure key prefix
  program: string;
  args: string[];
  expected: number; // the iteration whose store breaks the guard
  reps: number;
  recordReps: number; // gdb record full is slow: fewer repeats on the big case
  noAvx: boolean; // run record full with glibc's AVX string functions switched off
}

const pick = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};

async function whenCase(c: Case, kept: PeerRecordings, out: Figures): Promise<void> {
  const scratch = scratchDir('gdb');
  const p = (k: string): string => `${c.prefix}${k}`;
  out[p('expected_iteration')] = c.expected;
  try {
    const plainRun: number[] = [];
    const gdbPlain: number[] = [];
    const gdbRecord: GdbResult[] = [];
    const gdbHw: GdbResult[] = [];
    const dl: Array<{ recordMs: number; runMs: number; checkpoints: number; bisectMs: number; bisectEngineMs: number; probes: number; findMs: number; findEngineMs: number; evaluations: number; iterBisect: number | null; iterFind: number | null; before: number | null }> = [];
    for (let i = 0; i < c.reps; i++) {
      log(`${c.prefix}: plain, gdb, gdb record full, gdb hw watch, delorean, rep ${i + 1}/${c.reps} ...`);
      spawnSync(c.program, c.args, { stdio: 'ignore' }); // warm the page cache
      for (let j = 0; j < 5; j++) {
        const t0 = performance.now();
        const r0 = spawnSync(c.program, c.args, { stdio: 'ignore' });
        plainRun.push(performance.now() - t0);
        if (r0.error) throw r0.error;
      }

      if (i < c.recordReps) {
        const g = await runGdb(scratch, 'plain', c.program, c.args, c.noAvx);
        gdbPlain.push(num(g, 'MAIN_TO_EXIT_S') ?? NaN);
        gdbRecord.push(await runGdb(scratch, 'record', c.program, c.args, c.noAvx));
      }
      gdbHw.push(await runGdb(scratch, 'hw', c.program, c.args, false));

      const rec = await runRecorded(kept.parent, `${c.prefix}write`, { program: c.program, args: c.args, trigger: { syscalls: ['write'] } });
      kept.keep(`${c.prefix}write`, rec);
      const b = cliJson<{ checkpoint: number | null; probes: number; ms: number }>(['bisect', rec.dir, GUARD_PRED]);
      const f = cliJson<{ checkpoint: number | null; evaluations: number; ms: number }>(['find', rec.dir, GUARD_PRED]);
      const iterAt = (k: number | null): number | null => (k === null ? null : cliJson<{ value: number }>(['read', rec.dir, '--at', String(k), 'iteration', '--type', 'i32']).value.value);
      const guardBefore = b.value.checkpoint ? cliJson<{ value: number }>(['read', rec.dir, '--at', String(b.value.checkpoint - 1), 'store + 64', '--type', 'u32']).value.value : null;
      dl.push({
        recordMs: rec.wallMs,
        runMs: rec.runMs,
        checkpoints: rec.summary.checkpoints,
        bisectMs: b.wallMs,
        bisectEngineMs: b.value.ms,
        probes: b.value.probes,
        findMs: f.wallMs,
        findEngineMs: f.value.ms,
        evaluations: f.value.evaluations,
        iterBisect: iterAt(b.value.checkpoint),
        iterFind: iterAt(f.value.checkpoint),
        before: guardBefore,
      });
    }
    const plainMs = median(plainRun);
    out[p('plain_run_ms')] = round(plainMs, 2);

    // (a) gdb record full.
    const rec = gdbRecord;
    out[p('gdb_record_full_insns')] = pick(rec.map((g) => num(g, 'INSNS')));
    // main to exit under gdb, recorded vs not (a lower bound: unrecorded, gdb's own stop
    // handling is most of those milliseconds).
    const recordS = pick(rec.map((g) => num(g, 'MAIN_TO_EXIT_S')));
    out[p('gdb_main_to_exit_s')] = round(median(gdbPlain), 4);
    out[p('gdb_record_full_main_to_exit_s')] = recordS === null ? null : round(recordS, 2);
    out[p('gdb_record_full_slowdown_vs_gdb')] = recordS === null ? null : Math.round(median(rec.map((g, i) => (num(g, 'MAIN_TO_EXIT_S') ?? NaN) / gdbPlain[i]!)));
    const insns = pick(rec.map((g) => num(g, 'INSNS')));
    out[p('gdb_record_full_insns_per_s')] = recordS && insns ? Math.round(insns / recordS) : null;
    const reached = rec.every((g) => /exit/.test(g.marks.STOPPED_IN ?? ''));
    out[p('gdb_record_full_reached_exit')] = reached ? 'yes' : `no: stopped in ${rec.map((g) => g.marks.STOPPED_IN).join(', ')}; ${rec.flatMap((g) => g.errors).slice(0, 2).join('; ')}`;
    const hwStops = rec.map((g) => num(g, 'HW_STOPPED_AT_WRITE'));
    out[p('gdb_record_full_hw_watch_iteration')] = hwStops.every((s) => s === 1) ? pick(rec.map((g) => num(g, 'HW_ITER'))) : 'no stop: reverse-continue ran back to the start of the log';
    out[p('gdb_record_full_sw_watch_iteration')] = rec.every((g) => num(g, 'SW_STOPPED_AT_WRITE') === 1) ? pick(rec.map((g) => num(g, 'SW_ITER'))) : 'no stop';
    out[p('gdb_record_full_reverse_s')] = round(pick(rec.map((g) => num(g, 'SW_REVERSE_S'))) ?? NaN, 2);
    // Time to answer: start gdb, record to the end, reverse-continue with the (working) software watchpoint.
    out[p('gdb_record_full_answer_s')] = round(median(rec.map((g) => (num(g, 'TO_MAIN_S') ?? 0) + (num(g, 'MAIN_TO_EXIT_S') ?? 0) + (num(g, 'SW_REVERSE_S') ?? 0))), 2);

    // (b) gdb hardware watchpoint on a re-run.
    out[p('gdb_hw_watch_iteration')] = gdbHw.every((g) => num(g, 'STOPPED_AT_WRITE') === 1) ? pick(gdbHw.map((g) => num(g, 'ITER'))) : 'no stop';
    out[p('gdb_hw_watch_answer_s')] = round(median(gdbHw.map((g) => (num(g, 'TO_MAIN_S') ?? 0) + (num(g, 'ANSWER_S') ?? 0))), 3);
    out[p('gdb_hw_watch_gdb_wall_s')] = round(median(gdbHw.map((g) => g.wallMs)) / 1000, 3);

    // (c) DeLorean.
    const m = (f: (d: (typeof dl)[number]) => number): number => median(dl.map(f));
    out[p('delorean_checkpoints')] = m((d) => d.checkpoints);
    // First instruction to exit under recording; plain_run_ms is fork to exit, so for programs
    // this short the two are not a ratio.
    out[p('delorean_run_ms')] = round(m((d) => d.runMs), 1);
    out[p('delorean_record_s')] = round(m((d) => d.recordMs) / 1000, 3);
    out[p('delorean_bisect_s')] = round(m((d) => d.bisectMs) / 1000, 3);
    out[p('delorean_bisect_engine_ms')] = round(m((d) => d.bisectEngineMs), 1);
    out[p('delorean_bisect_probes')] = m((d) => d.probes);
    out[p('delorean_find_s')] = round(m((d) => d.findMs) / 1000, 3);
    out[p('delorean_find_engine_ms')] = round(m((d) => d.findEngineMs), 1);
    out[p('delorean_find_evaluations')] = m((d) => d.evaluations);
    out[p('delorean_answer_s')] = round(m((d) => d.recordMs + d.bisectMs) / 1000, 3);
    out[p('delorean_iteration_bisect')] = pick(dl.map((d) => d.iterBisect));
    out[p('delorean_iteration_find')] = pick(dl.map((d) => d.iterFind));

    const answers: Array<[string, unknown]> = [
      ['gdb record full (software watchpoint)', out[p('gdb_record_full_sw_watch_iteration')]],
      ['gdb hardware watchpoint', out[p('gdb_hw_watch_iteration')]],
      ['delorean bisect', out[p('delorean_iteration_bisect')]],
      ['delorean find', out[p('delorean_iteration_find')]],
    ];
    const wrong = answers.filter(([, v]) => v !== c.expected);
    const guardOk = dl.every((d) => d.before === 0xdeadbeef);
    out[p('all_agree')] = wrong.length === 0 && guardOk ? `yes: iteration ${c.expected}` : `no: ${wrong.map(([n, v]) => `${n} says ${String(v)}`).join('; ')}${guardOk ? '' : '; guard not intact just before the bisect answer'}`;
  } finally {
    removeDir(scratch);
  }
}

export async function benchWhenDidItGoBad(quick: boolean, kept: PeerRecordings): Promise<Figures> {
  const out: Figures = { load_before: load() };
  const gdbOk = spawnSync('gdb', ['--version'], { encoding: 'utf8' });
  if (gdbOk.status !== 0) {
    out.skipped = 'gdb is not installed';
    return out;
  }
  out.gdb = gdbOk.stdout.split('\n')[0]!.trim();
  out.rr = 'not measured: rr needs hardware performance counters, which this VM does not expose';
  if (!existsSync(GUARD)) execFileSync('make', ['-s', '-C', 'native-recorder', 'build/programs/guard'], { stdio: 'inherit' });
  buildScaled();

  // gdb record full as it comes, on guard.c: glibc's AVX-512 strlen stops it on this CPU.
  log('guard: gdb record full without workarounds ...');
  const scratch = scratchDir('gdb');
  try {
    const g = await runGdb(scratch, 'record', GUARD, [], false);
    const failure = g.errors.find((e) => /not support instruction 0x/.test(e)) ?? g.errors.find((e) => /not support/.test(e));
    out.gdb_record_full_as_is = failure
      ? `fails in ${g.marks.STOPPED_IN ?? '?'} after ${g.marks.INSNS ?? '?'} instructions: ${failure.replace(/^record \| /, '')}; workaround GLIBC_TUNABLES=${NO_AVX_TUNABLES}`
      : 'records main to exit';
  } finally {
    removeDir(scratch);
  }

  await whenCase({ prefix: 'guard_', program: GUARD, args: [], expected: 16, reps: quick ? 1 : 3, recordReps: quick ? 1 : 3, noAvx: true }, kept, out);
  const [n, work, bad] = quick ? [32, 100, 24] : [100, 400, 75];
  out.scaled_args = `${n} iterations, ${work} work steps each, guard broken at ${bad}`;
  await whenCase({ prefix: 'scaled_', program: SCALED, args: [String(n), String(work), String(bad)], expected: bad, reps: quick ? 1 : 3, recordReps: 1, noAvx: true }, kept, out);
  out.load_after = load();
  return out;
}

// ---------------------------------------------------------------------------------------------
// storage

/** Every configuration whose recording the storage section describes, and how to make it alone. */
function storageConfigs(quick: boolean, kept: PeerRecordings): Array<[string, () => Promise<RecordedRun>]> {
  const loadSpec: redis.BenchmarkLoad = { requests: quick ? 4000 : 20000, clients: 4, tests: ['set', 'get'] };
  const batch = (name: string, label: string, trigger: Trigger): [string, () => Promise<RecordedRun>] => [
    `${name}_${label}`,
    () => recordBatch(kept, kept.batch(quick).find((w) => w.name === name)!, label, trigger),
  ];
  const [n, work, bad] = quick ? [32, 100, 24] : [100, 400, 75];
  return [
    ...REDIS_TRIGGERS.map(([label, trigger]): [string, () => Promise<RecordedRun>] => [`redis_${label}`, async () => (await redis.recorded(kept.parent, `redis_${label}`, loadSpec, trigger)).run]),
    ...BATCH_CONFIGS.map(([name, label, trigger]) => batch(name, label, trigger)),
    ['guard_write', () => runRecorded(kept.parent, 'guard_write', { program: GUARD, args: [], trigger: { syscalls: ['write'] } })],
    [
      'scaled_write',
      async () => {
        buildScaled();
        return runRecorded(kept.parent, 'scaled_write', { program: SCALED, args: [String(n), String(work), String(bad)], trigger: { syscalls: ['write'] } });
      },
    ],
  ];
}

export async function benchStorage(quick: boolean, kept: PeerRecordings): Promise<Figures> {
  const out: Figures = {};
  const absent = missing(['redis-server', 'redis-benchmark', 'redis-cli', 'sqlite3', 'python3', 'gzip']);
  let raw = 0;
  let stored = 0;
  for (const [name, make] of storageConfigs(quick, kept)) {
    if ((name.startsWith('redis') || /^(sqlite|python|gzip)/.test(name)) && absent.length) continue;
    let dir = kept.get(name);
    if (!dir) {
      log(`storage: recording ${name} ...`);
      const run = await make();
      kept.keep(name, run);
      dir = run.dir;
    }
    const l = storageLayers(dir);
    const s = layerShares(l);
    raw += l.rawBytes;
    stored += l.storedBytes;
    const o = l.overhead;
    out[`${name}_checkpoints`] = l.checkpoints;
    out[`${name}_raw_MB`] = MB(l.rawBytes);
    out[`${name}_stored_MB`] = MB(l.storedBytes);
    out[`${name}_reduction`] = round(1 - l.storedBytes / l.rawBytes, 4);
    out[`${name}_raw_KB_per_checkpoint`] = round(l.rawBytes / l.checkpoints / 1024, 1);
    out[`${name}_stored_KB_per_checkpoint`] = round(l.storedBytes / l.checkpoints / 1024, 2);
    // Shares of raw bytes removed by each layer, and added back by the store's overhead.
    out[`${name}_share_zero`] = round(s.zero!, 4);
    out[`${name}_share_unchanged`] = round(s.unchanged!, 4);
    out[`${name}_share_dedup`] = round(s.dedup!, 4);
    out[`${name}_share_delta`] = round(s.delta!, 4);
    out[`${name}_share_lz4`] = round(s.lz4!, 4);
    out[`${name}_share_overhead`] = round(s.overhead!, 4);
    // Of the stored bytes: page payloads vs the index (checkpoint records + snapshot) vs the rest.
    out[`${name}_stored_pages_share`] = round((l.deltaPayloadBytes + l.fullPayloadBytes) / l.storedBytes, 3);
    out[`${name}_stored_index_share`] = round((o.checkpointRecords + o.indexSnapshot) / l.storedBytes, 3);
    out[`${name}_stored_blob_headers_share`] = round((o.blobHeaders + o.segmentHeaders) / l.storedBytes, 3);
    out[`${name}_stored_registers_share`] = round(o.registers / l.storedBytes, 3);
    out[`${name}_delta_pages`] = l.deltaPages;
    out[`${name}_delta_bytes_per_page`] = l.deltaPages ? round(l.deltaPayloadBytes / l.deltaPages, 1) : null;
    out[`${name}_delta_gain_over_lz4_only`] = l.deltaPayloadBytes ? round(l.lz4OnlyBytes / l.deltaPayloadBytes, 1) : null;
    if (l.identityError !== 0) out[`${name}_unaccounted_bytes`] = l.identityError;
  }
  out.all_raw_MB = MB(raw);
  out.all_stored_MB = MB(stored);
  out.all_reduction = raw ? round(1 - stored / raw, 4) : null;
  out.thesis_reduction = 0.95;
  return out;
}
