/**
 * A recording session driven the way the app drives it: checkpoint on request, pause and
 * resume, stop; and attaching to a program that is already running.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveLocation } from '../api/locations.js';
import { Engine } from '../engine/engine.js';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { deloreanJson, PROGRAMS, tempDir, sleep, until } from '../testing/cli.js';
import { RecordingSession } from './session.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
function stepAt(r: RecordingReader, k: number): number {
  const b = r.readMemory(k, resolveLocation(new Engine(r), 'step', k).address, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
}

describe('controlling a recording', () => {
  it('takes a checkpoint on request, pauses, resumes and stops', async () => {
    const session = await RecordingSession.start({
      program: join(PROGRAMS, 'blocker'),
      args: ['1000', '10'],
      out: join(tmp.path, 'control.dlr'),
      syscalls: ['write'],
      terminal: { kind: 'pty', cols: 80, rows: 24 },
    });
    let output = '';
    session.onOutput((d) => (output += d));
    await until('a few checkpoints', () => session.progress.checkpoints >= 5);

    session.pause();
    await sleep(300); // let a checkpoint already in flight land
    const paused = session.progress.checkpoints;
    const printed = output.length;
    await sleep(400);
    expect(session.progress.checkpoints).toBe(paused); // a paused program writes nothing, so no checkpoints
    expect(output.length).toBe(printed);

    session.requestCheckpoint(); // still works while paused
    await until('the requested checkpoint', () => session.progress.checkpoints >= paused + 1);

    session.resume();
    await until('checkpoints after resume', () => session.progress.checkpoints >= paused + 5);

    session.stop();
    const summary = await session.done;
    expect(summary.exit).toEqual({ kind: 'signaled', signal: 9 });
    const r = await openRecording(summary.out);
    try {
      const triggers = Array.from({ length: r.checkpointCount }, (_, k) => r.checkpoint(k).trigger);
      expect(triggers.filter((t) => t === 'request')).toHaveLength(1);
      const req = triggers.indexOf('request');
      expect(stepAt(r, req)).toBe(stepAt(r, req - 1)); // nothing ran while paused
      expect(stepAt(r, r.checkpointCount - 1)).toBeGreaterThan(stepAt(r, req));
    } finally {
      r.close();
    }
  });
});

describe('attaching', () => {
  it('records a running program from where it is, until it exits', async () => {
    const prog = spawn(join(PROGRAMS, 'blocker'), ['150', '20'], { stdio: 'ignore' });
    await sleep(200); // let it run a few steps first (3 s in all: DeLorean may be slow to start on a loaded machine)
    const out = join(tmp.path, 'attach.dlr');
    const summary = await deloreanJson<{ checkpoints: number; exit: unknown }>(['record', '--out', out, '--syscalls', 'write', '--attach', String(prog.pid)]);
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    const r = await openRecording(out);
    try {
      expect(r.meta.attached).toBe(true);
      expect(r.meta.pid).toBe(prog.pid);
      expect(r.checkpoint(0).trigger).toBe('start');
      expect(stepAt(r, 0)).toBeGreaterThan(0); // it had been running before we attached
      let prev = -1;
      for (let k = 0; k < r.checkpointCount; k++) {
        const s = stepAt(r, k);
        expect(s).toBeGreaterThanOrEqual(prev);
        prev = s;
      }
      expect(prev).toBe(149);
    } finally {
      r.close();
    }
  });
});

describe('the initial snapshot', () => {
  it('holds every readable mapping at checkpoint 0, megabytes of it, byte for byte', async () => {
    const out = join(tmp.path, 'snap.dlr');
    await deloreanJson(['record', '--out', out, '--syscalls', 'write', '--', join(PROGRAMS, 'counter'), '1']);
    const r = await openRecording(out);
    try {
      // At the first instruction only the program and the dynamic loader are mapped; at the
      // first write libc is too. Its read-only text is captured once and must match the file.
      const k = r.checkpoint(1).trigger === 'syscall' ? 1 : 2;
      const libc = r.mapsAt(k).filter((m) => m.path.includes('libc.so') && m.perms.startsWith('r'));
      expect(libc.length).toBeGreaterThan(0);
      const file = readFileSync(libc[0]!.path);
      let bytes = 0;
      for (const m of libc) {
        const len = Number(m.end - m.start);
        const fileLen = Math.min(len, file.length - Number(m.offset));
        // Text and the headers are pristine; RELRO (read-only now) and data were written by the loader.
        if (fileLen <= 0 || !(m.perms.includes('x') || m.offset === 0n)) continue;
        const mem = r.readMemory(k, m.start, fileLen);
        expect(Buffer.from(mem).equals(file.subarray(Number(m.offset), Number(m.offset) + fileLen)), `${m.perms} at offset ${m.offset}`).toBe(true);
        bytes += fileLen;
      }
      expect(bytes).toBeGreaterThan(1 << 20);
      expect(r.stats.rawBytes).toBeGreaterThan(2 << 20);
    } finally {
      r.close();
    }
  });
});
