/**
 * While the recorder pins a launched program to its CPU, DeLorean's own threads run on the other
 * CPUs (--move-off, native-recorder/src/placement.h), and get their CPU sets back at the end.
 * The recorded program is a shell reading our main thread's Cpus_allowed_list with builtins
 * only (a child process would unpin it, and give the sets back, before it looked).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/cli.js';
import { RecordingSession } from './session.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** "0-3" or "0,2" -> the CPU numbers. */
function cpus(list: string): number[] {
  return list
    .trim()
    .split(',')
    .flatMap((part) => {
      const [a, b] = part.split('-').map(Number);
      return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
    });
}
const ours = (): number[] => cpus(/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${process.pid}/status`, 'utf8'))![1]!);

describe('DeLorean off the program CPU', () => {
  const before = ours();
  it.skipIf(before.length < 2)('moves our threads off the pinned program CPU while it runs, and gives them their CPUs back', async () => {
    const session = await RecordingSession.start({
      program: '/bin/sh',
      args: ['-c', `while read k v; do [ "$k" = Cpus_allowed_list: ] && echo "during $v"; done < /proc/${process.pid}/status; exit 0`],
      out: join(tmp.path, 'move-off.dlr'),
      syscalls: ['write'],
      moveOff: true,
      terminal: { kind: 'pty', cols: 80, rows: 24 },
    });
    let output = '';
    session.onOutput((d) => (output += d));
    const summary = await session.done;
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    const during = cpus(/during (\S+)/.exec(output)![1]!);
    expect(during.length).toBe(before.length - 1); // all but the program's CPU
    expect(during.every((c) => before.includes(c))).toBe(true);
    expect(ours()).toEqual(before);
  });
});
