/**
 * The predicate language's syntax tree. Every node carries the source span it came from
 * (`start` inclusive, `end` exclusive, in UTF-16 code units of the source string), so
 * evaluation failures can point at the sub-expression that failed.
 *
 * Plain data, no Node or DOM: the renderer parses predicates too (highlighting, early errors).
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Integer literal. Decimal and hex literals that fit in i64 are signed (as in C); larger ones are unsigned. */
export interface NumberNode extends Span {
  readonly kind: 'number';
  readonly value: bigint;
  readonly signed: boolean;
}

export interface FloatNode extends Span {
  readonly kind: 'float';
  readonly value: number;
}

/** "..." literal, as UTF-8 bytes (escapes decoded). */
export interface StringNode extends Span {
  readonly kind: 'string';
  readonly bytes: Uint8Array;
}

/** A symbol's address: `name` or `libc.so.6!name`; `&name` means the same. */
export interface SymbolNode extends Span {
  readonly kind: 'symbol';
  readonly name: string;
  readonly library: string | null;
}

export type ThreadRef = { readonly kind: 'main' } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'tid'; readonly tid: number };

/** `$rax` (main thread), `$2.rax` (thread index 2), `$tid:1234.rax`. */
export interface RegisterNode extends Span {
  readonly kind: 'register';
  readonly name: string;
  readonly thread: ThreadRef;
}

export const READ_FUNCTIONS = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'f32', 'f64', 'ptr', 'cstr', 'bytes'] as const;
export type ReadFunction = (typeof READ_FUNCTIONS)[number];

/** `u32(addr)`, `cstr(addr)`, `bytes(addr, len)`. */
export interface CallNode extends Span {
  readonly kind: 'call';
  readonly fn: ReadFunction;
  readonly args: readonly Expr[];
}

export type UnaryOp = '-' | '+' | '~' | '!';
export interface UnaryNode extends Span {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';
export interface BinaryNode extends Span {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export type Expr = NumberNode | FloatNode | StringNode | SymbolNode | RegisterNode | CallNode | UnaryNode | BinaryNode;

/** Binding strength of binary operators, as in C (higher binds tighter). */
export const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '*': 10,
  '/': 10,
  '%': 10,
  '+': 9,
  '-': 9,
  '<<': 8,
  '>>': 8,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '==': 6,
  '!=': 6,
  '&': 5,
  '^': 4,
  '|': 3,
  '&&': 2,
  '||': 1,
};

/** True for operators whose result is a truth value (0 or 1). */
export function isBooleanOp(op: BinaryOp | UnaryOp): boolean {
  return op === '<' || op === '<=' || op === '>' || op === '>=' || op === '==' || op === '!=' || op === '&&' || op === '||' || op === '!';
}

/** Does evaluating this expression read registers? (Such predicates cannot use exact search's page jumps.) */
export function usesRegisters(e: Expr): boolean {
  switch (e.kind) {
    case 'register':
      return true;
    case 'call':
      return e.args.some(usesRegisters);
    case 'unary':
      return usesRegisters(e.operand);
    case 'binary':
      return usesRegisters(e.left) || usesRegisters(e.right);
    default:
      return false;
  }
}

/** Every symbol the expression names (for resolving them up front and for completion). */
export function symbolsOf(e: Expr, out: SymbolNode[] = []): SymbolNode[] {
  switch (e.kind) {
    case 'symbol':
      out.push(e);
      break;
    case 'call':
      for (const a of e.args) symbolsOf(a, out);
      break;
    case 'unary':
      symbolsOf(e.operand, out);
      break;
    case 'binary':
      symbolsOf(e.left, out);
      symbolsOf(e.right, out);
      break;
  }
  return out;
}

/** Prints an expression back, fully parenthesised (tests and debugging). */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.value < 0n ? `(${e.value})` : e.value > 9n ? '0x' + e.value.toString(16) : e.value.toString();
    case 'float':
      return String(e.value);
    case 'string':
      return JSON.stringify(Array.from(e.bytes, (b) => String.fromCharCode(b)).join(''));
    case 'symbol':
      return e.library ? `${e.library}!${e.name}` : e.name;
    case 'register':
      return e.thread.kind === 'main' ? `$${e.name}` : e.thread.kind === 'index' ? `$${e.thread.index}.${e.name}` : `$tid:${e.thread.tid}.${e.name}`;
    case 'call':
      return `${e.fn}(${e.args.map(printExpr).join(', ')})`;
    case 'unary':
      return `(${e.op}${printExpr(e.operand)})`;
    case 'binary':
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
  }
}
