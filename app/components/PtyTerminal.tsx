/**
 * An interactive terminal (xterm.js) for a process on a pty in the main process: the program
 * being recorded (Recording screen) and gdb ("Open in gdb"). It fills its box, tells the
 * owner its size (once when it mounts, then on every change) and every keystroke; the owner
 * feeds it output through `stream`.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef } from 'react';
import { theme } from '../lib/theme.js';
import { xtermTheme } from './TerminalAt.js';

/** Where a terminal's output comes from: what was written so far, and a tap for what follows. */
export interface TerminalStream {
  initial(): string;
  subscribe(cb: (data: string) => void): () => void;
}

export interface PtyTerminalProps {
  /** null: nothing to show yet (the terminal is not cleared when a stream arrives). Keep it stable (useMemo). */
  readonly stream: TerminalStream | null;
  readonly onInput: (data: string) => void;
  readonly onResize: (cols: number, rows: number) => void;
  /** Typing reaches the process; false once it is gone (no cursor inviting input). */
  readonly interactive: boolean;
  /** Take the keyboard focus now (on mount, and whenever this turns true). */
  readonly focused: boolean;
  readonly className?: string;
  readonly testId: string;
}

export function PtyTerminal({ stream, onInput, onResize, interactive, focused, className, testId }: PtyTerminalProps): React.JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const callbacks = useRef({ onInput, onResize });
  callbacks.current = { onInput, onResize };

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const t = new Terminal({ convertEol: false, fontSize: 13, fontFamily: theme.mono, theme: xtermTheme, scrollback: 10000, cursorBlink: true, cursorInactiveStyle: 'none' });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(el);
    term.current = t;
    let sent = '';
    const fitAndReport = (): void => {
      if (el.clientWidth === 0 || el.clientHeight === 0) return; // hidden (an inactive tab)
      try {
        fit.fit();
      } catch {
        return; // not laid out yet
      }
      const size = `${t.cols}x${t.rows}`;
      if (size !== sent) {
        sent = size;
        callbacks.current.onResize(t.cols, t.rows);
      }
    };
    fitAndReport();
    const onData = t.onData((data) => callbacks.current.onInput(data));
    const ro = new ResizeObserver(fitAndReport);
    ro.observe(el);
    return () => {
      ro.disconnect();
      onData.dispose();
      t.dispose();
      term.current = null;
    };
  }, []);

  useEffect(() => {
    const t = term.current;
    if (!t || !stream) return;
    t.write(stream.initial());
    return stream.subscribe((d) => t.write(d));
  }, [stream]);

  useEffect(() => {
    const t = term.current;
    if (!t) return;
    t.options.disableStdin = !interactive;
    t.options.cursorBlink = interactive;
    if (!interactive) t.blur();
  }, [interactive]);

  useEffect(() => {
    if (focused && interactive) term.current?.focus();
  }, [focused, interactive]);

  return <div className={className ? `pty-terminal ${className}` : 'pty-terminal'} ref={host} data-testid={testId} />;
}
