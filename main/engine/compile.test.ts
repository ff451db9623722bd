/**
 * Compiled predicates (compile.ts) against the interpreter (evaluate.ts), on a recording written
 * by the real store: random integer expressions over every operator and integer read, with
 * values at the edges of every width and signedness (sign bits, all ones, zero), unmapped and
 * page-crossing reads, division by zero and big shifts. Same value (kind, value, signedness),
 * same failure message and span, same byte ranges noted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePredicate } from '../../shared/predicate/parser.js';
import { openRecording } from '../store/reader.js';
import { compilePredicate, isCompiled } from './compile.js';
import { evaluate, Evaluator, runCompiled, type EvalEnv, type EvalResult } from './evaluate.js';
import { anon, page, RecordingBuilder } from './fixtures.js';
import { prng } from '../testing/prng.js';

const root = mkdtempSync(join(tmpdir(), 'delorean-compile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const A = 0x10000n;

const shape = (r: EvalResult) => ({
  ok: r.ok,
  value: r.ok ? `${r.value.kind}:${r.value.kind === 'int' ? `${r.value.value}:${r.value.signed}` : String(r.value.value)}` : r.reason,
  span: r.ok ? null : r.span,
  ranges: [...r.rangesRead].map(([p, x]) => `${p}:${x.lo}-${x.hi}`).sort(),
});

describe('compiled predicates', () => {
  it('equal the interpreter on random integer expressions: values, failures, ranges read', async () => {
    const r = prng(5);
    // Pages A and A+0x1000 mapped; bytes chosen so every width has its sign bit set somewhere.
    const edge = [0x00, 0xff, 0x80, 0x7f, 0x01, 0xfe];
    const specs = [];
    for (let k = 0; k < 6; k++) {
      const bytes = new Uint8Array(64).map(() => edge[Math.floor(r() * edge.length)]!);
      const hi = new Uint8Array(4096);
      hi.set(bytes.subarray(0, 8), 4088); // a read at A+0xffc crosses into A+0x1000
      specs.push({ ...(k === 0 ? { maps: [anon(A, A + 0x2000n)] } : {}), pages: [[A, hi], [A + 0x1000n, page({ 0: k * 0x01010101 })]] as Array<[bigint, Uint8Array]> });
      hi.set(bytes.subarray(8), 0);
    }
    const dir = join(root, 'rec.dlr');
    const b = await RecordingBuilder.create(dir);
    for (const s of specs) b.checkpoint(s);
    b.close();
    const reader = await openRecording(dir);

    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const addrs = ['0x10000', '0x10001', '0x10008', '0x10010', '0x10ffc', '0x10ff9', '0x11000', '0x20000', '0xfffffffffffffffe', '(0x10000 + 8)', '-1'];
    const leaves = ['0', '1', '-1', '2', '63', '64', '65', '0x80', '0x7fffffff', '0xffffffff', '9223372036854775807', '0xffffffffffffffff', '0x8000000000000000'];
    const reads = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'ptr'];
    const binops = ['*', '/', '%', '+', '-', '<<', '>>', '<', '<=', '>', '>=', '==', '!=', '&', '^', '|', '&&', '||'];
    const gen = (depth: number): string => {
      const c = depth > 3 ? Math.floor(r() * 2) : Math.floor(r() * 5);
      if (c === 0) return pick(leaves);
      if (c === 1) return `${pick(reads)}(${r() < 0.8 ? pick(addrs) : gen(depth + 1)})`;
      if (c === 2) return `${pick(['-', '~', '!', '+'])}${gen(depth + 1)}`;
      return `(${gen(depth + 1)} ${pick(binops)} ${gen(depth + 1)})`;
    };
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 3000; i++) {
      const src = gen(0);
      const expr = parsePredicate(src);
      expect(isCompiled(expr), src).toBe(true);
      const run = compilePredicate(expr);
      const env: EvalEnv = { reader, k: Math.floor(r() * specs.length), symbols: () => { throw new Error('no symbols here'); } };
      const ev = new Evaluator(env);
      const want = shape(evaluate(expr, env));
      // Twice on one evaluator: a reset forgets the first run's ranges.
      runCompiled(run, ev);
      const got = shape(runCompiled(run, ev));
      expect(got, src).toEqual(want);
      if (want.ok) ok++;
      else failed++;
    }
    expect(ok).toBeGreaterThan(500);
    expect(failed).toBeGreaterThan(100);
    reader.close();
  });

  it('leaves floats, strings and registers to the interpreter', () => {
    for (const src of ['f64(0x1000) > 1.5', 'cstr(0x1000) == "a"', '$rax == 1', 'u32(0x1000) + 1.0', 'bytes(0x1000, 4) == "abcd"']) {
      expect(isCompiled(parsePredicate(src)), src).toBe(false);
    }
    expect(isCompiled(parsePredicate('u64(0x1000) == 7 && i32(counter + 8) < -1'))).toBe(true);
  });
});
