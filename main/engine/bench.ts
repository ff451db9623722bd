/**
 * Query benchmarks on synthetic recordings (main/store/synthetic.ts: a fake program whose
 * counter page changes at every checkpoint, and W random heap words per checkpoint spread over
 * P heap pages), for `npm run bench` and for running by hand:
 *
 *   npx tsx main/engine/bench.ts [CHECKPOINTS] [--keep DIR]
 *
 * What is measured (each a function a bench runner can call on an open Engine):
 *   bisect        first checkpoint where the counter reaches 70% of the run (monotone): ~log2 N probes
 *   bisectFull    the same search with a full rollback per probe (rebuild every mapped page at the
 *                 probe's checkpoint, as a debugger restoring whole snapshots would): the baseline
 *   findSparse    exact search on one heap word, never true: walks that page's versions only
 *   findDense     exact search on the counter, true at 90%: that page changes at every checkpoint,
 *                 so this is the worst case (one evaluation per checkpoint)
 *   findLinear    the heap-word search done by evaluating at every checkpoint (no version
 *                 lists): what exact search saves
 *   changes       every change of one heap word over the whole recording
 *   read          the median of random reads of 64 bytes at random checkpoints (cold-ish: the decode
 *                 cache is small next to the recording)
 *   diff          two checkpoints N/2 apart (only pages with versions in between are compared)
 * Figures are wall times on this machine; the machine is noisy, so treat them as orders of magnitude.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { SYN, writeSyntheticRecording } from '../store/synthetic.js';
import { Engine } from './engine.js';

export interface BenchRow {
  readonly name: string;
  readonly ms: number;
  /** Work done: probes, evaluations, changes, reads... */
  readonly detail: string;
}

export interface EngineBenchResult {
  readonly checkpoints: number;
  readonly generateMs: number;
  readonly openMs: number;
  readonly rows: readonly BenchRow[];
}

const COUNTER = SYN.data; // u64 = checkpoint index
const HEAP_WORD = SYN.heap + 0x2000n + 8n * 17n; // some heap word (changes now and then)

async function timed<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

export async function benchBisect(engine: Engine): Promise<BenchRow> {
  const n = engine.checkpointCount;
  const target = Math.floor(n * 0.7);
  const [r, ms] = await timed(() => engine.bisect(`u64(${COUNTER}) >= ${target}`));
  if (r.checkpoint !== target) throw new Error(`bisect found ${r.checkpoint}, expected ${target}`);
  return { name: 'bisect', ms, detail: `${r.probes} probes, ${(ms / r.probes).toFixed(3)} ms/probe` };
}

/** Bisect where each probe first rebuilds every page of every readable mapping at that checkpoint. */
export async function benchBisectFullRollback(engine: Engine): Promise<BenchRow> {
  const reader = engine.reader;
  const n = engine.checkpointCount;
  const target = Math.floor(n * 0.7);
  let pages = 0;
  const [found, ms] = await timed(() => {
    let lo = 0;
    let hi = n - 1;
    let result: number | null = null;
    let probes = 0;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      probes++;
      const image = new Map<bigint, Uint8Array>();
      for (const m of reader.mapsAt(mid)) {
        if (m.perms[0] !== 'r') continue;
        for (let p = m.start; p < m.end; p += 4096n) image.set(p, reader.pageAt(mid, p));
      }
      pages += image.size;
      const page = image.get(COUNTER)!;
      const v = new DataView(page.buffer, page.byteOffset, 8).getBigUint64(0, true);
      if (v >= BigInt(target)) {
        result = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return { result, probes };
  });
  if (found.result !== target) throw new Error(`full-rollback bisect found ${found.result}, expected ${target}`);
  return { name: 'bisect (full rollback baseline)', ms, detail: `${found.probes} probes, ${pages / found.probes} pages rebuilt per probe, ${(ms / found.probes).toFixed(3)} ms/probe` };
}

export async function benchFindSparse(engine: Engine): Promise<BenchRow> {
  const [r, ms] = await timed(() => engine.find(`u64(${HEAP_WORD}) == 0xfeedfacecafebeef`, {}));
  if (r.checkpoint !== null) throw new Error('findSparse found something');
  return { name: 'find (exact, one heap word, never true)', ms, detail: `${r.evaluations} evaluations of ${engine.checkpointCount} checkpoints` };
}

export async function benchFindDense(engine: Engine): Promise<BenchRow> {
  const target = Math.floor(engine.checkpointCount * 0.9);
  const [r, ms] = await timed(() => engine.find(`u64(${COUNTER}) == ${target}`, {}));
  if (r.checkpoint !== target) throw new Error(`findDense found ${r.checkpoint}, expected ${target}`);
  return { name: 'find (exact, counter changing every checkpoint)', ms, detail: `${r.evaluations} evaluations, ${((ms * 1000) / r.evaluations).toFixed(1)} us/evaluation` };
}

/** The sparse search by evaluating at every checkpoint in [0, limit): the no-version-lists baseline. */
export async function benchFindLinear(engine: Engine, limit = engine.checkpointCount): Promise<BenchRow> {
  const pred = engine.prepare(`u64(${HEAP_WORD}) == 0xfeedfacecafebeef`);
  const n = Math.min(limit, engine.checkpointCount);
  const [, ms] = await timed(() => {
    for (let k = 0; k < n; k++) engine.evaluate(pred, k);
  });
  const scaled = (ms * engine.checkpointCount) / n;
  return { name: 'find (linear scan baseline, same heap word)', ms: scaled, detail: `${n} evaluations${n < engine.checkpointCount ? ` (extrapolated from ${n})` : ''}, ${((ms * 1000) / n).toFixed(1)} us/evaluation` };
}

export async function benchChanges(engine: Engine): Promise<BenchRow> {
  const [r, ms] = await timed(() => engine.changes(HEAP_WORD, 8, {}));
  return { name: 'changes (one heap word, whole recording)', ms, detail: `${r.changes.length} changes` };
}

/** The median of random reads (the machine is shared: a median, with the mean and p90 in the detail). */
export async function benchRead(engine: Engine, reads = 2000): Promise<BenchRow> {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const n = engine.checkpointCount;
  const times: number[] = [];
  for (let i = 0; i < reads; i++) {
    const k = rand(n);
    const addr = SYN.heap + BigInt(rand(256 * 4096 - 64));
    const t0 = performance.now();
    engine.read(k, addr, 64);
    times.push(performance.now() - t0);
  }
  const mean = times.reduce((a, b) => a + b, 0) / reads;
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(reads - 1, Math.floor(q * reads))]!;
  return { name: 'read median (64 bytes, random checkpoint and heap address)', ms: at(0.5), detail: `per read, ${reads} reads: mean ${(mean * 1000).toFixed(1)} us, p90 ${(at(0.9) * 1000).toFixed(1)} us` };
}

export async function benchDiff(engine: Engine): Promise<BenchRow> {
  const n = engine.checkpointCount;
  const [r, ms] = await timed(() => engine.diff(Math.floor(n / 4), Math.floor((3 * n) / 4)));
  return { name: 'diff (N/2 checkpoints apart)', ms, detail: `${r.totalPages} pages differ` };
}

/** Generates (or reuses, with keepDir) an N-checkpoint synthetic recording and runs every query benchmark on it. */
export async function benchEngine(checkpoints: number, opts: { keepDir?: string; log?: (line: string) => void } = {}): Promise<EngineBenchResult> {
  const log = opts.log ?? (() => {});
  const tmp = opts.keepDir ? null : mkdtempSync(join(tmpdir(), 'delorean-engine-bench-'));
  const dir = opts.keepDir ?? join(tmp!, 'synthetic.dlr');
  let generateMs = 0;
  try {
    // A kept recording's first open is the timed one (opening it twice would hold two indexes,
    // 1.5 GB each at 10M, and slow the second open down by seconds).
    let kept: [RecordingReader, number] | null = null;
    try {
      kept = await timed(() => openRecording(dir, { readOnly: true }));
    } catch {
      log(`generating ${checkpoints} synthetic checkpoints in ${dir} ...`);
      generateMs = (await writeSyntheticRecording(dir, { checkpoints })).elapsedMs;
      log(`  ${(generateMs / 1000).toFixed(1)} s`);
    }
    if (kept) {
      if (kept[0].checkpointCount !== checkpoints) {
        kept[0].close();
        throw new Error(`kept recording has ${kept[0].checkpointCount} checkpoints, not ${checkpoints}`);
      }
      log(`reusing ${dir}`);
    }
    const [opened, openMs] = kept ?? (await timed(() => openRecording(dir, { readOnly: true })));
    const engine = new Engine(opened);
    const rows: BenchRow[] = [];
    for (const f of [benchBisect, benchBisectFullRollback, benchFindSparse, benchFindLinear, benchFindDense, benchChanges, benchRead, benchDiff]) {
      const row = f === benchFindLinear ? await benchFindLinear(engine, Math.min(checkpoints, 100_000)) : await f(engine);
      log(`  ${row.name.padEnd(52)} ${row.ms.toFixed(3).padStart(12)} ms   ${row.detail}`);
      rows.push(row);
    }
    engine.close();
    opened.close();
    return { checkpoints, generateMs, openMs, rows };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 100_000);
  const keep = process.argv.indexOf('--keep');
  const result = await benchEngine(n, { ...(keep > 0 && process.argv[keep + 1] ? { keepDir: process.argv[keep + 1]! } : {}), log: (l) => console.log(l) });
  console.log(`opened in ${result.openMs.toFixed(1)} ms`);
}
