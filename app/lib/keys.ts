/**
 * Keyboard stepping through checkpoints, wherever focus is, except while typing (inputs,
 * Monaco, a terminal): Left/Right, PageUp/PageDown, Home/End; [ and ] the previous and next
 * marker; P pins, B bookmarks, +/- zoom the timeline around the selection.
 */
import { useEffect } from 'react';
import { STEP_KEYS, zoomAt, type StepKey } from '../stores/updates/timeline.js';
import { stepToMarker } from '../stores/markers.js';
import { useViewer } from '../stores/viewer-store.js';

/** Whether a key event goes to something the user types into. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('input, textarea, select, [contenteditable="true"], .monaco-editor, .pty-terminal')) return true;
  return false;
}

export function useCheckpointKeys(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      const st = useViewer.getState();
      if (st.count === 0) return;
      if (STEP_KEYS.includes(e.key)) {
        e.preventDefault();
        st.step(e.key as StepKey);
      } else if (e.key === 'p' || e.key === 'P') st.togglePin();
      else if (e.key === 'b' || e.key === 'B') st.toggleBookmark();
      else if (e.key === '[' || e.key === ']') stepToMarker(e.key === '[' ? -1 : 1);
      else if (e.key === '+' || e.key === '=' || e.key === '-') {
        st.setView(zoomAt(st.view, st.count, st.selected + 0.5, e.key === '-' ? 2 : 0.5));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
