/**
 * Pure state transitions of the recording viewer: selecting a checkpoint (and keeping it on
 * screen), pinning one for comparisons, bookmarks, and a recording that grows while it is
 * being recorded. Each takes the current state and returns the fields that change.
 */
import type { RecordingSummary } from '../../../shared/api/contract.js';
import { clampCheckpoint, followGrowth, revealCheckpoint, stepSelection, wholeView, type StepKey, type TimelineView } from './timeline.js';

export interface ViewerCore {
  readonly summary: RecordingSummary | null;
  readonly count: number;
  readonly selected: number;
  readonly pinned: number | null;
  readonly view: TimelineView;
  readonly bookmarks: readonly number[];
  /** Which opening of a recording this is: it changes whenever the recording shown does. */
  readonly scope: number;
}

export const emptyViewer: ViewerCore = { summary: null, count: 0, selected: 0, pinned: null, view: wholeView(0), bookmarks: [], scope: 0 };

/** A recording was opened: show all of it, select its last checkpoint (the end state). */
export function opened(state: ViewerCore, summary: RecordingSummary): ViewerCore {
  const count = summary.checkpointCount;
  return { summary, count, selected: Math.max(0, count - 1), pinned: null, view: wholeView(count), bookmarks: [], scope: state.scope + 1 };
}

/** Nothing shown (a new recording is about to start). */
export function cleared(state: ViewerCore): ViewerCore {
  return { ...emptyViewer, scope: state.scope + 1 };
}

/** The same recording, re-read (it grew): keep the selection, follow the growth if showing all. */
export function refreshed(state: ViewerCore, summary: RecordingSummary): Partial<ViewerCore> {
  const count = summary.checkpointCount;
  const followEnd = state.selected >= state.count - 1;
  return {
    summary,
    count,
    view: followGrowth(state.view, state.count, count),
    selected: followEnd ? Math.max(0, count - 1) : clampCheckpoint(state.selected, count),
  };
}

export function select(state: ViewerCore, k: number): Partial<ViewerCore> {
  if (state.count === 0) return {};
  const selected = clampCheckpoint(k, state.count);
  return { selected, view: revealCheckpoint(state.view, state.count, selected) };
}

export function step(state: ViewerCore, key: StepKey): Partial<ViewerCore> {
  return select(state, stepSelection(key, state.selected, state.view, state.count));
}

/** Pins the selected checkpoint (memory then diffs against it); pinning it again unpins. */
export function togglePin(state: ViewerCore): Partial<ViewerCore> {
  return { pinned: state.pinned === state.selected ? null : state.selected };
}

export function toggleBookmark(state: ViewerCore, k = state.selected): Partial<ViewerCore> {
  const has = state.bookmarks.includes(k);
  return { bookmarks: has ? state.bookmarks.filter((b) => b !== k) : [...state.bookmarks, k].sort((a, b) => a - b) };
}

/** The nearest marker strictly after (dir 1) or before (dir -1) the selection, or null. */
export function nextMarker(markers: readonly number[], selected: number, dir: 1 | -1): number | null {
  let best: number | null = null;
  for (const m of markers) {
    if (dir === 1 ? m > selected && (best === null || m < best) : m < selected && (best === null || m > best)) best = m;
  }
  return best;
}
