/**
 * The program's terminal as it was at the selected checkpoint: the recorded output up to it,
 * replayed into a read-only xterm (so colours and cursor movement come out as they did).
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef } from 'react';
import { api } from '../lib/api.js';
import { theme } from '../lib/theme.js';
import { useQuery } from '../lib/use-query.js';
import { useViewer } from '../stores/viewer-store.js';

export const xtermTheme = { background: theme.bg, foreground: theme.text, cursor: theme.textDim, selectionBackground: '#2d4f6d' };

export function TerminalAt(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  // The answer names its checkpoint: the header says whose output is shown, not the selection's.
  const q = useQuery(rec ? () => api().terminal({ rec, k }).then((t) => ({ ...t, k })) : null, [rec, k]);
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const t = new Terminal({ disableStdin: true, convertEol: true, fontSize: 12, fontFamily: theme.mono, theme: xtermTheme, scrollback: 5000, cursorBlink: false, cursorInactiveStyle: 'none' });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(host.current);
    const ro = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        // Not laid out yet.
      }
    });
    ro.observe(host.current);
    term.current = t;
    return () => {
      ro.disconnect();
      t.dispose();
      term.current = null;
    };
  }, []);

  useEffect(() => {
    const t = term.current;
    if (!t || !q.data) return;
    t.reset();
    t.write(q.data.text);
  }, [q.data]);

  return (
    <section className="panel terminal-at" data-testid="terminal-at" data-k={q.data?.k ?? ''} data-bytes={q.data?.totalBytes ?? ''}>
      <header className="panel-head">
        <h2>Output</h2>
        <span className="dim" data-testid="terminal-at-head">
          {q.data ? `printed before #${q.data.k}` : q.error ? '' : '…'}
          {q.data?.truncated ? ` · last part of ${q.data.totalBytes} bytes` : q.data ? ` · ${q.data.totalBytes} bytes` : ''}
          {q.data && q.data.k !== k ? ' · …' : ''}
        </span>
        {q.error && <span className="inline-error">{q.error}</span>}
      </header>
      <div className="xterm-host" ref={host} data-testid="terminal-at-text" />
    </section>
  );
}
