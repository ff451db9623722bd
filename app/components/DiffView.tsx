/**
 * What differs between the selected checkpoint and the pinned one (or the previous one), as
 * the CLI's `diff` lists it: mappings added and removed, then every page whose bytes differ
 * (most bytes first) with its ranges of differing bytes, each named by the symbol it falls in.
 * Clicking a range shows and selects those bytes in the memory view (highlighted there as
 * changed); clicking a page's line shows its first range.
 */
import type { MapJson } from '../../shared/api/contract.js';
import { api } from '../lib/api.js';
import { formatAddress } from '../lib/format.js';
import { useQuery } from '../lib/use-query.js';
import { useMemory } from '../stores/memory-store.js';
import { useViewer } from '../stores/viewer-store.js';

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

function MapLine({ m, sign }: { m: MapJson; sign: '+' | '-' }): React.JSX.Element {
  return (
    <li className={sign === '+' ? 'map-added' : 'map-removed'} data-testid="diff-map">
      {sign} map {formatAddress(BigInt(m.start))}–{formatAddress(BigInt(m.end))} {m.perms} {m.path || '[anonymous]'}
    </li>
  );
}

export function DiffView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const pinned = useViewer((s) => s.pinned);
  const goTo = useMemory((s) => s.goTo);
  const from = pinned !== null && pinned !== k ? pinned : k - 1;
  const q = useQuery(rec && from >= 0 ? () => api().diff({ rec, from, to: k, limit: 2000 }) : null, [rec, from, k]);
  if (from < 0) return <div className="hint">Checkpoint 0 has nothing before it to compare with.</div>;
  const d = q.data;
  const pages = d ? [...d.pages].sort((a, b) => b.changedBytes - a.changedBytes) : [];
  return (
    <div className="diff" data-testid="diff-view">
      <div className="changes-head">
        #{from} → #{k}
        {pinned !== null && from === pinned ? <span className="pinned-note"> (pinned)</span> : ''}
        {d && (
          <span className="dim">
            {' '}
            · {plural(d.totalPages, 'page')} differ{d.totalPages === 1 ? 's' : ''}
            {d.truncated ? ` (first ${d.pages.length} shown)` : ''}
            {d.maps.added.length + d.maps.removed.length > 0 ? ` · ${d.maps.added.length} mapping${d.maps.added.length === 1 ? '' : 's'} added, ${d.maps.removed.length} removed` : ''}
          </span>
        )}
      </div>
      {q.error && <div className="inline-error">{q.error}</div>}
      {d && (d.maps.added.length > 0 || d.maps.removed.length > 0) && (
        <ol className="diff-maps">
          {d.maps.removed.map((m) => (
            <MapLine key={`-${m.start}`} m={m} sign="-" />
          ))}
          {d.maps.added.map((m) => (
            <MapLine key={`+${m.start}`} m={m} sign="+" />
          ))}
        </ol>
      )}
      <ol className="diff-list">
        {pages.map((p) => {
          const first = p.ranges[0];
          return (
            <li key={p.addr} data-testid="diff-page" data-addr={p.addr}>
              <div className="diff-page-head" onClick={() => first && goTo(BigInt(first.addr), first.length)} title="Show the first changed bytes in memory">
                page {formatAddress(BigInt(p.addr))}: <span className="after">{plural(p.changedBytes, 'byte')} differ</span>
              </div>
              <ol className="diff-ranges">
                {p.ranges.map((r) => (
                  <li key={r.addr} data-testid="diff-range" data-addr={r.addr} onClick={() => goTo(BigInt(r.addr), r.length)} title="Show and select these bytes in memory">
                    <span className="mono">
                      {formatAddress(BigInt(r.addr))}+{r.length}
                    </span>
                    {r.symbol && <span className="sym">{r.symbol}</span>}
                  </li>
                ))}
                {p.rangeCount > p.ranges.length && <li className="dim">… {p.rangeCount - p.ranges.length} more ranges</li>}
              </ol>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
