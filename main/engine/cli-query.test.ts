/**
 * The CLI's query commands (bisect, find, changes, diff) through the real dispatcher
 * (main/cli/main.ts) on recordings written by the real store: JSON shapes, human output,
 * exit codes for bad predicates, unknown recordings and out-of-range checkpoints, and Ctrl-C
 * (a real SIGINT to a child process running the CLI).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../testing/cli.js';
import { anon, page, RecordingBuilder } from './fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let root: string;
let rec: string;

const cli = (...argv: string[]): ReturnType<typeof cliInProcess> => cliInProcess(argv);

async function json<T>(...argv: string[]): Promise<T> {
  const r = await cli(...argv, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const A = 0x10000n;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'delorean-cli-'));
  rec = join(root, 'flips.dlr');
  // u32 at A: 0 until 10, 7 from 10, 0 from 20, 0xffffffff from 30; a u64 at A+8 = 2^63 + k.
  const b = await RecordingBuilder.create(rec);
  const value = (k: number) => (k < 10 ? 0 : k < 20 ? 7 : k < 30 ? 0 : 0xffffffff);
  for (let k = 0; k < 40; k++) {
    b.checkpoint({
      ...(k === 0 ? { maps: [anon(A, A + 0x2000n)] } : {}),
      pages: [[A, page({ 0: value(k), 8: [(1n << 63n) + BigInt(k), 8] })]],
      ...(k === 35 ? { maps: [anon(A, A + 0x1000n)] } : {}),
    });
  }
  b.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('find', () => {
  it('prints the first checkpoint, as JSON and for people', async () => {
    expect(await json('find', rec, 'u32(0x10000) == 7')).toMatchObject({ checkpoint: 10 });
    expect(await json('find', rec, 'u32(0x10000) == 7', '--from', '15')).toMatchObject({ checkpoint: 15 });
    expect(await json('find', rec, 'u32(0x10000) == 5')).toMatchObject({ checkpoint: null });
    const human = await cli('find', rec, 'u32(0x10000) == 7');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^checkpoint 10 \(write\([^)]*\)\)\n$/); // the trigger in the app's words
  });

  it('lists every transition with 64-bit values as decimal strings', async () => {
    const all = await json<{ transitions: unknown[] }>('find', rec, 'u32(0x10000)', '--all');
    expect(all.transitions).toEqual([
      { checkpoint: 0, value: '0', type: 'int' },
      { checkpoint: 10, value: '7', type: 'int' },
      { checkpoint: 20, value: '0', type: 'int' },
      { checkpoint: 30, value: '4294967295', type: 'int' },
    ]);
    const big = await json<{ transitions: Array<{ value: string }> }>('find', rec, 'u64(0x10008)', '--all', '--to', '2');
    expect(big.transitions.map((t) => t.value)).toEqual(['9223372036854775808', '9223372036854775809', '9223372036854775810']);
    const truth = await json<{ transitions: unknown[] }>('find', rec, 'i32(0x10000) < 0', '--all');
    expect(truth.transitions).toEqual([
      { checkpoint: 0, value: '0', type: 'int' },
      { checkpoint: 30, value: '1', type: 'int' },
    ]);
    const human = await cli('find', rec, 'u32(0x10000) != 0', '--all', '--from', '5', '--to', '25');
    expect(human.stdout).toBe(['checkpoint  holds', '         5  false', '        10  true', '        20  false', ''].join('\n'));
  });

  it('shows evaluation failures as values of their own', async () => {
    const r = await json<{ transitions: unknown[] }>('find', rec, 'u32(0x11000) == 0', '--all');
    expect(r.transitions).toEqual([
      { checkpoint: 0, value: '1', type: 'int' },
      { checkpoint: 35, value: null, type: 'error', error: 'u32(0x11000): address 0x11000 is not mapped at checkpoint 35' },
    ]);
  });
});

describe('bisect', () => {
  it('prints checkpoint, probes and time', async () => {
    const r = await json<{ checkpoint: number | null; probes: number; ms: number }>('bisect', rec, 'u32(0x10000) == 0xffffffff');
    expect(Object.keys(r)).toEqual(['checkpoint', 'probes', 'ms']);
    expect(r.checkpoint).toBe(30);
    expect(r.probes).toBeLessThanOrEqual(7);
    expect(typeof r.ms).toBe('number');
    expect((await json<{ checkpoint: number | null }>('bisect', rec, 'u32(0x10000) == 5')).checkpoint).toBe(null);
    expect((await cli('bisect', rec, 'u32(0x10000) == 0xffffffff')).stdout).toMatch(/^checkpoint 30 \(write\([^)]*\)\): first to hold, \d+ probes in [\d.]+ ms\n$/);
  });
});

describe('changes', () => {
  it('lists every change with old and new bytes in hex', async () => {
    const r = await json<{ changes: unknown[]; initial: string }>('changes', rec, '0x10000', '--len', '4');
    expect(r.initial).toBe('00000000');
    expect(r.changes).toEqual([
      { checkpoint: 10, old: '00000000', new: '07000000' },
      { checkpoint: 20, old: '07000000', new: '00000000' },
      { checkpoint: 30, old: '00000000', new: 'ffffffff' },
    ]);
    const human = await cli('changes', rec, '0x10000', '--len', '4', '--from', '15');
    expect(human.stdout).toBe(
      ['4 bytes at 0x10000: 7 (0x00000007) at checkpoint 15', '        20  7 (0x00000007) -> 0 (0x00000000)', '        30  0 (0x00000000) -> 4294967295 (0xffffffff)', ''].join('\n'),
    );
    const gone = await json<{ changes: unknown[] }>('changes', rec, '0x11000', '--len', '4');
    expect(gone.changes).toEqual([{ checkpoint: 35, old: '00000000', new: null }]);
  });
});

describe('diff', () => {
  it('lists pages, byte ranges and mapping changes', async () => {
    const r = await json<Record<string, unknown>>('diff', rec, '5', '12');
    expect(r).toMatchObject({
      from: 5,
      to: 12,
      maps: { added: [], removed: [] },
      pages: [{ addr: '0x10000', changedBytes: 2, ranges: [{ addr: '0x10000', length: 1, symbol: null }, { addr: '0x10008', length: 1, symbol: null }], rangeCount: 2 }],
      totalPages: 1,
    });
    const gone = await json<{ maps: { removed: Array<{ start: string }>; added: Array<{ start: string }> } }>('diff', rec, '34', '35');
    expect(gone.maps.removed.map((m) => m.start)).toEqual(['0x10000']);
    expect(gone.maps.added.map((m) => m.start)).toEqual(['0x10000']);
    const human = await cli('diff', rec, '5', '12');
    expect(human.stdout).toContain("page 0x10000: 2 bytes differ\n    0x10000+1\n    0x10008+1\n");
    expect(human.stdout).toContain('1 page differ between checkpoints 5 and 12');
  });
});

describe('errors', () => {
  it('draws a caret under a malformed predicate and exits 2', async () => {
    const r = await cli('find', rec, 'u32(0x10000 == 7');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`delorean: find: bad predicate\nu32(0x10000 == 7\n                ^\nexpected ')' at 16\n`);
    const b = await cli('bisect', rec, 'u32(0x10000) === 7');
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("u32(0x10000) === 7\n               ^\nunexpected character '=' at 15 (did you mean '=='?)");
    const unknown = await cli('find', rec, 'u32(&nosuch) == 1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("u32(&nosuch) == 1\n    ^^^^^^^\nunknown symbol 'nosuch' at 4\n");
  });

  it('names unknown recordings, out-of-range checkpoints and missing arguments', async () => {
    const missing = await cli('find', join(root, 'nope.dlr'), '1');
    expect(missing).toMatchObject({ code: 1, stderr: `delorean: no such recording: ${join(root, 'nope.dlr')}\n` });
    const range = await cli('find', rec, '1', '--to', '40');
    expect(range).toMatchObject({ code: 1, stderr: 'delorean: find: --to checkpoint 40 is out of range: the recording has checkpoints 0..39\n' });
    expect((await cli('diff', rec, '0', '99')).stderr).toBe('delorean: diff: checkpoint 99 is out of range: the recording has checkpoints 0..39\n');
    expect((await cli('find', rec)).code).toBe(2);
    expect((await cli('bisect', rec, 'a', 'b')).stderr).toContain("unexpected argument 'b'");
    expect((await cli('changes', rec, '0x99999000', '--len', '4')).code).toBe(0); // unmapped all along: no changes
    expect((await cli('changes', rec, 'nosuch')).stderr).toContain("unknown symbol 'nosuch'");
    expect((await cli('find', rec, '1', '--from', 'x')).code).toBe(2);
  });

  it('stops on Ctrl-C with a message and exit code 130', async () => {
    const big = join(root, 'big.dlr');
    const b = await RecordingBuilder.create(big);
    b.checkpoint({ maps: [anon(A, A + 0x1000n)], pages: [[A, page({})]] });
    for (let k = 1; k < 30000; k++) b.checkpoint({ threads: [{ tid: 4242, regs: { rax: BigInt(k) } }] });
    b.close();
    // A child running the CLI with a terminal-like stderr, so it reports progress; SIGINT once it does.
    const script = `const { main } = await import(${JSON.stringify(join(ROOT, 'main/cli/main.ts'))});
process.exitCode = await main(process.argv.slice(1), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), isTTY: true });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'find', big, '$rax == 99999999'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (d: Buffer) => {
        const first = !stderr.includes('searching');
        stderr += d.toString();
        if (first && stderr.includes('searching')) child.kill('SIGINT');
      });
      child.on('close', (c) => done(c));
    });
    expect(stderr).toContain('delorean: find: interrupted (Ctrl-C); nothing was changed\n');
    expect(code).toBe(130);
    expect(stdout).toBe('');
  });
});
