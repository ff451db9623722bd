/**
 * Crash safety of a live recording: kill -9 DeLorean (the CLI process, standing in for the app)
 * or the recorder at a random moment; the recording must open with every committed
 * checkpoint intact, agree with the program's known history, and the program must not be
 * left stopped or traced. Also: a recording being written can be read by another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAddress } from '../cli/commands/read.js';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { PROGRAMS, ROOT, tempDir } from '../testing/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function startRecording(out: string): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', out, '--syscalls', 'write', '--', join(PROGRAMS, 'blocker'), '400', '5'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Waits until the recording on disk has at least n committed checkpoints (read-only opens, as a second process would). */
async function waitForCheckpoints(out: string, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(join(out))) {
      try {
        const r = await openRecording(out, { readOnly: true });
        const count = r.checkpointCount;
        r.close();
        if (count >= n) return count;
      } catch {
        // not created yet
      }
    }
    await sleep(25);
  }
  throw new Error(`recording ${out} never reached ${n} checkpoints`);
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process is gone (or a zombie nobody traces) within a few seconds. */
async function expectGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) return;
    } catch {
      return;
    }
    await sleep(50);
  }
  throw new Error(`process ${pid} is still alive`);
}

/** Every committed checkpoint reads back and agrees with blocker.c's history: `step` only grows, and at a write it matches the line. */
function checkConsistent(r: RecordingReader): void {
  expect(r.checkpointCount).toBeGreaterThan(0);
  let prev = -2;
  for (let k = 0; k < r.checkpointCount; k++) {
    const c = r.checkpoint(k);
    const { address } = resolveAddress(r, k, 'step');
    const bytes = r.readMemory(k, address, 4);
    const step = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true); // blocker.c: volatile int step = -1
    expect(step).toBeGreaterThanOrEqual(prev);
    prev = step;
    if (c.trigger === 'syscall' && c.detail === 1n) {
      const line = Buffer.from(r.readMemory(k, c.args[1]!, Number(c.args[2]!))).toString();
      if (line.startsWith('step ')) expect(line).toBe(`step ${step}\n`);
    }
  }
}

describe('kill -9 during recording', () => {
  for (let trial = 0; trial < 3; trial++) {
    it(`of DeLorean itself (trial ${trial + 1}): the recording opens, the program is not left behind`, async () => {
      const out = join(tmp.path, `app-${trial}.dlr`);
      const cli = startRecording(out);
      await waitForCheckpoints(out, 3 + Math.floor(Math.random() * 40));
      const recorder = childrenOf(cli.pid!)[0];
      cli.kill('SIGKILL');
      const r = await openRecording(out, { readOnly: true });
      try {
        checkConsistent(r);
        await expectGone(r.meta.pid);
      } finally {
        r.close();
      }
      if (recorder) await expectGone(recorder);
    });
  }

  for (let trial = 0; trial < 2; trial++) {
    it(`of the recorder (trial ${trial + 1}): DeLorean closes the recording cleanly`, async () => {
      const out = join(tmp.path, `rec-${trial}.dlr`);
      const cli = startRecording(out);
      let stderr = '';
      cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await waitForCheckpoints(out, 3 + Math.floor(Math.random() * 40));
      const recorder = childrenOf(cli.pid!).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('delorean-recorder'));
      expect(recorder).toBeDefined();
      process.kill(recorder!, 'SIGKILL');
      const code = await new Promise<number | null>((ok) => cli.on('close', ok));
      expect(code).toBe(0); // what was recorded is kept; the summary warns
      expect(stderr).toMatch(/recorder ended early/);
      const r = await openRecording(out, { readOnly: true });
      try {
        checkConsistent(r);
        await expectGone(r.meta.pid);
      } finally {
        r.close();
      }
    });
  }
});

describe('a recording still being written', () => {
  it('can be opened read-only by another process and grows with refresh()', async () => {
    const out = join(tmp.path, 'live.dlr');
    const cli = startRecording(out);
    await waitForCheckpoints(out, 5);
    const r = await openRecording(out, { readOnly: true });
    try {
      const first = r.checkpointCount;
      checkConsistent(r);
      let grown = first;
      for (let i = 0; i < 100 && grown === first; i++) {
        await sleep(50);
        r.refresh();
        grown = r.checkpointCount;
      }
      expect(grown).toBeGreaterThan(first);
      checkConsistent(r);
    } finally {
      r.close();
      cli.kill('SIGTERM');
      await new Promise((ok) => cli.on('close', ok));
    }
  });
});
