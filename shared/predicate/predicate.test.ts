/**
 * The predicate language without a recording: lexing, parsing (precedence, every operator,
 * error positions), operator semantics on 64-bit values, and a bounded fuzz that only ever
 * gets an AST or a PredicateSyntaxError back.
 */
import { describe, expect, it } from 'vitest';
import {
  binaryOp,
  formatPredicateError,
  formatValue,
  int,
  MAX_DEPTH,
  parsePredicate,
  PredicateEvalError,
  PredicateSyntaxError,
  printExpr,
  symbolsOf,
  tokenize,
  unaryOp,
  usesRegisters,
  type BinaryOp,
  type Expr,
  type Value,
} from './index.js';

const p = (s: string): string => printExpr(parsePredicate(s));

function syntaxError(src: string): PredicateSyntaxError {
  try {
    parsePredicate(src);
  } catch (e) {
    if (e instanceof PredicateSyntaxError) return e;
    throw e;
  }
  throw new Error(`parsed: ${src}`);
}

describe('parser', () => {
  it('follows C precedence and associativity', () => {
    expect(p('1 + 2 * 3')).toBe('(1 + (2 * 3))');
    expect(p('1 - 2 - 3')).toBe('((1 - 2) - 3)');
    expect(p('8 / 4 / 2')).toBe('((8 / 4) / 2)');
    expect(p('1 << 2 + 3')).toBe('(1 << (2 + 3))');
    expect(p('a < b == c > d')).toBe('((a < b) == (c > d))');
    expect(p('a & b == c')).toBe('(a & (b == c))');
    expect(p('a | b ^ c & d')).toBe('(a | (b ^ (c & d)))');
    expect(p('a || b && c')).toBe('(a || (b && c))');
    expect(p('a && b || c && d')).toBe('((a && b) || (c && d))');
    expect(p('!a == b')).toBe('((!a) == b)');
    expect(p('-a * b')).toBe('((-a) * b)');
    expect(p('~-!+a')).toBe('(~(-(!(+a))))');
    expect(p('(1 + 2) * 3')).toBe('((1 + 2) * 3)');
    expect(p('a % b % c >> 1 >= 2 != 0')).toBe('(((((a % b) % c) >> 1) >= 2) != 0)');
  });

  it('parses every operator', () => {
    const ops: BinaryOp[] = ['*', '/', '%', '+', '-', '<<', '>>', '<', '<=', '>', '>=', '==', '!=', '&', '^', '|', '&&', '||'];
    for (const op of ops) {
      const e = parsePredicate(`1 ${op} 2`);
      expect(e.kind === 'binary' && e.op).toBe(op);
    }
    for (const op of ['-', '+', '~', '!']) {
      const e = parsePredicate(`${op}1`);
      expect(e.kind === 'unary' && e.op).toBe(op);
    }
  });

  it('reads literals, symbols, registers and calls', () => {
    const num = parsePredicate('0xdeadbeef');
    expect(num).toMatchObject({ kind: 'number', value: 0xdeadbeefn, signed: true, start: 0, end: 10 });
    expect(parsePredicate('0xffffffffffffffff')).toMatchObject({ kind: 'number', value: (1n << 64n) - 1n, signed: false });
    expect(parsePredicate('1.5e3')).toMatchObject({ kind: 'float', value: 1500 });
    expect(parsePredicate('"a\\n\\x41\\0\\"é"')).toMatchObject({ kind: 'string', bytes: Uint8Array.from([97, 10, 65, 0, 34, 0xc3, 0xa9]) });
    expect(parsePredicate('counter')).toMatchObject({ kind: 'symbol', name: 'counter', library: null });
    expect(parsePredicate('&counter')).toMatchObject({ kind: 'address', operand: { kind: 'symbol', name: 'counter', start: 1, end: 8 }, start: 0, end: 8 });
    expect(parsePredicate('buf.1')).toMatchObject({ kind: 'symbol', name: 'buf.1' });
    expect(parsePredicate('libc.so.6!malloc')).toMatchObject({ kind: 'symbol', name: 'malloc', library: 'libc.so.6' });
    expect(parsePredicate('libstdc++.so.6!_Znwm')).toMatchObject({ kind: 'symbol', name: '_Znwm', library: 'libstdc++.so.6' });
    expect(parsePredicate('guard!iteration')).toMatchObject({ kind: 'symbol', name: 'iteration', library: 'guard' });
    expect(p('x+libc.so.6!y')).toBe('(x + libc.so.6!y)');
    expect(p('ld-linux-x86-64.so.2!_dl_start+1')).toBe('(ld-linux-x86-64.so.2!_dl_start + 1)');
    expect(parsePredicate('$rip')).toMatchObject({ kind: 'register', name: 'rip', thread: { kind: 'main' } });
    expect(parsePredicate('$2.rax')).toMatchObject({ kind: 'register', name: 'rax', thread: { kind: 'index', index: 2 } });
    expect(parsePredicate('$tid:1234.RSP')).toMatchObject({ kind: 'register', name: 'rsp', thread: { kind: 'tid', tid: 1234 } });
    expect(p('u32(&guard + 4) != 0xdeadbeef')).toBe('(u32(((&guard) + 4)) != 0xdeadbeef)');
    expect(p('cstr(ptr(head + 8)) == "hi"')).toBe('(cstr(ptr((head + 8))) == "hi")');
    expect(p('bytes(buf, 4) == "\\x01\\x02\\x03\\x04"')).toBe('(bytes(buf, 4) == "\\u0001\\u0002\\u0003\\u0004")');
    // A read-function name not followed by '(' is an ordinary symbol.
    expect(parsePredicate('ptr + 1')).toMatchObject({ kind: 'binary', left: { kind: 'symbol', name: 'ptr' } });
    expect(parsePredicate('u32 (x)')).toMatchObject({ kind: 'call', fn: 'u32' });
  });

  it('records spans and helper facts', () => {
    const e = parsePredicate('u32(a) + $rax');
    expect(e).toMatchObject({ start: 0, end: 13 });
    expect(usesRegisters(e)).toBe(true);
    expect(usesRegisters(parsePredicate('u32(a + b) == 1'))).toBe(false);
    expect(symbolsOf(parsePredicate('u32(a + libc.so.6!b) == c')).map((s) => s.name)).toEqual(['a', 'b', 'c']);
  });

  it('points at the error position', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['(1 + 2', 6, /expected '\)' at 6/],
      ['u32(&guard + 4 == 0', 19, /expected '\)' at 19/],
      ['1 +', 3, /expected an operand, found the end at 3/],
      ['1 + / 2', 4, /expected an operand, found '\/' at 4/],
      ['1 2', 2, /expected an operator or the end, found number at 2/],
      ['(1))', 3, /unmatched '\)' at 3/],
      ['x = 1', 2, /unexpected character '=' at 2 \(did you mean '=='\?\)/],
      ["'a'", 0, /strings use double quotes/],
      ['0x', 0, /malformed number '0x' at 0/],
      ['12ab', 0, /malformed number '12ab' at 0/],
      ['99999999999999999999999', 0, /does not fit in 64 bits/],
      ['"abc', 0, /unterminated string starting at 0/],
      ['"a\\q"', 2, /unknown escape '\\q' at 2/],
      ['$', 0, /expected a register name after '\$' at 0/],
      ['u32()', 0, /u32\(\) needs an address at 4/],
      ['u32(1, 2)', 0, /u32\(\) takes 1 argument, got 2 at 0/],
      ['bytes(1)', 0, /bytes\(\) takes 2 arguments, got 1 at 0/],
      ['&1', 1, /'&' takes a symbol .* at 1/],
      ['', 0, /empty predicate/],
      ['   ', 3, /empty predicate/],
      ['u32 + 1', 0, /./],
    ];
    for (const [src, pos, msg] of cases) {
      if (src === 'u32 + 1') {
        expect(() => parsePredicate(src)).not.toThrow(); // 'u32' alone is a symbol
        continue;
      }
      const e = syntaxError(src);
      expect(e.message, src).toMatch(msg);
      if (!/needs an address/.test(e.message)) expect(e.position, src).toBe(pos);
    }
  });

  it('draws a caret under the error', () => {
    const src = 'u32(&guard + 4 == 0';
    expect(formatPredicateError(src, syntaxError(src))).toBe(`${src}\n${' '.repeat(19)}^\nexpected ')' at 19`);
    const src2 = 'a + 0xzz';
    expect(formatPredicateError(src2, syntaxError(src2))).toBe(`${src2}\n    ^^^^\nmalformed number '0xzz' at 4`);
  });

  it('limits nesting instead of overflowing the stack', () => {
    expect(parsePredicate('('.repeat(MAX_DEPTH - 5) + '1' + ')'.repeat(MAX_DEPTH - 5))).toMatchObject({ kind: 'number' });
    expect(syntaxError('('.repeat(60000) + '1').message).toMatch(/nested too deeply .* at 200$/);
    expect(syntaxError('-'.repeat(60000) + '1').message).toMatch(/nested too deeply/);
    expect(syntaxError('1' + '+1'.repeat(40000)).message).toMatch(/predicate too long/);
    expect(parsePredicate('1' + '+1'.repeat(900))).toMatchObject({ kind: 'binary' });
    expect(syntaxError('1' + '+1'.repeat(20000)).message).toMatch(/expression too long .* at 1999$/);
  });
});

describe('tokenizer for highlighting', () => {
  it('never throws and marks errors in place', () => {
    const toks = tokenize('u32(x) == @ "open');
    expect(toks.map((t) => t.kind)).toEqual(['function', 'operator', 'symbol', 'operator', 'operator', 'error', 'error', 'eof']);
    expect(toks[5]).toMatchObject({ start: 10, end: 11 });
    expect(toks[6]).toMatchObject({ start: 12, end: 17 });
  });
});

describe('operator semantics', () => {
  const i = (v: bigint): Value => int(v, true);
  const u = (v: bigint): Value => int(v, false);
  const show = (v: Value): string => formatValue(v);
  const bin = (op: BinaryOp, a: Value, b: Value): string => show(binaryOp(op, a, b, null));

  it('wraps to 64 bits and keeps C signedness', () => {
    expect(bin('+', u((1n << 64n) - 1n), i(1n))).toBe('0');
    expect(bin('-', i(0n), i(1n))).toBe('-1');
    expect(bin('-', u(0n), i(1n))).toBe('18446744073709551615');
    expect(bin('*', i(1n << 62n), i(4n))).toBe('0');
    expect(bin('<', i(-1n), i(0n))).toBe('1');
    expect(bin('<', i(-1n), u(0n))).toBe('0'); // -1 converts to u64 max, as in C
    expect(bin('/', i(-7n), i(2n))).toBe('-3');
    expect(bin('%', i(-7n), i(2n))).toBe('-1');
    expect(bin('/', u(7n), i(2n))).toBe('3');
    expect(bin('>>', i(-8n), i(1n))).toBe('-4');
    expect(bin('>>', u(1n << 63n), i(63n))).toBe('1');
    expect(bin('<<', i(1n), i(64n))).toBe('0');
    expect(bin('>>', i(-1n), i(100n))).toBe('-1');
    expect(bin('&', u(0xf0n), i(0x3cn))).toBe(String(0x30));
    expect(bin('|', u(0xf0n), i(0x0fn))).toBe(String(0xff));
    expect(bin('^', u(0xffn), i(0x0fn))).toBe(String(0xf0));
    expect(show(unaryOp('~', u(0n), null))).toBe('18446744073709551615');
    expect(show(unaryOp('~', i(0n), null))).toBe('-1');
    expect(show(unaryOp('-', u(1n), null))).toBe('18446744073709551615');
    expect(show(unaryOp('!', u(5n), null))).toBe('0');
    for (const op of ['==', '!=', '<', '<=', '>', '>='] as const) {
      expect(bin(op, i(3n), i(3n))).toBe(['==', '<=', '>='].includes(op) ? '1' : '0');
    }
    expect(bin('&&', i(2n), i(3n))).toBe('1');
    expect(bin('||', i(0n), i(0n))).toBe('0');
  });

  it('mixes floats, compares strings, and reports bad operations as evaluation errors', () => {
    const f = (v: number): Value => ({ kind: 'float', value: v });
    const s = (t: string): Value => ({ kind: 'bytes', value: new TextEncoder().encode(t) });
    expect(bin('+', f(1.5), i(2n))).toBe('3.5');
    expect(bin('<', i(1n), f(1.5))).toBe('1');
    expect(bin('==', f(NaN), f(NaN))).toBe('0');
    expect(bin('==', s('abc'), s('abc'))).toBe('1');
    expect(bin('<', s('abc'), s('abd'))).toBe('1');
    expect(bin('<', s('ab'), s('abc'))).toBe('1');
    expect(() => binaryOp('/', i(1n), i(0n), null)).toThrow(new PredicateEvalError('division by zero'));
    expect(() => binaryOp('%', u(1n), i(0n), null)).toThrow('remainder by zero');
    expect(() => binaryOp('&', f(1), i(1n), null)).toThrow("'&' does not apply to a float");
    expect(() => binaryOp('+', s('a'), i(1n), null)).toThrow("'+' does not apply to a string");
    expect(() => binaryOp('==', s('a'), i(1n), null)).toThrow('a string can only be compared with a string');
    expect(() => unaryOp('!', s('a'), null)).toThrow('a string is not a condition');
  });
});

describe('fuzz', () => {
  function rng(seed: number): (n: number) => number {
    return (n) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
  }
  const samples = [
    'u32(&guard + 4) != 0xdeadbeef',
    'cstr(ptr(head)) == "node \\x41"',
    '$2.rax + $tid:1234.rip * (libc.so.6!errno & ~7) >> 3',
    'f64(x) > 1.5e-3 || !(i8(y) < -1) && bytes(b, 16) == "z"',
  ];
  const alphabet = ['(', ')', '"', '$', '!', '&', '|', '<', '>', '=', '0x', '9', 'u32(', ',', '.', ' ', 'a', '\\', '-', '~', '\u00e9', '\ud83d\ude00', ':', 'tid', '*'];

  const check = (src: string): Expr | PredicateSyntaxError => {
    try {
      const e = parsePredicate(src);
      printExpr(e);
      return e;
    } catch (e) {
      if (e instanceof PredicateSyntaxError) {
        expect(e.position).toBeGreaterThanOrEqual(0);
        expect(e.position).toBeLessThanOrEqual(src.length);
        expect(e.message).toMatch(/ at \d+/);
        formatPredicateError(src, e);
        tokenize(src);
        return e;
      }
      throw new Error(`parsePredicate(${JSON.stringify(src)}) threw ${String(e)}`, { cause: e });
    }
  };

  it('random strings: an AST or a PredicateSyntaxError, never anything else', () => {
    const r = rng(7);
    let asts = 0;
    for (let n = 0; n < 3000; n++) {
      let s = '';
      const len = r(24);
      for (let j = 0; j < len; j++) s += alphabet[r(alphabet.length)];
      if (!(check(s) instanceof PredicateSyntaxError)) asts++;
    }
    expect(asts).toBeGreaterThan(0);
  });

  it('mutated valid predicates: same contract', () => {
    const r = rng(99);
    for (let n = 0; n < 3000; n++) {
      const chars = [...samples[r(samples.length)]!];
      for (let j = 0; j <= r(3); j++) {
        const at = r(chars.length + 1);
        const kind = r(3);
        if (kind === 0) chars.splice(at, 1);
        else if (kind === 1) chars.splice(at, 0, alphabet[r(alphabet.length)]!);
        else chars[at] = String.fromCharCode(r(128));
      }
      check(chars.join(''));
    }
  });
});
