/**
 * Search: a predicate over memory and registers (Monaco, with symbol completion and syntax
 * errors underlined where the parser says), and two ways to search it:
 *   Bisect  binary search for the first checkpoint where a monotone predicate holds;
 *   Find    exact search: every checkpoint where it becomes true (no monotonicity assumed).
 * Progress and Cancel while it runs; results become timeline markers and a clickable list.
 * Ctrl+Enter runs Bisect.
 */
import { useEffect, useRef, useState } from 'react';
import { monaco } from '../lib/monaco.js';
import { markError, PREDICATE_LANGUAGE, registerPredicateLanguage, setCompletionRecording, validatePredicate } from '../lib/predicate-language.js';
import { useSearch, type SearchOutcome } from '../stores/search-store.js';
import { useViewer } from '../stores/viewer-store.js';

export function SearchPanel(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const select = useViewer((s) => s.select);
  const selected = useViewer((s) => s.selected);
  const { predicate, running, result, error, setPredicate, run, cancel } = useSearch();
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [syntaxError, setSyntaxError] = useState<string | null>(null);

  useEffect(() => setCompletionRecording(rec), [rec]);

  useEffect(() => {
    if (!host.current) return;
    registerPredicateLanguage();
    const model = monaco.editor.createModel(useSearch.getState().predicate, PREDICATE_LANGUAGE);
    const ed = monaco.editor.create(host.current, {
      model,
      theme: 'delorean',
      automaticLayout: true,
      minimap: { enabled: false },
      lineNumbers: 'off',
      glyphMargin: false,
      folding: false,
      wordWrap: 'on',
      fontSize: 13,
      lineHeight: 19,
      fontFamily: 'var(--mono)',
      scrollBeyondLastLine: false,
      renderLineHighlight: 'none',
      overviewRulerLanes: 0,
      hideCursorInOverviewRuler: true,
      scrollbar: { vertical: 'auto', horizontal: 'hidden', verticalScrollbarSize: 8 },
      lineDecorationsWidth: 6,
      contextmenu: false,
      quickSuggestions: { other: true, comments: false, strings: false },
      // What runs is exactly what was typed: nothing closes or surrounds by itself.
      autoClosingBrackets: 'never',
      autoClosingQuotes: 'never',
      autoClosingOvertype: 'never',
      autoClosingDelete: 'never',
      autoSurround: 'never',
      fixedOverflowWidgets: true,
      ariaLabel: 'Predicate',
      placeholder: 'e.g. u32(&counter) >= 10',
    });
    editor.current = ed;
    const sub = model.onDidChangeContent(() => {
      setPredicate(model.getValue());
      setSyntaxError(validatePredicate(model));
    });
    ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => {
      const r = useViewer.getState().summary?.rec;
      if (r) void useSearch.getState().run(r, 'bisect');
    });
    return () => {
      sub.dispose();
      ed.dispose();
      model.dispose();
      editor.current = null;
    };
  }, [setPredicate]);

  // Errors the service found (an unknown symbol, an evaluation failure) go under the text too.
  useEffect(() => {
    const model = editor.current?.getModel();
    if (model && error) markError(model, error.position, error.message);
  }, [error]);

  // Jump to a bisect answer as soon as it arrives.
  useEffect(() => {
    if (result?.mode === 'bisect' && result.checkpoints[0] !== undefined) select(result.checkpoints[0]);
  }, [result, select]);

  const fraction = running?.progress?.fraction ?? null;
  const canRun = Boolean(rec && predicate.trim() && !syntaxError && !running);

  return (
    <section className="panel search" data-testid="search-panel">
      <header className="panel-head">
        <h2>Search</h2>
        <span className="dim">u8..u64, i8..i64, f32, f64, ptr, cstr, bytes · $registers · symbols</span>
      </header>
      <div className="predicate-editor" ref={host} data-testid="predicate-editor" />
      {syntaxError && (
        <div className="inline-error" data-testid="predicate-syntax-error">
          {syntaxError}
        </div>
      )}
      <div className="search-actions">
        <button data-testid="search-bisect" disabled={!canRun} onClick={() => rec && void run(rec, 'bisect')} title="First checkpoint where the predicate holds (it must stay true once true): Ctrl+Enter">
          Bisect
        </button>
        <button data-testid="search-find" disabled={!canRun} onClick={() => rec && void run(rec, 'find')} title="Every checkpoint where the predicate becomes true">
          Find all
        </button>
        {running && (
          <>
            <div className="progress" data-testid="search-progress" title={running.progress?.message ?? ''}>
              <div className="bar" style={{ width: fraction === null ? '100%' : `${Math.round(fraction * 100)}%` }} data-indeterminate={fraction === null} />
            </div>
            <button data-testid="search-cancel" onClick={() => void cancel()}>
              Cancel
            </button>
          </>
        )}
      </div>
      {error && !syntaxError && (
        <div className="inline-error" data-testid="search-error">
          {error.message}
        </div>
      )}
      {result && !running && (
        <div className="search-result" data-testid="search-result">
          <div className="dim" data-testid="search-summary">
            {summarize(result)}
          </div>
          {result.failures.length > 0 && (
            <div className="inline-error" data-testid="search-failures">
              {result.failures.slice(0, 3).map((f) => (
                <div key={f.checkpoint}>
                  from #{f.checkpoint}: {f.error}
                </div>
              ))}
              {result.failures.length > 3 && <div>and {result.failures.length - 3} more</div>}
            </div>
          )}
          <ol className="result-list">
            {result.checkpoints.slice(0, 200).map((k) => (
              <li key={k} className={k === selected ? 'current' : ''} data-testid="search-result-item" data-checkpoint={k} onClick={() => select(k)}>
                #{k}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

/** What a search found, in words: the first match, or how many matches (or value changes). */
function summarize(r: SearchOutcome): string {
  const n = r.checkpoints.length;
  const plural = (w: string): string => (n === 1 ? w : w === 'match' ? 'matches' : `${w}s`);
  const failed = r.failures.length > 0 ? ', evaluation failed' : '';
  if (r.mode === 'bisect') return n ? `first true at #${r.checkpoints[0]} (${r.work} probes)` : `never true (${r.work} probes)`;
  const what = r.condition ? plural('match') : `${plural('change')} of its value`;
  return `${n}${r.truncated ? '+' : ''} ${what} (${r.work} evaluations${failed})`;
}
