/**
 * Timeline benchmark: how the real renderer in Chromium copes with 1M and 10M checkpoints.
 *
 *   open -> first paint   from clicking Open to the first timeline frame drawn with data
 *                         (performance mark 'delorean-open' to window.__deloreanTimeline)
 *   frame                 from a zoom or pan (mouse wheel) to the frame that shows it: the
 *                         WebSocket round trip, the service aggregating the summary pyramid
 *                         into one bucket per pixel, and the canvas draw
 *   draw                  the canvas draw alone
 *   slice (Node)          sliceTimeline for one 1600-bucket frame, in the service process
 *
 * The recordings are synthetic checkpoint tables held in memory (columns and the store's own
 * summary pyramid, Pyramid.build): the timeline needs nothing else, and writing 10M real
 * checkpoints through the recorder would take hours here. Everything else is real: service,
 * bridge, renderer build, Chromium.
 *
 * Run: `npx tsx e2e/bench-timeline.ts [COUNT...]` (default 1000000 10000000); from code,
 * benchTimeline({ counts }). Results print as a table and go to e2e/artifacts/bench-timeline.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckpointInfo, RecordingMeta } from '../shared/model/recording.js';
import { TRIGGER_NAMES } from '../shared/protocol/wire.js';
import { sliceTimeline } from '../main/api/timeline.js';
import { Pyramid } from '../main/store/summary.js';
import { UnmappedError, type CheckpointColumns, type RecordingReader, type SummaryLevel } from '../main/store/types.js';
import { startApp } from './support/app.js';
import { ARTIFACTS } from './support/screens.js';

export interface TimelineFigures {
  readonly checkpoints: number;
  readonly openToFirstPaintMs: number;
  readonly frameMs: { readonly median: number; readonly p95: number; readonly n: number };
  readonly drawMs: { readonly median: number; readonly p95: number };
  readonly sliceNodeMs: { readonly median: number; readonly p95: number };
}

/** A recording that is only its checkpoint table: bursts of dirty pages, syscalls with rare breakpoints. */
export function columnsOnlyReader(path: string, count: number, seed = 7): RecordingReader {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const dirtyPages = new Uint32Array(count);
  const trigger = new Uint8Array(count);
  const timeNs = new BigInt64Array(count);
  for (let k = 0; k < count; k++) {
    const burst = Math.sin(k / 50_000) > 0.9 ? 400 : 4;
    dirtyPages[k] = Math.floor(rand() * burst) + 1;
    trigger[k] = k === 0 ? 0 : k === count - 1 ? 5 : rand() < 0.0001 ? 3 : 1;
    timeNs[k] = BigInt(k) * 20_000n;
  }
  // Copies of a window, as the store's columns(from, to) gives them.
  const columns = (from: number, to: number): CheckpointColumns => {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > count) throw new RangeError(`checkpoints [${from}, ${to}) out of range (the recording has ${count})`);
    const n = to - from;
    return { from, count: n, timeNs: timeNs.slice(from, to), trigger: trigger.slice(from, to), dirtyPages: dirtyPages.slice(from, to), storedBytes: new Uint32Array(n), mapsVersion: new Uint32Array(n) };
  };
  const summary: SummaryLevel[] = Pyramid.build(dirtyPages, trigger, count).view();
  const meta: RecordingMeta = { formatVersion: 1, program: '/synthetic/bench', argv: ['/synthetic/bench'], cwd: '/', pid: 1, backend: 'uffd-wp', attached: false, pageSize: 4096, startedAt: new Date(0).toISOString() };
  const info = (k: number): CheckpointInfo => ({
    index: k,
    timeNs: timeNs[k]!,
    trigger: TRIGGER_NAMES[trigger[k]!]!,
    tid: 1,
    detail: 1n,
    args: [1n, 0n, 0n, 0n, 0n, 0n],
    dirtyPages: dirtyPages[k]!,
    threads: 1,
    mapsVersion: 0,
  });
  return {
    path,
    meta,
    checkpointCount: count,
    exit: { kind: 'exited', code: 0 },
    stats: { rawBytes: 0, storedBytes: 0, pagesReceived: 0, zeroPages: 0, dedupHits: 0, deltaBlobs: 0, fullBlobs: 0 },
    overview: { triggers: {}, maxThreads: 1, durationNs: count > 1 ? timeNs[count - 1]! - timeNs[0]! : 0n },
    losses: [],
    lossReport: () => [],
    recordedIndex: (k) => k,
    programAt: () => meta.program,
    checkpoint: info,
    columns,
    summary: () => summary,
    mapsAt: () => [],
    registersAt: () => [],
    pageAt: (k, addr) => {
      throw new UnmappedError(addr, k);
    },
    readMemory: (k, addr) => {
      throw new UnmappedError(addr, k);
    },
    versionsOf: () => new Uint32Array(0),
    rangeCursor: () => ({ nextChangeAfter: () => null, bytesBefore: () => null, bytesAtChange: () => null }),
    terminalOutput: () => [],
    terminalTail: () => ({ data: new Uint8Array(0), totalBytes: 0 }),
    terminalBytes: () => new Uint8Array(0),
    mapsVersionChanges: () => new Uint32Array(count > 0 ? 1 : 0),
    sameContent: () => true,
    refresh: () => undefined,
    close: () => undefined,
  };
}

function stats(xs: readonly number[]): { median: number; p95: number } {
  const a = [...xs].sort((x, y) => x - y);
  const at = (q: number): number => a[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN;
  return { median: at(0.5), p95: at(0.95) };
}

const round = (x: number): number => Math.round(x * 100) / 100;

export async function benchTimeline(opts: { counts?: readonly number[]; frames?: number } = {}): Promise<TimelineFigures[]> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const counts = opts.counts ?? [1_000_000, 10_000_000];
  const frames = opts.frames ?? 40;
  const dir = mkdtempSync(join(tmpdir(), 'delorean-bench-'));
  const readers = new Map<string, RecordingReader>();
  for (const n of counts) {
    const path = join(dir, `bench-${n}.dlr`);
    mkdirSync(path);
    readers.set(path, columnsOnlyReader(path, n));
  }
  const app = await startApp({
    openReader: async (path) => {
      const r = readers.get(path);
      if (!r) throw new Error(`no synthetic recording ${basename(path)}`);
      return r;
    },
  });
  const out: TimelineFigures[] = [];
  try {
    const page = app.page;
    for (const [path, reader] of readers) {
      const n = reader.checkpointCount;
      // Node side: one frame's aggregation.
      const slices: number[] = [];
      for (let i = -10; i < 50; i++) {
        const from = Math.max(0, Math.floor((i / 50) * n * 0.9)); // the warm-up rounds slice from 0
        const t0 = performance.now();
        sliceTimeline(reader.summary(), (a, b) => reader.columns(a, b), n, from, Math.min(n, from + Math.floor(n / (1 + Math.abs(i)))), 1600);
        if (i >= 0) slices.push(performance.now() - t0); // the first ten warm the JIT up
      }

      await page.click('[data-testid=home]');
      await page.waitForSelector('[data-testid=start-screen]');
      await page.evaluate(() => delete window.__deloreanTimeline);
      await page.fill('[data-testid=open-path]', path);
      await page.click('[data-testid=open-button]');
      await page.waitForFunction(() => window.__deloreanTimeline?.firstPaintMs != null, undefined, { timeout: 120_000 });
      const firstPaint = await page.evaluate(() => window.__deloreanTimeline!.firstPaintMs!);

      const canvas = page.locator('[data-testid=timeline-canvas]');
      const box = (await canvas.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.37, box.y + 50);
      const frameTimes: number[] = [];
      const drawTimes: number[] = [];
      for (let i = 0; i < frames; i++) {
        // Zoom in for the first half, then pan.
        if (i < frames / 2) await page.mouse.wheel(0, -240);
        else await page.mouse.wheel(i % 2 ? 400 : -300, 0);
        await page.waitForFunction(() => {
          const c = document.querySelector('[data-testid=timeline-canvas]');
          return c !== null && c.getAttribute('data-view') === (c as HTMLCanvasElement).dataset.paintedView;
        });
        const t = await page.evaluate(() => ({ frame: window.__deloreanTimeline!.lastFrameMs, draw: window.__deloreanTimeline!.lastDrawMs }));
        frameTimes.push(t.frame);
        drawTimes.push(t.draw);
      }
      await page.screenshot({ path: join(ARTIFACTS, `bench-timeline-${n}.png`) });
      const fs = stats(frameTimes);
      const ds = stats(drawTimes);
      const ns = stats(slices);
      out.push({
        checkpoints: n,
        openToFirstPaintMs: round(firstPaint),
        frameMs: { median: round(fs.median), p95: round(fs.p95), n: frames },
        drawMs: { median: round(ds.median), p95: round(ds.p95) },
        sliceNodeMs: { median: round(ns.median), p95: round(ns.p95) },
      });
    }
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export function formatFigures(figures: readonly TimelineFigures[]): string {
  const rows = figures.map(
    (f) =>
      `${f.checkpoints.toLocaleString('en-US').padStart(12)}  ${String(f.openToFirstPaintMs).padStart(10)}  ${`${f.frameMs.median} / ${f.frameMs.p95}`.padStart(16)}  ${`${f.drawMs.median} / ${f.drawMs.p95}`.padStart(14)}  ${`${f.sliceNodeMs.median} / ${f.sliceNodeMs.p95}`.padStart(14)}`,
  );
  return [`${'checkpoints'.padStart(12)}  ${'open→paint'.padStart(10)}  ${'frame med/p95'.padStart(16)}  ${'draw med/p95'.padStart(14)}  ${'slice med/p95'.padStart(14)}   (ms)`, ...rows].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const figures = await benchTimeline(counts.length ? { counts } : {});
  console.log(formatFigures(figures));
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'bench-timeline.json'), JSON.stringify({ at: new Date().toISOString(), figures }, null, 2) + '\n');
}
