/**
 * A tiny runtime schema helper for the API contract: every argument that crosses a process or
 * network boundary (Electron IPC, the WebSocket bridge) is checked by one of these before any
 * handler sees it.
 *
 * A Schema<T> is a parse function from `unknown` to T that throws a SchemaError naming the
 * offending path ("params.len: expected an integer in [1, 65536], got 0"). Static types are
 * inferred from the schema (Infer<typeof s>), so the contract's parameter types and their
 * validators cannot drift. Pure: no Node, no DOM.
 */

export class SchemaError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${path}: expected ${expected}, got ${describe(got)}`);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  /** Returns the value typed as T, or throws SchemaError. */
  parse(value: unknown, path?: string): T;
  /** A short human description, used in error messages. */
  readonly description: string;
  /** True for fields that may be absent from an object. */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function schema<T>(description: string, check: (v: unknown, path: string) => T): Schema<T> {
  return { description, parse: (v, path = 'value') => check(v, path) };
}

export function string(opts: { max?: number; min?: number; pattern?: RegExp; what?: string } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  const what = opts.what ?? `a string of ${min}..${max} characters`;
  return schema(what, (v, path) => {
    if (typeof v !== 'string' || v.length > max || v.length < min) throw new SchemaError(path, what, v);
    if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(path, what, v);
    return v;
  });
}

export function int(min: number, max: number): Schema<number> {
  const what = `an integer in [${min}, ${max}]`;
  return schema(what, (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SchemaError(path, what, v);
    return v;
  });
}

export function boolean(): Schema<boolean> {
  return schema('a boolean', (v, path) => {
    if (typeof v !== 'boolean') throw new SchemaError(path, 'a boolean', v);
    return v;
  });
}

/** A 64-bit unsigned value as "0x..." (1 to 16 hex digits): how addresses cross JSON. */
export const HEX64_PATTERN = /^0x[0-9a-fA-F]{1,16}$/;
export function hex64(): Schema<string> {
  return string({ max: 18, pattern: HEX64_PATTERN, what: 'a 64-bit value as "0x" and 1-16 hex digits' });
}

export function literal<const T extends readonly string[]>(...values: T): Schema<T[number]> {
  const what = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return schema(what, (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new SchemaError(path, what, v);
    return v as T[number];
  });
}

export function array<T>(item: Schema<T>, maxLength = 1024): Schema<T[]> {
  const what = `an array of at most ${maxLength} × ${item.description}`;
  return schema(what, (v, path) => {
    if (!Array.isArray(v) || v.length > maxLength) throw new SchemaError(path, what, v);
    return v.map((x, i) => item.parse(x, `${path}[${i}]`));
  });
}

/** A string-to-string map (environment variables). */
export function record(value: Schema<string>, maxKeys = 256): Schema<Record<string, string>> {
  const what = `an object of at most ${maxKeys} string values`;
  return schema(what, (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, what, v);
    const entries = Object.entries(v);
    if (entries.length > maxKeys) throw new SchemaError(path, what, v);
    const out: Record<string, string> = {};
    for (const [k, x] of entries) out[k] = value.parse(x, `${path}.${k}`);
    return out;
  });
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return {
    description: `${inner.description} (optional)`,
    optional: true,
    parse: (v, path = 'value') => (v === undefined ? undefined : inner.parse(v, path)),
  };
}

/** Either of two schemas (the first that parses wins). */
export function union<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  const what = `${a.description} or ${b.description}`;
  return schema(what, (v, path) => {
    try {
      return a.parse(v, path);
    } catch {
      try {
        return b.parse(v, path);
      } catch {
        throw new SchemaError(path, what, v);
      }
    }
  });
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };
type Flatten<T> = { [K in keyof T]: T[K] };

/** A plain object with exactly these keys: unknown keys are refused, not silently dropped. */
export function object<S extends Shape>(shape: S): Schema<Flatten<ObjectOf<S>>> {
  const keys = Object.keys(shape);
  const what = keys.length ? `an object with ${keys.join(', ')}` : 'an empty object';
  return schema(what, (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, what, v);
    for (const k of Object.keys(v)) {
      if (!Object.prototype.hasOwnProperty.call(shape, k)) throw new SchemaError(`${path}.${k}`, 'no such field', (v as Record<string, unknown>)[k]);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const field = shape[k]!;
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined && !field.optional) throw new SchemaError(`${path}.${k}`, field.description, x);
      const parsed = field.parse(x, `${path}.${k}`);
      if (parsed !== undefined) out[k] = parsed;
    }
    return out as Flatten<ObjectOf<S>>;
  });
}
