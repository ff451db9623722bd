/**
 * The WebSocket bridge refuses what it must: a missing or wrong token, a foreign or missing
 * Origin, a foreign Host; it answers malformed messages with errors and keeps serving. Static
 * files come with a CSP and never from outside the web root. Runs against the real bridge and
 * service over a tiny web root (the renderer itself is exercised by the other e2e tests).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DeloreanService } from '../main/api/service.js';
import { MAX_MESSAGE_BYTES, startBridge, type Bridge } from '../main/bridge/server.js';

let dir: string;
let service: DeloreanService;
let bridge: Bridge;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'delorean-bridge-'));
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>test</title>');
  writeFileSync(join(dir, 'secret.txt'), 'outside the web root');
  service = new DeloreanService({ face: 'bridge', configDir: join(dir, 'config'), recordingsDir: join(dir, 'recordings') });
  bridge = await startBridge({ endpoint: service, webRoot: join(dir, 'web') });
});

afterAll(async () => {
  await bridge.close();
  await service.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Connects and resolves with the open socket, or rejects with the HTTP status of the refusal. */
function connect(opts: { token?: string | null; origin?: string | null; path?: string } = {}): Promise<WebSocket> {
  const token = opts.token === undefined ? bridge.token : opts.token;
  const url = `ws://127.0.0.1:${bridge.port}${opts.path ?? '/api'}${token === null ? '' : `?token=${token}`}`;
  const origin = opts.origin === undefined ? bridge.origin : opts.origin;
  const ws = new WebSocket(url, origin === null ? {} : { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sends raw text and waits for the next reply. */
function exchange(ws: WebSocket, text: string | Buffer, binary = false): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data: WebSocket.RawData) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.send(text, { binary });
  });
}

describe('bridge security', () => {
  it('binds to loopback and prints a tokenised URL', () => {
    expect(bridge.origin).toBe(`http://127.0.0.1:${bridge.port}`);
    expect(bridge.url).toBe(`${bridge.origin}/?token=${bridge.token}`);
    expect(bridge.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('serves the renderer with a strict CSP, and nothing outside its root', async () => {
    const page = await get('/', { host: `127.0.0.1:${bridge.port}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("object-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/../secret.txt', { host: `127.0.0.1:${bridge.port}` })).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt', { host: `127.0.0.1:${bridge.port}` })).status).toBe(404);
    expect((await get('/nope.js', { host: `127.0.0.1:${bridge.port}` })).status).toBe(404);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get('/', { host: `evil.example:${bridge.port}` })).status).toBe(421);
  });

  it('refuses a WebSocket without the token or with a wrong one', async () => {
    await expect(connect({ token: null })).rejects.toThrow('refused 403');
    await expect(connect({ token: 'wrong' })).rejects.toThrow('refused 403');
    await expect(connect({ token: bridge.token.slice(0, -1) + (bridge.token.endsWith('0') ? '1' : '0') })).rejects.toThrow('refused 403');
  });

  it('refuses a foreign or missing Origin, even with the token', async () => {
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow('refused 403');
    await expect(connect({ origin: `http://127.0.0.1:${bridge.port + 1}` })).rejects.toThrow('refused 403');
    await expect(connect({ origin: null })).rejects.toThrow('refused 403');
    await expect(connect({ path: '/other' })).rejects.toThrow('refused 403');
  });

  it('answers a well-formed call', async () => {
    const ws = await connect();
    const reply = await exchange(ws, JSON.stringify({ id: 1, method: 'appInfo', params: {} }));
    expect(reply.id).toBe(1);
    expect((reply.result as { face: string }).face).toBe('bridge');
    ws.close();
  });

  it('answers malformed messages with errors and keeps serving', async () => {
    const ws = await connect();
    expect(await exchange(ws, 'not json')).toMatchObject({ id: null, error: { code: 'invalid-params', message: expect.stringContaining('malformed JSON') } });
    expect(await exchange(ws, '[1,2]')).toMatchObject({ id: null, error: { code: 'invalid-params' } });
    expect(await exchange(ws, '{"method":"appInfo"}')).toMatchObject({ id: null, error: { message: 'a request needs a numeric id' } });
    expect(await exchange(ws, JSON.stringify({ id: 2, method: 'rm -rf', params: {} }))).toMatchObject({ id: 2, error: { code: 'unknown-method' } });
    expect(await exchange(ws, JSON.stringify({ id: 3, method: 'constructor', params: {} }))).toMatchObject({ id: 3, error: { code: 'unknown-method' } });
    expect(await exchange(ws, JSON.stringify({ id: 4, method: 'readMemory', params: { rec: 'x', k: 'zero', addr: '0x0', len: 1 } }))).toMatchObject({
      id: 4,
      error: { code: 'invalid-params', message: 'readMemory: params.k: expected an integer in [0, 9007199254740991], got "zero"' },
    });
    expect(await exchange(ws, JSON.stringify({ id: 5, method: 'openRecording', params: { path: join(dir, 'missing.dlr') } }))).toMatchObject({ id: 5, error: { code: 'not-found' } });
    expect(await exchange(ws, JSON.stringify({ id: 6, method: 'maps', params: { rec: '/not/open', k: 0 } }))).toMatchObject({ id: 6, error: { code: 'not-found', message: expect.stringContaining('not open') } });
    expect(await exchange(ws, Buffer.from([1, 2, 3]), true)).toMatchObject({ id: null, error: { message: expect.stringContaining('binary') } });
    // Still serving on the same connection.
    expect(await exchange(ws, JSON.stringify({ id: 7, method: 'listRecent', params: {} }))).toEqual({ id: 7, result: [] });
    ws.close();
  });

  it('drops a connection that sends an oversized message, and keeps accepting others', async () => {
    const ws = await connect();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    const again = await connect();
    expect(await exchange(again, JSON.stringify({ id: 1, method: 'listRecent', params: {} }))).toEqual({ id: 1, result: [] });
    again.close();
  });
});
