/**
 * Store benchmarks (not tests: no assertions, figures on stdout as JSON lines). Ingest of the
 * heap_words workload is in `npm run bench` (bench/recording.ts, benchIngest). Run with
 *   node --import tsx main/store/bench.ts [ingest|synthetic N|open DIR|pageat DIR] ...
 *
 *   ingest        MB/s of raw pages through RecordingWriter.ingest (messages generated
 *                 beforehand, only ingest timed): a 4096-page heap, 64 words changed per
 *                 checkpoint, plus the full first checkpoint.
 *   synthetic N   writes an N-checkpoint synthetic recording (default options) into a temp dir
 *                 and reports time, stats and reduction (index included), then open and pageAt.
 *   open DIR      open time of an existing recording, with its snapshot and without.
 *   pageat DIR    median/p90 pageAt time at random checkpoints and pages, cold reader.
 */
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WireMessage } from '../../shared/protocol/wire.js';
import { INDEX_FILE } from './format.js';
import { openRecording } from './reader.js';
import { SyntheticProgram, writeSyntheticRecording } from './synthetic.js';
import { RecordingWriter } from './writer.js';
import { prng } from '../testing/prng.js';

const print = (o: object): void => console.log(JSON.stringify(o));

async function ingest(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dlr-bench-'));
  try {
    const prog = new SyntheticProgram({ checkpoints: 0, heapPages: 4096, wordsPerCheckpoint: 64, seed: 11 });
    const w = await RecordingWriter.create(join(dir, 'r.dlr'));
    w.ingest(prog.hello());
    let timed = 0;
    let bytes = 0;
    for (let k = 0; k < 3000; ) {
      const batch: WireMessage[] = [];
      for (const end = k + 100; k < end; k++) batch.push(...prog.checkpoint(k));
      for (const m of batch) if (m.type === 4) bytes += m.data.length;
      const t = performance.now();
      for (const m of batch) w.ingest(m);
      w.flush();
      timed += performance.now() - t;
    }
    w.close();
    print({ bench: 'ingest', rawMB: bytes / 1e6, seconds: timed / 1000, mbPerSecond: bytes / 1e6 / (timed / 1000), stats: w.stats });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openTimes(dir: string): Promise<void> {
  const time = async (): Promise<{ ms: number; count: number; snapshot: boolean }> => {
    const t = performance.now();
    const r = await openRecording(dir, { readOnly: true });
    const ms = performance.now() - t;
    const count = r.checkpointCount;
    const snapshot = (r as { snapshotUsed?: boolean }).snapshotUsed === true;
    r.close();
    return { ms, count, snapshot };
  };
  const runs = [await time(), await time(), await time()].sort((a, b) => a.ms - b.ms);
  print({ bench: 'open', dir, ...runs[1]! });
  const idx = join(dir, INDEX_FILE);
  renameSync(idx, idx + '.away');
  try {
    print({ bench: 'open-full-scan', dir, ...(await time()) });
  } finally {
    renameSync(idx + '.away', idx);
  }
}

async function pageAt(dir: string): Promise<void> {
  const r = await openRecording(dir, { readOnly: true });
  const n = r.checkpointCount;
  const maps = r.mapsAt(n - 1).filter((m) => m.perms.startsWith('r'));
  const pages: bigint[] = [];
  for (const m of maps) for (let a = m.start; a < m.end; a += 4096n) pages.push(a);
  const rand = prng(99);
  const times: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const k = Math.floor(rand() * n);
    const a = pages[Math.floor(rand() * pages.length)]!;
    const t = performance.now();
    r.pageAt(k, a);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  print({ bench: 'pageAt', dir, checkpoints: n, medianUs: times[2500]! * 1000, p90Us: times[4500]! * 1000, p99Us: times[4950]! * 1000 });
  r.close();
}

async function synthetic(n: number, keep: string | undefined): Promise<void> {
  const parent = keep ?? mkdtempSync(join(tmpdir(), 'dlr-bench-'));
  const dir = join(parent, `syn-${n}.dlr`);
  try {
    const res = await writeSyntheticRecording(dir, { checkpoints: n });
    const files = Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size]));
    print({ bench: 'synthetic', checkpoints: n, seconds: res.elapsedMs / 1000, stats: res.stats, reduction: 1 - res.stats.storedBytes / res.stats.rawBytes, files });
    await openTimes(dir);
    await pageAt(dir);
  } finally {
    if (!keep) rmSync(parent, { recursive: true, force: true });
  }
}

const [what, arg, arg2] = process.argv.slice(2);
if (what === 'ingest') await ingest();
else if (what === 'synthetic') await synthetic(Number(arg ?? 100000), arg2);
else if (what === 'open' && arg) await openTimes(arg);
else if (what === 'pageat' && arg) await pageAt(arg);
else console.error('usage: bench.ts ingest | synthetic N [KEEP_DIR] | open DIR | pageat DIR');
