/**
 * The WebSocket bridge: browser mode for the renderer (`delorean serve`, and how the e2e tests
 * drive the real renderer in Chromium). One HTTP server on loopback serves the built renderer
 * (out/web) and, at /api, a WebSocket that speaks the API contract:
 *
 *   client -> server   {id, method, params}
 *   server -> client   {id, result} | {id, error: {message, code, position?}}
 *                      {event, payload}              (every service event, to every client)
 *
 * Security, in the order a request meets it:
 *   1. bound to 127.0.0.1 only; the Host header must name this server (DNS rebinding);
 *   2. the WebSocket upgrade needs the random token (in the URL the user was given, passed on
 *      by the page as ?token=) and an Origin equal to this server's own origin: another site
 *      open in the same browser can neither guess the token nor connect from its origin;
 *   3. every message is size-limited JSON, and every call is validated by the contract
 *      (ApiEndpoint.invoke) before the service sees it. A malformed message gets an error
 *      reply; it never takes the server down.
 * Static responses carry a strict Content-Security-Policy.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AnyEvent, BridgeReply } from '../../shared/api/contract.js';
import type { ApiEndpoint } from '../api/endpoint.js';
import { webRoot as defaultWebRoot } from '../api/paths.js';

export interface BridgeOptions {
  endpoint: ApiEndpoint;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The built renderer; defaults to out/web of this package. */
  webRoot?: string;
  /** For tests; a fresh random token otherwise. */
  token?: string;
}

export interface Bridge {
  readonly port: number;
  readonly origin: string; // http://127.0.0.1:PORT
  readonly token: string;
  /** What the user opens: origin + /?token=... */
  readonly url: string;
  close(): Promise<void>;
}

export const MAX_MESSAGE_BYTES = 1 << 20;
const HOST = '127.0.0.1';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The CSP for pages served here: only our own scripts, our own WebSocket, Monaco's inline styles and blob workers. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const webRoot = resolve(opts.webRoot ?? defaultWebRoot());
  if (!existsSync(join(webRoot, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(webRoot, 'index.html')} is missing); run \`npm run build:web\``);
  }
  const token = opts.token ?? randomBytes(24).toString('hex');
  const tokenBytes = Buffer.from(token);
  let port = 0;
  const allowedHosts = (): string[] => [`${HOST}:${port}`, `localhost:${port}`];
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);

  const http: Server = createServer((req, res) => {
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(res, 421, 'unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    serveStatic(webRoot, req, res, contentSecurityPolicy(port));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const why = checkUpgrade(req, tokenBytes, allowedHosts(), allowedOrigins());
    if (why) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws));
  });

  const unsubscribe = opts.endpoint.on((e: AnyEvent) => {
    const text = JSON.stringify(e);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  function serveClient(ws: WebSocket): void {
    clients.add(ws);
    // Started by this client, ended if it goes away (a closed tab): searches cancelled, gdb
    // terminals closed (each is a gdb and a gdb server, which nothing else could reach).
    const searches = new Set<string>();
    const gdbSessions = new Set<string>();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void handleMessage(data, isBinary).then((reply) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
    });
    ws.on('close', () => {
      clients.delete(ws);
      for (const searchId of searches) void opts.endpoint.cancelSearch({ searchId });
      for (const sessionId of gdbSessions) void opts.endpoint.invoke('gdbClose', { sessionId });
    });
    ws.on('error', () => ws.terminate());

    async function handleMessage(data: RawData, isBinary: boolean): Promise<BridgeReply> {
      if (isBinary) return { id: null, error: { message: 'binary messages are not part of the protocol: send JSON text', code: 'invalid-params' } };
      let msg: unknown;
      try {
        msg = JSON.parse(rawToString(data));
      } catch (e) {
        return { id: null, error: { message: `malformed JSON: ${(e as Error).message}`, code: 'invalid-params' } };
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        return { id: null, error: { message: 'a request is an object {id, method, params}', code: 'invalid-params' } };
      }
      const { id, method, params } = msg as Record<string, unknown>;
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
        return { id: null, error: { message: 'a request needs a numeric id', code: 'invalid-params' } };
      }
      const searchId = (method === 'bisect' || method === 'find') && isRecord(params) && typeof params.searchId === 'string' ? params.searchId : null;
      if (searchId) searches.add(searchId);
      const outcome = await opts.endpoint.invoke(method, params ?? {});
      if (searchId) searches.delete(searchId);
      if (method === 'gdbOpen' && outcome.ok && isRecord(outcome.result) && typeof outcome.result.sessionId === 'string') gdbSessions.add(outcome.result.sessionId);
      if (method === 'gdbClose' && isRecord(params) && typeof params.sessionId === 'string') gdbSessions.delete(params.sessionId);
      return outcome.ok ? { id, result: outcome.result } : { id, error: outcome.error };
    }
  }

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(opts.port ?? 0, HOST, () => ok());
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('the bridge has no TCP address');
  port = address.port;
  const origin = `http://${HOST}:${port}`;

  return {
    port,
    origin,
    token,
    url: `${origin}/?token=${token}`,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}

/** Why an upgrade is refused, or null when it may proceed. */
function checkUpgrade(req: IncomingMessage, token: Buffer, hosts: string[], origins: string[]): string | null {
  if (!hosts.includes(req.headers.host ?? '')) return 'unexpected Host header';
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/api') return 'no such endpoint';
  const origin = req.headers.origin;
  if (!origin || !origins.includes(origin)) return 'foreign or missing Origin';
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  if (given.length !== token.length || !timingSafeEqual(given, token)) return 'missing or wrong token';
  return null;
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, csp: string): void {
  const pathname = decodeURIComponentSafe(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (pathname === null || pathname.includes('\0')) return refuse(res, 400, 'bad path');
  const rel = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  const file = normalize(join(root, rel));
  if (file !== root && !file.startsWith(root + sep)) return refuse(res, 404, 'not found');
  if (!existsSync(file) || !statSync(file).isFile()) return refuse(res, 404, 'not found');
  const body = readFileSync(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}

function decodeURIComponentSafe(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
