/**
 * The memory map (/proc/PID/maps as recorded) at the selected checkpoint. Clicking a mapping
 * shows its first bytes in the memory view.
 */
import { api } from '../lib/api.js';
import { formatAddress, formatBytes } from '../lib/format.js';
import { useQuery } from '../lib/use-query.js';
import { useMemory } from '../stores/memory-store.js';
import { useViewer } from '../stores/viewer-store.js';

export function MapsView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const goTo = useMemory((s) => s.goTo);
  const q = useQuery(rec ? () => api().maps({ rec, k }) : null, [rec, k]);
  return (
    <div className="maps" data-testid="maps-view">
      {q.error && <div className="inline-error">{q.error}</div>}
      <table>
        <thead>
          <tr>
            <th>start</th>
            <th>end</th>
            <th>perm</th>
            <th>size</th>
            <th>path</th>
          </tr>
        </thead>
        <tbody>
          {q.data?.map((m) => {
            const start = BigInt(m.start);
            const end = BigInt(m.end);
            return (
              <tr key={m.start} onClick={() => goTo(start + 32n)} title="Show in memory">
                <td className="mono">{formatAddress(start)}</td>
                <td className="mono">{formatAddress(end)}</td>
                <td className="mono">{m.perms}</td>
                <td className="num">{formatBytes(Number(end - start))}</td>
                <td className="path" title={m.path}>
                  {m.path || <span className="dim">[anon]</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
