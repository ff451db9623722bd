/**
 * The one resolver of locations every face uses: an address expression at a checkpoint (a
 * number, a symbol, `shop+64`, `libc.so.6!environ`, `ptr(head)+8`, anything the predicate
 * language computes to an integer) to its address, the natural size of what it names, and
 * the symbol that covers the address. And the one way back from an address to a name.
 */
import { symbolWithOffset } from '../../shared/api/format.js';
import type { Engine } from '../engine/engine.js';
import { typeName } from '../engine/dwarf/dwarf.js';
import { SymbolError } from '../engine/symbols.js';

export interface Location {
  readonly address: bigint;
  /** The size of its type when the debug info describes it, else of the symbol it names when it is a bare symbol with a size; else null. */
  readonly size: number | null;
  /** Its type as gdb spells it, when the debug info describes it. */
  readonly type: string | null;
  /** "counter", "shop+0x40": the symbol covering the address, when one does. */
  readonly symbol: string | null;
}

const PLAIN_NUMBER = /^\s*(0x[0-9a-fA-F]+|\d+)\s*$/;
const BARE_SYMBOL = /^\s*&?\s*(?:([^\s!]+)!)?([A-Za-z_][\w.]*)\s*$/;

/** Where `expr` points at checkpoint k. Throws what the engine throws (EngineError, PredicateSyntaxError...). */
export function resolveLocation(engine: Engine, expr: string, k: number): Location {
  const typed = PLAIN_NUMBER.test(expr) ? null : engine.locate(expr, k);
  if (typed && typed.address !== null) return { address: typed.address, size: typed.size, type: typeName(typed.type), symbol: symbolAt(engine, typed.address, k) };
  const address = engine.resolveAddress(expr, k);
  let size: number | null = null;
  const bare = BARE_SYMBOL.exec(expr);
  if (bare) {
    try {
      const s = engine.symbolsAt(k).symbol(bare[2]!, bare[1] ?? null);
      size = s.size > 0n ? Number(s.size) : null;
    } catch (e) {
      if (!(e instanceof SymbolError)) throw e;
    }
  }
  return { address, size, type: null, symbol: symbolAt(engine, address, k) };
}

/** The symbol covering `address` at checkpoint k as name+offset, or null. */
export function symbolAt(engine: Engine, address: bigint, k: number): string | null {
  const s = engine.symbolAt(address, k);
  return s ? symbolWithOffset(s.name, s.offset) : null;
}
