/**
 * The predicate parser: tokens to an AST by precedence climbing, with C's precedence and
 * left associativity for binary operators and right-to-left prefix operators.
 *
 *   expr    := unary (binop unary)*
 *   unary   := ('-' | '+' | '~' | '!' | '*' | '&') unary | '(' typename ')' unary
 *            | 'sizeof' '(' typename ')' | 'sizeof' unary | postfix
 *   postfix := primary ('.' name | '->' name | '[' expr ']')*
 *   primary := number | float | string | symbol | register | function '(' expr (',' expr)* ')' | '(' expr ')'
 *   typename := ['struct' | 'union' | 'enum'] name | C base type words | typedef name, then '*'s
 *
 * A parenthesised name is a cast when a '*' follows the name (`(bin *)p`), when the name is a C
 * type keyword, or when an operand follows the ')' (`(uint32_t)x`); else it is an expression.
 *
 * Every failure is a PredicateSyntaxError whose message ends with the 0-based position it
 * refers to ("expected ')' at 14"); formatPredicateError draws the caret. Nesting is limited
 * (MAX_DEPTH) so hostile input yields an error, not a stack overflow, and the parser makes
 * progress on every token, so it cannot hang.
 */
import { PRECEDENCE, type BinaryOp, type Expr, type ReadFunction, type TypeNameNode, type UnaryOp } from './ast.js';
import { tokenize, type Token } from './lexer.js';

export class PredicateSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based offset into the predicate source. */
    readonly position: number,
    /** End of the offending text (exclusive), for underlining; at least position + 1 when there is text. */
    readonly end: number = position + 1,
  ) {
    super(message);
    this.name = 'PredicateSyntaxError';
  }
}

export const MAX_DEPTH = 200;

/** C's base type words: with 'struct', 'union', 'enum', the words that start a type name. */
const BASE_WORDS = new Set(['unsigned', 'signed', 'char', 'short', 'int', 'long', 'float', 'double', 'void', '_Bool']);
const TYPE_WORDS = new Set([...BASE_WORDS, 'struct', 'union', 'enum', 'const', 'volatile']);
/** Height of the tree (a long chain a+b+c+... is as tall as it is long): keeps evaluators' recursion shallow. */
export const MAX_HEIGHT = 1000;
export const MAX_LENGTH = 65536;

const ARITY: Readonly<Record<ReadFunction, number>> = {
  u8: 1,
  u16: 1,
  u32: 1,
  u64: 1,
  i8: 1,
  i16: 1,
  i32: 1,
  i64: 1,
  f32: 1,
  f64: 1,
  ptr: 1,
  cstr: 1,
  bytes: 2,
};

/** Parses a predicate. Throws PredicateSyntaxError (and nothing else) on bad input. */
export function parsePredicate(src: string): Expr {
  if (src.length > MAX_LENGTH) throw new PredicateSyntaxError(`predicate too long (${src.length} characters, at most ${MAX_LENGTH}) at ${MAX_LENGTH}`, MAX_LENGTH);
  const tokens = tokenize(src);
  const bad = tokens.find((t) => t.kind === 'error');
  if (bad && bad.kind === 'error') throw new PredicateSyntaxError(bad.message, bad.start, bad.end);
  return new Parser(tokens).parseAll();
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end';
    case 'operator':
      return `'${t.op}'`;
    case 'number':
    case 'float':
      return `number`;
    case 'string':
      return 'string';
    case 'symbol':
      return `'${t.library ? t.library + '!' : ''}${t.name}'`;
    case 'function':
      return `'${t.name}'`;
    case 'register':
      return `register '$${t.name}'`;
    case 'error':
      return t.message;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly heights = new WeakMap<Expr, number>();

  /** Binary chains are the only way to grow tall without nesting (which `depth` bounds). */
  private height(e: Expr): number {
    return this.heights.get(e) ?? 1;
  }

  constructor(private readonly tokens: Token[]) {}

  private get tok(): Token {
    return this.tokens[this.pos]!;
  }

  private isOp(op: string): boolean {
    const t = this.tok;
    return t.kind === 'operator' && t.op === op;
  }

  private error(message: string, t: Token = this.tok): never {
    throw new PredicateSyntaxError(`${message} at ${t.start}`, t.start, Math.max(t.end, t.start + 1));
  }

  parseAll(): Expr {
    if (this.tokens.length === 1) this.error('empty predicate: expected an expression');
    const e = this.expr(0);
    const rest: Token = this.tok;
    if (rest.kind !== 'eof') {
      if (this.isOp(')')) this.error("unmatched ')'");
      this.error(`expected an operator or the end, found ${describe(rest)}`);
    }
    return e;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.error(`expression nested too deeply (more than ${MAX_DEPTH} levels)`);
  }

  /** Binary operators binding tighter than `minPrec` (precedence climbing, left-associative). */
  private expr(minPrec: number): Expr {
    this.enter();
    let left = this.unary();
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'operator' || !(t.op in PRECEDENCE)) break;
      const op = t.op as BinaryOp;
      const prec = PRECEDENCE[op];
      if (prec <= minPrec) break;
      this.pos++;
      const right = this.expr(prec);
      const height = 1 + Math.max(this.height(left), this.height(right));
      if (height > MAX_HEIGHT) this.error(`expression too long (more than ${MAX_HEIGHT} operators deep)`, t);
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
      this.heights.set(left, height);
    }
    this.depth--;
    return left;
  }

  private unary(): Expr {
    const t = this.tok;
    if (t.kind === 'operator' && (t.op === '-' || t.op === '+' || t.op === '~' || t.op === '!' || t.op === '*' || t.op === '&')) {
      this.pos++;
      this.enter();
      const operand = this.unary();
      this.depth--;
      if (t.op === '*') return { kind: 'deref', operand, start: t.start, end: operand.end };
      if (t.op === '&') {
        if (operand.kind === 'number' || operand.kind === 'float' || operand.kind === 'string' || operand.kind === 'register') {
          throw new PredicateSyntaxError(`'&' takes a symbol or an object (as in &counter, &ledger.slots[2]) at ${operand.start}`, operand.start, operand.end);
        }
        return { kind: 'address', operand, start: t.start, end: operand.end };
      }
      return { kind: 'unary', op: t.op as UnaryOp, operand, start: t.start, end: operand.end };
    }
    if (t.kind === 'symbol' && t.name === 'sizeof' && t.library === null) {
      this.pos++;
      if (this.isOp('(') && this.startsTypeName(this.pos + 1)) {
        this.pos++;
        const type = this.typeName();
        const close = this.tok;
        this.expect(')', "')'");
        return { kind: 'sizeof', type, operand: null, start: t.start, end: close.end };
      }
      this.enter();
      const operand = this.unary();
      this.depth--;
      return { kind: 'sizeof', type: null, operand, start: t.start, end: operand.end };
    }
    if (t.kind === 'operator' && t.op === '(' && this.isCast()) {
      this.pos++;
      const type = this.typeName();
      this.expect(')', "')' after the type name");
      this.enter();
      const operand = this.unary();
      this.depth--;
      return { kind: 'cast', type, operand, start: t.start, end: operand.end };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'operator') return e;
      if (t.op === '.' || t.op === '->') {
        this.pos++;
        const name = this.tok;
        if (name.kind !== 'symbol' || name.library !== null) this.error(`expected a member name after '${t.op}'`, name);
        this.pos++;
        // `a->b.c` lexes as '->' and the name "b.c": one member access per part.
        let at = name.start;
        let arrow = t.op === '->';
        for (const part of name.name.split('.')) {
          if (part === '') this.error(`expected a member name after '.'`, name);
          e = { kind: 'member', object: e, member: part, arrow, memberStart: at, start: e.start, end: at + part.length };
          at += part.length + 1;
          arrow = false;
        }
      } else if (t.op === '[') {
        this.pos++;
        this.enter();
        const index = this.expr(0);
        this.depth--;
        const close = this.tok;
        this.expect(']', "']'");
        e = { kind: 'index', object: e, index, start: e.start, end: close.end };
      } else {
        return e;
      }
    }
  }

  /** Does a type name start at token i? */
  private startsTypeName(i: number): boolean {
    const t = this.tokens[i];
    return t !== undefined && t.kind === 'symbol' && t.library === null && TYPE_WORDS.has(t.name);
  }

  /** At '(': is this a cast? (see the grammar above) */
  private isCast(): boolean {
    const i = this.pos + 1;
    if (this.startsTypeName(i)) return true;
    const name = this.tokens[i];
    if (!name || name.kind !== 'symbol' || name.library !== null || name.name.includes('.')) return false;
    const next = this.tokens[i + 1]!;
    if (next.kind === 'operator' && next.op === '*') {
      // `(name *)` or `(name **...)` closed right after the stars.
      let j = i + 1;
      while (this.tokens[j]?.kind === 'operator' && (this.tokens[j] as { op: string }).op === '*') j++;
      const close = this.tokens[j];
      return close !== undefined && close.kind === 'operator' && close.op === ')';
    }
    if (next.kind !== 'operator' || next.op !== ')') return false;
    const after = this.tokens[i + 2];
    return after !== undefined && (after.kind === 'symbol' || after.kind === 'number' || after.kind === 'float' || after.kind === 'function' || after.kind === 'register' || (after.kind === 'operator' && after.op === '('));
  }

  private typeName(): TypeNameNode {
    const first = this.tok;
    const words: string[] = [];
    let end = first.end;
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'symbol' || t.library !== null) break;
      if (t.name === 'const' || t.name === 'volatile' || t.name === 'restrict') {
        this.pos++;
        end = t.end;
        continue;
      }
      const tag = words[0] === 'struct' || words[0] === 'union' || words[0] === 'enum';
      if (tag && words.length === 2) break;
      if (words.length > 0 && !tag && !(BASE_WORDS.has(t.name) && words.every((w) => BASE_WORDS.has(w)))) break;
      words.push(t.name);
      end = t.end;
      this.pos++;
    }
    if (words.length === 0) this.error('expected a type name', first);
    if ((words[0] === 'struct' || words[0] === 'union' || words[0] === 'enum') && words.length < 2) this.error(`expected a name after '${words[0]}'`);
    let pointers = 0;
    while (this.isOp('*')) {
      end = this.tok.end;
      this.pos++;
      pointers++;
      while (this.tok.kind === 'symbol' && ['const', 'volatile', 'restrict'].includes((this.tok as { name: string }).name)) this.pos++;
    }
    return { words, pointers, start: first.start, end };
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.pos++;
        return { kind: 'number', value: t.value, signed: t.signed, start: t.start, end: t.end };
      case 'float':
        this.pos++;
        return { kind: 'float', value: t.value, start: t.start, end: t.end };
      case 'string':
        this.pos++;
        return { kind: 'string', bytes: t.bytes, start: t.start, end: t.end };
      case 'symbol':
        this.pos++;
        if (t.library === null && t.name.endsWith('.')) this.error(`expected a member name after '.'`, { ...t, start: t.end - 1 });
        return { kind: 'symbol', name: t.name, library: t.library, start: t.start, end: t.end };
      case 'register':
        this.pos++;
        return { kind: 'register', name: t.name, thread: t.thread, start: t.start, end: t.end };
      case 'function': {
        this.pos++;
        this.expect('(', `'(' after ${t.name}`);
        const args: Expr[] = [];
        if (this.isOp(')')) this.error(`${t.name}() needs ${ARITY[t.name] === 1 ? 'an address' : 'an address and a length'}`);
        args.push(this.expr(0));
        while (this.isOp(',')) {
          this.pos++;
          args.push(this.expr(0));
        }
        const close = this.tok;
        this.expect(')', "')'");
        const want = ARITY[t.name];
        if (args.length !== want) {
          throw new PredicateSyntaxError(
            `${t.name}() takes ${want} argument${want === 1 ? '' : 's'}, got ${args.length} at ${t.start}`,
            t.start,
            close.end,
          );
        }
        return { kind: 'call', fn: t.name, args, start: t.start, end: close.end };
      }
      case 'operator':
        if (t.op === '(') {
          this.pos++;
          const inner = this.expr(0);
          const close = this.tok;
          this.expect(')', "')'");
          return { ...inner, start: t.start, end: close.end };
        }
        if (t.op === ',') this.error("unexpected ','");
        if (t.op === ')') this.error("expected an operand, found ')'");
        return this.error(`expected an operand, found '${t.op}'`);
      case 'eof':
        return this.error('expected an operand, found the end');
      case 'error':
        return this.error(t.message);
    }
  }

  private expect(op: string, what: string): void {
    const t: Token = this.tok;
    if (!this.isOp(op)) this.error(`expected ${what}${t.kind === 'eof' ? '' : `, found ${describe(t)}`}`);
    this.pos++;
  }
}

/**
 * The predicate with a caret under the error position, for terminals:
 *
 *   u32(&guard + 4 == 0
 *                      ^
 *   expected ')' at 19
 */
export function formatPredicateError(src: string, e: PredicateSyntaxError): string {
  const line = src.replace(/[\t\n\r]/g, ' ');
  const pos = Math.min(Math.max(e.position, 0), line.length);
  const width = Math.max(1, Math.min(e.end, line.length) - pos);
  return `${line}\n${' '.repeat(pos)}${'^'.repeat(width)}\n${e.message}`;
}
