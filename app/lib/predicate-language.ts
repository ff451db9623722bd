/**
 * The predicate language in Monaco: tokens for highlighting, completion of symbols (asked from
 * the engine for the open recording) and read functions, and syntax errors as squiggles at
 * the position the shared parser (shared/predicate/) reports, so errors show while typing,
 * before anything is sent.
 */
import { parsePredicate, PredicateSyntaxError, READ_FUNCTIONS } from '../../shared/predicate/index.js';
import { api } from './api.js';
import { monaco } from './monaco.js';

export const PREDICATE_LANGUAGE = 'delorean-predicate';

let currentRec: string | null = null;
/** The recording completions come from (the viewer sets it). */
export function setCompletionRecording(rec: string | null): void {
  currentRec = rec;
}

let registered = false;
export function registerPredicateLanguage(): void {
  if (registered) return;
  registered = true;
  monaco.languages.register({ id: PREDICATE_LANGUAGE });
  // No auto-closing pairs: a bracket the user did not type would turn a malformed predicate
  // into a valid one that runs (the editor's options turn auto-closing off too).
  monaco.languages.setLanguageConfiguration(PREDICATE_LANGUAGE, {
    brackets: [['(', ')']],
    wordPattern: /[A-Za-z_][\w.]*/,
  });
  monaco.languages.setMonarchTokensProvider(PREDICATE_LANGUAGE, {
    tokenizer: {
      root: [
        [/\$(?:tid:\d+\.|\d+\.)?[A-Za-z][\w]*/, 'register'],
        [new RegExp(`\\b(?:${READ_FUNCTIONS.join('|')})(?=\\()`), 'function'],
        [/0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?/, 'number'],
        [/"([^"\\]|\\.)*"/, 'string'],
        [/[A-Za-z_][\w.+-]*![A-Za-z_][\w.]*|[A-Za-z_][\w.]*/, 'symbol'],
        [/[-+*/%&|^~!<>=]+|[(),]/, 'operator'],
      ],
    },
  });
  monaco.languages.registerCompletionItemProvider(PREDICATE_LANGUAGE, {
    triggerCharacters: ['_'],
    async provideCompletionItems(model, position) {
      const word = model.getWordUntilPosition(position);
      const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
      const functions = READ_FUNCTIONS.filter((f) => f.startsWith(word.word)).map((f) => ({
        label: f,
        kind: monaco.languages.CompletionItemKind.Function,
        insertText: f === 'bytes' ? 'bytes(${1:addr}, ${2:len})' : `${f}(\${1:addr})`,
        insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
        detail: f === 'cstr' ? 'C string at an address' : f === 'bytes' ? 'bytes at an address' : `${f} at an address`,
        range,
      }));
      let symbols: { label: string; kind: number; insertText: string; detail: string; range: typeof range }[] = [];
      if (currentRec && word.word.length > 0) {
        try {
          const found = await api().complete({ rec: currentRec, prefix: word.word, limit: 50 });
          symbols = found.map((s) => ({
            label: s.name,
            kind: s.kind === 'function' ? monaco.languages.CompletionItemKind.Method : monaco.languages.CompletionItemKind.Variable,
            insertText: s.name,
            detail: `${s.kind} ${s.addr}${s.size ? ` (${s.size} bytes)` : ''}`,
            range,
          }));
        } catch {
          // No completions is better than an error popup while typing.
        }
      }
      // Symbol lists are capped: ask again as the word grows rather than filter a partial list.
      return { suggestions: [...functions, ...symbols], incomplete: symbols.length >= 50 || word.word.length === 0 };
    },
  });
}

/** Squiggles for the predicate in `model`; returns the syntax error message, or null. */
export function validatePredicate(model: monaco.editor.ITextModel): string | null {
  const text = model.getValue();
  const markers: monaco.editor.IMarkerData[] = [];
  let message: string | null = null;
  if (text.trim()) {
    try {
      parsePredicate(text);
    } catch (e) {
      if (e instanceof PredicateSyntaxError) {
        message = e.message;
        markers.push(markerAt(model, e.position, Math.max(e.end, e.position + 1), e.message));
      } else throw e;
    }
  }
  monaco.editor.setModelMarkers(model, 'predicate', markers);
  return message;
}

/** A marker for an error the service reported at `position` (evaluation errors, unknown symbols). */
export function markError(model: monaco.editor.ITextModel, position: number | null, message: string): void {
  const markers = position === null ? [] : [markerAt(model, position, position + 1, message)];
  monaco.editor.setModelMarkers(model, 'predicate', markers);
}

function markerAt(model: monaco.editor.ITextModel, start: number, end: number, message: string): monaco.editor.IMarkerData {
  const len = model.getValueLength();
  const a = model.getPositionAt(Math.min(start, len));
  const b = model.getPositionAt(Math.min(Math.max(end, start + 1), len + 1));
  const sameSpot = a.lineNumber === b.lineNumber && a.column === b.column;
  return {
    severity: monaco.MarkerSeverity.Error,
    message,
    startLineNumber: a.lineNumber,
    startColumn: sameSpot ? Math.max(1, a.column - 1) : a.column,
    endLineNumber: b.lineNumber,
    endColumn: sameSpot ? a.column + 1 : b.column,
  };
}
