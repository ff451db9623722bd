/**
 * The Electron main process: one window over the same service the browser mode uses
 * (main/api/service.ts). With main/electron/preload.ts, the only files that import `electron`.
 *
 * Security:
 *   - the renderer runs with contextIsolation, sandbox, no nodeIntegration, webSecurity on;
 *   - it is loaded from a custom privileged scheme (delorean://app/, protocol.handle), not
 *     file://, so Monaco's worker can start; every response carries a strict CSP;
 *   - navigation away from delorean://app, window.open, webviews and permission requests
 *     (camera, notifications, ...) are refused;
 *   - IPC has one channel, `delorean:invoke`: a call is served only when it comes from our
 *     window's top frame at our origin, and its method and params are validated by the
 *     contract (service.invoke) before anything runs. Events go out on `delorean:event`.
 *
 * Command line: `electron . [--demo] [REC]` (npm start passes --demo: New recording opens
 * with the bundled demo filled in; `delorean open REC` passes the recording).
 */
import { app, BrowserWindow, ipcMain, protocol, session, type IpcMainInvokeEvent } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyEvent, Outcome } from '../../shared/api/contract.js';
import { DeloreanService } from '../api/service.js';

const SCHEME = 'delorean';
const ORIGIN = `${SCHEME}://app`;
const INVOKE = 'delorean:invoke';
const EVENT = 'delorean:event';
const here = fileURLToPath(new URL('.', import.meta.url));
const rendererDir = resolve(here, '../renderer');

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Arguments after the app path: flags, and at most one recording. */
function parseCommandLine(argv: readonly string[]): { demo: boolean; recording: string | null } {
  const rest = argv.slice(app.isPackaged ? 1 : 2);
  const positional = rest.filter((a) => !a.startsWith('-'));
  return { demo: rest.includes('--demo'), recording: positional[0] ? resolve(positional[0]) : null };
}

// Must happen before `ready`: our scheme behaves like https (secure context, fetch, workers).
protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);

async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== 'app') return new Response('not found', { status: 404 });
  const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
  const file = normalize(join(rendererDir, rel));
  if (!file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, {
      headers: { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

let window: BrowserWindow | null = null;

/** Only our own window's top frame, showing our own origin, may call the API. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return window !== null && event.sender === window.webContents && frame !== null && frame === event.sender.mainFrame && frame.url.startsWith(`${ORIGIN}/`);
}

async function main(): Promise<void> {
  await app.whenReady();
  const { demo, recording } = parseCommandLine(process.argv);
  // The recorder binary sits in the app folder (session.ts would look relative to its bundle).
  process.env.DELOREAN_RECORDER ??= join(app.getAppPath(), 'native-recorder', 'build', 'delorean-recorder');

  protocol.handle(SCHEME, serveRenderer);
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const service = new DeloreanService({ face: 'electron', initialRecording: recording, preselectDemo: demo });
  ipcMain.handle(INVOKE, async (event, method: unknown, params: unknown): Promise<Outcome<unknown>> => {
    if (!isTrustedSender(event)) return { ok: false, error: { message: 'refused: this frame may not call the DeLorean API', code: 'failed' } };
    return service.invoke(method, params);
  });
  service.on((e: AnyEvent) => {
    if (window && !window.isDestroyed()) window.webContents.send(EVENT, e);
  });

  window = new BrowserWindow({
    width: 1560,
    height: 960,
    minWidth: 1100,
    minHeight: 700,
    title: 'DeLorean',
    backgroundColor: '#16181d',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window?.show());
  window.on('closed', () => (window = null));
  await window.loadURL(`${ORIGIN}/index.html`);

  app.on('window-all-closed', () => {
    void service.dispose().finally(() => app.quit());
  });
}

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

main().catch((e: unknown) => {
  console.error(`DeLorean failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  app.exit(1);
});
