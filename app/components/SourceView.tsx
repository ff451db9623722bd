/**
 * Source at the selected checkpoint: the file and line of the stopped thread's pc (from the
 * binary's line table), shown read-only in Monaco with the current line highlighted. When
 * the thread stopped in code without source (a libc system call wrapper), the service shows
 * the innermost caller with source (DWARF unwinding) and says where the thread really stopped;
 * the Stack tab lists every frame and picks another. With no line
 * information at all (a stripped binary) it says so, with the function name when known.
 */
import { useEffect, useRef } from 'react';
import { api } from '../lib/api.js';
import { monaco } from '../lib/monaco.js';
import { useQuery } from '../lib/use-query.js';
import { frameFor, useSource } from '../stores/source-store.js';
import { useViewer } from '../stores/viewer-store.js';

const models = new Map<string, monaco.editor.ITextModel>();

function modelFor(file: string, text: string): monaco.editor.ITextModel {
  let m = models.get(file);
  if (m && m.getValue() !== text) m.setValue(text);
  if (!m) {
    m = monaco.editor.createModel(text, file.endsWith('.c') || file.endsWith('.h') ? 'c' : file.match(/\.(cc|cpp|cxx|hpp)$/) ? 'cpp' : 'plaintext', monaco.Uri.file(file));
    models.set(file, m);
  }
  return m;
}

export function SourceView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const frame = useSource((s) => frameFor(s.choice, k));
  const q = useQuery(rec ? () => api().source({ rec, k, frame }) : null, [rec, k, frame]);
  useEffect(() => useSource.getState().setLocation(q.data), [q.data]);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const ed = monaco.editor.create(host.current, {
      readOnly: true,
      domReadOnly: true,
      theme: 'delorean',
      automaticLayout: true,
      minimap: { enabled: false },
      glyphMargin: true,
      fontSize: 12,
      lineHeight: 18,
      fontFamily: 'var(--mono)',
      scrollBeyondLastLine: false,
      renderLineHighlight: 'none',
      contextmenu: false,
      folding: false,
      lineNumbersMinChars: 4,
    });
    editor.current = ed;
    decorations.current = ed.createDecorationsCollection();
    return () => {
      ed.dispose();
      editor.current = null;
    };
  }, []);

  const loc = q.data;
  // The line table can name a line the file does not have (a rebuilt file, a toolchain bug).
  const lineCount = loc?.text ? loc.text.split('\n').length : 0;
  const lineOk = loc?.line !== null && loc?.line !== undefined && loc.line >= 1 && loc.line <= lineCount;
  useEffect(() => {
    const ed = editor.current;
    if (!ed || !loc?.file || loc.text === null || loc.line === null) return;
    const model = modelFor(loc.file, loc.text);
    if (ed.getModel() !== model) ed.setModel(model);
    if (!lineOk) {
      decorations.current?.clear();
      return;
    }
    decorations.current?.set([
      {
        range: new monaco.Range(loc.line, 1, loc.line, 1),
        options: { isWholeLine: true, className: 'current-line', glyphMarginClassName: 'current-line-glyph', linesDecorationsClassName: 'current-line-bar' },
      },
    ]);
    ed.revealLineInCenterIfOutsideViewport(loc.line);
  }, [loc, lineOk]);

  const hasText = Boolean(loc?.file && loc.text !== null && loc.line !== null);
  return (
    <section className="panel source" data-testid="source-view">
      <header className="panel-head">
        <h2>Source</h2>
        <span className="source-loc" data-testid="source-location" title={loc?.file ?? ''}>
          {loc ? (
            <>
              {loc.file ? `${loc.file.split('/').at(-1)}:${loc.line ?? '?'}` : 'no line info'}
              <span className="dim">
                {' '}
                {loc.function ?? ''} · {loc.frame > 0 ? `frame #${loc.frame}` : `pc ${loc.pc}`} · thread {loc.tid}
              </span>
            </>
          ) : q.error ? (
            <span className="inline-error">{q.error}</span>
          ) : null}
        </span>
      </header>
      {loc?.stoppedIn && (
        <div className="source-note" data-testid="source-stopped-in">
          Stopped in <span className="mono">{loc.stoppedIn}</span> (no source here); showing its caller, frame #{loc.frame} of the stack.
        </div>
      )}
      {loc && loc.text !== null && !lineOk && (
        <div className="source-note warn">
          The line table says line {loc.line}, which {loc.file?.split('/').at(-1)} does not have (the file changed, or the compiler named the wrong file).
        </div>
      )}
      <div className="source-body">
        <div ref={host} className="monaco-host" style={{ visibility: hasText ? 'visible' : 'hidden' }} />
        {!loc && q.data === null && !q.loading && !q.error && <div className="hint overlay">No thread state recorded at this checkpoint.</div>}
        {!hasText && loc && (
          <div className="hint overlay">
            {loc.file ? `The source file ${loc.file} is not readable here.` : `No line information for ${loc.function ?? loc.pc}.`}
          </div>
        )}
      </div>
    </section>
  );
}
