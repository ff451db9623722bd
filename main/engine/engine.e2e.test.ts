/**
 * The engine end to end on real recordings: the repository's C test programs recorded by the
 * real recorder through the built CLI (`delorean record --syscalls write`), queried with the
 * engine and with the query commands. Each program's comment states its memory history:
 *
 *   guard.c    store.inv.guard (store+64) is 0xdeadbeef until the write of iteration 16, 48
 *              after; the 3rd list node's value is 300 until iteration 20, 0xbad after.
 *   counter.c  counter = i, squares = i*i before the i-th write.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../../shared/predicate/values.js';
import { main } from '../cli/main.js';
import type { CliIo } from '../cli/io.js';
import { openRecording } from '../store/reader.js';
import { PROGRAMS, recordProgram, tempDir } from '../testing/cli.js';
import { Engine } from './engine.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function cliJson<T>(...argv: string[]): Promise<T> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false };
  const code = await main([...argv, '--json'], io);
  if (code !== 0) throw new Error(`delorean ${argv.join(' ')}: exit ${code}: ${err}`);
  return JSON.parse(out) as T;
}

function int(engine: Engine, expr: string, k: number): bigint {
  const r = engine.evaluate(expr, k);
  if (!r.ok) throw new Error(`${expr} at ${k}: ${r.reason}`);
  if (r.value.kind !== 'int') throw new Error(`${expr} is not an integer`);
  return r.value.value;
}

describe('guard.c: a buffer overrun and a corrupted list node', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    expect(existsSync(`${PROGRAMS}/guard`), 'build the test programs: make -C native-recorder').toBe(true);
    dir = (await recordProgram(tmp.path, 'guard', [], ['--syscalls', 'write'])).dir;
    engine = new Engine(await openRecording(dir));
  });
  afterAll(() => {
    engine?.close();
    engine?.reader.close();
  });

  const GUARD_BAD = 'u32(&store + 64) != 0xdeadbeef';
  const THIRD = 'u32(ptr(ptr(ptr(&list_head) + 8) + 8))'; // list_head->next->next->value

  it('bisect and find land on the write of the overrun iteration (16)', async () => {
    const b = await engine.bisect(GUARD_BAD);
    const f = await engine.find(GUARD_BAD, {});
    expect(b.checkpoint).not.toBe(null);
    expect(f.checkpoint).toBe(b.checkpoint);
    const k = b.checkpoint!;
    expect(int(engine, 'i32(&iteration)', k)).toBe(16n);
    expect(int(engine, 'u32(&store + 64)', k)).toBe(48n);
    expect(int(engine, 'u32(&store + 64)', k - 1)).toBe(0xdeadbeefn);
    expect(engine.reader.checkpoint(k).trigger).toBe('syscall');
    expect(b.probes).toBeLessThanOrEqual(Math.ceil(Math.log2(engine.checkpointCount)) + 1);
    // Exact search only evaluated where the page holding the guard changed.
    expect(f.evaluations).toBeLessThanOrEqual(engine.reader.versionsOf(engine.resolveAddress('&store + 64', k) & ~0xfffn).length + 1);

    const all = await engine.find('u32(&store + 64)', { all: true });
    expect(all.transitions.map((t) => [t.checkpoint, t.value && formatValue(t.value)])).toEqual([
      [0, String(0xdeadbeef)],
      [k, '48'],
    ]);
    expect(await cliJson('bisect', dir, GUARD_BAD)).toMatchObject({ checkpoint: k });
    expect(await cliJson('find', dir, GUARD_BAD)).toMatchObject({ checkpoint: k });
  });

  it('follows the linked list to the node the stale pointer corrupts (iteration 20)', async () => {
    const all = await engine.find(THIRD, { all: true });
    const values = all.transitions.map((t) => (t.value ? formatValue(t.value) : 'error'));
    // Before the list exists list_head is NULL: reading through it fails; then 300, then 0xbad.
    expect(values).toEqual(['error', '300', String(0xbad)]);
    expect(all.transitions[0]!.error).toMatch(/^ptr\(0x8\): address 0x8 is not mapped at checkpoint 0$/);
    const bad = all.transitions[2]!.checkpoint;
    expect(int(engine, 'i32(&iteration)', bad)).toBe(20n);
    expect((await engine.find(`${THIRD} == 0xbad`, {})).checkpoint).toBe(bad);
    expect((await engine.bisect(`${THIRD} == 0xbad`)).checkpoint).toBe(bad);
    // The node lives on the heap: the pages read moved with the pointers.
    const node = int(engine, 'ptr(ptr(ptr(&list_head) + 8) + 8)', bad);
    expect(engine.symbolAt(node, bad)).toBe(null);
    expect(engine.reader.mapsAt(bad).find((m) => m.start <= node && node < m.end)?.path).toBe('[heap]');
  });

  it('reports each iteration as a value transition and diffs neighbouring writes', async () => {
    const it = await cliJson<{ transitions: Array<{ checkpoint: number; value: string }> }>('find', dir, 'i32(&iteration)', '--all');
    expect(it.transitions.map((t) => t.value)).toEqual(['-1', ...Array.from({ length: 32 }, (_, i) => String(i))]);
    const k16 = it.transitions.find((t) => t.value === '16')!.checkpoint;
    const d = await engine.diff(k16 - 1, k16);
    const store = engine.resolveAddress('&store', k16);
    const page = d.pages.find((p) => p.page === (store & ~0xfffn))!;
    const changed = page.ranges.map((r) => page.page + BigInt(r.offset));
    expect(changed).toContain(store + 64n); // the guard, overwritten
    expect(changed).toContain(engine.resolveAddress('&iteration', k16));
  });

  it('finds the current source line from registers', async () => {
    const k = engine.checkpointCount - 2; // the last write
    const src = await engine.source(k);
    expect(src?.symbol?.library).toBe('libc.so.6');
    expect(src?.symbol?.name).toMatch(/write/);
    const r = await engine.find('$orig_rax == 1', {}); // at a write(2) stop
    expect(r.mode).toBe('every-checkpoint');
    expect(r.checkpoint).toBe(1);
  });
});

describe('counter.c: every value of a variable', () => {
  const N = 30;
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = (await recordProgram(tmp.path, 'counter', [String(N)], ['--syscalls', 'write'])).dir;
    engine = new Engine(await openRecording(dir));
  });
  afterAll(() => {
    engine?.close();
    engine?.reader.close();
  });

  it('changes lists every value of counter in order', async () => {
    const r = await engine.changes('&counter', 8, {});
    const u64 = (b: Uint8Array | null) => new DataView(b!.buffer, b!.byteOffset, 8).getBigUint64(0, true);
    expect(r.changes.map((c) => u64(c.new))).toEqual(Array.from({ length: N - 1 }, (_, i) => BigInt(i + 1)));
    expect(r.changes.map((c) => u64(c.old))).toEqual(Array.from({ length: N - 1 }, (_, i) => BigInt(i)));
    for (const c of r.changes) expect(engine.reader.checkpoint(c.checkpoint).trigger).toBe('syscall');

    const cli = await cliJson<{ len: number; changes: Array<{ checkpoint: number; old: string; new: string }> }>('changes', dir, 'counter');
    expect(cli.len).toBe(8); // counter's size from the symbol table
    expect(cli.changes.map((c) => c.checkpoint)).toEqual(r.changes.map((c) => c.checkpoint));
    expect(cli.changes[0]).toMatchObject({ old: '0000000000000000', new: '0100000000000000' });

    const all = await engine.find('u64(&counter)', { all: true });
    expect(all.transitions.slice(1).map((t) => t.checkpoint)).toEqual(r.changes.map((c) => c.checkpoint));
    const sq = await engine.find('u64(&squares) == u64(&counter) * u64(&counter)', { all: true });
    expect(sq.transitions.map((t) => t.holds)).toEqual([true]); // holds at every write stop
  });
});
