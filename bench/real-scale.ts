/**
 * Real recordings at scale, made through the CLI as a user makes them: counter.c recorded with
 * `--syscalls write`, a checkpoint and a line of output at every step, at 300k and 1M
 * checkpoints (100k with --quick). Recordings kept in DELOREAN_BENCH_REAL (a directory) are
 * reused; else they are made in a temporary directory and removed.
 *
 * Figures, per size:
 *   real_{n}_record_s          recording it (when made in this run)
 *   real_{n}_open_ms           openRecording, median of 5
 *   real_{n}_info_ms           open plus everything `delorean info` shows, median of 5
 *   real_{n}_info_cpu_ms       the same in CPU time (wall clock on a loaded machine is mostly others' work)
 *   real_{n}_info_cli_ms       `delorean info` as a command, wall clock (Node's start included)
 *   real_{n}_output_median_ms  the app's output query (the service's terminal call) at 200
 *   real_{n}_output_max_ms     random checkpoints
 *   real_{n}_output_cpu_median_ms  the same in CPU time
 *   real_{n}_output_bytes      what one such query sends
 * Targets: info and open under 100 ms; the output at any checkpoint under 5 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeloreanService } from '../main/api/service.js';
import { recordingInfo } from '../main/cli/commands/info.js';
import { openRecording } from '../main/store/reader.js';
import { prng } from '../main/testing/prng.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin/delorean.js');
const COUNTER = join(ROOT, 'native-recorder/build/programs/counter');

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
/** CPU milliseconds since `from` (process.cpuUsage): on a shared machine wall clock mostly measures the others. */
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** The counter recording of about n checkpoints in dir (made unless there), and the seconds it took (0 if reused). */
function counterRecording(dir: string, n: number): number {
  if (existsSync(join(dir, 'log'))) return 0;
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'record', '--syscalls', 'write', '--out', dir, '--', COUNTER, String(n - 3)], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`recording counter ${n} failed: ${r.stderr.toString().slice(-500)}`);
  return (performance.now() - t) / 1000;
}

export async function benchRealScale(quick: boolean, log: (s: string) => void): Promise<Record<string, number>> {
  const keep = process.env.DELOREAN_BENCH_REAL;
  const tmp = keep ? null : mkdtempSync(join(tmpdir(), 'delorean-bench-real-'));
  const base = keep ?? tmp!;
  mkdirSync(base, { recursive: true });
  const out: Record<string, number> = {};
  try {
    for (const n of quick ? [100_000] : [300_000, 1_000_000]) {
      const tag = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
      const dir = join(base, `counter-${tag}.dlr`);
      log(`real-scale: counter at every write, ${n} checkpoints${keep ? ` (kept in ${base})` : ''} ...`);
      const recordS = counterRecording(dir, n);
      if (recordS > 0) out[`real_${tag}_record_s`] = +recordS.toFixed(1);
      const opens: number[] = [];
      const infos: number[] = [];
      const infoCpu: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const c = process.cpuUsage();
        const r = await openRecording(dir, { readOnly: true });
        opens.push(performance.now() - t);
        recordingInfo(r);
        infos.push(performance.now() - t);
        infoCpu.push(cpuMs(c));
        if (i === 0) out[`real_${tag}_checkpoints`] = r.checkpointCount;
        r.close();
      }
      out[`real_${tag}_open_ms`] = +median(opens).toFixed(1);
      out[`real_${tag}_info_ms`] = +median(infos).toFixed(1);
      out[`real_${tag}_info_cpu_ms`] = +median(infoCpu).toFixed(1);
      const cli: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const r = spawnSync(process.execPath, [BIN, 'info', dir], { stdio: 'ignore' });
        if (r.status !== 0) throw new Error(`delorean info ${dir} exited ${r.status}`);
        cli.push(performance.now() - t);
      }
      out[`real_${tag}_info_cli_ms`] = Math.round(median(cli));

      const service = new DeloreanService({ face: 'bridge', configDir: join(base, `config-${tag}`), recordingsDir: base });
      try {
        const s = await service.openRecording({ path: dir });
        const rand = prng(n);
        const times: number[] = [];
        const cpu: number[] = [];
        let bytes = 0;
        for (let i = 0; i < 200; i++) {
          const k = Math.floor(rand() * s.checkpointCount);
          const t = performance.now();
          const c = process.cpuUsage();
          const snap = await service.terminal({ rec: s.rec, k });
          times.push(performance.now() - t);
          cpu.push(cpuMs(c));
          bytes = Math.max(bytes, Buffer.byteLength(JSON.stringify(snap)));
        }
        out[`real_${tag}_output_median_ms`] = +median(times).toFixed(2);
        out[`real_${tag}_output_max_ms`] = +Math.max(...times).toFixed(2);
        out[`real_${tag}_output_cpu_median_ms`] = +median(cpu).toFixed(2);
        out[`real_${tag}_output_bytes`] = bytes;
      } finally {
        await service.dispose();
      }
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
