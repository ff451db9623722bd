/** Module shapes that only Vite understands (the renderer is bundled by Vite). */
declare module '*?worker' {
  const WorkerConstructor: new () => Worker;
  export default WorkerConstructor;
}
declare module '*.css';
declare module 'monaco-editor/languages/definitions/cpp/register';
