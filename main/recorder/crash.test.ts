/**
 * Crash safety of a live recording: kill -9 DeLorean (the CLI process, standing in for the app)
 * or the recorder at a random moment; the recording must open with every committed
 * checkpoint intact, agree with the program's known history, and the program must not be
 * left stopped or traced. Also: a recording being written can be read by another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveLocation } from '../api/locations.js';
import { Engine } from '../engine/engine.js';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { PROGRAMS, ROOT, tempDir } from '../testing/cli.js';
import { childrenOf, sleep, waitForCheckpoints, waitGone } from '../reliability/support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
function startRecording(out: string): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', out, '--syscalls', 'write', '--', join(PROGRAMS, 'blocker'), '400', '5'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Every committed checkpoint reads back and agrees with blocker.c's history: `step` only grows, and at a write it matches the line. */
function checkConsistent(r: RecordingReader): void {
  expect(r.checkpointCount).toBeGreaterThan(0);
  let prev = -2;
  for (let k = 0; k < r.checkpointCount; k++) {
    const c = r.checkpoint(k);
    const { address } = resolveLocation(new Engine(r), 'step', k);
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
        await waitGone(r.meta.pid);
      } finally {
        r.close();
      }
      if (recorder) await waitGone(recorder);
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
        await waitGone(r.meta.pid);
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
    const closed = new Promise((ok) => cli.on('close', ok)); // it may end while we read
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
      await closed;
    }
  });
});
