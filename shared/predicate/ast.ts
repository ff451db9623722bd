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

/**
 * A name: `counter`, `ledger.guard` (a name with members, split when the debug info describes
 * `ledger`), `libc.so.6!name`. A variable the program's debug info describes stands for its
 * value, as in C; any other symbol for its address.
 */
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
  /** What a failed read names instead of `fn` (a read made for a source-level name: "ledger.guard"). */
  readonly label?: string;
}

/** `object.member` (after ')' or ']'; `a.b` alone is one SymbolNode) and `object->member`. */
export interface MemberNode extends Span {
  readonly kind: 'member';
  readonly object: Expr;
  readonly member: string;
  readonly arrow: boolean;
  /** Where the member's name starts (errors point at it). */
  readonly memberStart: number;
}

/** `object[index]`. */
export interface IndexNode extends Span {
  readonly kind: 'index';
  readonly object: Expr;
  readonly index: Expr;
}

/** `*operand`. */
export interface DerefNode extends Span {
  readonly kind: 'deref';
  readonly operand: Expr;
}

/** `&operand`: the address of a name or of any lvalue (`&ledger.slots[2]`). */
export interface AddressNode extends Span {
  readonly kind: 'address';
  readonly operand: Expr;
}

/**
 * A C type name in a cast or sizeof: `words` as written without qualifiers ("struct", "bin"
 * or "unsigned", "long" or "uint32_t"), then `pointers` stars.
 */
export interface TypeNameNode extends Span {
  readonly words: readonly string[];
  readonly pointers: number;
}

/** `(type) operand`. */
export interface CastNode extends Span {
  readonly kind: 'cast';
  readonly type: TypeNameNode;
  readonly operand: Expr;
}

/** `sizeof(type)`, `sizeof expr`. */
export interface SizeofNode extends Span {
  readonly kind: 'sizeof';
  readonly type: TypeNameNode | null;
  readonly operand: Expr | null;
}

/**
 * A static address in one module: the file address `offset` plus the module's load base at the
 * checkpoint. Made by the engine when it resolves names through debug info, never parsed.
 */
export interface StaticNode extends Span {
  readonly kind: 'static';
  readonly module: string;
  readonly offset: bigint;
  readonly name: string;
}

/** An integer wrapped to `bits` bits and sign-extended when signed (casts, bitfields). Made by the engine, never parsed. */
export interface ConvertNode extends Span {
  readonly kind: 'convert';
  readonly operand: Expr;
  readonly bits: number;
  readonly signed: boolean;
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

export type Expr =
  | NumberNode
  | FloatNode
  | StringNode
  | SymbolNode
  | RegisterNode
  | CallNode
  | UnaryNode
  | BinaryNode
  | MemberNode
  | IndexNode
  | DerefNode
  | AddressNode
  | CastNode
  | SizeofNode
  | StaticNode
  | ConvertNode;

/** The sub-expressions of a node. */
export function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case 'call':
      return [...e.args];
    case 'unary':
    case 'deref':
    case 'address':
    case 'cast':
    case 'convert':
      return [e.operand];
    case 'sizeof':
      return e.operand ? [e.operand] : [];
    case 'binary':
      return [e.left, e.right];
    case 'member':
      return [e.object];
    case 'index':
      return [e.object, e.index];
    default:
      return [];
  }
}

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
  if (e.kind === 'register') return true;
  if (e.kind === 'sizeof') return false; // not evaluated
  return childrenOf(e).some(usesRegisters);
}

/** Every symbol the expression names (for resolving them up front and for completion). */
export function symbolsOf(e: Expr, out: SymbolNode[] = []): SymbolNode[] {
  if (e.kind === 'symbol') out.push(e);
  else for (const c of childrenOf(e)) symbolsOf(c, out);
  return out;
}

const printType = (t: TypeNameNode): string => t.words.join(' ') + (t.pointers ? ' ' + '*'.repeat(t.pointers) : '');

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
    case 'member':
      return `${printExpr(e.object)}${e.arrow ? '->' : '.'}${e.member}`;
    case 'index':
      return `${printExpr(e.object)}[${printExpr(e.index)}]`;
    case 'deref':
      return `(*${printExpr(e.operand)})`;
    case 'address':
      return `(&${printExpr(e.operand)})`;
    case 'cast':
      return `((${printType(e.type)})${printExpr(e.operand)})`;
    case 'sizeof':
      return `sizeof(${e.type ? printType(e.type) : printExpr(e.operand!)})`;
    case 'static':
      return `${e.module}@0x${e.offset.toString(16)}`;
    case 'convert':
      return `${e.signed ? 'i' : 'u'}${e.bits}(${printExpr(e.operand)})`;
  }
}
