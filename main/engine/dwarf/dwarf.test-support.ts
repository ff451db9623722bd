/** Test support for the DWARF tests: names resolved against one file, unrelocated, as gdb shows them before a run. */
import type { Expr } from '../../../shared/predicate/ast.js';
import { stripType, type Type } from './dwarf.js';
export { fileScope } from './scope.js';

/** Folds a lowered address (static addresses, constants, + and *) to a number. */
export function foldAddress(e: Expr): bigint {
  switch (e.kind) {
    case 'static':
      return e.offset;
    case 'number':
      return e.value;
    case 'binary':
      if (e.op === '+') return foldAddress(e.left) + foldAddress(e.right);
      if (e.op === '*') return foldAddress(e.left) * foldAddress(e.right);
      break;
  }
  throw new Error(`not a constant address: ${e.kind}`);
}

/** Every member and element reachable from `text` without following a pointer (bitfields left out: no address). */
export function lvalues(text: string, t: Type, out: string[], depth = 0): void {
  out.push(text);
  if (depth > 3 || out.length > 400) return;
  const s = stripType(t);
  if (s.kind === 'struct' || s.kind === 'union') {
    const walk = (members: typeof s.members): void => {
      for (const m of members) {
        if (m.bitSize !== null) continue;
        if (m.name === null) {
          const inner = stripType(m.type);
          if (inner.kind === 'struct' || inner.kind === 'union') walk(inner.members);
        } else lvalues(`${text}.${m.name}`, m.type, out, depth + 1);
      }
    };
    walk(s.members);
  } else if (s.kind === 'array' && s.count) {
    lvalues(`${text}[0]`, s.element, out, depth + 1);
    if (s.count > 1) lvalues(`${text}[${s.count - 1}]`, s.element, out, depth + 1);
  }
}

