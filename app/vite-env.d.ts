/** Module shapes that only Vite understands (the renderer is bundled by Vite). */
declare module '*?worker' {
  const WorkerConstructor: new () => Worker;
  export default WorkerConstructor;
}
declare module '*.css';
declare module 'monaco-editor/languages/definitions/cpp/register';
declare module 'monaco-editor/editor/contrib/suggest/browser/suggestController';
declare module 'monaco-editor/editor/contrib/snippet/browser/snippetController2';
