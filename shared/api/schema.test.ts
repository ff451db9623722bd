import { describe, expect, it } from 'vitest';
import { ApiError, METHOD_NAMES, paramSchemas, validateCall } from './contract.js';
import * as s from './schema.js';

describe('schema', () => {
  it('parses valid values and infers their types', () => {
    const sch = s.object({ a: s.int(0, 10), b: s.optional(s.string({ max: 3 })), c: s.array(s.hex64(), 2) });
    expect(sch.parse({ a: 3, c: ['0x1f'] })).toEqual({ a: 3, c: ['0x1f'] });
    expect(sch.parse({ a: 0, b: 'abc', c: [] })).toEqual({ a: 0, b: 'abc', c: [] });
  });

  it('names the path and what was expected', () => {
    const sch = s.object({ list: s.array(s.object({ n: s.int(1, 2) })) });
    expect(() => sch.parse({ list: [{ n: 1 }, { n: 7 }] }, 'params')).toThrow('params.list[1].n: expected an integer in [1, 2], got number 7');
    expect(() => sch.parse({ list: [], extra: 1 }, 'params')).toThrow('params.extra: expected no such field');
    expect(() => sch.parse(null, 'params')).toThrow('params: expected an object with list, got null');
  });

  it('refuses what JSON can smuggle in', () => {
    expect(() => s.int(0, 10).parse(1.5)).toThrow(s.SchemaError);
    expect(() => s.int(0, 10).parse(NaN)).toThrow(s.SchemaError);
    expect(() => s.int(0, 10).parse('3')).toThrow(s.SchemaError);
    expect(() => s.hex64().parse('0x')).toThrow(s.SchemaError);
    expect(() => s.hex64().parse('0x' + 'f'.repeat(17))).toThrow(s.SchemaError);
    expect(() => s.string({ max: 4 }).parse('12345')).toThrow(s.SchemaError);
    expect(() => s.object({}).parse([])).toThrow(s.SchemaError);
    expect(() => s.record(s.string()).parse({ a: 1 })).toThrow('value.a');
  });

  it('takes the first matching branch of a union', () => {
    const u = s.union(s.literal('all'), s.array(s.string()));
    expect(u.parse('all')).toBe('all');
    expect(u.parse(['write'])).toEqual(['write']);
    expect(() => u.parse('some')).toThrow(/one of "all" or an array/);
  });
});

describe('validateCall', () => {
  it('accepts every method with well-formed params', () => {
    expect(validateCall('readMemory', { rec: '/r', k: 3, addr: '0x1000', len: 16 }).params).toEqual({ rec: '/r', k: 3, addr: '0x1000', len: 16 });
    expect(validateCall('appInfo', {}).method).toBe('appInfo');
  });

  it('refuses unknown methods and bad params with ApiErrors', () => {
    expect(() => validateCall('__proto__', {})).toThrow(ApiError);
    expect(() => validateCall('toString', {})).toThrow(/unknown method/);
    try {
      validateCall('readMemory', { rec: '/r', k: -1, addr: '0x1000', len: 16 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe('invalid-params');
      expect((e as ApiError).message).toBe('readMemory: params.k: expected an integer in [0, 9007199254740991], got number -1');
    }
    expect(() => validateCall('readMemory', { rec: '/r', k: 0, addr: '0x1000', len: 1 << 20 })).toThrow(/params.len/);
    expect(() => validateCall('sessionControl', { sessionId: 'abc', action: 'explode' })).toThrow(/params.action/);
  });

  // Every method, at the edges of its own schema: what it must take, and what it must refuse
  // with invalid-params naming the method (not an exception from deeper in the service).
  for (const name of METHOD_NAMES) {
    it(`${name}: accepts its valid params and refuses its invalid ones`, () => {
      const { valid, invalid } = paramSchemas[name].samples;
      expect(valid.length).toBeGreaterThan(0);
      expect(invalid.length).toBeGreaterThan(2);
      for (const params of valid) expect(validateCall(name, params).method).toBe(name);
      for (const params of invalid) {
        let error: unknown = null;
        try {
          validateCall(name, params);
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(params)?.slice(0, 200)).toBeInstanceOf(ApiError);
        expect((error as ApiError).code).toBe('invalid-params');
        expect((error as ApiError).message.startsWith(`${name}: params`)).toBe(true);
      }
    });
  }
});
