/**
 * The timeline: a canvas over every checkpoint of the recording. It asks the service for one
 * aggregated bucket per device pixel of the visible window (and once more for the overview of
 * the whole recording), so a frame costs O(pixels) at 10M checkpoints as at 10.
 *
 * Interaction: wheel or pinch zooms around the pointer, horizontal wheel / shift+wheel /
 * shift+drag / middle-drag pans, dragging scrubs (selects the checkpoint under the pointer),
 * the overview strip pans; keys are handled by the screen (keyboard stepping works anywhere).
 *
 * Fetching keeps at most one request in flight and always ends on the latest view: a slow
 * answer never overwrites a newer one. Each paint is timed into window.__deloreanTimeline for
 * the benchmark (e2e/bench-timeline.ts).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TimelineSlice } from '../../../shared/api/contract.js';
import { api } from '../../lib/api.js';
import { useMemory } from '../../stores/memory-store.js';
import { useSearch } from '../../stores/search-store.js';
import { checkpointAtX, panBy, zoomAt, type TimelineView } from '../../stores/updates/timeline.js';
import { useViewer } from '../../stores/viewer-store.js';
import { densityBottom, drawTimeline, overviewTop, type TimelineFrame } from './draw.js';

export interface TimelineStats {
  draws: number;
  lastDrawMs: number;
  /** ms from a view change to the paint that showed data for it. */
  lastFrameMs: number;
  frames: number[];
  firstPaintMs: number | null; // since performance mark 'delorean-open'
}

declare global {
  interface Window {
    __deloreanTimeline?: TimelineStats;
  }
}

const stats = (): TimelineStats => (window.__deloreanTimeline ??= { draws: 0, lastDrawMs: 0, lastFrameMs: 0, frames: [], firstPaintMs: null });

interface SliceRequest {
  readonly rec: string;
  readonly from: number;
  readonly to: number;
  readonly buckets: number;
}

/** A request, and the checkpoint count it was made at (a growing recording asks again). */
interface Wanted {
  readonly request: SliceRequest;
  readonly count: number;
}

const sameWanted = (a: Wanted | null, b: Wanted): boolean =>
  a !== null && a.count === b.count && a.request.rec === b.request.rec && a.request.from === b.request.from && a.request.to === b.request.to && a.request.buckets === b.request.buckets;

/** Keeps the freshest slice of the recording for the latest request; at most one request in flight. */
function useSlice(rec: string | null, from: number, to: number, buckets: number, count: number): TimelineSlice | null {
  const [slice, setSlice] = useState<{ readonly rec: string; readonly slice: TimelineSlice } | null>(null);
  const want = useRef<Wanted | null>(null);
  const busy = useRef(false);
  useEffect(() => {
    if (!rec || buckets <= 0 || count <= 0) return;
    want.current = { request: { rec, from, to, buckets }, count };
    if (busy.current) return;
    const fetchLatest = async (): Promise<void> => {
      busy.current = true;
      try {
        for (;;) {
          const wanted = want.current!;
          const s = await api().timeline(wanted.request);
          setSlice({ rec: wanted.request.rec, slice: s });
          if (sameWanted(want.current, wanted)) break;
        }
      } catch {
        // The recording was closed or replaced; the next view change asks again.
      } finally {
        busy.current = false;
      }
    };
    void fetchLatest();
  }, [rec, from, to, buckets, count]);
  return rec && count > 0 && slice?.rec === rec ? slice.slice : null;
}

export function Timeline({ height = 132 }: { height?: number }): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const count = useViewer((s) => s.count);
  const view = useViewer((s) => s.view);
  const selected = useViewer((s) => s.selected);
  const pinned = useViewer((s) => s.pinned);
  const bookmarks = useViewer((s) => s.bookmarks);
  const results = useSearch((s) => s.result?.checkpoints);
  const changeList = useMemory((s) => s.changes?.result?.changes);

  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  // Where the pointer is; the checkpoint under it is worked out per frame, so it follows a zoom.
  const [hoverX, setHoverX] = useState<number | null>(null);
  const dpr = window.devicePixelRatio || 1;

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    ro.observe(el);
    setWidth(Math.floor(el.clientWidth));
    return () => ro.disconnect();
  }, []);

  const buckets = Math.min(16384, Math.max(1, Math.floor(width * dpr)));
  const from = Math.floor(view.from);
  const to = Math.max(from + 1, Math.ceil(view.to));
  const slice = useSlice(rec, from, to, buckets, count);
  const overview = useSlice(rec, 0, Math.max(1, count), buckets, count);

  // Timing for the benchmark: when did the view last change, and when was it first painted.
  const hoverK = hoverX === null || count === 0 || width === 0 ? null : checkpointAtX(view, width, hoverX, count);
  const viewChangedAt = useRef(performance.now());
  useEffect(() => {
    viewChangedAt.current = performance.now();
  }, [from, to, buckets, rec]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || width === 0) return;
    const frame: TimelineFrame = {
      width,
      height,
      dpr,
      count,
      view,
      slice,
      overview,
      markers: {
        selected,
        pinned,
        results: results ?? [],
        bookmarks,
        changes: changeList?.map((c) => c.checkpoint) ?? [],
      },
      hover: hoverX === null || hoverK === null ? null : { x: hoverX, k: hoverK },
    };
    const raf = requestAnimationFrame(() => {
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      const t0 = performance.now();
      drawTimeline(ctx, frame);
      const t1 = performance.now();
      const st = stats();
      st.draws++;
      st.lastDrawMs = t1 - t0;
      if (slice && slice.from === from && slice.to === to && slice.buckets === buckets) {
        if (st.firstPaintMs === null) {
          const open = performance.getEntriesByName('delorean-open').at(-1);
          if (open) st.firstPaintMs = t1 - open.startTime;
        }
        st.lastFrameMs = t1 - viewChangedAt.current;
        st.frames.push(st.lastFrameMs);
        if (st.frames.length > 1000) st.frames.shift();
        canvas.dataset.paintedView = `${from}-${to}`;
      }
    });
    return () => cancelAnimationFrame(raf);
  }, [width, height, dpr, count, view, slice, overview, selected, pinned, results, bookmarks, changeList, hoverX, hoverK, from, to, buckets]);

  // Wheel: React's onWheel is passive, so attach a real listener to be able to preventDefault.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const st = useViewer.getState();
      const v = st.view;
      const rect = canvas.getBoundingClientRect();
      const x = e.clientX - rect.left;
      const span = v.to - v.from;
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? rect.width : 1;
      const dx = e.deltaX * unit;
      const dy = e.deltaY * unit;
      if (e.shiftKey || Math.abs(dx) > Math.abs(dy)) {
        const d = e.shiftKey && dx === 0 ? dy : dx;
        st.setView(panBy(v, st.count, (d / rect.width) * span));
      } else {
        const anchor = v.from + (x / rect.width) * span;
        st.setView(zoomAt(v, st.count, anchor, Math.exp(dy * (e.ctrlKey ? 0.01 : 0.0025))));
      }
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, []);

  const drag = useRef<{ mode: 'scrub' | 'pan' | 'overview'; startX: number; startView: TimelineView } | null>(null);

  const pointerK = useCallback((e: React.PointerEvent<HTMLCanvasElement>): { x: number; k: number } => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const st = useViewer.getState();
    return { x, k: checkpointAtX(st.view, rect.width, x, st.count) };
  }, []);

  const onPointerDown = (e: React.PointerEvent<HTMLCanvasElement>): void => {
    const st = useViewer.getState();
    if (st.count === 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    e.currentTarget.focus();
    const rect = e.currentTarget.getBoundingClientRect();
    const y = e.clientY - rect.top;
    const x = e.clientX - rect.left;
    if (y >= overviewTop(height)) {
      drag.current = { mode: 'overview', startX: x, startView: st.view };
      const span = st.view.to - st.view.from;
      const center = (x / rect.width) * st.count;
      st.setView({ from: center - span / 2, to: center + span / 2 });
    } else if (e.shiftKey || e.button === 1) {
      drag.current = { mode: 'pan', startX: x, startView: st.view };
    } else {
      drag.current = { mode: 'scrub', startX: x, startView: st.view };
      st.select(pointerK(e).k);
    }
  };

  const onPointerMove = (e: React.PointerEvent<HTMLCanvasElement>): void => {
    const p = pointerK(e);
    const rect = e.currentTarget.getBoundingClientRect();
    const y = e.clientY - rect.top;
    setHoverX(y < densityBottom(height) ? p.x : null);
    const d = drag.current;
    if (!d) return;
    const st = useViewer.getState();
    if (d.mode === 'scrub') st.select(p.k);
    else if (d.mode === 'pan') {
      const span = d.startView.to - d.startView.from;
      st.setView(panBy(d.startView, st.count, (-(p.x - d.startX) / rect.width) * span));
    } else {
      const span = st.view.to - st.view.from;
      const center = (p.x / rect.width) * st.count;
      st.setView({ from: center - span / 2, to: center + span / 2 });
    }
  };

  const endDrag = (): void => {
    drag.current = null;
  };

  return (
    <div className="timeline" ref={wrapRef} style={{ height }}>
      <canvas
        ref={canvasRef}
        data-testid="timeline-canvas"
        data-count={count}
        data-selected={selected}
        data-view={`${from}-${to}`}
        data-hover={hoverK ?? ''}
        data-results={results?.length ?? 0}
        data-changes={changeList?.length ?? 0}
        tabIndex={0}
        width={Math.max(1, Math.floor(width * dpr))}
        height={Math.floor(height * dpr)}
        style={{ width: width || '100%', height }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onPointerLeave={() => setHoverX(null)}
        aria-label="Timeline of checkpoints"
      />
    </div>
  );
}
