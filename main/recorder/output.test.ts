/**
 * The program's terminal: the recorder runs a launched program on a pty of its own, relays the
 * keyboard to it and sends its output on the wire inside the checkpoint it precedes. So the
 * output "as it was at checkpoint k" is exact, typing reaches the program through the pty's
 * line discipline (echo, Ctrl-D), and the program sees the size RecordingSession was given.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { PROGRAMS, recordProgram, tempDir, until } from '../testing/cli.js';
import { RecordingSession, type RecordingSummary } from './session.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const text = (r: RecordingReader, k?: number): string => Buffer.concat(r.terminalOutput(k).map((c) => c.data)).toString('latin1');

/** A session on a pty like the app's, its echoed output collected. */
async function session(program: string, args: string[], name: string, cols = 80, rows = 24, syscalls?: string[]): Promise<{ s: RecordingSession; output: () => string }> {
  const s = await RecordingSession.start({ program, args, out: join(tmp.path, `${name}.dlr`), syscalls, terminal: { kind: 'pty', cols, rows } });
  let output = '';
  s.onOutput((d) => (output += d));
  return { s, output: () => output };
}

async function withRecording<T>(summary: RecordingSummary, f: (r: RecordingReader) => T): Promise<T> {
  const r = await openRecording(summary.out);
  try {
    return f(r);
  } finally {
    r.close();
  }
}

describe('output per checkpoint', () => {
  it('at the entry of every write(2), the output is exactly the lines of the writes before it', async () => {
    const N = 20;
    const rec = await recordProgram(tmp.path, 'counter', [String(N)], ['--syscalls', 'write']);
    expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
    const r = await openRecording(rec.dir);
    try {
      const lines = [...Array.from({ length: N }, (_, i) => `i=${i}`), 'done'];
      let writes = 0;
      for (let k = 0; k < r.checkpointCount; k++) {
        const c = r.checkpoint(k);
        const got = text(r, k);
        if (c.trigger === 'syscall') {
          expect(c.detail).toBe(1n);
          // This write has not run yet: the output ends with the previous write's line.
          expect(got, `checkpoint ${k} (write ${writes})`).toBe(lines.slice(0, writes).map((l) => `${l}\r\n`).join(''));
          expect(got.split('i=').length - 1).toBe(Math.min(writes, N));
          writes++;
        } else if (c.trigger === 'start') {
          expect(got).toBe('');
        }
      }
      expect(writes).toBe(N + 1);
      const last = r.checkpointCount - 1;
      expect(r.checkpoint(last).trigger).toBe('exit');
      expect(text(r, last)).toBe(lines.map((l) => `${l}\r\n`).join(''));
      expect(text(r)).toBe(text(r, last));
      // Each chunk is tagged with the checkpoint it was printed before.
      for (const chunk of r.terminalOutput()) expect(chunk.checkpoint).toBeGreaterThan(0);
    } finally {
      r.close();
    }
  });

  it('keeps the newest 1 MiB of a burst with no checkpoint in between, and says so', async () => {
    const { s, output } = await session('/bin/sh', ['-c', "head -c 3000000 /dev/zero | tr '\\0' x; printf END"], 'burst');
    const summary = await s.done;
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    expect(summary.warnings.some((w) => /more than 1024 KiB between two checkpoints/.test(w))).toBe(true);
    // The screen: the live echo relays the whole burst. (node-pty drops what it has not read
    // 200 ms after the recorder exits: the recorder waits for the session to catch up first.)
    expect(output().split('x').length - 1).toBe(3_000_000);
    expect(output()).toContain('END');
    await withRecording(summary, (r) => {
      const all = text(r);
      expect(all.length).toBe(1024 * 1024);
      expect(all.endsWith('xxxEND')).toBe(true);
      expect(all.slice(0, -3).replace(/x/g, '')).toBe('');
    });
  });
});

describe('keyboard', () => {
  it('types into /bin/cat through the pty: echo, the line back, and Ctrl-D ends it', async () => {
    const { s, output } = await session('/bin/cat', [], 'cat', 80, 24, ['read']);
    await until('cat to start reading', () => s.progress.checkpoints >= 2); // start, then its first read(2)
    s.write('hello\r');
    // The pty echoes the line, then cat writes it back.
    await until('hello twice', () => output().split('hello').length - 1 >= 2);
    s.write('\x04');
    const summary = await s.done;
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    await withRecording(summary, (r) => {
      expect(text(r)).toBe('hello\r\nhello\r\n');
      // At the read(2) that follows, both the echo and cat's copy are there; at the first read, nothing.
      const reads = Array.from({ length: r.checkpointCount }, (_, k) => k).filter((k) => r.checkpoint(k).trigger === 'syscall');
      expect(text(r, reads[0]!)).toBe('');
      expect(text(r, reads.at(-1)!)).toBe('hello\r\nhello\r\n');
    });
  });
});

describe('the end of the terminal', () => {
  it('a program that closes its terminal and lingers is not hung up (cat closes 0-2 before it exits)', async () => {
    const { s } = await session('/bin/sh', ['-c', 'printf bye; exec 0<&- 1>&- 2>&-; sleep 0.3'], 'closes');
    const summary = await s.done;
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    await withRecording(summary, (r) => expect(text(r)).toBe('bye'));
  });
});

describe('terminal size', () => {
  it('the program sees the size the session was given, and a resize', async () => {
    const { s, output } = await session(join(PROGRAMS, 'winsize'), ['resize'], 'winsize', 97, 31);
    await until('the first size', () => output().includes('cols=97 rows=31\r\n'));
    s.resize(120, 40);
    const summary = await s.done;
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    await withRecording(summary, (r) => expect(text(r)).toBe('cols=97 rows=31\r\ncols=120 rows=40\r\n'));
  });
});
