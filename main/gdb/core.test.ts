/**
 * Core files of real recordings, opened by the real gdb: `delorean core` (in process, the real
 * command) writes the checkpoint, `gdb -batch PROGRAM CORE` prints, and the answers must be
 * what the store holds at that checkpoint (read with the engine). The test programs are PIE,
 * so every print also checks the relocation through the recovered auxiliary vector.
 *
 *   counter.c  counter = i, squares = i*i before the i-th write(2)
 *   threads.c  workers each write their own slot; several threads alive at once
 *   guard.c    store.inv.guard is 0xdeadbeef until iteration 16 overruns items[16]
 *   segv.c     dies of SIGSEGV in main with marker set
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli/io.js';
import { main } from '../cli/main.js';
import { Engine } from '../engine/engine.js';
import { openRecording } from '../store/reader.js';
import { PROGRAMS, recordProgram, tempDir } from '../testing/cli.js';
import { gdb, haveGdb, printed, valueAt } from './testing.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

async function core(rec: string, k: number): Promise<string> {
  const file = join(tmp.path, `${rec.split('/').pop()}-${k}.core`);
  const r = await cli('core', rec, '--at', String(k), '-o', file);
  expect(r.code, r.err).toBe(0);
  expect(r.err).toBe(''); // no warning: the auxv was found
  return file;
}

interface Recorded {
  dir: string;
  engine: Engine;
}

async function record(name: string, args: string[]): Promise<Recorded> {
  const dir = (await recordProgram(tmp.path, name, args, ['--syscalls', 'write'])).dir;
  return { dir, engine: new Engine(await openRecording(dir)) };
}

const recorded: Recorded[] = [];
async function recording(name: string, args: string[]): Promise<Recorded> {
  const r = await record(name, args);
  recorded.push(r);
  return r;
}
afterAll(() => {
  for (const r of recorded) {
    r.engine.close();
    r.engine.reader.close();
  }
});

beforeAll(async () => {
  expect(await haveGdb(), 'these tests run the real gdb: install it (apt-get install gdb)').toBe(true);
  expect(existsSync(join(PROGRAMS, 'counter')), 'build the test programs: make -C native-recorder').toBe(true);
});

describe('counter.c', () => {
  let rec: Recorded;
  beforeAll(async () => {
    rec = await recording('counter', ['20']);
  });

  it('globals, the backtrace and locals at a checkpoint in the middle', async () => {
    const k = 7;
    const file = await core(rec.dir, k);
    const r = await gdb(['print counter', 'print squares', 'bt', 'frame function main', 'print i'], join(PROGRAMS, 'counter'), file);
    const [counter, squares, i] = printed(r.output);
    expect(counter).toBe(valueAt(rec.engine, 'u64(&counter)', k));
    expect(squares).toBe(valueAt(rec.engine, 'u64(&squares)', k));
    expect(squares).toBe(String(Number(counter) ** 2));
    expect(i).toBe(counter); // the local loop variable agrees with the global
    expect(r.output).toMatch(/#0 .*write/);
    expect(r.output).toMatch(/#\d+ .* in main \(argc=2, argv=0x[0-9a-f]+\) at .*counter\.c:\d+/);
    expect(r.output).not.toMatch(/warning: .*(too small|Unexpected size)/);
  });

  it('every checkpoint shows the value the store holds', async () => {
    const n = rec.engine.checkpointCount;
    for (const k of [0, 1, 2, n - 2, n - 1]) {
      const file = await core(rec.dir, k);
      const r = await gdb(['print counter', 'print squares'], join(PROGRAMS, 'counter'), file);
      expect(printed(r.output), `checkpoint ${k}: ${r.output}`).toEqual([valueAt(rec.engine, 'u64(&counter)', k), valueAt(rec.engine, 'u64(&squares)', k)]);
    }
  });

  it('the core is sparse-written and mentions every readable mapping', async () => {
    const file = join(tmp.path, 'json.core');
    const r = await cli('core', rec.dir, '--at', '3', '-o', file, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { size: number; written: number; segments: number; threads: number; auxv: boolean };
    expect(summary.auxv).toBe(true);
    expect(summary.threads).toBe(1);
    expect(statSync(file).size).toBe(summary.size);
    expect(summary.written).toBeLessThanOrEqual(summary.size);
    const readable = rec.engine.reader.mapsAt(3).filter((m) => m.perms[0] === 'r' && !['[vvar]', '[vvar_vclock]', '[vsyscall]'].includes(m.path));
    expect(summary.segments).toBe(readable.length);
  });

  it('usage errors are clear', async () => {
    expect(await cli('core', rec.dir, '-o', join(tmp.path, 'x.core'))).toMatchObject({ code: 2, err: expect.stringContaining('--at K is required') });
    expect(await cli('core', rec.dir, '--at', '1')).toMatchObject({ code: 2, err: expect.stringContaining('-o FILE is required') });
    expect(await cli('core', rec.dir, '--at', '999', '-o', join(tmp.path, 'x.core'))).toMatchObject({ code: 1, err: expect.stringContaining('out of range') });
    expect(await cli('core', rec.dir, '--at', '1', '-o', join(tmp.path, 'no/such/dir/x.core'))).toMatchObject({ code: 1, err: expect.stringContaining('cannot write') });
  });
});

describe('threads.c', () => {
  it('info threads lists every thread of the checkpoint, each with its own stack', async () => {
    const rec = await recording('threads', ['4', '50']);
    let k = 0;
    for (let c = 0; c < rec.engine.checkpointCount; c++) if (rec.engine.reader.registersAt(c).length > rec.engine.reader.registersAt(k).length) k = c;
    const tids = rec.engine.reader.registersAt(k).map((t) => t.tid);
    expect(tids.length).toBeGreaterThanOrEqual(2); // how many overlap is up to the scheduler
    const file = await core(rec.dir, k);
    const r = await gdb(['info threads', 'thread apply all bt', 'print slots'], join(PROGRAMS, 'threads'), file);
    for (const tid of tids) expect(r.output).toContain(`(LWP ${tid})`);
    // Each thread has a stack of its own; the one that triggered the checkpoint (a worker's
    // write, or main's) is in its function. (A thread just cloned may still be in clone3.)
    const blocks = r.output.split(/^Thread \d+ /m).slice(1);
    expect(blocks.length).toBe(tids.length);
    const trigger = rec.engine.reader.checkpoint(k).tid;
    const own = blocks.find((b) => b.includes(`(LWP ${trigger})`))!;
    expect(own).toMatch(/ in (worker \(arg=0x[0-3]\)|main \(argc=3)/);
    const slots = Array.from({ length: 8 }, (_, i) => valueAt(rec.engine, `u64(&slots + ${8 * i})`, k));
    expect(printed(r.output)).toEqual([`{${slots.join(', ')}}`]);
    // gdb selects the first thread of the core: the one that triggered the checkpoint
    expect(r.output).toMatch(new RegExp(`^\\* 1 +Thread 0x[0-9a-f]+ \\(LWP ${trigger}\\)`, 'm'));
  });
});

describe('guard.c', () => {
  it('struct fields and a heap list before and after the overrun', async () => {
    const rec = await recording('guard', []);
    const bad = await rec.engine.bisect('u32(&store + 64) != 0xdeadbeef');
    const after = bad.checkpoint!;
    for (const k of [after - 1, after]) {
      const file = await core(rec.dir, k);
      const r = await gdb(['print store.inv.guard', 'print iteration', 'print store.inv.items[3]', 'print list_head->next->next->value'], join(PROGRAMS, 'guard'), file);
      expect(printed(r.output), r.output).toEqual([
        valueAt(rec.engine, 'u32(&store + 64)', k),
        valueAt(rec.engine, 'i32(&iteration)', k),
        valueAt(rec.engine, 'i32(&store + 12)', k),
        valueAt(rec.engine, 'i32(ptr(ptr(ptr(&list_head) + 8) + 8))', k),
      ]);
    }
    expect(valueAt(rec.engine, 'u32(&store + 64)', after - 1)).toBe(String(0xdeadbeef));
  });
});

describe('segv.c', () => {
  it('the last checkpoint is a crash dump: the signal, the faulting line, the globals', async () => {
    const rec = await recording('segv', []);
    const k = rec.engine.checkpointCount - 1;
    expect(rec.engine.reader.checkpoint(k).trigger).toBe('signal');
    const file = await core(rec.dir, k);
    const r = await gdb(['print/x marker', 'bt'], join(PROGRAMS, 'segv'), file);
    expect(r.output).toContain('Program terminated with signal SIGSEGV, Segmentation fault.');
    expect(printed(r.output)).toEqual(['0x5e6f5e6f5e6f5e6f']);
    expect(r.output).toMatch(/#0 +main \(\) at .*segv\.c:\d+/);
  });
});
