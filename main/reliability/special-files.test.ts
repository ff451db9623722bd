/**
 * A FIFO in place of a file of a recording (`mkfifo x.dlr/log`: an open of it blocks until a
 * writer comes, forever) makes no command hang, nor the bridge: every CLI command refuses
 * with an error naming the file (or, for a blob segment it never reads, answers), and
 * `serve` answers the app's open with that error and goes on serving, HTTP included.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delorean, recordProgram, tempDir } from '../testing/cli.js';
import { startServe } from '../testing/serve.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let rec: string;
/** Copies of the recording, each with one file (by name) a FIFO. */
const withFifo = new Map<string, string>();

beforeAll(async () => {
  rec = (await recordProgram(tmp.path, 'counter', ['6'], ['--syscalls', 'write'])).dir;
  const names = [...readdirSync(rec), 'writer.pid'];
  expect(names).toEqual(expect.arrayContaining(['log', 'index', 'index-segments', 'blobs-000000.seg']));
  for (const name of names) {
    const copy = join(tmp.path, `fifo-${name}.dlr`);
    mkdirSync(copy, { mode: 0o700 });
    for (const n of readdirSync(rec)) copyFileSync(join(rec, n), join(copy, n));
    rmSync(join(copy, name), { force: true });
    execFileSync('mkfifo', ['-m', '600', join(copy, name)]);
    withFifo.set(name, copy);
  }
});

const commands = (r: string): string[][] => [
  ['info', r],
  ['read', r, '--at', '2', 'counter'],
  ['maps', r, '--at', '2'],
  ['regs', r, '--at', '2'],
  ['diff', r, '1', '3'],
  ['changes', r, 'counter'],
  ['bisect', r, 'counter > 2'],
  ['find', r, 'counter == 3'],
  ['core', r, '--at', '2', '-o', join(tmp.path, `${Math.random().toString(36).slice(2)}.core`)],
  ['gdbserver', r],
];

describe('a FIFO in place of a recording file', () => {
  it('every command refuses it, naming it, at once', async () => {
    const outcomes: string[] = [];
    // gdbserver with a blob segment a FIFO opens and serves (its clients get the error: gdb tests).
    const jobs = [...withFifo].flatMap(([name, copy]) => commands(copy).filter((argv) => !(name.startsWith('blobs-') && argv[0] === 'gdbserver')).map((argv) => ({ name, argv, fifo: join(copy, name) })));
    const refusals = new Map<string, number>();
    for (let i = 0; i < jobs.length; i += 4) {
      await Promise.all(
        jobs.slice(i, i + 4).map(async ({ name, argv, fifo }) => {
          const r = await delorean(argv, { timeoutMs: 30_000 });
          const refused = r.code === 1 && r.stderr.includes(`${fifo}: is a FIFO, not a regular file`);
          // A blob segment is read only for memory; the commands that read none may answer.
          const answered = name.startsWith('blobs-') && r.code === 0;
          if (refused) refusals.set(name, (refusals.get(name) ?? 0) + 1);
          if (!refused && !answered) outcomes.push(`${argv.slice(0, 1).join(' ')} with ${name} a FIFO: exit ${r.code} ${r.signal ?? ''} ${r.stderr.trim()}`);
        }),
      );
    }
    expect(outcomes).toEqual([]);
    for (const name of withFifo.keys()) expect(refusals.get(name) ?? 0, name).toBeGreaterThanOrEqual(name.startsWith('blobs-') ? 4 : commands('').length);
  }, 240_000);

  it('serve answers the open with that error and goes on serving', async () => {
    const s = await startServe();
    try {
      for (const [name, copy] of withFifo) {
        const reply = await s.call('openRecording', { path: copy });
        const fifo = `${join(copy, name)}: is a FIFO, not a regular file`;
        if (name.startsWith('blobs-') && reply.result) {
          expect((await s.call('diff', { rec: (reply.result as { rec: string }).rec, from: 1, to: 3 })).error?.message, name).toContain(fifo);
          continue;
        }
        expect(reply.error?.message, name).toContain(fifo);
      }
      expect(await s.page()).toBe(200);
      expect((await s.call('openRecording', { path: rec })).result).toMatchObject({ checkpointCount: expect.any(Number) });
      expect(s.alive).toBe(true);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
