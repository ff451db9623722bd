/**
 * Picks how the renderer reaches the main process:
 *   - window.delorean, exposed by the Electron preload (main/electron/preload.ts), when present;
 *   - otherwise the WebSocket bridge (main/bridge/server.ts) of the server that served this
 *     page, authenticated by the token from the page URL (?token=...). The token is kept in
 *     sessionStorage and removed from the address bar so it does not linger in history.
 */
import type { AnyEvent, BridgeReply, DeloreanPreload, MethodName, Outcome } from '../../shared/api/contract.js';
import type { Transport } from './client.js';

declare global {
  interface Window {
    delorean?: DeloreanPreload;
  }
}

export function pickTransport(): Transport {
  const preload = window.delorean;
  if (preload) return preloadTransport(preload);
  return websocketTransport(bridgeUrl());
}

function preloadTransport(preload: DeloreanPreload): Transport {
  return {
    kind: 'electron',
    invoke: (method, params) => (preload.api[method] as (p: unknown) => Promise<Outcome<unknown>>)(params),
    subscribe: (listener) => preload.on(listener),
  };
}

function bridgeUrl(): string {
  const url = new URL(window.location.href);
  let token = url.searchParams.get('token');
  if (token) {
    sessionStorage.setItem('delorean-token', token);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  } else {
    token = sessionStorage.getItem('delorean-token');
  }
  if (!token) throw new Error('No bridge token: open the URL that `delorean serve` printed (it ends with ?token=...).');
  const scheme = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${url.host}/api?token=${encodeURIComponent(token)}`;
}

/** Requests are {id, method, params}; replies {id, result} or {id, error}; events {event, payload}. */
export function websocketTransport(url: string): Transport {
  const listeners = new Set<(e: AnyEvent) => void>();
  const pending = new Map<number, (o: Outcome<unknown>) => void>();
  let nextId = 1;
  let closedReason: string | null = null;
  const socket = new WebSocket(url);
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('close', () => reject(new Error('the DeLorean bridge refused the connection (wrong token, or the server is gone)')), { once: true });
  });
  socket.addEventListener('message', (m) => {
    const msg = JSON.parse(String(m.data)) as BridgeReply | AnyEvent;
    if ('event' in msg) {
      for (const l of listeners) l(msg);
      return;
    }
    const done = msg.id === null ? undefined : pending.get(msg.id);
    if (!done) return;
    pending.delete(msg.id!);
    done('error' in msg ? { ok: false, error: msg.error } : { ok: true, result: msg.result });
  });
  socket.addEventListener('close', (e) => {
    closedReason = `connection to the DeLorean bridge closed${e.reason ? `: ${e.reason}` : ''}`;
    for (const done of pending.values()) done({ ok: false, error: { message: closedReason, code: 'failed' } });
    pending.clear();
  });
  return {
    kind: 'bridge',
    async invoke(method: MethodName, params: unknown) {
      await opened;
      if (closedReason) return { ok: false, error: { message: closedReason, code: 'failed' } };
      const id = nextId++;
      return new Promise<Outcome<unknown>>((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
