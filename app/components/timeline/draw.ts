/**
 * Draws the timeline canvas from already-aggregated data: O(pixels), whatever the number of
 * checkpoints (the service aggregates the store's summary pyramid into one bucket per device
 * pixel column). Layout, top to bottom:
 *
 *   markers   (14px)  end, signal, breakpoint, request, exec; search results, bookmarks, changes
 *   density   (rest)  dirty pages per bucket: max as the bar, mean as the brighter core
 *   axis      (16px)  checkpoint numbers
 *   overview  (12px)  the whole recording, with the visible window outlined
 *
 * Pure drawing: no state, no fetching. The component (Timeline.tsx) owns both.
 */
import type { TimelineSlice } from '../../../shared/api/contract.js';
import { Trigger } from '../../../shared/protocol/wire.js';
import { theme } from '../../lib/theme.js';
import type { TimelineView } from '../../stores/updates/timeline.js';

export const LAYOUT = { markers: 16, axis: 18, overview: 14, gap: 4 } as const;

export interface TimelineMarkers {
  readonly selected: number;
  readonly pinned: number | null;
  readonly results: readonly number[];
  readonly bookmarks: readonly number[];
  readonly changes: readonly number[];
}

export interface TimelineFrame {
  readonly width: number; // CSS pixels
  readonly height: number;
  readonly dpr: number;
  readonly count: number;
  readonly view: TimelineView;
  readonly slice: TimelineSlice | null; // for the view (may lag behind it while fetching)
  readonly overview: TimelineSlice | null; // the whole recording
  readonly markers: TimelineMarkers;
  readonly hover: { readonly x: number; readonly k: number } | null;
}

const RARE_TRIGGERS: ReadonlyArray<[number, string]> = [
  [Trigger.Exit, theme.exit],
  [Trigger.Signal, theme.exit],
  [Trigger.Breakpoint, theme.breakpoint],
  [Trigger.Request, theme.request],
  [Trigger.Exec, theme.exec],
];

export function densityTop(): number {
  return LAYOUT.markers;
}
export function densityBottom(height: number): number {
  return height - LAYOUT.axis - LAYOUT.overview - LAYOUT.gap;
}
export function overviewTop(height: number): number {
  return height - LAYOUT.overview;
}

export function drawTimeline(ctx: CanvasRenderingContext2D, f: TimelineFrame): void {
  const { width: w, height: h, dpr } = f;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = theme.panel;
  ctx.fillRect(0, 0, w, h);
  const top = densityTop();
  const bottom = densityBottom(h);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, top, w, bottom - top);

  const scaleMax = Math.max(1, maxOf(f.overview?.maxDirty) , maxOf(f.slice?.maxDirty));
  const span = f.view.to - f.view.from;
  const xOf = (k: number): number => ((k - f.view.from) / span) * w;

  if (f.slice && f.count > 0) drawDensity(ctx, f.slice, xOf, top, bottom, scaleMax);
  if (f.slice) drawTriggerMarkers(ctx, f.slice, xOf);

  const marker = (k: number, color: string, shape: 'tri' | 'tick'): void => {
    if (k < f.view.from - 1 || k > f.view.to + 1) return;
    const x = Math.round(xOf(k + 0.5)) + 0.5;
    ctx.fillStyle = color;
    if (shape === 'tri') {
      ctx.beginPath();
      ctx.moveTo(x - 4, 2);
      ctx.lineTo(x + 4, 2);
      ctx.lineTo(x, 10);
      ctx.fill();
    } else ctx.fillRect(x - 1, 2, 2, 10);
  };
  for (const k of f.markers.changes) marker(k, theme.change, 'tick');
  for (const k of f.markers.bookmarks) marker(k, theme.bookmark, 'tri');
  for (const k of f.markers.results) marker(k, theme.result, 'tri');

  if (f.markers.pinned !== null) drawCursor(ctx, xOf(f.markers.pinned + 0.5), top, bottom, theme.pinned, true);
  if (f.count > 0) drawCursor(ctx, xOf(f.markers.selected + 0.5), top, bottom, theme.selected, false);

  drawAxis(ctx, f.view, w, bottom, f.count);
  drawOverview(ctx, f, w, h);
  if (f.hover) drawHover(ctx, f, w, top);
}

function maxOf(a: readonly number[] | undefined): number {
  let m = 0;
  if (a) for (const v of a) if (v > m) m = v;
  return m;
}

/** Log scale so a page or two still shows next to thousands. */
function barHeight(v: number, scaleMax: number, room: number): number {
  if (v <= 0) return 0;
  return Math.max(1, (Math.log2(1 + v) / Math.log2(1 + scaleMax)) * room);
}

/**
 * The buckets of a slice as drawable cells: one per bucket when buckets cover several
 * checkpoints each, one per checkpoint when zoomed in further (several buckets then hold the
 * same checkpoint). Each cell spans [k0, k1) in checkpoint units.
 */
function* cells(s: TimelineSlice): Generator<{ i: number; k0: number; k1: number }> {
  const step = (s.to - s.from) / s.buckets;
  let last = -1;
  for (let i = 0; i < s.buckets; i++) {
    const k0 = step < 1 ? Math.floor(s.from + i * step) : s.from + i * step;
    if (k0 >= s.count) break;
    if (step < 1) {
      if (k0 === last) continue;
      last = k0;
      yield { i, k0, k1: k0 + 1 };
    } else yield { i, k0, k1: Math.min(s.count, k0 + step) };
  }
}

function drawDensity(ctx: CanvasRenderingContext2D, s: TimelineSlice, xOf: (k: number) => number, top: number, bottom: number, scaleMax: number): void {
  const room = bottom - top - 2;
  for (const { i, k0, k1 } of cells(s)) {
    const x0 = xOf(k0);
    const x1 = xOf(k1);
    const bw = Math.max(1, x1 - x0 - (x1 - x0 > 4 ? 1 : 0));
    const hMax = barHeight(s.maxDirty[i] ?? 0, scaleMax, room);
    ctx.fillStyle = theme.density;
    ctx.fillRect(x0, bottom - hMax, bw, hMax);
    const n = Math.max(1, s.checkpoints[i] ?? 0);
    const hMean = barHeight((s.sumDirty[i] ?? 0) / n, scaleMax, room);
    ctx.fillStyle = theme.densityHi;
    ctx.fillRect(x0, bottom - hMean, bw, hMean);
  }
}

function drawTriggerMarkers(ctx: CanvasRenderingContext2D, s: TimelineSlice, xOf: (k: number) => number): void {
  let lastX = -10;
  for (const { i, k0, k1 } of cells(s)) {
    const mask = s.triggers[i] ?? 0;
    if (!mask) continue;
    const x = Math.round(xOf((k0 + k1) / 2));
    for (const [code, color] of RARE_TRIGGERS) {
      if (!(mask & (1 << code))) continue;
      const end = code === Trigger.Exit || code === Trigger.Signal;
      if (x - lastX < 3 && !end) continue;
      lastX = x;
      ctx.fillStyle = color;
      if (end) ctx.fillRect(x - 1, 1, 3, 13);
      else {
        ctx.beginPath();
        ctx.arc(x, 8, 3, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
}

function drawCursor(ctx: CanvasRenderingContext2D, x: number, top: number, bottom: number, color: string, dashed: boolean): void {
  const px = Math.round(x) + 0.5;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.setLineDash(dashed ? [3, 3] : []);
  ctx.beginPath();
  ctx.moveTo(px, top - 2);
  ctx.lineTo(px, bottom);
  ctx.stroke();
  ctx.setLineDash([]);
}

/** Tick spacing: 1, 2, 5 × 10^n checkpoints, at least ~90px apart. */
export function tickStep(span: number, width: number): number {
  const target = (span * 90) / Math.max(1, width);
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(1, target))));
  for (const m of [1, 2, 5, 10]) if (m * p >= target) return m * p;
  return 10 * p;
}

function drawAxis(ctx: CanvasRenderingContext2D, view: TimelineView, w: number, bottom: number, count: number): void {
  ctx.strokeStyle = theme.border;
  ctx.beginPath();
  ctx.moveTo(0, bottom + 0.5);
  ctx.lineTo(w, bottom + 0.5);
  ctx.stroke();
  if (count === 0) return;
  const span = view.to - view.from;
  const step = tickStep(span, w);
  ctx.font = `10px ${theme.mono}`;
  ctx.fillStyle = theme.textDim;
  ctx.textBaseline = 'top';
  for (let k = Math.ceil(view.from / step) * step; k < view.to; k += step) {
    const x = Math.round(((k - view.from) / span) * w) + 0.5;
    ctx.fillStyle = theme.border;
    ctx.fillRect(x, bottom, 1, 4);
    ctx.fillStyle = theme.textDim;
    ctx.fillText(k.toLocaleString('en-US'), x + 3, bottom + 4);
  }
}

function drawOverview(ctx: CanvasRenderingContext2D, f: TimelineFrame, w: number, h: number): void {
  const top = overviewTop(h);
  const oh = LAYOUT.overview;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, top, w, oh);
  const o = f.overview;
  if (o && f.count > 0) {
    const scale = Math.max(1, maxOf(o.maxDirty));
    ctx.fillStyle = theme.textFaint;
    for (const { i, k0, k1 } of cells(o)) {
      const bh = barHeight(o.maxDirty[i] ?? 0, scale, oh - 2);
      ctx.fillRect((k0 / f.count) * w, top + oh - bh, Math.max(1, ((k1 - k0) / f.count) * w - (k1 - k0 === 1 && w / f.count > 4 ? 1 : 0)), bh);
    }
  }
  if (f.count > 0) {
    const x0 = (f.view.from / f.count) * w;
    const x1 = (f.view.to / f.count) * w;
    ctx.fillStyle = 'rgba(79, 179, 255, 0.14)';
    ctx.fillRect(x0, top, Math.max(2, x1 - x0), oh);
    ctx.strokeStyle = theme.accent;
    ctx.strokeRect(Math.round(x0) + 0.5, top + 0.5, Math.max(2, Math.round(x1 - x0) - 1), oh - 1);
    ctx.fillStyle = theme.selected;
    ctx.fillRect(Math.round((f.markers.selected / f.count) * w), top, 1, oh);
  }
}

function drawHover(ctx: CanvasRenderingContext2D, f: TimelineFrame, w: number, top: number): void {
  const hv = f.hover!;
  ctx.strokeStyle = 'rgba(255,255,255,0.25)';
  ctx.beginPath();
  ctx.moveTo(Math.round(hv.x) + 0.5, top);
  ctx.lineTo(Math.round(hv.x) + 0.5, densityBottom(f.height));
  ctx.stroke();
  let label = `#${hv.k.toLocaleString('en-US')}`;
  const s = f.slice;
  if (s) {
    const i = Math.floor(((hv.k - s.from) / (s.to - s.from)) * s.buckets);
    const max = s.maxDirty[i];
    if (max !== undefined) label += s.to - s.from <= s.buckets ? ` · ${max} dirty pages` : ` · ≤${max} dirty pages`;
  }
  ctx.font = `11px ${theme.mono}`;
  const tw = ctx.measureText(label).width + 10;
  const x = Math.min(w - tw - 2, Math.max(2, hv.x + 8));
  ctx.fillStyle = 'rgba(22,24,29,0.92)';
  ctx.fillRect(x, top + 2, tw, 16);
  ctx.fillStyle = theme.text;
  ctx.textBaseline = 'middle';
  ctx.fillText(label, x + 5, top + 10);
}
