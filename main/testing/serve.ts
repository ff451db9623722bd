/**
 * Test support: the real `delorean serve` in a child process and a WebSocket client of its
 * bridge, as the renderer talks to it. A hang or a crash of the server shows as a request
 * that fails or times out, never as a blocked test. Tests import this; nothing else does.
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { AnyEvent } from '../../shared/api/contract.js';
import { ROOT } from './cli.js';

export interface Served {
  /** A request through the bridge: its result, or `{ error }`; rejects after timeoutMs. */
  call(method: string, params: object, timeoutMs?: number): Promise<{ result?: unknown; error?: { message: string; code?: string } }>;
  /** Every event the bridge sent so far, in order. */
  readonly events: AnyEvent[];
  /** The HTTP status of GET / (the renderer's page). */
  page(timeoutMs?: number): Promise<number>;
  /** Whether the server process still runs. */
  readonly alive: boolean;
  readonly stderr: string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let alive = true;
  const exited = new Promise<number | null>((ok) => child.on('close', (code) => ((alive = false), ok(code))));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<URL>((ok, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)/.exec(stdout);
      if (m) ok(new URL(m[1]!));
    });
    void exited.then((code) => fail(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const ws = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token')}`, { origin: url.origin });
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  const events: AnyEvent[] = [];
  ws.on('message', (data: WebSocket.RawData) => {
    const m = JSON.parse(data.toString()) as Partial<AnyEvent>;
    if (typeof m.event === 'string') events.push(m as AnyEvent);
  });
  let nextId = 1;
  return {
    events,
    call: (method, params, timeoutMs = 20_000) =>
      new Promise((ok, fail) => {
        const id = nextId++;
        const timer = setTimeout(() => fail(new Error(`${method}: no reply in ${timeoutMs} ms (server ${alive ? 'alive' : 'gone'}): ${stderr}`)), timeoutMs);
        const onMessage = (data: WebSocket.RawData): void => {
          const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string; code?: string } };
          if (m.id !== id) return;
          ws.off('message', onMessage);
          clearTimeout(timer);
          ok(m);
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    page: (timeoutMs = 10_000) =>
      new Promise((ok, fail) => {
        const req = get({ host: url.hostname, port: url.port, path: '/', timeout: timeoutMs }, (res) => (res.resume(), ok(res.statusCode ?? 0)));
        req.on('timeout', () => req.destroy(new Error('GET / timed out')));
        req.on('error', fail);
      }),
    get alive() {
      return alive;
    },
    get stderr() {
      return stderr;
    },
    stop: () => {
      ws.terminate();
      child.kill('SIGINT');
      return exited;
    },
  };
}
