/**
 * The memory map (/proc/PID/maps as recorded) at the selected checkpoint: each mapping's whole
 * address range, permissions and size on one line and its path, whole, under it (a narrow
 * column wraps it rather than cutting it). Clicking a mapping shows its first bytes in the
 * memory view.
 */
import { api } from '../lib/api.js';
import { formatAddress, formatBytes } from '../lib/format.js';
import { useQuery } from '../lib/use-query.js';
import { useMemory } from '../stores/memory-store.js';
import { useViewer } from '../stores/viewer-store.js';

/** A path with its last component set apart (the file is what one looks for). */
function PathOf({ path }: { path: string }): React.JSX.Element {
  if (!path) return <span className="path">[anonymous]</span>;
  const slash = path.lastIndexOf('/');
  return (
    <span className="path" title={path}>
      {slash >= 0 && path.slice(0, slash + 1)}
      <span className="file">{path.slice(slash + 1)}</span>
    </span>
  );
}

export function MapsView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const goTo = useMemory((s) => s.goTo);
  const q = useQuery(rec ? () => api().maps({ rec, k }) : null, [rec, k]);
  return (
    <div className="maps" data-testid="maps-view">
      {q.error && <div className="inline-error">{q.error}</div>}
      <ol className="maps-list">
        {q.data?.map((m) => {
          const start = BigInt(m.start);
          const end = BigInt(m.end);
          return (
            <li key={m.start} onClick={() => goTo(start + 32n)} title="Show in memory" data-testid="map">
              <div className="range">
                <span className="map-start">{formatAddress(start)}</span>–<span className="map-end">{formatAddress(end)}</span>
                <span className="perms">{m.perms}</span>
                <span className="size">{formatBytes(Number(end - start))}</span>
              </div>
              <PathOf path={m.path} />
            </li>
          );
        })}
      </ol>
    </div>
  );
}
