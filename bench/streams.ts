/**
 * Ingest on real programs' streams: capture the recorder's wire stream of a run to a file (the
 * recorder's --wire-file, no DeLorean on the other end), then replay it through the same path
 * the ingest worker takes (main/recorder/ingest-worker.ts: 64 KiB socket-sized chunks into its
 * StreamAssembler, each message into RecordingWriter.ingest with deferred writes, a flush every
 * ~100 ms of work) and report MB/s of raw pages. Only decode + ingest + flush are timed, not
 * reading the file.
 *
 *   node --import tsx bench/streams.ts capture DIR [--quick]   python, sqlite, gzip at 1 ms, heap_words K=16 at each write
 *   node --import tsx bench/streams.ts replay FILE... [--cpu-prof] [--keep DIR]
 *
 * Capturing costs the run under the bare recorder plus a file of the stream's size (GBs for the
 * 1 ms workloads), so bench/recording.ts does not capture inside a bench run: replayStream() is
 * what an `ingest_<program>_MBps` figure would call on a stream captured beforehand.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType } from '../shared/protocol/wire.js';
import { StreamAssembler } from '../main/recorder/stream-assembler.js';
import { RecordingWriter } from '../main/store/writer.js';
import type { RecordingStats } from '../shared/model/recording.js';
import { prepareBatch, SIZES } from './workloads/batch.js';
import { HEAP_WORDS, RECORDER } from './recording.js';

/** Node reads a Unix socket 64 KiB at a time: the decoder sees the same chunking. */
const CHUNK = 64 * 1024;

export interface ReplayResult {
  file: string;
  checkpoints: number;
  rawMB: number;
  /** Decode + ingest + the synchronous part of the flushes (the fsyncs run on libuv's threads, as in the worker). */
  seconds: number;
  /** close(): final flush and index snapshot, once per recording (not in MBps). */
  closeSeconds: number;
  MBps: number;
  /**
   * CPU time of the process over the replay (GC and libuv threads included) less that of
   * reading the file, and MB/s by it: steadier than wall time on a machine shared with other
   * work, and what "one core" means.
   */
  cpuSeconds: number;
  MBpsCpu: number;
  reduction: number;
  stats: RecordingStats;
}

/** Replays a captured stream into a fresh recording under `keepDir` (or a temp dir, removed). */
export async function replayStream(file: string, keepDir?: string): Promise<ReplayResult> {
  const parent = keepDir ?? mkdtempSync(join(tmpdir(), 'delorean-replay-'));
  if (keepDir) mkdirSync(keepDir, { recursive: true });
  const out = join(parent, `${file.split('/').pop()}.dlr`);
  rmSync(out, { recursive: true, force: true });
  const fd = openSync(file, 'r');
  try {
    // CPU time of reading the file alone (and warming the page cache), to subtract below.
    const readStart = process.cpuUsage();
    for (let pos = 0; ; ) {
      const n = readSync(fd, Buffer.allocUnsafe(CHUNK), 0, CHUNK, pos);
      if (n === 0) break;
      pos += n;
    }
    const readCpu = cpuSeconds(process.cpuUsage(readStart));
    const w = await RecordingWriter.create(out, { deferWrites: true });
    const cpuStart = process.cpuUsage();
    const decoder = new StreamAssembler();
    let timed = 0;
    let sinceFlush = 0;
    let checkpoints = 0;
    let flushing: Promise<void> | null = null; // one at a time, never awaited by ingest (as the worker)
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK); // a fresh buffer per read, as a socket hands out
      const n = readSync(fd, chunk, 0, CHUNK, null); // from 0: the pass above used explicit positions
      if (n === 0) break;
      const t = performance.now();
      decoder.push(chunk.subarray(0, n));
      for (let m = decoder.next(); m; m = decoder.next()) {
        if (m.type === MessageType.CheckpointEnd) checkpoints++;
        w.ingest(m);
      }
      if (sinceFlush >= 100 && !flushing) {
        flushing = w.flushAsync().finally(() => (flushing = null));
        sinceFlush = 0;
      }
      const dt = performance.now() - t;
      sinceFlush += dt;
      timed += dt;
      if (flushing) await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop: fsync callbacks
    }
    await flushing;
    const cpu = cpuSeconds(process.cpuUsage(cpuStart)) - readCpu;
    const t = performance.now();
    w.close();
    const closeMs = performance.now() - t;
    const s = w.stats;
    return { file, checkpoints, rawMB: s.rawBytes / 1e6, seconds: timed / 1000, closeSeconds: closeMs / 1000, MBps: s.rawBytes / 1e6 / (timed / 1000), cpuSeconds: cpu, MBpsCpu: s.rawBytes / 1e6 / cpu, reduction: 1 - s.storedBytes / s.rawBytes, stats: s };
  } finally {
    closeSync(fd);
    if (!keepDir) rmSync(parent, { recursive: true, force: true });
  }
}

/** Records each workload with the bare recorder into DIR/NAME.wire. */
export function captureStreams(dir: string, quick: boolean): Array<{ name: string; MB: number; seconds: number }> {
  mkdirSync(dir, { recursive: true });
  const work = join(dir, 'inputs');
  mkdirSync(work, { recursive: true });
  const runs: Array<{ name: string; args: string[]; cwd: string }> = [];
  for (const b of prepareBatch(work, quick ? SIZES.quick : SIZES.full)) {
    b.reset();
    runs.push({ name: b.name, args: ['--interval', '1ms', '--', b.program, ...b.args], cwd: b.cwd });
  }
  spawnSync('make', ['-s', '-C', 'native-recorder', 'build/bench/heap_words'], { stdio: 'inherit' });
  runs.push({ name: 'heap_words_k16', args: ['--syscalls', 'write', '--', HEAP_WORDS, '256', '16', quick ? '10000' : '40000'], cwd: work });
  const done: Array<{ name: string; MB: number; seconds: number }> = [];
  for (const r of runs) {
    const file = join(dir, `${r.name}.wire`);
    const t = performance.now();
    const res = spawnSync(RECORDER, ['--wire-file', file, ...r.args], { cwd: r.cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    if (res.status !== 0) throw new Error(`recording ${r.name} failed: status ${res.status}`);
    done.push({ name: r.name, MB: statSync(file).size / 1e6, seconds: (performance.now() - t) / 1000 });
  }
  return done;
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

const print = (o: object): void => console.log(JSON.stringify(o));

if (process.argv[1]?.endsWith('streams.ts') || process.argv[1]?.endsWith('streams.js')) {
  const [what, ...rest] = process.argv.slice(2);
  const flags = rest.filter((a) => a.startsWith('--'));
  const args = rest.filter((a) => !a.startsWith('--'));
  if (what === 'capture' && args[0]) {
    for (const c of captureStreams(args[0], flags.includes('--quick'))) print(c);
  } else if (what === 'replay' && args.length) {
    const keep = rest.includes('--keep') ? rest[rest.indexOf('--keep') + 1] : undefined;
    for (const f of args.filter((a) => a !== keep)) {
      const r = await replayStream(f, keep);
      print({ file: r.file, checkpoints: r.checkpoints, rawMB: +r.rawMB.toFixed(1), seconds: +r.seconds.toFixed(2), closeSeconds: +r.closeSeconds.toFixed(2), MBps: +r.MBps.toFixed(1), cpuSeconds: +r.cpuSeconds.toFixed(2), MBpsCpu: +r.MBpsCpu.toFixed(1), reduction: +r.reduction.toFixed(4), stats: r.stats });
    }
  } else {
    console.error('usage: streams.ts capture DIR [--quick] | replay FILE... [--keep DIR]');
    process.exit(2);
  }
}
