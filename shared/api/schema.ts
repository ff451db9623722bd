/**
 * A tiny runtime schema helper for the API contract: every argument that crosses a process or
 * network boundary (Electron IPC, the WebSocket bridge) is checked by one of these before any
 * handler sees it.
 *
 * A Schema<T> is a parse function from `unknown` to T that throws a SchemaError naming the
 * offending path ("params.len: expected an integer in [1, 65536], got 0"). Static types are
 * inferred from the schema (Infer<typeof s>), so the contract's parameter types and their
 * validators cannot drift. Each schema also carries samples of values it must accept and
 * refuse, derived from its own bounds, so a test can try every method of the contract at its
 * edges without a hand-written case per method. Pure: no Node, no DOM.
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
  /** Values at the edges of what it accepts, and just past them. */
  readonly samples: Samples;
}

export interface Samples {
  readonly valid: readonly unknown[];
  readonly invalid: readonly unknown[];
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function schema<T>(description: string, samples: Samples, check: (v: unknown, path: string) => T): Schema<T> {
  return { description, samples, parse: (v, path = 'value') => check(v, path) };
}

/** A string; one with a pattern names an `example` that matches it (samples cannot be drawn from a regular expression). */
export function string(opts: { max?: number; min?: number; pattern?: RegExp; example?: string; what?: string } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  const what = opts.what ?? `a string of ${min}..${max} characters`;
  const fill = (n: number): string => (opts.example ?? 'a').padEnd(n, 'a').slice(0, n);
  const valid = opts.pattern ? [opts.example] : [fill(min), fill(max)];
  const invalid: unknown[] = [42, null, fill(max + 1)];
  if (min > 0) invalid.push(fill(min - 1));
  if (opts.pattern) invalid.push(' ');
  return schema(what, { valid, invalid }, (v, path) => {
    if (typeof v !== 'string' || v.length > max || v.length < min) throw new SchemaError(path, what, v);
    if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(path, what, v);
    return v;
  });
}

export function int(min: number, max: number): Schema<number> {
  const what = `an integer in [${min}, ${max}]`;
  const samples = { valid: [min, max], invalid: [min - 1, max + 1, min + 0.5, NaN, String(min), null] };
  return schema(what, samples, (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SchemaError(path, what, v);
    return v;
  });
}

export function boolean(): Schema<boolean> {
  return schema('a boolean', { valid: [true, false], invalid: [0, 'true', null] }, (v, path) => {
    if (typeof v !== 'boolean') throw new SchemaError(path, 'a boolean', v);
    return v;
  });
}

/** A 64-bit unsigned value as "0x..." (1 to 16 hex digits): how addresses cross JSON. */
export const HEX64_PATTERN = /^0x[0-9a-fA-F]{1,16}$/;
export function hex64(): Schema<string> {
  return string({ max: 18, pattern: HEX64_PATTERN, example: '0xffffffffffffffff', what: 'a 64-bit value as "0x" and 1-16 hex digits' });
}

export function literal<const T extends readonly string[]>(...values: T): Schema<T[number]> {
  const what = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return schema(what, { valid: values, invalid: [`${values[0]}!`, 1, null] }, (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new SchemaError(path, what, v);
    return v as T[number];
  });
}

export function array<T>(item: Schema<T>, maxLength = 1024): Schema<T[]> {
  const what = `an array of at most ${maxLength} × ${item.description}`;
  const first = item.samples.valid[0];
  const samples = {
    valid: [[], item.samples.valid, Array(maxLength).fill(first)],
    invalid: ['[]', null, Array(maxLength + 1).fill(first), ...item.samples.invalid.map((x) => [first, x])],
  };
  return schema(what, samples, (v, path) => {
    if (!Array.isArray(v) || v.length > maxLength) throw new SchemaError(path, what, v);
    return v.map((x, i) => item.parse(x, `${path}[${i}]`));
  });
}

/** A string-to-string map (environment variables). */
export function record(value: Schema<string>, maxKeys = 256): Schema<Record<string, string>> {
  const what = `an object of at most ${maxKeys} string values`;
  const first = value.samples.valid[0];
  const many = (n: number): Record<string, unknown> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, first]));
  const samples = { valid: [{}, many(maxKeys)], invalid: [[], null, many(maxKeys + 1), ...value.samples.invalid.map((x) => ({ K: x }))] };
  return schema(what, samples, (v, path) => {
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
    samples: { valid: [undefined, ...inner.samples.valid], invalid: inner.samples.invalid },
    parse: (v, path = 'value') => (v === undefined ? undefined : inner.parse(v, path)),
  };
}

/** Either of two schemas (the first that parses wins). */
export function union<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  const what = `${a.description} or ${b.description}`;
  const accepts = (x: Schema<unknown>, v: unknown): boolean => {
    try {
      x.parse(v);
      return true;
    } catch {
      return false;
    }
  };
  const invalid = [...a.samples.invalid, ...b.samples.invalid].filter((v) => !accepts(a, v) && !accepts(b, v));
  return schema(what, { valid: [...a.samples.valid, ...b.samples.valid], invalid }, (v, path) => {
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
  return schema(what, objectSamples(shape), (v, path) => {
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

/**
 * An object's samples: the smallest valid one (required fields only, at their first valid
 * sample) and each field at each of its valid samples; invalid: not an object, an unknown
 * field, each required field missing, each field at each of its invalid samples.
 */
function objectSamples(shape: Shape): Samples {
  const base: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(shape)) if (!f.optional) base[k] = f.samples.valid[0];
  const valid: unknown[] = [base];
  const invalid: unknown[] = [null, [], 'object', { ...base, notAField: 1 }];
  for (const [k, f] of Object.entries(shape)) {
    for (const x of f.samples.valid) valid.push({ ...base, [k]: x });
    for (const x of f.samples.invalid) invalid.push({ ...base, [k]: x });
    if (!f.optional) {
      const { [k]: _, ...missing } = base;
      invalid.push(missing);
    }
  }
  return { valid, invalid };
}
