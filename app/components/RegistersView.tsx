/**
 * Registers of every thread at the selected checkpoint; values that differ from the previous
 * checkpoint are highlighted, and a thread that did not exist there is marked new.
 */
import { api } from '../lib/api.js';
import { useQuery } from '../lib/use-query.js';
import { useViewer } from '../stores/viewer-store.js';

export function RegistersView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const q = useQuery(rec ? () => api().registers({ rec, k }) : null, [rec, k]);
  return (
    <div className="registers" data-testid="registers-view">
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
