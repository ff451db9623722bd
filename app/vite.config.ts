/**
 * The renderer's build for browser mode (`npm run build:web`): app/ -> out/web, served by the
 * WebSocket bridge (main/bridge/server.ts) and driven by the e2e tests in Chromium. The
 * Electron build of the same renderer lives in electron.vite.config.ts (out/renderer); both use
 * rendererConfig below so they cannot drift.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Shared by both renderer builds: React, relative asset URLs, Monaco's worker bundled locally. */
export function rendererConfig(outDir: string): UserConfig {
  return {
    root: here,
    base: './',
    plugins: [react()],
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'chrome120',
      chunkSizeWarningLimit: 6000, // Monaco is big; it is local, not downloaded
      sourcemap: false,
      // Monaco's worker takes a second or two to bundle; that is expected, not worth a warning.
      rolldownOptions: { checks: { bundlerTimings: false } },
    },
    logLevel: 'warn',
  };
}

export default defineConfig(rendererConfig(fileURLToPath(new URL('../out/web', import.meta.url))));
