/**
 * Recording, end to end: the real recorder on the repository's C programs
 * (native-recorder/tests/programs), recorded with the real CLI, read back through the store
 * and `delorean read`. Each program's comment states its exact memory history.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { resolveLocation } from '../api/locations.js';
import { Engine } from '../engine/engine.js';
import { decodeGp } from '../engine/registers.js';
import { ASAN_RECORDER, delorean, deloreanJson, PROGRAMS, RECORDER, recordProgram, run, tempDir } from '../testing/cli.js';
import { RecordingWriter } from '../store/writer.js';
import { WireDecoder } from '../../shared/protocol/wire.js';

const tmp = tempDir(true);
afterAll(() => tmp.cleanup());

function u64At(r: RecordingReader, k: number, expr: string): bigint {
  const { address } = resolveLocation(new Engine(r), expr, k);
  const b = r.readMemory(k, address, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

function u32At(r: RecordingReader, k: number, expr: string): number {
  const { address } = resolveLocation(new Engine(r), expr, k);
  const b = r.readMemory(k, address, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

describe('recording a counter at every write(2)', () => {
  const N = 40;
  let rec: Awaited<ReturnType<typeof recordProgram>>;
  let r: RecordingReader;
  beforeAll(async () => {
    rec = await recordProgram(tmp.path, 'counter', [String(N)], ['--syscalls', 'write']);
    r = await openRecording(rec.dir);
  });
  afterAll(() => r?.close());

  it('keeps a start checkpoint, one per write and a final exit checkpoint', () => {
    expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
    expect(rec.backend).toBe('uffd-wp');
    const triggers = Array.from({ length: r.checkpointCount }, (_, k) => r.checkpoint(k).trigger);
    expect(triggers[0]).toBe('start');
    expect(triggers.at(-1)).toBe('exit');
    expect(triggers.filter((t) => t === 'syscall').length).toBeGreaterThanOrEqual(N + 1); // N lines and "done"
    for (let k = 0; k < r.checkpointCount; k++) {
      const c = r.checkpoint(k);
      expect(c.index).toBe(k);
      if (c.trigger === 'syscall') expect(c.detail).toBe(1n); // write
      if (k > 0) expect(c.timeNs).toBeGreaterThanOrEqual(r.checkpoint(k - 1).timeNs);
    }
  });

  it('shows counter == i and squares == i*i at the i-th write, for every i', () => {
    const seen = new Map<bigint, bigint>();
    for (let k = 0; k < r.checkpointCount; k++) {
      if (r.checkpoint(k).trigger !== 'syscall') continue;
      const counter = u64At(r, k, 'counter');
      const squares = u64At(r, k, 'squares');
      if (!seen.has(counter)) seen.set(counter, squares);
    }
    for (let i = 0n; i < BigInt(N); i++) expect(seen.get(i), `counter ${i}`).toBe(i * i);
  });

  it('reads the same values through `delorean read`', async () => {
    const k = r.checkpointCount - 2;
    const expected = u64At(r, k, 'counter');
    const out = await deloreanJson<{ checkpoint: number; address: string; hex: string; value: string }>(['read', rec.dir, '--at', String(k), 'counter', '--type', 'u64']);
    expect(out.checkpoint).toBe(k);
    expect(out.value).toBe(expected.toString());
    expect(BigInt(out.address)).toBe(resolveLocation(new Engine(r), 'counter', k).address);
    const typed = await delorean(['read', rec.dir, '--at', String(k), 'counter']);
    expect(typed.stdout).toBe(`${expected}\n`); // by its type from the debug info
    const raw = await delorean(['read', rec.dir, '--at', String(k), 'counter', '--len', '8']);
    expect(raw.code).toBe(0);
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(expected);
    expect(raw.stdout).toMatch(new RegExp(`^[0-9a-f]{12}  ${[...le].map((b) => b.toString(16).padStart(2, '0')).join(' ')} `));
  });

  it('has registers of the thread at every checkpoint, with rip inside the program or libc', async () => {
    const out = await deloreanJson<{ threads: Array<Record<string, string>> }>(['regs', rec.dir, '--at', '1']);
    expect(out.threads).toHaveLength(1);
    const t = out.threads[0]!;
    expect(Number(t.tid)).toBeGreaterThan(0);
    expect(t.orig_rax).toBe('0x1'); // stopped at the entry of write(2)
    expect(t.rdi).toBe('0x1'); // fd 1
    expect(t.xmm0).toMatch(/^[0-9a-f]{32}$/);
    const maps = r.mapsAt(1);
    expect(maps.some((m) => BigInt(t.rip!) >= m.start && BigInt(t.rip!) < m.end && m.perms.includes('x'))).toBe(true);
  });

  it('summarises the recording with info --json', async () => {
    const info = await deloreanJson<Record<string, unknown>>(['info', rec.dir]);
    expect(info.checkpoints).toBe(r.checkpointCount);
    expect(info.exit).toEqual({ kind: 'exited', code: 0 });
    expect(info.backend).toBe('uffd-wp');
    expect(info.program).toBe(join(PROGRAMS, 'counter'));
    expect(info.rawBytes as number).toBeGreaterThan(info.storedBytes as number);
    expect(info.storedBytes as number).toBeGreaterThan(0);
  });

  it('keeps the program terminal output with the recording', () => {
    const text = Buffer.concat(r.terminalOutput().map((c) => c.data)).toString();
    expect(text).toContain('done');
  });

  it('stores the recording privately', () => {
    expect(statSync(rec.dir).mode & 0o777).toBe(0o700);
  });
});

describe('threads', () => {
  it('records every thread and every slot only grows, ending at M', async () => {
    const rec = await recordProgram(tmp.path, 'threads', ['4', '50'], ['--syscalls', 'write']);
    const r = await openRecording(rec.dir);
    try {
      expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
      let maxThreads = 0;
      const last = new Array<bigint>(4).fill(0n);
      for (let k = 0; k < r.checkpointCount; k++) {
        maxThreads = Math.max(maxThreads, r.registersAt(k).length);
        expect(r.registersAt(k).length).toBe(r.checkpoint(k).threads);
        const { address } = resolveLocation(new Engine(r), 'slots', k);
        const b = r.readMemory(k, address, 32);
        const dv = new DataView(b.buffer, b.byteOffset, 32);
        for (let s = 0; s < 4; s++) {
          const v = dv.getBigUint64(s * 8, true);
          expect(v).toBeGreaterThanOrEqual(last[s]!);
          last[s] = v;
        }
      }
      expect(maxThreads).toBeGreaterThanOrEqual(5); // main + 4 workers at some checkpoint
      expect(last).toEqual([50n, 50n, 50n, 50n]);
    } finally {
      r.close();
    }
  });
});

describe('fatal signal', () => {
  it('keeps the last state and the signal of a program that dies of SIGSEGV', async () => {
    const rec = await recordProgram(tmp.path, 'segv', [], ['--syscalls', 'write']);
    expect(rec.exit).toEqual({ kind: 'signaled', signal: 11 });
    const r = await openRecording(rec.dir);
    try {
      const last = r.checkpoint(r.checkpointCount - 1);
      expect(last.trigger).toBe('signal');
      expect(last.detail).toBe(11n);
      expect(r.exit).toEqual({ kind: 'signaled', signal: 11 });
      expect(u64At(r, last.index, 'marker')).toBe(0x5e6f5e6f5e6f5e6fn);
      const rip = decodeGp(r.registersAt(last.index)[0]!.gp).rip;
      const main = resolveLocation(new Engine(r), 'main', last.index).address;
      expect(rip).toBeGreaterThanOrEqual(main);
      expect(rip).toBeLessThan(main + 0x100n);
    } finally {
      r.close();
    }
  });
});

describe('triggers', () => {
  it('takes interval checkpoints of a busy loop without syscalls', async () => {
    const rec = await recordProgram(tmp.path, 'spin', ['300'], ['--interval', '5ms']);
    const r = await openRecording(rec.dir);
    try {
      const interval = Array.from({ length: r.checkpointCount }, (_, k) => r.checkpoint(k)).filter((c) => c.trigger === 'interval');
      expect(interval.length).toBeGreaterThanOrEqual(10);
      let prev = -1n;
      for (const c of interval) {
        const ticks = u64At(r, c.index, 'ticks');
        expect(ticks).toBeGreaterThanOrEqual(prev);
        prev = ticks;
      }
      expect(prev).toBeGreaterThan(0n);
    } finally {
      r.close();
    }
  });

  it('stops at a breakpoint on a function, with the global updated before each call', async () => {
    const rec = await recordProgram(tmp.path, 'breakme', [], ['--break', 'checkpoint_here']);
    const r = await openRecording(rec.dir);
    try {
      const hits = Array.from({ length: r.checkpointCount }, (_, k) => r.checkpoint(k)).filter((c) => c.trigger === 'breakpoint');
      expect(hits).toHaveLength(5);
      const fn = resolveLocation(new Engine(r), 'checkpoint_here', hits[0]!.index).address;
      hits.forEach((c, i) => {
        expect(c.detail).toBe(fn);
        expect(u32At(r, c.index, 'hits')).toBe(i + 1);
        expect(r.readMemory(c.index, fn, 1)[0]).not.toBe(0xcc); // our int3 never leaks into the recording
      });
    } finally {
      r.close();
    }
  });
});

/** The line a write(2) checkpoint is about to print, read from the tracee's memory (args: fd, buf, len). */
function lineAt(r: RecordingReader, k: number): string {
  const c = r.checkpoint(k);
  return Buffer.from(r.readMemory(k, c.args[1]!, Number(c.args[2]!))).toString();
}

describe('mappings', () => {
  it('captures fresh, replaced, zapped and file-backed memory at every step', async () => {
    const R = 6;
    const rec = await recordProgram(tmp.path, 'mappings', [String(R)], ['--syscalls', 'write']);
    expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
    const r = await openRecording(rec.dir);
    try {
      const writes = Array.from({ length: r.checkpointCount }, (_, k) => k).filter((k) => r.checkpoint(k).trigger === 'syscall' && r.checkpoint(k).detail === 1n);
      const lines = new Map(writes.map((k) => [lineAt(r, k), k]));
      const at = (prefix: string): [number, bigint] => {
        for (const [line, k] of lines) if (line.startsWith(prefix)) return [k, BigInt(/(?:addr|big)=(0x[0-9a-f]+)/.exec(line)![1]!)];
        throw new Error(`no line starting ${prefix}`);
      };
      // 1. an 8 MiB buffer, every byte known: spot-check pages across it.
      const [kBig, big] = at('big=');
      for (const o of [0, 4096 * 3 + 17, 1 << 20, (8 << 20) - 1]) {
        expect(r.readMemory(kBig, big + BigInt(o), 1)[0], `big[${o}]`).toBe((o * 7 + (o >> 12)) & 0xff);
      }
      // 2. fresh regions, each round's pattern, gone after munmap.
      for (let round = 0; round < R; round++) {
        const [k, region] = at(`round=${round} `);
        expect(u64At(r, k, 'cur_round')).toBe(BigInt(round));
        for (let p = 0; p < 4; p++) expect(r.pageAt(k, region + BigInt(p * 4096)).every((b) => b === ((round * 31 + p) & 0xff))).toBe(true);
        if (round > 0) {
          const [kPrev, prevRegion] = at(`round=${round - 1} `);
          void kPrev;
          if (prevRegion !== region) expect(() => r.pageAt(k, prevRegion)).toThrow(/not mapped/);
        }
      }
      // 3. MAP_FIXED over a filled range: zeros after.
      const [kFb, fixed] = at('fixed-before');
      const [kFa] = at('fixed-after');
      expect(r.pageAt(kFb, fixed).every((b) => b === 0xaa)).toBe(true);
      expect(r.pageAt(kFa, fixed).every((b) => b === 0)).toBe(true);
      // 4. madvise(DONTNEED) on anonymous memory: zeros after.
      const [kDb, zap] = at('dontneed-before');
      const [kDa] = at('dontneed-after');
      expect(r.pageAt(kDb, zap + 4096n).every((b) => b === 0xbb)).toBe(true);
      expect(r.pageAt(kDa, zap + 4096n).every((b) => b === 0)).toBe(true);
      // 5. madvise(DONTNEED) on a private file page: back to the file's bytes.
      const [kXb, file] = at('file-before');
      const [kXa] = at('file-after');
      expect(Buffer.from(r.readMemory(kXb, file, 4)).toString('latin1')).toBe('XXXX');
      expect(Buffer.from(r.readMemory(kXa, file, 4)).toString('latin1')).toBe('\x7fELF');
    } finally {
      r.close();
    }
  });
});

describe('mremap', () => {
  it('follows memory that moves and grows', async () => {
    const rec = await recordProgram(tmp.path, 'remap', [], ['--syscalls', 'write']);
    expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
    const r = await openRecording(rec.dir);
    try {
      const writes = Array.from({ length: r.checkpointCount }, (_, k) => k).filter((k) => r.checkpoint(k).trigger === 'syscall');
      const find = (prefix: string): [number, bigint] => {
        for (const k of writes) {
          const line = lineAt(r, k);
          if (line.startsWith(prefix)) return [k, BigInt(/addr=(0x[0-9a-f]+)/.exec(line)![1]!)];
        }
        throw new Error(`no line ${prefix}`);
      };
      const [kBefore, before] = find('before');
      const [kAfter, after] = find('after');
      expect(after).not.toBe(before);
      for (let p = 0; p < 4; p++) expect(r.pageAt(kBefore, before + BigInt(p * 4096)).every((b) => b === 0x10 + p)).toBe(true);
      for (let p = 0; p < 4; p++) expect(r.pageAt(kAfter, after + BigInt(p * 4096)).every((b) => b === 0x10 + p), `moved page ${p}`).toBe(true);
      expect(r.pageAt(kAfter, after + 10n * 4096n).every((b) => b === 0)).toBe(true);
      expect(r.pageAt(kAfter, after + 40n * 4096n).every((b) => b === 0x77)).toBe(true);
      expect(() => r.pageAt(kAfter, before)).toThrow(/not mapped/);
    } finally {
      r.close();
    }
  });
});

describe('exec', () => {
  it('follows an exec: new program, new map, values of the new image', async () => {
    const rec = await recordProgram(tmp.path, 'exec', [join(PROGRAMS, 'counter'), '5'], ['--syscalls', 'write']);
    const r = await openRecording(rec.dir);
    try {
      expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
      const execAt = Array.from({ length: r.checkpointCount }, (_, k) => r.checkpoint(k)).find((c) => c.trigger === 'exec');
      expect(execAt).toBeDefined();
      expect(r.programAt(0)).toBe(join(PROGRAMS, 'exec'));
      expect(r.programAt(execAt!.index)).toBe(join(PROGRAMS, 'counter'));
      expect(u64At(r, execAt!.index - 1, 'before_exec')).toBe(0xe1e1e1e1n);
      expect(u64At(r, r.checkpointCount - 1, 'counter')).toBe(4n);
    } finally {
      r.close();
    }
  });
});

describe('bad input', () => {
  it('names a missing program and leaves nothing behind', async () => {
    const out = join(tmp.path, 'missing.dlr');
    const res = await delorean(['record', '--out', out, '--', './no-such-program']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/cannot run '\.\/no-such-program'/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a file that is not executable', async () => {
    const res = await delorean(['record', '--out', join(tmp.path, 'x.dlr'), '--', join(PROGRAMS, '../../tests/programs/counter.c')]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/not executable/);
  });

  it('never overwrites an existing recording', async () => {
    const rec = await recordProgram(tmp.path, 'counter', ['2'], ['--syscalls', 'write']);
    const res = await delorean(['record', '--out', rec.dir, '--', join(PROGRAMS, 'counter'), '2']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/already exists/);
    const info = await deloreanJson<{ checkpoints: number }>(['info', rec.dir]);
    expect(info.checkpoints).toBe(rec.checkpoints);
  });

  it('gives clear errors for bad queries', async () => {
    const rec = await recordProgram(tmp.path, 'counter', ['3'], ['--syscalls', 'write']);
    const cases: Array<[string[], RegExp]> = [
      [['info', join(tmp.path, 'nope.dlr')], /no such recording/],
      [['read', rec.dir, '--at', '9999', 'counter'], /checkpoint 9999 is out of range/],
      [['read', rec.dir, '--at', '0', '0x10'], /not mapped at checkpoint 0/],
      [['read', rec.dir, '--at', '0', 'countr'], /unknown symbol 'countr'.*counter/],
      [['read', rec.dir, '--at', 'x', 'counter'], /--at must be a non-negative integer/],
      [['read', rec.dir, '--at', '0', 'counter', '--type', 'u128'], /unknown type 'u128'/],
      [['regs', rec.dir, '--at', '0', '--thread', '1'], /no thread 1/],
      [['record', '--backend', 'magic', '--', 'true'], /unknown backend 'magic'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, re] of cases) {
      const res = await delorean(args);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.stderr, args.join(' ')).toMatch(re);
    }
  });
});

describe('backends and builds', () => {
  it('gives the same history with the hash-scan backend', async () => {
    const rec = await recordProgram(tmp.path, 'counter', ['10'], ['--syscalls', 'write', '--backend', 'hash']);
    expect(rec.backend).toBe('hash');
    const r = await openRecording(rec.dir);
    try {
      const values = new Set<bigint>();
      for (let k = 0; k < r.checkpointCount; k++) values.add(u64At(r, k, 'counter'));
      for (let i = 0n; i < 10n; i++) expect(values.has(i)).toBe(true);
    } finally {
      r.close();
    }
  });

  it('explains that soft-dirty is unavailable on this kernel when asked for it', async () => {
    const res = await delorean(['record', '--out', join(tmp.path, 'sd.dlr'), '--backend', 'soft-dirty', '--', join(PROGRAMS, 'counter'), '2']);
    if (res.code === 0) return; // a kernel with soft-dirty: nothing to explain
    expect(res.stderr).toMatch(/soft-dirty/);
  });

  it('records under the ASan/UBSan build of the recorder', async () => {
    const rec = await recordProgram(tmp.path, 'counter', ['20'], ['--syscalls', 'write'], { env: { DELOREAN_RECORDER: ASAN_RECORDER } });
    expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
    expect(rec.checkpoints).toBeGreaterThanOrEqual(22);
  });

  it('records as an ordinary user, not only as root', async () => {
    // The recorder and the program run as uid 65534 from copies in a world-readable directory
    // (the checkout may sit where that user cannot go); the stream goes to a file, which the
    // real store then ingests.
    const recorder = join(tmp.path, 'delorean-recorder');
    const program = join(tmp.path, 'counter');
    copyFileSync(RECORDER, recorder);
    copyFileSync(join(PROGRAMS, 'counter'), program);
    chmodSync(recorder, 0o755);
    chmodSync(program, 0o755);
    const wire = join(tmp.path, 'nobody.wire');
    const res = await run(recorder, ['--wire-file', wire, '--syscalls', 'write', '--', program, '10'], { asUser: { uid: 65534, gid: 65534 }, cwd: tmp.path });
    expect(res.code, res.stderr).toBe(0);
    const out = join(tmp.path, 'nobody.dlr');
    const writer = await RecordingWriter.create(out);
    for (const m of WireDecoder.decodeAll(new Uint8Array(readFileSync(wire)))) writer.ingest(m);
    writer.close();
    const r = await openRecording(out);
    try {
      expect(r.meta.backend).toBe('uffd-wp'); // userfaultfd with UFFD_USER_MODE_ONLY when unprivileged
      expect(r.exit).toEqual({ kind: 'exited', code: 0 });
      const values = new Set<bigint>();
      for (let k = 0; k < r.checkpointCount; k++) values.add(u64At(r, k, 'counter'));
      for (let i = 0n; i < 10n; i++) expect(values.has(i), `counter ${i}`).toBe(true);
    } finally {
      r.close();
    }
  });
});
