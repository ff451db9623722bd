/**
 * What the checkpoint bar says of each checkpoint, on real recordings: the trigger in the
 * words a user reads (a syscall with its arguments, a breakpoint by its symbol, a signal by
 * its name, the exit status), exactly.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointJson } from '../../shared/api/contract.js';
import { recordProgram, tempDir } from '../testing/cli.js';
import { DeloreanService } from './service.js';

const tmp = tempDir();
let service: DeloreanService;

beforeAll(() => {
  service = new DeloreanService({ face: 'bridge', configDir: join(tmp.path, 'config'), recordingsDir: join(tmp.path, 'recordings') });
});
afterAll(async () => {
  await service.dispose();
  tmp.cleanup();
});

async function checkpoints(rec: string): Promise<CheckpointJson[]> {
  const { checkpointCount } = await service.openRecording({ path: rec });
  return Promise.all(Array.from({ length: checkpointCount }, (_, k) => service.checkpoint({ rec, k })));
}

describe('checkpoint descriptions', () => {
  it('name the start, each write with its arguments, each breakpoint by symbol, and the exit', async () => {
    const { dir } = await recordProgram(tmp.path, 'breakme', [], ['--syscalls', 'write', '--break', 'checkpoint_here']);
    const all = await checkpoints(dir);
    const expected = all.map((c) => {
      switch (c.trigger) {
        case 'start':
          return 'start of breakme';
        case 'breakpoint':
          return 'breakpoint checkpoint_here';
        case 'syscall':
          return `write(1, ${c.args[1]}, 5)`;
        case 'exit':
          return 'exit(0)';
        default:
          return `unexpected ${c.trigger}`;
      }
    });
    expect(all.map((c) => c.description)).toEqual(expected);
    expect(all.map((c) => c.trigger)).toEqual(['start', 'breakpoint', 'breakpoint', 'breakpoint', 'breakpoint', 'breakpoint', 'syscall', 'exit']);
  });

  it('name a fatal signal by its number and name', async () => {
    const { dir } = await recordProgram(tmp.path, 'segv', [], ['--syscalls', 'write']);
    const all = await checkpoints(dir);
    expect(all.at(-1)?.description).toBe('fatal signal 11 (SIGSEGV)');
  });
});
