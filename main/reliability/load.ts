/**
 * The load run of the long suite (bench/reliability.ts): a long recording at a high checkpoint
 * rate, made and followed live the way the app does it, measuring:
 *
 * - memory: `delorean serve` is DeLorean's main process (the same service as the desktop
 *   app's main process; the ingest worker is a thread of it). Its resident memory and the
 *   recorder's are sampled over the run: start, peak (VmHWM), end, and the slope over the
 *   last half (MiB per minute, least squares), plus what the growth is per checkpoint;
 * - responsiveness: a WebSocket client of the bridge (what the renderer is in browser mode)
 *   starts the recording and follows it as the renderer's session store does: re-open the
 *   growing recording (openRecording refreshes it), then ask for the whole timeline, the
 *   newest checkpoint and a read of `ticks` at it, every `followEveryMs`. The latency of each
 *   request (sent to answered, so the event loop of DeLorean's main thread is in it) is kept.
 *
 * The recorded program is `spin` (a busy loop; `ticks` only grows), recorded with --interval;
 * after the run the recording is opened and `ticks` is checked to never go back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openRecording } from '../store/reader.js';
import { PROGRAMS, ROOT } from '../testing/cli.js';
import { intAt, peakRss, recorderOf, rss, sleep } from './support.js';

export interface LoadOptions {
  /** Scratch directory: the recording, the service's config and data directories. */
  dir: string;
  seconds: number;
  /** The interval trigger (default 1ms). */
  interval?: string;
  /** How often the client follows the live recording (default 250 ms). */
  followEveryMs?: number;
  /** How often memory is sampled (default: 60 samples over the run, 1 to 10 s apart). */
  sampleEveryMs?: number;
  log?: (line: string) => void;
}

export interface MemorySample {
  atS: number;
  checkpoints: number;
  mainRssMiB: number;
  recorderRssMiB: number;
}

export interface Latency {
  n: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export interface MemoryFigures {
  startMiB: number;
  peakMiB: number;
  endMiB: number;
  /** Least-squares slope of the samples of the last half of the run. */
  lastHalfSlopeMiBPerMin: number;
  /** Growth from the first to the last sample, per checkpoint recorded in between. */
  growthBytesPerCheckpoint: number;
}

export interface LoadResult {
  seconds: number;
  interval: string;
  checkpoints: number;
  checkpointsPerS: number;
  storedMiB: number;
  rawMiB: number;
  main: MemoryFigures;
  recorder: MemoryFigures;
  /** Per request of the live follow: openRecording (refresh), timeline (whole range, 1000 buckets), checkpoint and readMemory at the newest checkpoint. */
  latency: Record<'openRecording' | 'timeline' | 'checkpoint' | 'readMemory', Latency>;
  /** Follow rounds whose requests failed (an error reply): should be 0. */
  followErrors: string[];
  verifiedSampled: number;
  samples: MemorySample[];
}

const MiB = 2 ** 20;
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** A client of the bridge's WebSocket API, as the renderer is. */
class BridgeClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private readonly listeners = new Map<string, Array<(payload: unknown) => void>>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as { id?: number | null; result?: unknown; error?: { message: string }; event?: string; payload?: unknown };
      if (m.event) {
        for (const l of this.listeners.get(m.event) ?? []) l(m.payload);
        return;
      }
      const w = m.id != null ? this.waiting.get(m.id) : undefined;
      if (!w) return;
      this.waiting.delete(m.id!);
      if (m.error) w.fail(new Error(m.error.message));
      else w.ok(m.result);
    });
    ws.on('close', () => {
      for (const w of this.waiting.values()) w.fail(new Error('the bridge closed the connection'));
      this.waiting.clear();
    });
  }

  static async connect(url: string): Promise<BridgeClient> {
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/api?token=${u.searchParams.get('token')}`, { origin: u.origin });
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    return new BridgeClient(ws);
  }

  call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  on(event: string, listener: (payload: unknown) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** `delorean serve` started as a user would, with its config and data in `dir`; resolves with its URL. */
async function startServe(dir: string): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  mkdirSync(join(dir, 'config'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const proc = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'serve'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
  });
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)/.exec(stdout);
      if (m) ok(m[1]!);
    });
    proc.on('exit', (code) => fail(new Error(`delorean serve exited ${code} before serving: ${stderr.slice(-2000)}`)));
  });
  return { proc, url, stderr: () => stderr };
}

export function latencyOf(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : 0);
  return { n: s.length, medianMs: round2(at(0.5)), p95Ms: round2(at(0.95)), maxMs: round2(s[s.length - 1] ?? 0) };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

export function memoryFigures(samples: MemorySample[], peakBytes: number, pick: (s: MemorySample) => number): MemoryFigures {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return { startMiB: 0, peakMiB: round1(peakBytes / MiB), endMiB: 0, lastHalfSlopeMiBPerMin: 0, growthBytesPerCheckpoint: 0 };
  const half = samples.filter((s) => s.atS >= last.atS / 2);
  const grown = (pick(last) - pick(first)) * MiB;
  const cps = last.checkpoints - first.checkpoints;
  return {
    startMiB: pick(first),
    peakMiB: round1(Math.max(peakBytes / MiB, ...samples.map(pick))),
    endMiB: pick(last),
    lastHalfSlopeMiBPerMin: round2(
      slope(
        half.map((s) => s.atS / 60),
        half.map(pick),
      ),
    ),
    growthBytesPerCheckpoint: cps > 0 ? Math.round(grown / cps) : 0,
  };
}

export async function loadRun(opts: LoadOptions): Promise<LoadResult> {
  const { dir, seconds } = opts;
  const interval = opts.interval ?? '1ms';
  const followEvery = opts.followEveryMs ?? 250;
  const sampleEvery = opts.sampleEveryMs ?? Math.max(1000, Math.min(10_000, (seconds * 1000) / 60));
  const log = opts.log ?? ((): void => undefined);
  const out = join(dir, 'load.dlr');
  const serve = await startServe(dir);
  const main = serve.proc.pid!;
  const client = await BridgeClient.connect(serve.url);
  try {
    let ended: { summary: { checkpoints: number; rawBytes: number; storedBytes: number } | null; error: string | null } | null = null;
    client.on('onRecordingEnded', (p) => (ended = p as typeof ended));
    const t0 = Date.now();
    await client.call('startRecording', { program: join(PROGRAMS, 'spin'), args: [String(seconds * 1000)], out, interval, cols: 80, rows: 24 });

    // The memory sampler runs on its own clock, beside the follow loop.
    const samples: MemorySample[] = [];
    let checkpoints = 0;
    let recorder: number | undefined;
    let peakMain = 0;
    let peakRecorder = 0;
    let lastLog = 0;
    const sample = (): void => {
      recorder ??= recorderOf(main);
      peakMain = Math.max(peakMain, peakRss(main));
      if (recorder) peakRecorder = Math.max(peakRecorder, peakRss(recorder));
      const s: MemorySample = { atS: round1((Date.now() - t0) / 1000), checkpoints, mainRssMiB: round1(rss(main) / MiB), recorderRssMiB: recorder ? round1(rss(recorder) / MiB) : 0 };
      if (s.mainRssMiB > 0 && s.recorderRssMiB > 0 && checkpoints > 0) samples.push(s);
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        log(`  load: ${s.atS} s, ${s.checkpoints} checkpoints, DeLorean ${s.mainRssMiB} MiB, recorder ${s.recorderRssMiB} MiB`);
      }
    };
    const sampler = setInterval(sample, sampleEvery);

    // The live follow, as the renderer does it; one round at a time.
    const times: Record<keyof LoadResult['latency'], number[]> = { openRecording: [], timeline: [], checkpoint: [], readMemory: [] };
    const followErrors: string[] = [];
    const timed = async <T>(what: keyof LoadResult['latency'], method: string, params: Record<string, unknown>): Promise<T> => {
      const t = performance.now();
      const r = await client.call<T>(method, params);
      times[what].push(performance.now() - t);
      return r;
    };
    let ticksAddr: string | null = null;
    while (!ended) {
      const roundStart = Date.now();
      try {
        const summary = await timed<{ rec: string; checkpointCount: number }>('openRecording', 'openRecording', { path: out });
        checkpoints = summary.checkpointCount;
        if (checkpoints > 0) {
          const { rec } = summary;
          const newest = checkpoints - 1;
          await timed('timeline', 'timeline', { rec, from: 0, to: checkpoints, buckets: 1000 });
          await timed('checkpoint', 'checkpoint', { rec, k: newest });
          ticksAddr ??= (await client.call<{ addr: string }>('resolve', { rec, k: newest, expr: 'ticks' })).addr;
          await timed('readMemory', 'readMemory', { rec, k: newest, addr: ticksAddr, len: 8 });
        }
      } catch (e) {
        // Before the recorder's hello the recording has no metadata yet: not an error of the follow.
        if (!ended && checkpoints > 0) followErrors.push((e as Error).message);
        if (followErrors.length > 100) break;
      }
      await sleep(Math.max(0, followEvery - (Date.now() - roundStart)));
    }
    clearInterval(sampler);
    const end = ended as { summary: { checkpoints: number; rawBytes: number; storedBytes: number } | null; error: string | null } | null;
    if (!end?.summary) throw new Error(`the load recording failed: ${end?.error ?? followErrors.slice(-3).join('; ')}\n${serve.stderr().slice(-2000)}`);
    const durationS = (Date.now() - t0) / 1000;

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
    return {
      seconds,
      interval,
      checkpoints: end.summary.checkpoints,
      checkpointsPerS: Math.round(end.summary.checkpoints / durationS),
      storedMiB: round1(end.summary.storedBytes / MiB),
      rawMiB: round1(end.summary.rawBytes / MiB),
      main: memoryFigures(samples, peakMain, (s) => s.mainRssMiB),
      recorder: memoryFigures(samples, peakRecorder, (s) => s.recorderRssMiB),
      latency: { openRecording: latencyOf(times.openRecording), timeline: latencyOf(times.timeline), checkpoint: latencyOf(times.checkpoint), readMemory: latencyOf(times.readMemory) },
      followErrors: followErrors.slice(0, 20),
      verifiedSampled: verified,
      samples,
    };
  } finally {
    client.close();
    serve.proc.kill('SIGINT');
    await new Promise((ok) => (serve.proc.exitCode !== null || serve.proc.signalCode !== null ? ok(null) : serve.proc.once('exit', ok)));
  }
}
