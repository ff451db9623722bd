/**
 * The engine on recordings written by the real store (RecordingWriter via fixtures.ts) and read
 * back by the real reader: evaluation, exact search checked against brute force on random
 * histories (flipping values, pointer chains, mappings that come and go), bisect vs find,
 * changes, diff, registers, symbols relocated from real ELF files, source lines, abort and
 * progress.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../../shared/predicate/values.js';
import { openRecording } from '../store/reader.js';
import { SYN, writeSyntheticRecording } from '../store/synthetic.js';
import type { RecordingReader } from '../store/types.js';
import { readElfFile } from './elf.js';
import { Engine, EngineError, PredicateNameError, type Transition } from './engine.js';
import { anon, fileMapping, page, RecordingBuilder, type CheckpointSpec } from './fixtures.js';
import { PredicateSyntaxError } from '../../shared/predicate/parser.js';
import { prng } from '../testing/prng.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'delorean-engine-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
async function build(specs: CheckpointSpec[], opts: { program?: string } = {}): Promise<{ engine: Engine; reader: RecordingReader }> {
  const dir = join(root, `rec${counter++}.dlr`);
  const b = await RecordingBuilder.create(dir, opts);
  for (const s of specs) b.checkpoint(s);
  b.close();
  const reader = await openRecording(dir);
  return { engine: new Engine(reader), reader };
}

/** Transitions by evaluating at every checkpoint: the ground truth for exact search. */
function bruteForce(engine: Engine, pred: string, from: number, to: number): Array<{ checkpoint: number; value: string | null }> {
  const out: Array<{ checkpoint: number; value: string | null }> = [];
  let prev = '';
  for (let k = from; k <= to; k++) {
    const r = engine.evaluate(pred, k);
    const v = r.ok ? `${r.value.kind}:${formatValue(r.value)}` : null;
    const key = v ?? '\0error';
    if (k === from || key !== prev) out.push({ checkpoint: k, value: v });
    prev = key;
  }
  return out;
}

const shape = (ts: readonly Transition[]) => ts.map((t) => ({ checkpoint: t.checkpoint, value: t.value ? `${t.value.kind}:${formatValue(t.value)}` : null }));

const A = 0x10000n; // flag (u32 at +0), pointer (u64 at +8)
const B = 0x11000n; // node 1: value at +16; noise at +2048
const C = 0x12000n; // node 2: value at +32
const D = 0x20000n; // a mapping that comes and goes: value at +0

/** A random history over pages A..C (always mapped) and D (mapped on and off). */
function randomHistory(seed: number, n: number): CheckpointSpec[] {
  const r = prng(seed);
  const img = new Map<bigint, Uint8Array>([A, B, C, D].map((p) => [p, new Uint8Array(4096)]));
  const set = (p: bigint, off: number, v: bigint, size: 4 | 8): void => {
    const dv = new DataView(img.get(p)!.buffer);
    if (size === 4) dv.setUint32(off, Number(v), true);
    else dv.setBigUint64(off, v, true);
  };
  set(A, 8, B + 16n, 8);
  let dMapped = false;
  const specs: CheckpointSpec[] = [];
  for (let k = 0; k < n; k++) {
    const dirty = new Set<bigint>(k === 0 ? [A, B, C] : []);
    if (r() < 0.12) {
      set(A, 0, BigInt(Math.floor(r() * 2)), 4);
      dirty.add(A);
    }
    if (r() < 0.06) {
      set(A, 8, r() < 0.5 ? B + 16n : C + 32n, 8);
      dirty.add(A);
    }
    if (r() < 0.1) {
      set(B, 16, BigInt(Math.floor(r() * 8)), 4);
      dirty.add(B);
    }
    if (r() < 0.1) {
      set(C, 32, BigInt(Math.floor(r() * 8)), 4);
      dirty.add(C);
    }
    if (r() < 0.5) {
      set(B, 2048, BigInt(k), 4); // same page, other bytes
      dirty.add(B);
    }
    let maps: CheckpointSpec['maps'];
    if (k === 0 || r() < 0.05) {
      dMapped = k === 0 ? false : !dMapped;
      maps = dMapped ? [anon(A, C + 0x1000n), anon(D, D + 0x1000n)] : [anon(A, C + 0x1000n)];
      if (dMapped) {
        set(D, 0, BigInt(Math.floor(r() * 4)), 4);
        dirty.add(D); // a range first seen counts as wholly dirty
      }
    }
    if (dMapped && r() < 0.1) {
      set(D, 0, BigInt(Math.floor(r() * 4)), 4);
      dirty.add(D);
    }
    specs.push({ ...(maps ? { maps } : {}), pages: [...dirty].map((p) => [p, img.get(p)!.slice()] as const) });
  }
  return specs;
}

describe('exact search', () => {
  const predicates = [
    'u32(0x10000) == 1',
    'u32(ptr(0x10008))',
    'u32(ptr(0x10008)) > 3 && u32(0x10000)',
    'u32(0x20000) == 3',
    'u32(0x10000) == 1 || u32(0x20000) == 2',
    'u32(0x11000 + 2048) % 7 == 0',
  ];

  it('find --all equals evaluating at every checkpoint, on random histories', async () => {
    for (const seed of [1, 2, 3]) {
      const { engine, reader } = await build(randomHistory(seed, 240));
      const last = reader.checkpointCount - 1;
      for (const pred of predicates) {
        const r = await engine.find(pred, { all: true });
        expect(shape(r.transitions), `${pred} (seed ${seed})`).toEqual(bruteForce(engine, pred, 0, last));
        expect(r.mode).toBe('pages');
        // A sub-range starts with the value at its first checkpoint.
        const sub = await engine.find(pred, { all: true, from: 50, to: 150 });
        expect(shape(sub.transitions), `${pred} 50..150`).toEqual(bruteForce(engine, pred, 50, 150));
        // find (first) agrees with the first transition to a true value.
        const first = await engine.find(pred, {});
        const firstTrue = r.transitions.find((t) => t.holds);
        expect(first.checkpoint).toBe(firstTrue ? firstTrue.checkpoint : null);
      }
      engine.close();
      reader.close();
    }
  });

  it('find --all and changes equal evaluating at every checkpoint on a synthetic heap: dense pages, pointers, zeroed pages, delta chain rebases', async () => {
    // Exact search evaluates from the bytes its range cursors followed (no page rebuild): check
    // that against brute force where blobs are runs deltas, rebases on a chain's root (chains of
    // 4), and pages a zero range covered (the last 8 heap pages, zeroed every 9 checkpoints).
    const dir = join(root, `syn${counter++}.dlr`);
    await writeSyntheticRecording(dir, { checkpoints: 240, heapPages: 16, wordsPerCheckpoint: 6, zeroEvery: 9, seed: 5 }, { deltaChain: 4 });
    const reader = await openRecording(dir, { readOnly: true });
    const engine = new Engine(reader);
    const heap = (off: number): string => `0x${(SYN.heap + BigInt(off)).toString(16)}`;
    const last = reader.checkpointCount - 1;
    for (const pred of [
      `u64(${SYN.data}) % 7 == 3`, // changes at every checkpoint
      `u64(${heap(0x2000 + 8 * 17)})`,
      `u32(${heap(0x3000 + 40)}) + u32(${heap(0x3000 + 3000)})`, // two reads on one page
      `u64(ptr(${heap(8 * 3)}) & ~7)`, // a pointer into the heap
      `u64(${heap(15 * 4096 + 64)}) != 0 || u8(${heap(9 * 4096 + 5)}) == 1`, // zeroed pages
      `bytes(${heap(0x4000 + 100)}, 12)`,
    ]) {
      const r = await engine.find(pred, { all: true });
      expect(shape(r.transitions), pred).toEqual(bruteForce(engine, pred, 0, last));
      const sub = await engine.find(pred, { all: true, from: 77, to: 201 });
      expect(shape(sub.transitions), `${pred} 77..201`).toEqual(bruteForce(engine, pred, 77, 201));
    }
    // changes() takes its bytes from the cursors too: against comparing at every checkpoint.
    const bytesAt = (k: number, a: bigint, n: number): string | null => {
      try {
        return Buffer.from(reader.readMemory(k, a, n)).toString('hex');
      } catch {
        return null;
      }
    };
    for (const [a, n, from, to] of [
      [SYN.data, 8, 0, last], // every checkpoint
      [SYN.heap + 0x2000n + 8n * 17n, 8, 0, last],
      [SYN.heap + 0x3000n + 4090n, 12, 0, last], // across a page boundary
      [SYN.heap + 15n * 4096n + 60n, 16, 0, last], // a zeroed page
      [SYN.heap + 9n * 4096n - 4n, 8, 30, 190], // a heap page and a zeroed one, sub-range
    ] as const) {
      const want: Array<{ checkpoint: number; old: string | null; new: string | null }> = [];
      for (let k = from + 1; k <= to; k++) {
        const o = bytesAt(k - 1, a, n);
        const c = bytesAt(k, a, n);
        if (o !== c) want.push({ checkpoint: k, old: o, new: c });
      }
      const got = await engine.changes(a, n, { from, to });
      const hex = (b: Uint8Array | null): string | null => (b ? Buffer.from(b).toString('hex') : null);
      expect(hex(got.initial)).toBe(bytesAt(from, a, n));
      expect(got.changes.map((c) => ({ checkpoint: c.checkpoint, old: hex(c.old), new: hex(c.new) })), `changes of 0x${a.toString(16)}+${n}`).toEqual(want);
    }
    engine.close();
    reader.close();
  });

  it('skips checkpoints: evaluations follow the pages read, not the checkpoint count', async () => {
    const specs: CheckpointSpec[] = [{ maps: [anon(A, C + 0x1000n)], pages: [[A, page({ 0: 0 })]] }];
    for (let k = 1; k < 2000; k++) {
      const pages: Array<readonly [bigint, Uint8Array]> = [[B, page({ 0: k })]]; // noise elsewhere
      if (k % 500 === 0) pages.push([A, page({ 0: (k / 500) % 2 })]);
      specs.push({ pages });
    }
    const { engine } = await build(specs);
    const r = await engine.find('u32(0x10000) == 1', { all: true });
    expect(r.transitions.map((t) => [t.checkpoint, t.holds])).toEqual([
      [0, false],
      [500, true],
      [1000, false],
      [1500, true],
    ]);
    expect(r.evaluations).toBe(4);
  });

  it('follows a pointer chain whose target changes', async () => {
    // head (A+8) -> node at B+16 or C+32; the node's value changes on both pages.
    const specs: CheckpointSpec[] = [
      { maps: [anon(A, C + 0x1000n)], pages: [[A, page({ 8: [B + 16n, 8] })], [B, page({ 16: 1 })], [C, page({ 32: 10 })]] },
      { pages: [[C, page({ 32: 11 })]] }, // 1: not the current target: no transition
      { pages: [[B, page({ 16: 2 })]] }, // 2: 1 -> 2
      { pages: [[A, page({ 8: [C + 32n, 8] })]] }, // 3: pointer moves: 2 -> 11
      { pages: [[B, page({ 16: 3 })]] }, // 4: old target: no transition
      { pages: [[C, page({ 32: 12 })]] }, // 5: 11 -> 12
    ];
    const { engine } = await build(specs);
    const r = await engine.find('u32(ptr(0x10008))', { all: true });
    expect(r.transitions.map((t) => [t.checkpoint, t.value && formatValue(t.value)])).toEqual([
      [0, '1'],
      [2, '2'],
      [3, '11'],
      [5, '12'],
    ]);
    expect(r.boolean).toBe(false);
    expect((await engine.find('u32(ptr(0x10008)) == 12', {})).checkpoint).toBe(5);
  });

  it('bisect agrees with find on a monotone predicate', async () => {
    const specs: CheckpointSpec[] = [{ maps: [anon(A, B)], pages: [[A, page({ 0: 0 })]] }];
    const r = prng(5);
    let v = 0;
    for (let k = 1; k < 1000; k++) {
      if (r() < 0.3) v += 1;
      specs.push({ pages: [[A, page({ 0: v })]] });
    }
    const { engine } = await build(specs);
    for (const target of [0, 1, 57, 150, v, v + 1]) {
      const pred = `u32(0x10000) >= ${target}`;
      const b = await engine.bisect(pred);
      const f = await engine.find(pred, {});
      expect(b.checkpoint, pred).toBe(f.checkpoint);
      expect(b.probes).toBeLessThanOrEqual(11); // ceil(log2(1000)) + 1
      const sub = await engine.bisect(pred, { from: 200, to: 700 });
      const subFind = await engine.find(pred, { from: 200, to: 700 });
      expect(sub.checkpoint, `${pred} 200..700`).toBe(subFind.checkpoint);
    }
  });

  it('treats unmapped reads as false with a reason, and sees mappings come and go', async () => {
    const specs: CheckpointSpec[] = [
      { maps: [anon(A, B)], pages: [[A, page({ 0: 1 })]] },
      {},
      { maps: [anon(A, B), anon(D, D + 0x1000n)], pages: [[D, page({ 0: 3 })]] },
      {},
      { maps: [anon(A, B)] }, // D unmapped: no page version, only a map change
      {},
    ];
    const { engine } = await build(specs);
    const at1 = engine.evaluate('u32(0x20000) == 3', 1);
    expect(at1).toMatchObject({ ok: false, reason: 'u32(0x20000): address 0x20000 is not mapped at checkpoint 1', span: { start: 0, end: 12 } });
    const r = await engine.find('u32(0x20000) == 3', { all: true });
    expect(r.transitions.map((t) => [t.checkpoint, t.holds, t.error])).toEqual([
      [0, false, 'u32(0x20000): address 0x20000 is not mapped at checkpoint 0'],
      [2, true, null],
      [4, false, 'u32(0x20000): address 0x20000 is not mapped at checkpoint 4'],
    ]);
    expect(engine.evaluate('u32(0x10000) / 0', 0)).toMatchObject({ ok: false, reason: 'division by zero' });
    expect(engine.evaluate('cstr(0x10000) && 1', 0)).toMatchObject({ ok: false });
  });
});

describe('maps change points', () => {
  it('finds every change across the windows of the maps-version column it scans, and as the recording grows', async () => {
    // Changes on both sides of the 65,536-checkpoint scan window; at 100 a new maps record with
    // the same text (a new maps version, not a change).
    const n = 65_536 + 300;
    const changes = [5, 64_000, 65_535, 65_536, 65_537, 65_600];
    const one = [anon(A, B)];
    const two = [anon(A, B), anon(D, D + 0x1000n)];
    const changePoints = (engine: Engine): number[] => {
      const got: number[] = [];
      for (let k: number | null = 0; k !== null; k = engine.nextMapsChange(k)) if (k > 0) got.push(k);
      return got;
    };
    const dir = join(root, `rec${counter++}.dlr`);
    const b = await RecordingBuilder.create(dir);
    let cur = one;
    const write = (upTo: number): void => {
      for (let k = b.count; k < upTo; k++) {
        if (k === 0) b.checkpoint({ maps: cur, pages: [[A, page({ 0: 1 })]] });
        else if (changes.includes(k)) b.checkpoint({ maps: (cur = cur === one ? two : one) });
        else if (k === 100) b.checkpoint({ maps: cur });
        else b.checkpoint({});
      }
    };
    // A live reader follows the recording: the engine scans the new part only.
    write(65_000);
    const live = await openRecording(dir, { readOnly: true });
    const following = new Engine(live);
    expect(changePoints(following)).toEqual([5, 64_000]);
    write(n);
    b.close();
    live.refresh();
    expect(changePoints(following)).toEqual(changes);
    // Scanned at once, over the window boundary.
    const reader = await openRecording(dir);
    const engine = new Engine(reader);
    try {
      expect(changePoints(engine)).toEqual(changes);
      expect(engine.mapsSpan(65_535)).toEqual({ from: 65_535, to: 65_536 });
      expect(engine.mapsSpan(70)).toEqual({ from: 5, to: 64_000 });
    } finally {
      for (const e of [engine, following]) e.close();
      for (const r of [reader, live]) r.close();
    }
  }, 60_000);
});

describe('typed reads', () => {
  it('reads every type: sign extension, floats, C strings, bytes, page-crossing', async () => {
    const p = new Uint8Array(4096);
    const v = new DataView(p.buffer);
    v.setUint32(0, 0xfffffffe, true);
    v.setFloat32(8, 1.5, true);
    v.setFloat64(16, -2.25, true);
    v.setBigUint64(24, 0x8000000000000001n, true);
    p.set(new TextEncoder().encode('hello\0'), 32);
    p.fill(0x41, 4090); // "AAAAAA" running into the next page
    const q = page({ 0: 0x00424242 }); // "BBB\0"
    const { engine } = await build([{ maps: [anon(A, C)], pages: [[A, p], [B, q]] }]);
    const val = (e: string) => {
      const r = engine.evaluate(e, 0);
      return r.ok ? formatValue(r.value) : r.reason;
    };
    expect(val('u8(0x10000)')).toBe('254');
    expect(val('i8(0x10000)')).toBe('-2');
    expect(val('i16(0x10000)')).toBe('-2');
    expect(val('u16(0x10000)')).toBe('65534');
    expect(val('i32(0x10000)')).toBe('-2');
    expect(val('u32(0x10000)')).toBe('4294967294');
    expect(val('i32(0x10000) < 0')).toBe('1');
    expect(val('u32(0x10000) < 0')).toBe('0');
    expect(val('i64(0x10018)')).toBe('-9223372036854775807');
    expect(val('u64(0x10018)')).toBe('9223372036854775809');
    expect(val('ptr(0x10018) == 0x8000000000000001')).toBe('1');
    expect(val('f32(0x10008)')).toBe('1.5');
    expect(val('f64(0x10010) * 2')).toBe('-4.5');
    expect(val('cstr(0x10020)')).toBe('"hello"');
    expect(val('cstr(0x10020) == "hello"')).toBe('1');
    expect(val('cstr(0x10ffa)')).toBe('"AAAAAABBB"');
    expect(val('bytes(0x10020, 3) == "hel"')).toBe('1');
    expect(val('u64(0x10ffc)')).toBe(String(0x42424241414141n));
    expect(val('u32(0x11ffe)')).toBe('u32(0x11ffe): address 0x12000 is not mapped at checkpoint 0');
    expect(val('u32(0xfffffffffffffffe)')).toBe('u32(0xfffffffffffffffe): the read runs past the end of the address space');
    expect(val('bytes(0x10000, 5000)')).toBe('bytes(): length 5000 is over the limit of 4096');
    const r = engine.evaluate('u32(0x10ffe) + u8(0x11000)', 0);
    expect([...r.pagesRead].sort()).toEqual([A, B]);
  });
});

describe('evaluator robustness', () => {
  it('never throws for random well-formed predicates: a value or a failure with a reason (bounded fuzz)', async () => {
    const { engine } = await build(randomHistory(11, 20).map((s, k) => ({ ...s, threads: [{ tid: 4242, regs: { rax: BigInt(k), rsp: 0x7ffd0000n } }] })));
    const r = prng(3);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const leaves = ['0', '1', '-1', '0x10000', '0x10ffe', '0x20000', '0xffffffffffffffff', '9223372036854775807', '1.5', '"ab"', '$rax', '$rsp', '$1.rax', '$tid:9.rip', '$eax', '$fcw'];
    const reads = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'f32', 'f64', 'ptr', 'cstr'];
    const binops = ['*', '/', '%', '+', '-', '<<', '>>', '<', '<=', '>', '>=', '==', '!=', '&', '^', '|', '&&', '||'];
    const gen = (depth: number): string => {
      const c = depth > 4 ? 0 : Math.floor(r() * 5);
      if (c === 0) return pick(leaves);
      if (c === 1) return `${pick(['-', '~', '!', '+'])}${gen(depth + 1)}`;
      if (c === 2) return r() < 0.1 ? `bytes(${gen(depth + 1)}, ${gen(depth + 1)})` : `${pick(reads)}(${gen(depth + 1)})`;
      return `(${gen(depth + 1)} ${pick(binops)} ${gen(depth + 1)})`;
    };
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 1500; i++) {
      const src = gen(0);
      const res = engine.evaluate(src, Math.floor(r() * 20));
      if (res.ok) ok++;
      else {
        failed++;
        expect(res.reason.length, src).toBeGreaterThan(0);
      }
    }
    expect(ok).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(100);
  });
});

describe('changes and diff', () => {
  it('lists every change of some bytes with old and new, across a page boundary', async () => {
    const specs: CheckpointSpec[] = [{ maps: [anon(A, C)], pages: [[A, page({ 4092: 0x11111111 })], [B, page({ 0: 0x22222222 })]] }];
    specs.push({ pages: [[A, page({ 4092: 0x11111111, 0: 9 })]] }); // 1: other bytes of the page
    specs.push({ pages: [[B, page({ 0: 0x33333333 })]] }); // 2: second half changes
    specs.push({});
    specs.push({ pages: [[A, page({ 4092: 0x44444444 })]] }); // 4: first half
    specs.push({ pages: [[A, page({ 4092: 0x44444444 })]] }); // 5: same bytes again: no change
    const { engine } = await build(specs);
    const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);
    const r = await engine.changes(A + 4092n, 8, {});
    expect(hex(r.initial)).toBe('1111111122222222');
    expect(r.changes.map((c) => [c.checkpoint, hex(c.old), hex(c.new)])).toEqual([
      [2, '1111111122222222', '1111111133333333'],
      [4, '1111111133333333', '4444444433333333'],
    ]);
    expect((await engine.changes(A + 4092n, 8, { from: 3 })).changes.map((c) => c.checkpoint)).toEqual([4]);
    expect((await engine.changes(A + 4092n, 8, { limit: 1 })).truncated).toBe(true);
    expect((await engine.changes('0x10ffc', 4, {})).changes.map((c) => c.checkpoint)).toEqual([4]);
  });

  it('diffs two checkpoints: changed pages, byte ranges, mappings', async () => {
    const specs: CheckpointSpec[] = [
      { maps: [anon(A, C)], pages: [[A, page({ 0: 1, 100: 0x01020304 })], [B, page({ 0: 1 })]] },
      { pages: [[A, page({ 0: 1, 100: 0x01020399, 200: 7 })]] },
      { maps: [anon(A, C), anon(D, D + 0x1000n)], pages: [[D, page({ 0: 1 })]] },
    ];
    const { engine } = await build(specs);
    const d = await engine.diff(0, 2);
    expect(d.pages).toEqual([{ page: A, ranges: [{ offset: 100, length: 1 }, { offset: 200, length: 1 }], changedBytes: 2 }]);
    expect(d.maps.added.map((m) => m.start)).toEqual([D]);
    expect(d.maps.removed).toEqual([]);
    expect((await engine.diff(2, 0)).maps.removed.map((m) => m.start)).toEqual([D]);
    expect((await engine.diff(1, 1)).pages).toEqual([]);
  });
});

describe('registers', () => {
  it('reads registers of the main thread, by index and by tid, with aliases', async () => {
    const specs: CheckpointSpec[] = [];
    for (let k = 0; k < 20; k++) {
      specs.push({
        ...(k === 0 ? { maps: [anon(A, B)], pages: [[A, page({})] as const] } : {}),
        threads: [
          { tid: 4242, regs: { rax: BigInt(k % 4), rip: 0x401000n + BigInt(k), rsp: 0x7ffd0000n } },
          { tid: 4243, regs: { rax: 0xffffffff00000000n + BigInt(k), rbx: 5n } },
        ],
      });
    }
    const { engine } = await build(specs);
    const val = (p: string, k: number) => {
      const r = engine.evaluate(p, k);
      return r.ok ? formatValue(r.value) : r.reason;
    };
    expect(val('$rax', 3)).toBe('3');
    expect(val('$rip - 0x401000', 7)).toBe('7');
    expect(val('$1.rbx', 0)).toBe('5');
    expect(val('$tid:4243.eax', 9)).toBe('9');
    expect(val('$1.rax >> 32', 9)).toBe(String(0xffffffff));
    expect(val('$2.rax', 0)).toBe('$rax: no thread with index 2 at checkpoint 0 (threads: 4242, 4243)');
    expect(() => engine.evaluate('$rxa', 0)).toThrow(PredicateNameError);
    const r = await engine.find('$rax == 3', { all: true });
    expect(r.mode).toBe('every-checkpoint');
    expect(r.evaluations).toBe(20);
    expect(r.transitions.filter((t) => t.holds).map((t) => t.checkpoint)).toEqual([3, 7, 11, 15, 19]);
    const regs = engine.registers(5);
    expect(regs.map((t) => t.tid)).toEqual([4242, 4243]);
    expect(regs[0]!.gp.rip).toBe(0x401005n);
    expect(engine.registers(5, 4243)[0]!.gp.rbx).toBe(5n);
    expect(() => engine.registers(5, 99)).toThrow('no thread 99 at checkpoint 5 (threads: 4242, 4243)');
  });
});

describe('symbols and source from real ELF files', () => {
  let dir: string;
  let prog: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'delorean-sym-'));
    writeFileSync(
      join(dir, 'prog.c'),
      'int counter = 1;\nstruct { int a; int b[4]; } obj;\nint twice(int x)\n{\n  return 2 * x;\n}\nint main(void)\n{\n  counter = twice(counter);\n  return 0;\n}\n',
    );
    prog = join(dir, 'prog');
    execFileSync('gcc', ['-g', '-O0', '-o', prog, join(dir, 'prog.c')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Maps an ELF at `base` segment by segment, as ld.so would. */
  function load(path: string, base: bigint) {
    const elf = readElfFile(path);
    return elf.loads.map((s) => {
      const start = base + (s.vaddr & ~0xfffn);
      const end = base + ((s.vaddr + s.memsz + 0xfffn) & ~0xfffn);
      const perms = `${s.flags & 4 ? 'r' : '-'}${s.flags & 2 ? 'w' : '-'}${s.flags & 1 ? 'x' : '-'}p`;
      return fileMapping(path, start, end, s.offset & ~0xfffn, perms);
    });
  }

  it('relocates the executable and libraries, resolves and looks up names, finds source lines', async () => {
    const base = 0x555555554000n;
    const libcBase = 0x7ffff7d80000n;
    const libc = '/lib/x86_64-linux-gnu/libc.so.6';
    const elf = readElfFile(prog);
    const sym = (n: string) => elf.symbols.find((s) => s.name === n)!;
    const counterAddr = base + sym('counter').value;
    const objAddr = base + sym('obj').value;
    const maps = [...load(prog, base), ...load(libc, libcBase)];
    const pageOf = (a: bigint) => a & ~0xfffn;
    const mainPc = base + sym('main').value; // main's first instruction: the line of its '{'
    const specs: CheckpointSpec[] = [
      { maps, pages: [[pageOf(counterAddr), page({ [Number(counterAddr & 0xfffn)]: 1 })]], threads: [{ tid: 4242, regs: { rip: mainPc } }] },
      { pages: [[pageOf(counterAddr), page({ [Number(counterAddr & 0xfffn)]: 2 })]] },
      { pages: [[pageOf(objAddr), page({ [Number((objAddr + 8n) & 0xfffn)]: 7 })]] },
    ];
    const { engine } = await build(specs, { program: prog });
    const table = engine.symbolsAt(0);
    expect(table.resolveSymbol('counter')).toBe(counterAddr);
    expect(engine.resolveAddress('obj+8', 0)).toBe(objAddr + 8n);
    expect(table.resolveSymbol('malloc', 'libc.so.6')).toBe(libcBase + readElfFile(libc).symbols.find((s) => s.name === 'malloc')!.value);
    expect(engine.resolveAddress('libc.so.6!malloc', 0)).toBe(table.resolveSymbol('malloc', 'libc.so.6'));
    expect(engine.resolveAddress('libc!malloc', 0)).toBe(table.resolveSymbol('malloc', 'libc.so.6'));
    expect(table.lookup(objAddr + 9n)).toMatchObject({ name: 'obj', offset: 9n, library: 'prog' });
    expect(table.lookup(table.resolveSymbol('malloc', 'libc.so.6') + 3n)).toMatchObject({ name: 'malloc', offset: 3n, library: 'libc.so.6' });
    expect(table.lookup(0x1000n)).toBe(null);
    expect(table.complete('coun')).toEqual(['counter']);
    expect(table.complete('libc.so.6!mallo')).toContain('libc.so.6!malloc');
    expect(() => table.resolveSymbol('countr')).toThrow("unknown symbol 'countr' (did you mean 'counter'?)");
    expect(() => table.resolveSymbol('x', 'libz.so')).toThrow(/no library 'libz.so' is loaded/);

    expect((await engine.find('u32(&counter) == 2', {})).checkpoint).toBe(1);
    expect((await engine.find('u32(obj + 8)', { all: true })).transitions.map((t) => t.checkpoint)).toEqual([0, 2]);
    expect(engine.resolveAddress('&obj + 8', 0)).toBe(objAddr + 8n);
    expect(engine.read(1, 'counter', 4).bytes).toEqual(Uint8Array.from([2, 0, 0, 0]));
    expect(engine.symbolAt(counterAddr + 2n, 0)).toMatchObject({ name: 'counter', offset: 2n });
    expect(() => engine.prepare('u32(&countr) == 1', [0])).toThrow(PredicateNameError);
    try {
      engine.prepare('1 + u32(&countr)', [0]);
    } catch (e) {
      expect(e).toBeInstanceOf(PredicateSyntaxError);
      expect((e as PredicateSyntaxError).position).toBe(8);
      expect((e as Error).message).toBe("unknown symbol 'countr' (did you mean 'counter'?) at 8");
    }

    const src = await engine.source(0);
    expect(src).toMatchObject({ tid: 4242, pc: mainPc, symbol: { name: 'main', offset: 0n }, location: { file: join(dir, 'prog.c'), line: 8, function: 'main' } });
    engine.close();
  });

  it('does not relocate an ET_EXEC executable', async () => {
    const exe = join(dir, 'prog-nopie');
    execFileSync('gcc', ['-g', '-no-pie', '-O0', '-o', exe, join(dir, 'prog.c')]);
    const elf = readElfFile(exe);
    const { engine } = await build([{ maps: load(exe, 0n) }], { program: exe });
    expect(engine.symbolsAt(0).resolveSymbol('counter')).toBe(elf.symbols.find((s) => s.name === 'counter')!.value);
  });
});

describe('errors, abort and progress', () => {
  it('rejects out-of-range checkpoints and empty ranges with clear errors', async () => {
    const { engine } = await build([{ maps: [anon(A, B)] }, {}, {}]);
    expect(() => engine.evaluate('1', 3)).toThrow(new EngineError('checkpoint 3 is out of range: the recording has checkpoints 0..2'));
    await expect(engine.find('1', { from: 0, to: 9 })).rejects.toThrow('--to checkpoint 9 is out of range: the recording has checkpoints 0..2');
    await expect(engine.bisect('1', { from: 2, to: 1 })).rejects.toThrow('empty range: from 2 is after to 1');
    await expect(engine.find('u32(', {})).rejects.toThrow(PredicateSyntaxError);
    expect(() => engine.read(0, '0x99999000', 4)).toThrow('address 0x99999000 is not mapped at checkpoint 0');
  });

  it('honours an AbortSignal and reports progress', async () => {
    const specs: CheckpointSpec[] = [{ maps: [anon(A, B)], pages: [[A, page({ 0: 0 })]] }];
    for (let k = 1; k < 300; k++) specs.push({ threads: [{ tid: 4242, regs: { rax: BigInt(k) } }] });
    const { engine } = await build(specs);
    const already = new AbortController();
    already.abort();
    await expect(engine.find('$rax == 1000', { signal: already.signal })).rejects.toThrow(/abort/i);

    const seen: number[] = [];
    const controller = new AbortController();
    const slow = new Engine(engine.reader, { yieldMs: 0 });
    const p = slow.find('$rax == 1000', {
      signal: controller.signal,
      onProgress: (pr) => {
        seen.push(pr.checkpoint);
        if (seen.length === 5) controller.abort();
      },
    });
    await expect(p).rejects.toThrow(/abort/i);
    expect(seen).toEqual([1, 2, 3, 4, 5]);

    const fractions: number[] = [];
    await slow.bisect('$rax >= 200', { onProgress: (pr) => fractions.push(pr.fraction ?? -1) });
    expect(fractions.length).toBeGreaterThan(3);
    expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!))).toBe(true);
  });
});
