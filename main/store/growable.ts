/**
 * Growable typed arrays: columns and lists that only ever append keep a typed array whose
 * capacity doubles, plus a count kept by the owner. No per-element objects, so a million
 * checkpoints or ten million page versions stay compact and load as views of one buffer.
 */
import { upperBound } from '../../shared/sorted.js';

export type Typed = Uint8Array | Uint32Array | Int32Array | Float64Array | BigInt64Array;

/** `a` itself when it can hold `need` elements, else a copy with doubled capacity. */
export function ensure<T extends Typed>(a: T, need: number): T {
  if (need <= a.length) return a;
  let cap = Math.max(16, a.length * 2);
  while (cap < need) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  (b as unknown as { set(src: T): void }).set(a);
  return b;
}

/** Index of the last element <= x in the ascending prefix a[0..n), or -1. */
export function lastAtOrBefore(a: Uint32Array, n: number, x: number): number {
  return upperBound(a, x, n) - 1;
}
