/**
 * "When did this change?": every checkpoint where the selected bytes changed, with the value
 * before and after, as the CLI's `changes` shows them (unsigned little-endian, with hex) and the
 * symbol they belong to. Clicking one selects that checkpoint; the changes also show as
 * timeline markers.
 */
import { formatLittleEndian, hexToBytes } from '../../shared/api/bytes.js';
import { formatAddress } from '../lib/format.js';
import { useMemory } from '../stores/memory-store.js';
import { useViewer } from '../stores/viewer-store.js';

/** The bytes as a number when the size is a scalar's, else hex (cut when long). */
function show(hex: string | null): string {
  if (hex === null) return 'unmapped';
  const shown = formatLittleEndian(hexToBytes(hex));
  return shown.length > 40 ? shown.slice(0, 32) + '…' : shown;
}

export function ChangesPanel(): React.JSX.Element {
  const changes = useMemory((s) => s.changes);
  const select = useViewer((s) => s.select);
  const selected = useViewer((s) => s.selected);
  if (!changes) return <div className="hint">Select bytes in the memory view, then “When did this change?”.</div>;
  return (
    <div className="changes" data-testid="changes-panel">
      <div className="changes-head">
        {formatAddress(changes.sel.addr)}
        {changes.symbol && <span data-testid="changes-symbol"> ({changes.symbol})</span>} · {changes.sel.len} byte{changes.sel.len === 1 ? '' : 's'}
        {changes.result && (
          <span className="dim">
            {' '}
            · {changes.result.changes.length} change{changes.result.changes.length === 1 ? '' : 's'}
            {changes.result.truncated ? ' (first shown)' : ''}
          </span>
        )}
      </div>
      {changes.loading && <div className="hint">Searching…</div>}
      {changes.error && <div className="inline-error">{changes.error}</div>}
      <ol className="change-list">
        {changes.result?.changes.map((c) => (
          <li key={c.checkpoint} className={c.checkpoint === selected ? 'current' : ''} data-testid="change-item" data-checkpoint={c.checkpoint} onClick={() => select(c.checkpoint)}>
            <span className="k">#{c.checkpoint}</span>
            <span className="before">{show(c.old)}</span>
            <span className="arrow">→</span>
            <span className="after">{show(c.new)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
