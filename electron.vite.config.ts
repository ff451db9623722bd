/**
 * The desktop app's build (`electron-vite build`, run by `npm start` and `npm run build:electron`):
 *   main      main/electron/index.ts (ESM)  -> out/main/index.js, plus the recorder's ingest
 *             worker next to it (out/main/ingest-worker.js: session.ts starts it from its own
 *             folder); node-pty and the other dependencies stay external (native-codec's
 *             addon is found from the bundle's folder upwards: main/store/native.ts);
 *   preload   main/electron/preload.ts      -> out/preload/index.cjs (CommonJS: sandboxed
 *             preloads cannot be ES modules), fully bundled;
 *   renderer  app/                           -> out/renderer, the same Vite config as the
 *             browser build (app/vite.config.ts).
 * Nothing test-only is an entry here: a chunk shared with a test would drag test code into main.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './app/vite.config.js';

const at = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: at('./out/main'),
      rollupOptions: {
        input: { index: at('./main/electron/index.ts'), 'ingest-worker': at('./main/recorder/ingest-worker.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: at('./out/preload'),
      externalizeDeps: false,
      rollupOptions: {
        input: { index: at('./main/electron/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: (() => {
    const base = rendererConfig(at('./out/renderer'));
    return { ...base, build: { ...base.build, rolldownOptions: { ...base.build?.rolldownOptions, input: at('./app/index.html') } } };
  })(),
});
