/**
 * The selected checkpoint in words: its number, what triggered it, when, how many pages it
 * dirtied; with stepping buttons, pin (memory compares against the pinned checkpoint),
 * bookmarks, and "Open in gdb" (a gdb terminal at this checkpoint, in the gdb dock).
 */
import { api } from '../lib/api.js';
import { formatCount, formatRelativeNs } from '../lib/format.js';
import { useQuery } from '../lib/use-query.js';
import { useGdb } from '../stores/gdb-store.js';
import { useNeighbourMarkers } from '../stores/markers.js';
import { useViewer } from '../stores/viewer-store.js';

export function CheckpointBar(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const count = useViewer((s) => s.count);
  const k = useViewer((s) => s.selected);
  const pinned = useViewer((s) => s.pinned);
  const bookmarks = useViewer((s) => s.bookmarks);
  const { step, select, togglePin, toggleBookmark } = useViewer.getState();
  const openGdb = useGdb((s) => s.open);

  const q = useQuery(rec && count > 0 ? () => api().checkpoint({ rec, k }) : null, [rec, k, count]);
  const c = q.data;
  const { prev, next } = useNeighbourMarkers();

  return (
    <div className="checkpoint-bar" data-testid="checkpoint-bar">
      <div className="stepper">
        <button onClick={() => step('Home')} title="First checkpoint (Home)">⇤</button>
        <button onClick={() => prev !== null && select(prev)} disabled={prev === null} title="Previous marker: bookmark, search result or change ([)" data-testid="prev-marker">
          ◆◂
        </button>
        <button onClick={() => step('ArrowLeft')} title="Previous checkpoint (←)" data-testid="step-back">
          ◂
        </button>
        <span className="current" data-testid="selected-checkpoint" data-k={k}>
          #{formatCount(k)}
          <span className="dim"> / {formatCount(Math.max(0, count - 1))}</span>
        </span>
        <button onClick={() => step('ArrowRight')} title="Next checkpoint (→)" data-testid="step-forward">
          ▸
        </button>
        <button onClick={() => next !== null && select(next)} disabled={next === null} title="Next marker: bookmark, search result or change (])" data-testid="next-marker">
          ▸◆
        </button>
        <button onClick={() => step('End')} title="Last checkpoint (End)">⇥</button>
      </div>
      <div className="checkpoint-info" data-testid="checkpoint-info">
        {c && c.index === k ? (
          <>
            <span className={`trigger trigger-${c.trigger}`}>{c.trigger}</span>
            <span className="mono">{c.description}</span>
            <span className="dim">{formatRelativeNs(c.relativeNs)}</span>
            <span className="dim">
              {c.dirtyPages} dirty page{c.dirtyPages === 1 ? '' : 's'} · {c.threads} thread{c.threads === 1 ? '' : 's'}
            </span>
          </>
        ) : q.error ? (
          <span className="inline-error">{q.error}</span>
        ) : (
          <span className="dim">…</span>
        )}
      </div>
      <div className="marks">
        <button className={pinned === k ? 'on' : ''} onClick={togglePin} data-testid="pin" title="Pin this checkpoint: memory highlights changes since it (P)">
          {pinned === null ? 'Pin' : pinned === k ? 'Unpin' : `Pinned #${pinned}`}
        </button>
        <button className={bookmarks.includes(k) ? 'on' : ''} onClick={() => toggleBookmark()} title="Bookmark this checkpoint (B)">
          {bookmarks.includes(k) ? '★' : '☆'} Bookmark
        </button>
        <button onClick={() => rec && openGdb(rec, k)} disabled={!rec || count === 0} data-testid="open-gdb" title={`Open gdb at #${k}: the real gdb on this checkpoint (continue / reverse-continue travel through the recording)`}>
          <span className="gdb-icon" aria-hidden="true">
            &gt;_
          </span>{' '}
          Open in gdb
        </button>
      </div>
    </div>
  );
}
