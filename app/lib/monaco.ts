/**
 * Monaco, bundled locally (no CDN loader): the editor API, the few features the app uses, C
 * highlighting for the source view, our dark theme, and the editor worker started from a
 * bundled script (workers cannot start from file://, which is why the Electron app loads the
 * renderer from a custom protocol).
 *
 * monaco-editor 0.57 maps `monaco-editor/X` to esm/vs/X.js (`monaco-editor/esm/vs/...` is
 * blocked by its package exports): the editor API, per-feature `register` modules, and a
 * few contributions by path.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/suggest/register';
// The suggest widget and snippet insertion are not in features/suggest/register (only
// editor.main pulls them in); these subpaths are allowed by the package's exports map.
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/editor/contrib/snippet/browser/snippetController2';
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/find/register';
import 'monaco-editor/features/bracketMatching/register';
import 'monaco-editor/features/gotoLine/register';
import 'monaco-editor/features/placeholderText/register';
import 'monaco-editor/languages/definitions/cpp/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { theme } from './theme.js';

self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

monaco.editor.defineTheme('delorean', {
  base: 'vs-dark',
  inherit: true,
  rules: [
    { token: 'register', foreground: 'c792ea' },
    { token: 'function', foreground: '82aaff' },
    { token: 'symbol', foreground: 'e2b340' },
    { token: 'number', foreground: 'f78c6c' },
    { token: 'string', foreground: 'c3e88d' },
    { token: 'operator', foreground: '89ddff' },
  ],
  colors: {
    'editor.background': theme.bg,
    'editor.lineHighlightBackground': '#1f232b',
    'editorGutter.background': theme.bg,
    'editorLineNumber.foreground': theme.textFaint,
    'editorLineNumber.activeForeground': theme.textDim,
    'editorWidget.background': theme.panelAlt,
    'editorSuggestWidget.background': theme.panelAlt,
    'editorSuggestWidget.border': theme.border,
  },
});

export { monaco };
