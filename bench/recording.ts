/**
 * Recording benchmarks: the heap_words workload (bench/programs/heap_words.c) run plain and
 * under recording, side by side in one run, so every figure is a ratio on the same machine
 * state. Reports checkpoint cost, sustained checkpoint rate, throughput kept at interval
 * triggers, ingest throughput and storage reduction.
 *
 * Targets (issue "Speed and scale of recording"), each figure named after what it measures:
 *   syscall_k16_sustained_checkpoints_per_s >= 5,000 (a checkpoint at every write(2), K=16,
 *     end to end, over the second half of the run; _checkpoints_per_s includes storing the
 *     whole heap at the first one)
 *   interval_ws16_1000_per_s_throughput_kept >= 0.85, interval_ws16_100_per_s_throughput_kept >= 0.97
 *     (a 16-page working set; interval_* without ws16 writes all over the 256 MiB heap, which
 *     dirties most of it between two checkpoints: no recorder keeps that program's speed)
 *   ingest_k16_MBps, ingest_k256_MBps >= 250 (the writer alone on heap_words' messages)
 *   syscall_k16_reduction >= 0.99 (stored bytes, index included, against raw page bytes)
 *   scale_1M_open_ms < 1,000, scale_1M_read_median_us < 50 (and the same at 10M)
 *   scale_1M_info_ms < 100 (what `delorean info` shows, after the open)
 * recorder_only_* is the recorder writing to /dev/null, without DeLorean: with the end-to-end
 * figure it says which side a checkpoint's time goes to.
 *
 * Scale: synthetic recordings (main/store/synthetic.ts) written through the real writer, 1M
 * checkpoints (100k with --quick). 10M takes tens of minutes and ~7 GB: it runs only when
 * DELOREAN_BENCH_10M names a directory for it, and a recording already there is reused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingSession, type RecordOptions } from '../main/recorder/session.js';
import { HEAP_WORDS_HELLO, HeapWords } from './workloads/heap-words.js';
import { recordingInfo } from '../main/cli/commands/info.js';
import { openRecording } from '../main/store/reader.js';
import { SYN, writeSyntheticRecording } from '../main/store/synthetic.js';
import { RecordingWriter } from '../main/store/writer.js';
import { MessageType, type WireMessage } from '../shared/protocol/wire.js';
import { prng } from '../main/testing/prng.js';

export const HEAP_WORDS = join(process.cwd(), 'native-recorder/build/bench/heap_words');

export function buildWorkload(): void {
  execFileSync('make', ['-s', '-C', 'native-recorder', 'build/bench/heap_words'], { stdio: 'inherit' });
}

interface Throughput {
  steps: number;
  ns: number;
  /** The first step alone: under recording its checkpoint carries the whole heap. */
  firstNs: number;
  /** The second half (of the steps, or of the time for a run given as a duration): steady state, long after the heap was stored. */
  lastHalfNs: number;
  lastHalfSteps: number;
  /** In the second half: the program's CPU time, its tracer's (0 untraced), and its stops (one per checkpoint). */
  cpuNs: number;
  tracerCpuNs: number;
  stops: number;
}

function parseThroughput(text: string): Throughput {
  const m = /steps=(\d+) ns=(\d+)(?: first_ns=(\d+) last_half_ns=(\d+))?(?: last_half_steps=(\d+) cpu_ns=(\d+) tracer_cpu_ns=(\d+) stops=(\d+))?/.exec(text);
  if (!m) throw new Error(`heap_words printed no result: ${JSON.stringify(text.slice(-200))}`);
  const steps = Number(m[1]);
  return {
    steps,
    ns: Number(m[2]),
    firstNs: Number(m[3] ?? 0),
    lastHalfNs: Number(m[4] ?? m[2]),
    lastHalfSteps: m[5] !== undefined ? Number(m[5]) : steps - Math.floor(steps / 2),
    cpuNs: Number(m[6] ?? 0),
    tracerCpuNs: Number(m[7] ?? 0),
    stops: Number(m[8] ?? 0),
  };
}

/**
 * Microseconds per step in the second half of the loop: the steady state. The first checkpoint
 * stores the whole 256 MiB heap, and DeLorean takes a second or so to catch up with it (the
 * recorder waits on the socket meanwhile), which a short run would spread over every step.
 */
const steadyUs = (t: Throughput): number => (t.lastHalfNs ? t.lastHalfNs / 1000 / Math.max(1, t.lastHalfSteps) : (t.ns - t.firstNs) / 1000 / Math.max(1, t.steps - 1));
/** Steps per second in the steady-state half. */
const steadyRate = (t: Throughput): number => t.lastHalfSteps / (t.lastHalfNs / 1e9);

/** DELOREAN_RECORDER overrides, as for recordings (to compare two builds side by side). */
export const RECORDER = process.env.DELOREAN_RECORDER ?? join(process.cwd(), 'native-recorder/build/delorean-recorder');

/** The recorder alone (stream to /dev/null): what a checkpoint costs without DeLorean's ingest. */
export function recorderOnlyRun(mib: number, k: number, steps: number | string, trigger: string[] = ['--syscalls', 'write'], pages?: number): Throughput {
  const r = spawnSync(RECORDER, ['--wire-file', '/dev/null', ...trigger, '--', HEAP_WORDS, String(mib), String(k), String(steps), ...(pages ? [String(pages)] : [])], { encoding: 'utf8' });
  return parseThroughput(r.stdout);
}

/** `steps`: a count, or a duration ("3000ms": a steady-state window of known length). `pages`: confine the writes to the heap's first pages (a small working set in a big heap). */
export function plainRun(mib: number, k: number, steps: number | string, pages?: number): Throughput {
  const r = spawnSync(HEAP_WORDS, [String(mib), String(k), String(steps), ...(pages ? [String(pages)] : [])], { encoding: 'utf8' });
  return parseThroughput(r.stdout);
}

export interface RecordedRun extends Throughput {
  checkpoints: number;
  wallMs: number;
  rawBytes: number;
  storedBytes: number;
  backend: string | null;
}

export async function recordedRun(mib: number, k: number, steps: number | string, trigger: Pick<RecordOptions, 'syscalls' | 'interval'>, pages?: number): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'delorean-bench-'));
  try {
    const t0 = performance.now();
    const session = await RecordingSession.start({
      program: HEAP_WORDS,
      args: [String(mib), String(k), String(steps), ...(pages ? [String(pages)] : [])],
      out: join(dir, 'bench.dlr'),
      ...trigger,
      terminal: { kind: 'pty', cols: 120, rows: 40 },
    });
    let output = '';
    session.onOutput((d) => (output += d));
    const s = await session.done;
    const wallMs = performance.now() - t0;
    return { ...parseThroughput(output), checkpoints: s.checkpoints, wallMs, rawBytes: s.stats.rawBytes, storedBytes: s.stats.storedBytes, backend: s.backend };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RecordingFigures {
  [name: string]: number | string | null;
}

/** Median of a few runs of f, by key. */
async function median<T>(n: number, f: () => Promise<T> | T, key: (t: T) => number): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  runs.sort((a, b) => key(a) - key(b));
  return runs[Math.floor(runs.length / 2)]!;
}

/**
 * Ingest alone: heap_words' messages (main/store/heap-words.ts, made beforehand in batches)
 * through the writer as the ingest worker configures it (deferred writes, a flush per ~100 ms
 * of work), timed without the generator. MB/s of raw page bytes, us per checkpoint.
 */
export async function benchIngest(mib: number, k: number, checkpoints: number): Promise<{ MBps: number; checkpointUs: number; reduction: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'delorean-bench-ingest-'));
  try {
    const prog = new HeapWords(mib, k);
    const w = await RecordingWriter.create(join(dir, 'r.dlr'), { deferWrites: true });
    w.ingest(HEAP_WORDS_HELLO);
    for (const m of prog.next()) w.ingest(m); // the whole heap: not part of the steady state
    let timed = 0;
    let bytes = 0;
    let sinceFlush = 0;
    for (let c = 0; c < checkpoints; ) {
      const batch: WireMessage[] = [];
      for (const end = Math.min(checkpoints, c + 100); c < end; c++) batch.push(...prog.next());
      for (const m of batch) if (m.type === MessageType.Pages) bytes += m.data.length;
      const t = performance.now();
      for (const m of batch) w.ingest(m);
      sinceFlush += performance.now() - t;
      if (sinceFlush >= 100) {
        w.flush();
        sinceFlush = 0;
      }
      timed += performance.now() - t;
    }
    const t = performance.now();
    w.close();
    timed += performance.now() - t;
    const s = w.stats;
    return { MBps: bytes / 1e6 / (timed / 1000), checkpointUs: (timed * 1000) / checkpoints, reduction: 1 - s.storedBytes / s.rawBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A synthetic recording of n checkpoints (generated through the real writer, or reused from
 * `keepDir`), then: open time (median of 3, read-only, cold process caches aside), the first
 * read after an open, and the median and p90 of one-page reads at random checkpoints.
 */
export async function benchScale(n: number, keepDir?: string): Promise<RecordingFigures> {
  const tmp = keepDir ? null : mkdtempSync(join(tmpdir(), 'delorean-bench-scale-'));
  const dir = keepDir ?? join(tmp!, 'scale.dlr');
  const out: RecordingFigures = {};
  const tag = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  try {
    if (!existsSync(join(dir, 'log'))) {
      const res = await writeSyntheticRecording(dir, { checkpoints: n });
      out[`scale_${tag}_generate_s`] = +(res.elapsedMs / 1000).toFixed(1);
      out[`scale_${tag}_ingest_checkpoints_per_s`] = Math.round((n * 1000) / res.elapsedMs);
      out[`scale_${tag}_ingest_MBps`] = +(res.stats.rawBytes / 1e6 / (res.elapsedMs / 1000)).toFixed(1);
    }
    const opens: number[] = [];
    let firstReadUs = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await openRecording(dir, { readOnly: true });
      opens.push(performance.now() - t);
      if (r.checkpointCount !== n) throw new Error(`${dir} holds ${r.checkpointCount} checkpoints, not ${n}`);
      if (i === 0) {
        const t1 = performance.now();
        r.pageAt(Math.floor(n / 3), SYN.heap + 0x3000n);
        firstReadUs = (performance.now() - t1) * 1000;
        out[`scale_${tag}_reduction`] = +(1 - r.stats.storedBytes / r.stats.rawBytes).toFixed(4);
        out[`scale_${tag}_stored_MB`] = +(r.stats.storedBytes / 1e6).toFixed(1);
        const t2 = performance.now();
        recordingInfo(r);
        out[`scale_${tag}_info_ms`] = +(performance.now() - t2).toFixed(2);
      }
      r.close();
    }
    opens.sort((a, b) => a - b);
    out[`scale_${tag}_open_ms`] = +opens[1]!.toFixed(1);
    out[`scale_${tag}_first_read_us`] = +firstReadUs.toFixed(1);
    const r = await openRecording(dir, { readOnly: true });
    const rand = prng(17);
    const pages: bigint[] = [];
    for (const m of r.mapsAt(n - 1)) if (m.perms[0] === 'r') for (let a = m.start; a < m.end; a += 4096n) pages.push(a);
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const k = Math.floor(rand() * n);
      const a = pages[Math.floor(rand() * pages.length)]!;
      const t = performance.now();
      r.pageAt(k, a);
      times.push((performance.now() - t) * 1000);
    }
    r.close();
    times.sort((a, b) => a - b);
    out[`scale_${tag}_read_median_us`] = +times[1000]!.toFixed(1);
    out[`scale_${tag}_read_p90_us`] = +times[1800]!.toFixed(1);
    return out;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export async function benchRecording(quick: boolean): Promise<RecordingFigures> {
  buildWorkload();
  const reps = quick ? 1 : 3;
  const mib = 256;
  const out: RecordingFigures = {};

  // Checkpoint at every write(2): cost per checkpoint and sustained rate, K = 16, 256, 4096.
  for (const k of [16, 256, 4096] as const) {
    // The first write checkpoint carries the whole heap (memset before the loop); enough steps to amortise it.
    const steps = (quick ? { 16: 10000, 256: 1000, 4096: 80 } : { 16: 40000, 256: 4000, 4096: 400 })[k]!;
    const run = await median(reps, () => recordedRun(mib, k, steps, { syscalls: ['write'] }), (r) => r.ns);
    const perSecond = run.checkpoints / (run.ns / 1e9);
    out[`syscall_k${k}_checkpoints_per_s`] = Math.round(perSecond);
    out[`syscall_k${k}_checkpoint_us`] = +(1e6 / perSecond).toFixed(1);
    // The second half of the run (the whole 256 MiB heap stored long before): the sustained rate.
    out[`syscall_k${k}_sustained_checkpoints_per_s`] = Math.round(1e6 / steadyUs(run));
    out[`syscall_k${k}_sustained_checkpoint_us`] = +steadyUs(run).toFixed(1);
    out[`syscall_k${k}_ingest_MBps`] = +((run.rawBytes / 1e6) / (run.wallMs / 1e3)).toFixed(1);
    out[`syscall_k${k}_reduction`] = +(1 - run.storedBytes / run.rawBytes).toFixed(4);
    out.backend = run.backend;
    const alone = await median(reps, () => recorderOnlyRun(mib, k, steps), (r) => r.ns);
    out[`recorder_only_k${k}_checkpoint_us`] = +steadyUs(alone).toFixed(1);
  }

  // Ingest alone, on the same workload's messages.
  for (const k of [16, 256] as const) {
    const r = await median(reps, () => benchIngest(mib, k, quick ? { 16: 3000, 256: 300 }[k] : { 16: 20000, 256: 2000 }[k]), (x) => x.MBps);
    out[`ingest_k${k}_MBps`] = +r.MBps.toFixed(1);
    out[`ingest_k${k}_checkpoint_us`] = +r.checkpointUs.toFixed(1);
    out[`ingest_k${k}_reduction`] = +r.reduction.toFixed(4);
  }

  // Throughput kept under interval triggers, side by side with plain runs (alternating).
  // Two working sets: K=16 words anywhere in the 256 MiB heap (at ~1.6M steps/s that dirties
  // tens of thousands of pages between two checkpoints, so every checkpoint copies and stores
  // tens of MB: a worst case), and K=16 words in a 16-page working set inside the same heap
  // (the cost is then the checkpoint itself, the scan of 256 MiB included).
  Object.assign(out, await benchIntervals(mib, quick));

  // Scale: open and read at 1M (100k quick), and 10M when asked for.
  Object.assign(out, await benchScale(quick ? 100_000 : 1_000_000));
  const keep10m = process.env.DELOREAN_BENCH_10M;
  if (keep10m && !quick) Object.assign(out, await benchScale(10_000_000, keep10m));
  return out;
}

const medianOf = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

/**
 * Interval triggers at 100/s and 1,000/s. Runs are fixed durations; their second half is the
 * steady state (the first seconds go to storing the 256 MiB heap the program filled first).
 * Each recorded run is compared with the plain runs on both sides of it (this shared machine's
 * load drifts within minutes), median over the repeats:
 *   _throughput_kept       steps/s recorded over steps/s plain, wall clock (the target);
 *   _checkpoints_per_s     the rate actually taken (the timer restarts after a checkpoint
 *                          slower than the period, so a loaded machine takes fewer);
 *   _checkpoint_cpu_us     CPU per checkpoint: the recorder's, plus the program's beyond its own
 *                          work (its CPU per step from the plain runs), over its stops;
 *   _cpu_kept              plain CPU per step over recorded CPU per step (the program's plus its
 *                          recorder's): the throughput kept, at the rate taken, by a program that
 *                          has its CPU to itself, where the wall-clock ratio on a loaded machine
 *                          mostly measures the other work (DeLorean's own CPU is left out: it
 *                          runs beside, on another CPU than the program's).
 * recorder_only_interval_ws16_*: the same with the recorder writing to /dev/null;
 * recorder_only_tracing_ws16_throughput_kept: traced with no checkpoint in the window (a 1000 s
 * interval): what being traced costs by itself. The recorder's seccomp filter (it must see the
 * memory calls) puts every system call on the kernel's slow entry path, ~45 ns here against
 * ~200 ns for a write(2) to /dev/null, and heap_words makes one per ~250 ns step.
 */
export async function benchIntervals(mib: number, quick: boolean): Promise<RecordingFigures> {
  const out: RecordingFigures = {};
  const duration = quick ? '3000ms' : '6000ms';
  const reps = quick ? 3 : 5;
  const runs: Array<[string, number | undefined, string, string, boolean]> = [];
  for (const [ws, pages] of [['', undefined], ['_ws16', 16]] as const)
    for (const [label, interval] of [['100_per_s', '10ms'], ['1000_per_s', '1ms']] as const) runs.push([`interval${ws}_${label}`, pages, interval, label, false]);
  for (const [label, interval] of [['100_per_s', '10ms'], ['1000_per_s', '1ms']] as const) runs.push([`recorder_only_interval_ws16_${label}`, 16, interval, label, true]);
  runs.push(['recorder_only_tracing_ws16', 16, '1000s', 'none', true]);
  for (const [name, pages, interval, label, alone] of runs) {
    const kept: number[] = [];
    const rates: number[] = [];
    const costs: number[] = [];
    const cpuKept: number[] = [];
    let before = plainRun(mib, 16, duration, pages);
    for (let i = 0; i < reps; i++) {
      const recorded = alone ? recorderOnlyRun(mib, 16, duration, ['--interval', interval], pages) : await recordedRun(mib, 16, duration, { interval }, pages);
      const after = plainRun(mib, 16, duration, pages);
      kept.push(steadyRate(recorded) / ((steadyRate(before) + steadyRate(after)) / 2));
      rates.push(recorded.stops / (recorded.lastHalfNs / 1e9));
      const cpuPerStep = (before.cpuNs + after.cpuNs) / (before.lastHalfSteps + after.lastHalfSteps);
      cpuKept.push(cpuPerStep / ((recorded.cpuNs + recorded.tracerCpuNs) / recorded.lastHalfSteps));
      if (recorded.stops > 0) costs.push((recorded.cpuNs - recorded.lastHalfSteps * cpuPerStep + recorded.tracerCpuNs) / recorded.stops / 1000);
      before = after;
    }
    out[`${name}_throughput_kept`] = +medianOf(kept).toFixed(3);
    out[`${name}_cpu_kept`] = +medianOf(cpuKept).toFixed(3);
    if (label === 'none') continue;
    out[`${name}_checkpoints_per_s`] = Math.round(medianOf(rates));
    out[`${name}_checkpoint_cpu_us`] = +medianOf(costs).toFixed(1);
  }
  return out;
}
