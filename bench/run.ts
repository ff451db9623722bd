/**
 * `npm run bench [-- --quick]`: every benchmark in one run, written to
 * bench/results/DATE.json and DATE.md, and printed. Speed and memory targets live here, as
 * ratios measured side by side, never as timed assertions in tests.
 *
 * Sections: recording (real recorder on heap_words), store and queries on synthetic
 * recordings written through the real writer (1M checkpoints; 100k with --quick);
 * names (bench/names.ts: debug info load, resolution, searches by name vs typed reads);
 * real-scale (bench/real-scale.ts: info, open and the output query on real CLI recordings);
 * real-programs, when-did-it-go-bad and storage (bench/peers.ts: Debian programs and gdb);
 * behave (bench/behave.ts: the behaviour programs, every mode, five rounds);
 * reliability (bench/reliability.ts, the long suite: full runs or --only=reliability);
 * ingest, when DELOREAN_BENCH_STREAMS names a folder of streams captured by bench/streams.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchEngine } from '../main/engine/bench.js';
import { benchRealPrograms, benchStorage, benchWhenDidItGoBad, PeerRecordings } from './peers.js';
import { benchBehave } from './behave.js';
import { benchNames } from './names.js';
import { benchRealScale } from './real-scale.js';
import { benchRecording } from './recording.js';
import { reliabilityFigures, runLongReliability } from './reliability.js';
import { replayStream } from './streams.js';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
/** A section runs in a full pass, or when --only names it (a comma-separated list). */
const wants = (name: string): boolean => !only || only.split(',').includes(name);

interface Section {
  name: string;
  figures: Record<string, number | string | null>;
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  node: process.version,
};

async function main(): Promise<void> {
  const sections: Section[] = [];
  const log = (s: string): void => void process.stderr.write(s + '\n');

  if (wants('recording')) {
    log('recording: heap_words (256 MiB heap) plain vs recorded ...');
    sections.push({ name: 'recording', figures: await benchRecording(quick) });
  }

  if (wants('queries')) {
    // 10M as well when DELOREAN_BENCH_10M names a directory (bench/recording.ts's benchScale
    // convention): the synthetic recording kept there serves both sections. Also with --quick,
    // since a kept recording costs only the queries.
    const keep10m = process.env.DELOREAN_BENCH_10M;
    const scales: Array<{ n: number; keepDir?: string }> = [{ n: quick ? 100_000 : 1_000_000 }];
    if (keep10m) scales.push({ n: 10_000_000, keepDir: keep10m });
    for (const { n, keepDir } of scales) {
      log(`queries: synthetic recording of ${n} checkpoints${keepDir ? ` (kept in ${keepDir})` : ''} ...`);
      const r = await benchEngine(n, { log, ...(keepDir ? { keepDir } : {}) });
      const figures: Record<string, number | string> = {
        checkpoints: r.checkpoints,
        // A reused recording was not generated in this run: no ingest figures.
        ...(r.generateMs > 0 ? { generate_ms: Math.round(r.generateMs), ingest_checkpoints_per_s: Math.round((r.checkpoints * 1000) / r.generateMs) } : {}),
        open_ms: +r.openMs.toFixed(1),
      };
      for (const row of r.rows) figures[`${row.name} ms`] = +row.ms.toFixed(3);
      sections.push({ name: `queries_${n}`, figures });
    }
  }

  if (wants('names')) {
    log('names: SQLite debug info load and resolution, searches with names vs typed reads ...');
    sections.push({ name: 'names', figures: await benchNames(quick) });
  }

  if (wants('real-scale')) {
    sections.push({ name: 'real-scale', figures: await benchRealScale(quick, log) });
  }

  if (wants('timeline')) {
    // The renderer benchmark lives with the browser tests (e2e/, TypeScript run by tsx).
    log('timeline: the renderer in Chromium at 1M and 10M checkpoints ...');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'e2e/bench-timeline.ts', '1000000', '10000000'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status === 0) {
      const { figures } = JSON.parse(readFileSync('e2e/artifacts/bench-timeline.json', 'utf8')) as { figures: Array<{ checkpoints: number; openToFirstPaintMs: number; frameMs: { median: number; p95: number }; drawMs: { median: number } }> };
      const out: Record<string, number> = {};
      for (const f of figures) {
        out[`${f.checkpoints} open_to_first_paint_ms`] = Math.round(f.openToFirstPaintMs);
        out[`${f.checkpoints} frame_median_ms`] = +f.frameMs.median.toFixed(1);
        out[`${f.checkpoints} frame_p95_ms`] = +f.frameMs.p95.toFixed(1);
        out[`${f.checkpoints} draw_median_ms`] = +f.drawMs.median.toFixed(2);
      }
      sections.push({ name: 'timeline', figures: out });
    } else {
      sections.push({ name: 'timeline', figures: { error: `e2e/bench-timeline.ts exited ${r.status}` } });
    }
  }

  // Real programs, "when did it go bad" against gdb, and storage layers (bench/peers.ts); the
  // storage section describes the recordings the other two made (--only=real-programs,storage
  // records each program once).
  const peers = new PeerRecordings();
  try {
    if (wants('real-programs')) {
      log('real-programs: redis-server, sqlite3, python3, gzip plain vs recorded ...');
      sections.push({ name: 'real-programs', figures: await benchRealPrograms(quick, peers) });
    }
    if (wants('when-did-it-go-bad')) {
      log('when-did-it-go-bad: guard.c with gdb record full, gdb watch, delorean bisect/find ...');
      sections.push({ name: 'when-did-it-go-bad', figures: await benchWhenDidItGoBad(quick, peers) });
    }
    if (wants('storage')) {
      log('storage: where the bytes go, per recording ...');
      sections.push({ name: 'storage', figures: await benchStorage(quick, peers) });
    }
  } finally {
    peers.dispose();
  }

  // Ingest alone on captured recorder streams (bench/streams.ts capture DIR): capturing costs GBs
  // of disk, so it is done once beforehand, not inside a bench run.
  const streams = process.env.DELOREAN_BENCH_STREAMS;
  if (wants('ingest') && streams) {
    log(`ingest: replaying the streams in ${streams} ...`);
    const figures: Record<string, number> = {};
    for (const f of readdirSync(streams).filter((n) => n.endsWith('.wire')).sort()) {
      const r = await replayStream(join(streams, f));
      const name = f.replace(/\.wire$/, '');
      figures[`${name}_raw_MB`] = +r.rawMB.toFixed(1);
      figures[`${name}_MBps_cpu`] = +r.MBpsCpu.toFixed(1);
      figures[`${name}_MBps_wall`] = +r.MBps.toFixed(1);
      figures[`${name}_reduction`] = +r.reduction.toFixed(4);
    }
    sections.push({ name: 'ingest', figures });
  }

  // The long reliability suite (bench/reliability.ts): 50 kill trials, fuzz x10 and the
  // 30-minute load run at --interval 1ms. In full runs only, or asked for by name (with
  // --quick: 5 trials, fuzz x1, a 60 s load run).
  if (wants('behave')) {
    log('behave: every behaviour program, plainly and in each trigger mode ...');
    sections.push({ name: 'behave', figures: await benchBehave(quick, log) });
  }

  if (wants('reliability') && (only || !quick)) {
    log(`reliability: ${quick ? 'short' : 'long'} suite (kill trials, fuzz, load run) ...`);
    sections.push({ name: 'reliability', figures: reliabilityFigures(await runLongReliability(quick ? { kills: 5, fuzzScale: 1, loadSeconds: 60 } : { kills: 50, fuzzScale: 10, loadSeconds: 1800 })) });
  }

  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const dir = join(process.cwd(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  const result = { date, quick, machine, sections };
  writeFileSync(join(dir, `${date}.json`), JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# DeLorean benchmarks ${date}${quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}`,
    '',
    ...sections.flatMap((s) => [`## ${s.name}`, '', '| figure | value |', '|---|---|', ...Object.entries(s.figures).map(([k, v]) => `| ${k} | ${v} |`), '']),
  ].join('\n');
  writeFileSync(join(dir, `${date}.md`), md);
  process.stdout.write(md + '\n');
}

await main();
