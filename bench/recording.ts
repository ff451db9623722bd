/**
 * Recording benchmarks: the heap_words workload (bench/programs/heap_words.c) run plain and
 * under recording, side by side in one run, so every figure is a ratio on the same machine
 * state. Reports checkpoint cost, sustained checkpoint rate, throughput kept at interval
 * triggers, ingest throughput and storage reduction.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingSession, type RecordOptions } from '../main/recorder/session.js';

export const HEAP_WORDS = join(process.cwd(), 'native-recorder/build/bench/heap_words');

export function buildWorkload(): void {
  execFileSync('make', ['-s', '-C', 'native-recorder', 'build/bench/heap_words'], { stdio: 'inherit' });
}

interface Throughput {
  steps: number;
  ns: number;
}

function parseThroughput(text: string): Throughput {
  const m = /steps=(\d+) ns=(\d+)/.exec(text);
  if (!m) throw new Error(`heap_words printed no result: ${JSON.stringify(text.slice(-200))}`);
  return { steps: Number(m[1]), ns: Number(m[2]) };
}

export function plainRun(mib: number, k: number, steps: number): Throughput {
  const r = spawnSync(HEAP_WORDS, [String(mib), String(k), String(steps)], { encoding: 'utf8' });
  return parseThroughput(r.stdout);
}

export interface RecordedRun extends Throughput {
  checkpoints: number;
  wallMs: number;
  rawBytes: number;
  storedBytes: number;
  backend: string | null;
}

export async function recordedRun(mib: number, k: number, steps: number, trigger: Pick<RecordOptions, 'syscalls' | 'interval'>): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'delorean-bench-'));
  try {
    const t0 = performance.now();
    const session = await RecordingSession.start({
      program: HEAP_WORDS,
      args: [String(mib), String(k), String(steps)],
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

export async function benchRecording(quick: boolean): Promise<RecordingFigures> {
  buildWorkload();
  const reps = quick ? 1 : 3;
  const mib = 256;
  const out: RecordingFigures = {};
  const rate = (t: Throughput): number => (t.steps * 1e9) / t.ns;

  // Checkpoint at every write(2): cost per checkpoint and sustained rate, K = 16, 256, 4096.
  for (const k of [16, 256, 4096] as const) {
    // The first write checkpoint carries the whole heap (memset before the loop); enough steps to amortise it.
    const steps = (quick ? { 16: 2000, 256: 400, 4096: 60 } : { 16: 10000, 256: 2000, 4096: 300 })[k]!;
    const run = await median(reps, () => recordedRun(mib, k, steps, { syscalls: ['write'] }), (r) => r.ns);
    const perSecond = run.checkpoints / (run.ns / 1e9);
    out[`syscall_k${k}_checkpoints_per_s`] = Math.round(perSecond);
    out[`syscall_k${k}_checkpoint_us`] = +(1e6 / perSecond).toFixed(1);
    out[`syscall_k${k}_ingest_MBps`] = +((run.rawBytes / 1e6) / (run.wallMs / 1e3)).toFixed(1);
    out[`syscall_k${k}_reduction`] = +(1 - run.storedBytes / run.rawBytes).toFixed(4);
    out.backend = run.backend;
  }

  // Throughput kept under interval triggers, side by side with plain runs (alternating).
  const steps = quick ? 200_000 : 1_000_000;
  for (const [label, interval] of [['100_per_s', '10ms'], ['1000_per_s', '1ms']] as const) {
    const ratios: number[] = [];
    for (let i = 0; i < reps; i++) {
      const plain = plainRun(mib, 16, steps);
      const recorded = await recordedRun(mib, 16, steps, { interval });
      ratios.push(rate(recorded) / rate(plain));
    }
    ratios.sort((a, b) => a - b);
    out[`interval_${label}_throughput_kept`] = +ratios[Math.floor(ratios.length / 2)]!.toFixed(3);
  }
  return out;
}
