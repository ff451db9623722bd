/**
 * A program rebuilt in place after it was recorded (`gcc -o` keeps the path and the inode)
 * with another layout of its globals: queries by symbol must give the recorded value or a
 * clear refusal naming the change, never a value read at the new layout's address.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delorean, deloreanJson, ROOT, tempDir } from '../testing/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const SOURCE = join(ROOT, 'native-recorder/tests/programs/counter.c');
const prog = join(tmp.path, 'counter');
const rec = join(tmp.path, 'counter.dlr');

function build(source: string): void {
  execFileSync('gcc', ['-std=c17', '-O0', '-g', '-I', join(ROOT, 'native-recorder/tests/programs'), '-o', prog, source]);
}

beforeAll(async () => {
  build(SOURCE);
  const r = await delorean(['record', '--syscalls', 'write', '--out', rec, '--', prog, '200']);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('a program rebuilt in place after recording', () => {
  it('reads the true value while the file is the one recorded', async () => {
    const v = await deloreanJson<{ value: string }>(['read', rec, '--at', '100', 'counter', '--type', 'u64']);
    expect(v.value).toBe('99');
  });

  it('refuses symbols from the rebuilt file, in read and find, instead of a wrong value', async () => {
    // Another layout: a big global before counter moves it (and squares) elsewhere.
    const moved = join(tmp.path, 'moved.c');
    writeFileSync(moved, readFileSync(SOURCE, 'utf8').replace('volatile uint64_t counter;', 'volatile uint64_t pad[1000];\nvolatile uint64_t counter;'));
    build(moved);
    const read = await delorean(['read', rec, '--at', '100', 'counter', '--type', 'u64', '--json']);
    expect(read.stdout).toBe('');
    expect(read.code).toBe(2); // as find below: the name cannot be resolved
    expect(read.stderr).toMatch(new RegExp(`the program ${prog} is not the file that was recorded: it changed on disk since it was recorded`));
    const info = await deloreanJson<{ programChanged: string | null }>(['info', rec]);
    expect(info.programChanged).toMatch(/^it changed on disk since it was recorded/);
    const find = await delorean(['find', rec, 'u64(&counter) == 100']);
    expect(find.stdout).toBe('');
    expect(find.code).toBe(2); // the predicate names a symbol that cannot be resolved
    expect(find.stderr).toContain('is not the file that was recorded');
    // Rebuilt as it was (same bytes, a new modification time): trusted again.
    build(SOURCE);
    const again = await deloreanJson<{ value: string }>(['read', rec, '--at', '100', 'counter', '--type', 'u64']);
    expect(again.value).toBe('99');
    expect((await deloreanJson<{ programChanged: string | null }>(['info', rec])).programChanged).toBeNull();
  });
});
