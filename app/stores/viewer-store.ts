/**
 * The recording being viewed: its summary, the selected and pinned checkpoints, the timeline
 * window and bookmarks. Thin: every transition is a pure function in updates/viewer.ts.
 */
import { create } from 'zustand';
import type { RecordingSummary } from '../../shared/api/contract.js';
import type { StepKey, TimelineView } from './updates/timeline.js';
import { clampView } from './updates/timeline.js';
import * as u from './updates/viewer.js';

interface ViewerState extends u.ViewerCore {
  load(summary: RecordingSummary): void;
  /** The same recording re-read (live recording): keeps selection and zoom. */
  refresh(summary: RecordingSummary): void;
  reset(): void;
  select(k: number): void;
  step(key: StepKey): void;
  setView(view: TimelineView): void;
  togglePin(): void;
  unpin(): void;
  toggleBookmark(k?: number): void;
}

export const useViewer = create<ViewerState>()((set, get) => ({
  ...u.emptyViewer,
  load: (summary) => set(u.opened(summary)),
  refresh: (summary) => {
    const s = get();
    set(s.summary?.rec === summary.rec ? u.refreshed(s, summary) : u.opened(summary));
  },
  reset: () => set(u.emptyViewer),
  select: (k) => set(u.select(get(), k)),
  step: (key) => set(u.step(get(), key)),
  setView: (view) => set({ view: clampView(view, get().count) }),
  togglePin: () => set(u.togglePin(get())),
  unpin: () => set({ pinned: null }),
  toggleBookmark: (k) => set(u.toggleBookmark(get(), k)),
}));
