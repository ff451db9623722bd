/**
 * Registers of every thread at the selected checkpoint; values that differ from the pinned
 * checkpoint (or, with none pinned, the previous one) are highlighted, and a thread that did
 * not exist there is marked new. The head says which checkpoint that is.
 */
import { api } from '../lib/api.js';
import { useQuery } from '../lib/use-query.js';
import { useViewer } from '../stores/viewer-store.js';

export function RegistersView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const pinned = useViewer((s) => s.pinned);
  const compareTo = pinned !== null && pinned !== k ? pinned : k > 0 ? k - 1 : null;
  const q = useQuery(rec ? () => api().registers({ rec, k, ...(compareTo !== null ? { compareTo } : {}) }) : null, [rec, k, compareTo]);
  return (
    <div className="registers" data-testid="registers-view">
      <div className="registers-compare" data-testid="registers-compare">
        {compareTo === null ? 'checkpoint 0: nothing before it to compare with' : compareTo === pinned ? <span className="pinned-note">changed since pinned #{compareTo}</span> : `changed since #${compareTo}`}
      </div>
      {q.error && <div className="inline-error">{q.error}</div>}
      {q.data?.length === 0 && <div className="hint">No registers recorded at this checkpoint.</div>}
      {q.data?.map((t) => (
        <div className="thread" key={t.tid} data-testid={`thread-${t.tid}`}>
          <div className="thread-head">
            thread {t.tid}
            {t.isNew && <span className="badge">new</span>}
          </div>
          <div className="reg-grid">
            {t.registers.map((r) => (
              <div key={r.name} className={r.changed ? 'reg changed' : 'reg'} data-testid={`reg-${t.tid}-${r.name}`}>
                <span className="k">{r.name}</span>
                <span className="v">{r.value}</span>
              </div>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
