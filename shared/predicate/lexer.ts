/**
 * The predicate lexer. `tokenize` never throws: text it cannot read becomes an `error` token
 * carrying the message, so an editor can highlight a half-typed predicate; the parser turns
 * the first error token into a PredicateSyntaxError.
 *
 * Lexical rules, briefly:
 *   numbers   42  0x2a  1.5  1e3        (hex and decimal integers; floats with '.' or an exponent)
 *   strings   "a\n\x41\0"               (escapes: \n \t \r \0 \\ \" \xNN)
 *   registers $rip  $2.rax  $tid:1234.rax
 *   symbols   counter  buf.1  libc.so.6!malloc  ld-linux-x86-64.so.2!_dl_start
 *   functions u8 .. u64, i8 .. i64, f32, f64, ptr, cstr, bytes: a read-function name directly
 *             followed by '(' (otherwise the same name is an ordinary symbol)
 *   operators + - * / % & | ^ ~ ! << >> < <= > >= == != && || ( ) , [ ] -> .
 *             ('.' as a token only where it cannot continue a name: `rows[2].id`, `(p).x`)
 *
 * A name followed directly by '!' and a name is library-qualified: `x!y` has no other meaning,
 * because '!' is only ever a prefix operator. Library names may contain '-' and a '++' before a
 * dot when they look like a shared object (`libstdc++.so.6`, `ld-linux-x86-64.so.2`), so
 * `a-libc.so.6!b` needs spaces around the '-'.
 */
import { READ_FUNCTIONS, type ReadFunction, type ThreadRef } from './ast.js';

export type Token =
  | { readonly kind: 'number'; readonly start: number; readonly end: number; readonly value: bigint; readonly signed: boolean }
  | { readonly kind: 'float'; readonly start: number; readonly end: number; readonly value: number }
  | { readonly kind: 'string'; readonly start: number; readonly end: number; readonly bytes: Uint8Array }
  | { readonly kind: 'symbol'; readonly start: number; readonly end: number; readonly name: string; readonly library: string | null }
  | { readonly kind: 'function'; readonly start: number; readonly end: number; readonly name: ReadFunction }
  | { readonly kind: 'register'; readonly start: number; readonly end: number; readonly name: string; readonly thread: ThreadRef }
  | { readonly kind: 'operator'; readonly start: number; readonly end: number; readonly op: string }
  | { readonly kind: 'error'; readonly start: number; readonly end: number; readonly message: string }
  | { readonly kind: 'eof'; readonly start: number; readonly end: number };

export type TokenKind = Token['kind'];

const OPERATORS = ['->', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')', ',', '[', ']', '.'];
const FUNCTIONS = new Set<string>(READ_FUNCTIONS);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.]/.test(c);

const LIBRARY_QUALIFIED = /([A-Za-z_][\w.+-]*)!([A-Za-z_][\w.]*)/y;
// '+' only in runs right before '.' ("libstdc++.so.6"), so "x+libc.so.6!y" is x + (libc.so.6!y).
const SHARED_OBJECT = /^[A-Za-z_](?:[\w-]|\++(?=\.))*\.so(\.\w+)*$/;
const REGISTER = /\$(?:(tid):(\d+)\.|(\d+)\.)?([A-Za-z][A-Za-z0-9_]*)/y;
const FLOAT = /(\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)/y;

/** Splits a predicate into tokens, ending with one `eof` token. Never throws. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c)) {
      FLOAT.lastIndex = i;
      const f = FLOAT.exec(src);
      let end: number;
      if (f) {
        end = i + f[0].length;
        if (isIdentChar(src[end])) {
          end = skipWord(src, end);
          out.push({ kind: 'error', start, end, message: `malformed number '${src.slice(start, end)}' at ${start}` });
        } else {
          out.push({ kind: 'float', start, end, value: Number(f[0]) });
        }
        i = end;
        continue;
      }
      const hex = c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X');
      end = hex ? i + 2 : i;
      const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/;
      while (end < n && digit.test(src[end]!)) end++;
      if ((hex && end === i + 2) || isIdentChar(src[end])) {
        end = skipWord(src, end);
        out.push({ kind: 'error', start, end, message: `malformed number '${src.slice(start, end)}' at ${start}` });
        i = end;
        continue;
      }
      const value = BigInt(src.slice(start, end));
      if (value > U64_MAX) out.push({ kind: 'error', start, end, message: `number ${src.slice(start, end)} at ${start} does not fit in 64 bits` });
      else out.push({ kind: 'number', start, end, value, signed: value <= I64_MAX });
      i = end;
      continue;
    }
    if (c === '"') {
      const t = lexString(src, i);
      out.push(t);
      i = t.end;
      continue;
    }
    if (c === '$') {
      REGISTER.lastIndex = i;
      const m = REGISTER.exec(src);
      if (!m) {
        const end = skipWord(src, i + 1);
        out.push({ kind: 'error', start, end, message: `expected a register name after '$' at ${start}` });
        i = end;
        continue;
      }
      const end = i + m[0].length;
      const thread: ThreadRef = m[1] ? { kind: 'tid', tid: Number(m[2]) } : m[3] !== undefined ? { kind: 'index', index: Number(m[3]) } : { kind: 'main' };
      out.push({ kind: 'register', start, end, name: m[4]!.toLowerCase(), thread });
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      LIBRARY_QUALIFIED.lastIndex = i;
      const q = LIBRARY_QUALIFIED.exec(src);
      if (q && (SHARED_OBJECT.test(q[1]!) || !/[+-]/.test(q[1]!))) {
        const end = i + q[0].length;
        out.push({ kind: 'symbol', start, end, name: q[2]!, library: q[1]! });
        i = end;
        continue;
      }
      let end = i + 1;
      while (end < n && isIdentChar(src[end])) end++;
      const word = src.slice(start, end);
      if (FUNCTIONS.has(word) && nextNonSpace(src, end) === '(') out.push({ kind: 'function', start, end, name: word as ReadFunction });
      else out.push({ kind: 'symbol', start, end, name: word, library: null });
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'operator', start, end: i + op.length, op });
      i += op.length;
      continue;
    }
    const hint = c === '=' ? " (did you mean '=='?)" : c === "'" ? ' (strings use double quotes)' : '';
    const cp = src.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    out.push({ kind: 'error', start, end: i + width, message: `unexpected character '${String.fromCodePoint(cp)}' at ${start}${hint}` });
    i += width;
  }
  out.push({ kind: 'eof', start: n, end: n });
  return out;
}

function skipWord(src: string, i: number): number {
  while (i < src.length && isIdentChar(src[i])) i++;
  return i;
}

function nextNonSpace(src: string, i: number): string | undefined {
  while (i < src.length && /\s/.test(src[i]!)) i++;
  return src[i];
}

const utf8 = new TextEncoder();

function lexString(src: string, start: number): Token {
  const bytes: number[] = [];
  let i = start + 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') return { kind: 'string', start, end: i + 1, bytes: Uint8Array.from(bytes) };
    if (c === '\\') {
      const e = src[i + 1];
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, '"': 34 };
      if (e !== undefined && e in simple) {
        bytes.push(simple[e]!);
        i += 2;
        continue;
      }
      if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
        bytes.push(parseInt(src.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      return { kind: 'error', start: i, end: Math.min(src.length, i + 2), message: `unknown escape '\\${e ?? ''}' at ${i}` };
    }
    const cp = src.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    for (const b of utf8.encode(ch)) bytes.push(b);
    i += ch.length;
  }
  return { kind: 'error', start, end: src.length, message: `unterminated string starting at ${start}` };
}
