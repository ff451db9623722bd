/**
 * What differs between the selected checkpoint and the pinned one (or the previous one): the
 * pages whose bytes differ, with how many bytes, largest first. Clicking a page shows it in
 * the memory view, where the differing bytes are highlighted.
 */
import { api } from '../lib/api.js';
import { formatAddress } from '../lib/format.js';
import { useQuery } from '../lib/use-query.js';
import { useMemory } from '../stores/memory-store.js';
import { useViewer } from '../stores/viewer-store.js';

export function DiffView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const pinned = useViewer((s) => s.pinned);
  const goTo = useMemory((s) => s.goTo);
  const from = pinned !== null && pinned !== k ? pinned : k - 1;
  const q = useQuery(rec && from >= 0 ? () => api().diff({ rec, from, to: k, limit: 2000 }) : null, [rec, from, k]);
  if (from < 0) return <div className="hint">Checkpoint 0 has nothing before it to compare with.</div>;
  const pages = q.data ? [...q.data.pages].sort((a, b) => b.changedBytes - a.changedBytes) : [];
  return (
    <div className="diff" data-testid="diff-view">
      <div className="changes-head">
        #{from} → #{k}
        {q.data && (
          <span className="dim">
            {' '}
            · {q.data.totalPages} page{q.data.totalPages === 1 ? '' : 's'} differ{q.data.totalPages === 1 ? 's' : ''}
            {q.data.truncated ? ` (first ${q.data.pages.length} shown)` : ''}
          </span>
        )}
      </div>
      {q.error && <div className="inline-error">{q.error}</div>}
      <ol className="change-list diff-list">
        {pages.map((p) => (
          <li key={p.addr} onClick={() => goTo(BigInt(p.addr) + 32n)} data-testid="diff-page" title="Show in memory">
            <span className="k">{formatAddress(BigInt(p.addr))}</span>
            <span className="after">
              {p.changedBytes} byte{p.changedBytes === 1 ? '' : 's'}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
