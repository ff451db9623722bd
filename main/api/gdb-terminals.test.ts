/**
 * "Open in gdb" through the service, as the faces call it: the real gdb on a pty against the
 * real gdb server over a real recording of counter.c. Expected values come from the engine
 * (an independent path from the gdb server's). Also: what is refused before anything starts,
 * and that closing the terminal, or its recording, ends gdb and its server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge } from '../bridge/server.js';
import type { AnyEvent } from '../../shared/api/contract.js';
import { Engine } from '../engine/engine.js';
import { haveGdb, valueAt } from '../gdb/testing.js';
import { openRecording } from '../store/reader.js';
import { recordProgram, tempDir } from '../testing/cli.js';
import { findExecutable } from './gdb-terminals.js';
import { DeloreanService } from './service.js';

const tmp = tempDir();
let rec: string;
let service: DeloreanService;
const events: AnyEvent[] = [];

beforeAll(async () => {
  expect(await haveGdb(), 'these tests run the real gdb: install it (apt-get install gdb)').toBe(true);
  rec = (await recordProgram(tmp.path, 'counter', ['12'], ['--syscalls', 'write'])).dir;
  service = new DeloreanService({ face: 'bridge', configDir: join(tmp.path, 'config'), recordingsDir: join(tmp.path, 'recordings') });
  service.on((e) => events.push(e));
});
afterAll(async () => {
  await service?.dispose();
  tmp.cleanup();
});

/** Everything gdb terminal `sessionId` printed so far. */
const output = (sessionId: string): string =>
  events.map((e) => (e.event === 'onGdbData' && e.payload.sessionId === sessionId ? e.payload.data : '')).join('');
const exited = (sessionId: string): boolean => events.some((e) => e.event === 'onGdbExit' && e.payload.sessionId === sessionId);

/** Waits (without a time budget of its own: the test's timeout bounds it) until `cond` holds. */
async function until(cond: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 50_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when something accepts connections on the Unix socket at `address`. */
function listening(address: string): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(address);
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
  });
}

describe('gdb terminals', () => {
  it('refuses bad parameters before anything starts', async () => {
    await service.openRecording({ path: rec });
    const n = (await service.openRecording({ path: rec })).checkpointCount;
    for (const params of [{ rec, k: 1.5 }, { rec, k: -1 }, { rec, k: '3' }, { rec, k: 3, program: '/bin/sh' }, { rec, k: 3, cols: 1 }]) {
      expect(await service.invoke('gdbOpen', params)).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
    }
    expect(await service.invoke('gdbOpen', { rec, k: n })).toMatchObject({ ok: false, error: { message: `checkpoint ${n} is out of range: the recording has checkpoints 0..${n - 1}` } });
    expect(await service.invoke('gdbOpen', { rec: join(tmp.path, 'other.dlr'), k: 0 })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await service.invoke('gdbInput', { sessionId: 'nope', data: 'x' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await service.invoke('gdbClose', { sessionId: 'nope' })).toEqual({ ok: true, result: { closed: false } });
    expect(events.filter((e) => e.event === 'onGdbData')).toEqual([]);
  });

  it('says clearly when gdb is not installed', async () => {
    const without = new DeloreanService({ face: 'bridge', configDir: join(tmp.path, 'config'), gdb: 'no-such-gdb-here' });
    try {
      await without.openRecording({ path: rec });
      expect(await without.invoke('gdbOpen', { rec, k: 0 })).toEqual({
        ok: false,
        error: { code: 'not-found', message: 'gdb is not installed (no "no-such-gdb-here" on PATH). Install it (e.g. apt-get install gdb) to open checkpoints in gdb.' },
      });
    } finally {
      await without.dispose();
    }
    expect(findExecutable('gdb')).toMatch(/\/gdb$/);
    expect(findExecutable('/nonexistent/gdb')).toBeNull();
  });

  it('runs gdb at the checkpoint: print shows the recorded value; closing ends gdb and its server', async () => {
    const engine = new Engine(await openRecording(rec, { readOnly: true }));
    try {
      const k = 7;
      const started = await service.gdbOpen({ rec, k, cols: 120, rows: 30 });
      expect(started.program).toMatch(/\/counter$/);
      await until(() => /Remote debugging using \/\S+\/gdb\.sock[\s\S]*\(gdb\) $/.test(output(started.sessionId)), () => output(started.sessionId));
      await service.gdbResize({ sessionId: started.sessionId, cols: 100, rows: 20 });
      await service.gdbInput({ sessionId: started.sessionId, data: 'print counter\r' });
      const want = valueAt(engine, 'u64(&counter)', k);
      await until(() => output(started.sessionId).includes(`$1 = ${want}\r\n`), () => output(started.sessionId));
      expect(await listening(started.address)).toBe(true);

      expect(await service.gdbClose({ sessionId: started.sessionId })).toEqual({ closed: true });
      expect(exited(started.sessionId)).toBe(true);
      expect(await listening(started.address)).toBe(false);
      expect(await service.gdbClose({ sessionId: started.sessionId })).toEqual({ closed: false });
    } finally {
      engine.close();
      engine.reader.close();
    }
  });

  it('closing the recording ends its gdb terminals; gdb quitting by itself closes the server', async () => {
    const a = await service.gdbOpen({ rec, k: 2 });
    const b = await service.gdbOpen({ rec, k: 3 });
    await until(() => output(b.sessionId).includes('(gdb) '), () => output(b.sessionId));
    await service.gdbInput({ sessionId: b.sessionId, data: 'kill\r' }); // detach from the recording
    await until(() => output(b.sessionId).includes('(y or n)'), () => output(b.sessionId));
    await service.gdbInput({ sessionId: b.sessionId, data: 'y\rquit\r' });
    await until(() => exited(b.sessionId), () => output(b.sessionId));
    await until(() => events.some((e) => e.event === 'onGdbExit' && e.payload.sessionId === b.sessionId && e.payload.exitCode === 0), () => JSON.stringify(events.at(-1)));
    expect(await listening(b.address)).toBe(false);

    expect(await service.closeRecording({ rec })).toEqual({ closed: true });
    expect(exited(a.sessionId)).toBe(true);
    expect(await listening(a.address)).toBe(false);
  });

  it('a bridge client that goes away (a closed tab) takes its gdb terminals with it', async () => {
    const web = join(tmp.path, 'web');
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html>'); // the bridge serves a renderer: any will do here
    const bridge = await startBridge({ endpoint: service, webRoot: web });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api?token=${bridge.token}`, { origin: bridge.origin });
      await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
      const call = (id: number, method: string, params: object): Promise<{ result?: { sessionId: string; address: string } }> =>
        new Promise((ok) => {
          const onMessage = (data: WebSocket.RawData): void => {
            const m = JSON.parse(data.toString()) as { id?: number; result?: { sessionId: string; address: string } };
            if (m.id !== id) return;
            ws.off('message', onMessage);
            ok(m);
          };
          ws.on('message', onMessage);
          ws.send(JSON.stringify({ id, method, params }));
        });
      await call(1, 'openRecording', { path: rec });
      const { result } = await call(2, 'gdbOpen', { rec, k: 4 });
      await until(() => output(result!.sessionId).includes('(gdb) '), () => output(result!.sessionId));
      expect(await listening(result!.address)).toBe(true);
      ws.close();
      await until(() => exited(result!.sessionId), () => output(result!.sessionId));
      expect(await listening(result!.address)).toBe(false);
    } finally {
      await bridge.close();
    }
  });
});
