/**
 * A failure in one recording stays there. A recording whose blob segment is damaged
 * throughout (registers and pages unreadable) served to gdb: `delorean gdbserver` answers the
 * real gdb with an error saying why, and goes on serving (a second client too) until Ctrl-C;
 * through the bridge, "Open in gdb" on it shows that error in the gdb terminal, while `serve`
 * lives on and a live recording it runs keeps recording.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gdb, haveGdb } from '../gdb/testing.js';
import { PROGRAMS, recordProgram, ROOT, tempDir, until } from '../testing/cli.js';
import { startServe } from '../testing/serve.js';
import { waitForCheckpoints } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let damaged: string;
const counter = join(PROGRAMS, 'counter');

beforeAll(async () => {
  expect(await haveGdb(), 'install gdb').toBe(true);
  damaged = (await recordProgram(tmp.path, 'counter', ['5'], ['--syscalls', 'write'])).dir;
  const seg = join(damaged, 'blobs-000000.seg');
  const fd = openSync(seg, 'r+');
  writeSync(fd, Buffer.alloc(statSync(seg).size - 24, 0x55), 0, undefined, 24); // every blob after the header
  closeSync(fd);
});

const CANNOT = /cannot serve checkpoint 0: \S+blobs-000000\.seg: blob at byte \d+/;

describe('a damaged recording', () => {
  it('delorean gdbserver answers each gdb with the error and serves on until Ctrl-C', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'gdbserver', damaged], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((ok) => child.on('close', ok));
    const address = await new Promise<string>((ok, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Listening on (\S+) \(this user only\)/.exec(out);
        if (m) ok(m[1]!);
      });
      void exited.then(() => fail(new Error(`gdbserver exited: ${err}`)));
    });
    for (let client = 0; client < 2; client++) {
      const r = await gdb([`target remote ${address}`], counter);
      expect(r.output).toMatch(CANNOT);
      expect(child.exitCode, err).toBeNull();
    }
    expect(err).toMatch(CANNOT);
    expect(err).not.toMatch(/at \w+ \(file:|internal error/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it("Open in gdb on it, through serve: the gdb terminal says why; serve and a live recording of its own go on", async () => {
    const s = await startServe();
    try {
      const live = join(tmp.path, 'live.dlr');
      const started = await s.call('startRecording', { program: join(PROGRAMS, 'blocker'), args: ['600', '50'], out: live, syscalls: ['write'], cols: 80, rows: 24 });
      expect(started.error).toBeUndefined();
      await waitForCheckpoints(live, 3);

      const opened = await s.call('openRecording', { path: damaged });
      const rec = (opened.result as { rec: string }).rec;
      const g = await s.call('gdbOpen', { rec, k: 0 });
      expect(g.error).toBeUndefined();
      const sessionId = (g.result as { sessionId: string }).sessionId;
      const gdbOutput = (): string => s.events.flatMap((e) => (e.event === 'onGdbData' && e.payload.sessionId === sessionId ? [e.payload.data] : [])).join('');
      await until('the gdb terminal to show the error', () => CANNOT.test(gdbOutput().replace(/\r?\n/g, '')), 30_000);

      const before = await waitForCheckpoints(live, 1);
      await waitForCheckpoints(live, before + 5); // still recording
      expect(s.alive).toBe(true);
      expect(await s.page()).toBe(200);
      const sid = (started.result as { sessionId: string }).sessionId;
      expect((await s.call('sessionControl', { sessionId: sid, action: 'stop' })).error).toBeUndefined();
      await until('the live recording to end', () => s.events.some((e) => e.event === 'onRecordingEnded' && e.payload.sessionId === sid), 30_000);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
