/**
 * The recording being viewed: its summary, the selected and pinned checkpoints, the timeline
 * window and bookmarks. Every transition is a pure function in updates/viewer.ts; a change of
 * the recording shown also resets every recording-scoped store (recording-scope.ts).
 */
import { create } from 'zustand';
import type { RecordingSummary } from '../../shared/api/contract.js';
import type { StepKey, TimelineView } from './updates/timeline.js';
import { clampView } from './updates/timeline.js';
import { recordingChanged } from './recording-scope.js';
import * as u from './updates/viewer.js';

interface ViewerState extends u.ViewerCore {
  load(summary: RecordingSummary): void;
  /**
   * The recording being made re-read: keeps selection and zoom. Shows it if nothing is shown;
   * ignored while another recording is shown.
   */
  refresh(summary: RecordingSummary): void;
  /** Shows nothing (a new recording is about to start). */
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
  load: (summary) => {
    set(u.opened(get(), summary));
    recordingChanged();
  },
  refresh: (summary) => {
    const s = get();
    if (s.summary?.rec === summary.rec) set(u.refreshed(s, summary));
    else if (s.summary === null) get().load(summary);
  },
  reset: () => {
    set(u.cleared(get()));
    recordingChanged();
  },
  select: (k) => set(u.select(get(), k)),
  step: (key) => set(u.step(get(), key)),
  setView: (view) => set({ view: clampView(view, get().count) }),
  togglePin: () => set(u.togglePin(get())),
  unpin: () => set({ pinned: null }),
  toggleBookmark: (k) => set(u.toggleBookmark(get(), k)),
}));
