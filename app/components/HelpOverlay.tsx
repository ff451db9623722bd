/**
 * The shortcut list: opened with ? or F1 (or the title bar's ? button), closed with Escape, a
 * click outside, or ? / F1 again. `?` is ignored while typing (inputs, Monaco, a terminal); F1
 * works everywhere.
 */
import { useEffect } from 'react';
import { isTyping } from '../lib/keys.js';

const SHORTCUTS: ReadonlyArray<readonly [string, string]> = [
  ['← →', 'previous / next checkpoint'],
  ['PgUp PgDn', 'a tenth of the visible timeline back / forward'],
  ['Home End', 'first / last checkpoint'],
  ['[ ]', 'previous / next marker: bookmark, search result or change'],
  ['P', 'pin the checkpoint (memory, diff and registers compare with it); again to unpin'],
  ['B', 'bookmark the checkpoint'],
  ['+ -', 'zoom the timeline in / out around the selection'],
  ['wheel', 'over the timeline: zoom at the pointer (shift: pan); over memory: scroll'],
  ['drag', 'on the timeline: scrub (shift or middle button: pan)'],
  ['Ctrl+Enter', 'in the predicate: bisect'],
  ['? F1', 'this list'],
];

export function HelpOverlay({ open, onToggle }: { open: boolean; onToggle: (open: boolean) => void }): React.JSX.Element | null {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'F1' || (e.key === '?' && !isTyping(e.target))) {
        e.preventDefault();
        onToggle(!open);
      } else if (e.key === 'Escape' && open) onToggle(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onToggle]);

  if (!open) return null;
  return (
    <div className="help-backdrop" onClick={() => onToggle(false)}>
      <div className="help" role="dialog" aria-label="Keyboard shortcuts" data-testid="help" onClick={(e) => e.stopPropagation()}>
        <header>
          <h2>Keyboard shortcuts</h2>
          <button onClick={() => onToggle(false)} title="Close (Escape)">
            ✕
          </button>
        </header>
        <table>
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <td>
                  {keys.split(' ').map((k) => (
                    <kbd key={k}>{k}</kbd>
                  ))}
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
