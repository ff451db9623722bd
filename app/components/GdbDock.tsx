/**
 * The gdb dock under the viewer: one tab per "Open in gdb", each a terminal running the real
 * gdb against the recording at that checkpoint (the service's gdb server). Shown while any tab
 * is open; closing a tab ends its gdb. Tabs stay mounted while hidden, so switching keeps each
 * terminal as it was. Its top edge drags to resize it.
 */
import { useMemo, useRef, useState } from 'react';
import { formatCount } from '../lib/format.js';
import { useGdb } from '../stores/gdb-store.js';
import type { GdbTab } from '../stores/updates/gdb.js';
import { useViewer } from '../stores/viewer-store.js';
import { PtyTerminal, type TerminalStream } from './PtyTerminal.js';

const HELP = 'watch a variable, then continue / reverse-continue stop where it changes · stepi / reverse-stepi: one checkpoint · monitor goto K · monitor help';
/** The viewer keeps at least this much above the dock (checkpoint bar, timeline, some panels). */
const VIEWER_MIN = 330;
const DOCK_MIN = 120;
/** The height the user dragged the dock to, kept while the app runs (null: the stylesheet's). */
let draggedHeight: number | null = null;

export function GdbDock(): React.JSX.Element | null {
  const tabs = useGdb((s) => s.tabs);
  const active = useGdb((s) => s.active);
  const { activate, close } = useGdb.getState();
  const select = useViewer((s) => s.select);
  const [height, setHeight] = useState(draggedHeight);
  const dock = useRef<HTMLElement>(null);
  if (tabs.length === 0) return null;
  const shown = tabs.find((t) => t.id === active) ?? null;

  const startDrag = (e: React.PointerEvent<HTMLDivElement>): void => {
    const el = dock.current;
    const viewer = el?.parentElement;
    if (!el || !viewer) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    const y0 = e.clientY;
    const h0 = el.getBoundingClientRect().height;
    const max = Math.max(DOCK_MIN, viewer.clientHeight - VIEWER_MIN);
    const move = (m: PointerEvent): void => {
      draggedHeight = Math.round(Math.min(max, Math.max(DOCK_MIN, h0 + y0 - m.clientY)));
      setHeight(draggedHeight);
    };
    const target = e.currentTarget;
    const up = (): void => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
      target.removeEventListener('pointercancel', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
    target.addEventListener('pointercancel', up);
  };

  return (
    <section className="panel gdb-dock" data-testid="gdb-dock" ref={dock} style={height !== null ? { height } : undefined}>
      <div className="gdb-resize" onPointerDown={startDrag} title="Drag to resize" aria-hidden="true" />
      <nav className="tabs" role="tablist">
        {tabs.map((t) => (
          <span key={t.id} className={t.id === active ? 'tab closable on' : 'tab closable'} data-testid="gdb-tab" data-k={t.k} data-status={t.status}>
            <button role="tab" aria-selected={t.id === active} onClick={() => activate(t.id)} title={t.program ?? undefined}>
              <span className={`gdb-dot ${t.status}`} aria-hidden="true" />
              gdb #{formatCount(t.k)}
            </button>
            <button className="close" onClick={() => close(t.id)} title="Close (ends this gdb)" aria-label={`Close gdb #${t.k}`} data-testid="gdb-tab-close">
              ×
            </button>
          </span>
        ))}
        <span className="spacer" />
        {shown?.status === 'running' && shown.program && shown.address !== null && (
          <span className="gdb-where dim" title={HELP}>
            {shown.program.split('/').at(-1)} at{' '}
            <button className="link" onClick={() => select(shown.k)} title="Select this checkpoint in the viewer">
              #{formatCount(shown.k)}
            </button>{' '}
            · {shown.address} · {HELP}
          </span>
        )}
      </nav>
      <div className="gdb-body">
        {tabs.map((t) => (
          <GdbTabView key={`${t.id}:${t.attempt}`} tab={t} shown={t.id === active} />
        ))}
      </div>
    </section>
  );
}

function GdbTabView({ tab, shown }: { tab: GdbTab; shown: boolean }): React.JSX.Element {
  const { input, resize, restart, close } = useGdb.getState();
  const sessionId = tab.sessionId;
  const stream = useMemo<TerminalStream | null>(
    () => (sessionId ? { initial: () => useGdb.getState().output(sessionId), subscribe: (cb) => useGdb.getState().onOutput(sessionId, cb) } : null),
    [sessionId],
  );

  return (
    <div className={shown ? 'gdb-view' : 'gdb-view hidden'} data-testid="gdb-view" data-k={tab.k}>
      {tab.status === 'failed' ? (
        <div className="gdb-failed" role="alert" data-testid="gdb-error">
          <p>Cannot open gdb at #{formatCount(tab.k)}.</p>
          <p className="message">{tab.message}</p>
          <div className="actions">
            <button onClick={() => restart(tab.id)}>Try again</button>
            <button onClick={() => close(tab.id)}>Close</button>
          </div>
        </div>
      ) : (
        <>
          <PtyTerminal
            stream={stream}
            onInput={(data) => input(tab.id, data)}
            onResize={(cols, rows) => resize(tab.id, cols, rows)}
            interactive={tab.status !== 'exited'}
            focused={shown && tab.status === 'running'}
            className="gdb-terminal"
            testId="gdb-terminal"
          />
          {tab.status === 'starting' && <div className="gdb-note dim">Starting gdb at #{formatCount(tab.k)}…</div>}
          {tab.status === 'exited' && (
            <div className="gdb-note" data-testid="gdb-exited">
              <span>{tab.message}.</span>
              <button onClick={() => restart(tab.id)}>Open again at #{formatCount(tab.k)}</button>
              <button onClick={() => close(tab.id)}>Close</button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
