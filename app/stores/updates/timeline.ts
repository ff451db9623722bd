/**
 * Pure state transitions of the timeline: the visible window over the checkpoints, zooming,
 * panning, and moving the selected checkpoint (keyboard stepping, scrubbing). The viewer
 * store (../viewer-store.ts) only calls these; the tests call them directly.
 *
 * A view is a half-open window [from, to) in checkpoint units (floats while zooming, so zoom
 * is smooth); it always lies within [0, count] and spans at least MIN_SPAN checkpoints (or
 * the whole recording when shorter).
 */

export interface TimelineView {
  readonly from: number;
  readonly to: number;
}

export const MIN_SPAN = 16;

export function wholeView(count: number): TimelineView {
  return { from: 0, to: Math.max(1, count) };
}

/** Keeps a view inside [0, count] with a sane span, preserving its span where possible. */
export function clampView(view: TimelineView, count: number): TimelineView {
  const total = Math.max(1, count);
  const span = Math.min(total, Math.max(Math.min(MIN_SPAN, total), view.to - view.from));
  let from = Math.max(0, Math.min(view.from, total - span));
  if (!Number.isFinite(from)) from = 0;
  return { from, to: from + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping checkpoint `anchor` under the same screen position. */
export function zoomAt(view: TimelineView, count: number, anchor: number, factor: number): TimelineView {
  const span = view.to - view.from;
  const ratio = span > 0 ? (anchor - view.from) / span : 0.5;
  const newSpan = span * factor;
  const from = anchor - ratio * newSpan;
  return clampView({ from, to: from + newSpan }, count);
}

export function panBy(view: TimelineView, count: number, delta: number): TimelineView {
  return clampView({ from: view.from + delta, to: view.to + delta }, count);
}

/** Moves the view just enough that checkpoint k is visible. */
export function revealCheckpoint(view: TimelineView, count: number, k: number): TimelineView {
  if (k >= view.from && k + 1 <= view.to) return view;
  const span = view.to - view.from;
  const from = k < view.from ? k : k + 1 - span;
  return clampView({ from, to: from + span }, count);
}

export function clampCheckpoint(k: number, count: number): number {
  return Math.max(0, Math.min(count - 1, Math.round(k)));
}

/** The checkpoint under pixel x of a canvas `width` pixels wide showing `view`. */
export function checkpointAtX(view: TimelineView, width: number, x: number, count: number): number {
  const k = view.from + (x / Math.max(1, width)) * (view.to - view.from);
  return clampCheckpoint(Math.floor(k), count);
}

export type StepKey = 'ArrowLeft' | 'ArrowRight' | 'PageUp' | 'PageDown' | 'Home' | 'End';
export const STEP_KEYS: readonly string[] = ['ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End'];

/**
 * Where a key moves the selection: Left/Right one checkpoint, PageUp/PageDown a tenth of the
 * visible window (at least one), Home/End the first and last checkpoints.
 */
export function stepSelection(key: StepKey, selected: number, view: TimelineView, count: number): number {
  if (count <= 0) return 0;
  const page = Math.max(1, Math.round((view.to - view.from) / 10));
  switch (key) {
    case 'ArrowLeft':
      return clampCheckpoint(selected - 1, count);
    case 'ArrowRight':
      return clampCheckpoint(selected + 1, count);
    case 'PageUp':
      return clampCheckpoint(selected - page, count);
    case 'PageDown':
      return clampCheckpoint(selected + page, count);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
  }
}

/**
 * A live recording grew from oldCount to newCount: a view that showed the whole recording
 * keeps showing all of it; a zoomed-in view stays where it is.
 */
export function followGrowth(view: TimelineView, oldCount: number, newCount: number): TimelineView {
  if (view.from <= 0 && view.to >= Math.max(1, oldCount)) return wholeView(newCount);
  return clampView(view, newCount);
}
