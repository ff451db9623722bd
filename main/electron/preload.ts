/**
 * The Electron preload (sandboxed, context-isolated): exposes the typed API contract to the
 * renderer as `window.delorean` through contextBridge: one function per contract method,
 * answering an Outcome (so error codes and positions survive the bridge), and an event
 * subscription. Nothing else of Electron or Node reaches the page. Built as CommonJS
 * (out/preload/index.cjs), as sandboxed preloads must be.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { METHOD_NAMES, type AnyEvent, type DeloreanPreload, type Outcome, type PreloadApi } from '../../shared/api/contract.js';

const listeners = new Set<(e: AnyEvent) => void>();
ipcRenderer.on('delorean:event', (_event, e: AnyEvent) => {
  for (const l of listeners) l(e);
});

const api = Object.fromEntries(METHOD_NAMES.map((m) => [m, (params: unknown): Promise<Outcome<unknown>> => ipcRenderer.invoke('delorean:invoke', m, params)])) as unknown as PreloadApi;

const bridge: DeloreanPreload = {
  api,
  on(listener) {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
};

contextBridge.exposeInMainWorld('delorean', bridge);
