/**
 * The timeline's markers that "previous/next marker" visit: bookmarks, search results and the
 * change list's checkpoints, from their three stores.
 */
import type { ChangesResult } from '../../shared/api/contract.js';
import { useMemory } from './memory-store.js';
import { useSearch } from './search-store.js';
import { nextMarker } from './updates/viewer.js';
import { useViewer } from './viewer-store.js';

function combine(bookmarks: readonly number[], results: readonly number[] | undefined, changes: ChangesResult['changes'] | undefined): number[] {
  return [...bookmarks, ...(results ?? []), ...(changes ?? []).map((c) => c.checkpoint)];
}

/** The nearest marker before (-1) and after (1) the selection, re-rendering as they change. */
export function useNeighbourMarkers(): { readonly prev: number | null; readonly next: number | null } {
  const bookmarks = useViewer((s) => s.bookmarks);
  const k = useViewer((s) => s.selected);
  const results = useSearch((s) => s.result?.checkpoints);
  const changes = useMemory((s) => s.changes?.result?.changes);
  const markers = combine(bookmarks, results, changes);
  return { prev: nextMarker(markers, k, -1), next: nextMarker(markers, k, 1) };
}

/** Selects the nearest marker before (-1) or after (1) the selection, if any. */
export function stepToMarker(dir: 1 | -1): void {
  const v = useViewer.getState();
  const m = nextMarker(combine(v.bookmarks, useSearch.getState().result?.checkpoints, useMemory.getState().changes?.result?.changes), v.selected, dir);
  if (m !== null) v.select(m);
}
