import { describe, expect, it } from 'vitest';
import { readCString, readScalar } from './typed.js';

describe('typed reads', () => {
  it('reads little-endian scalars and refuses to run off the end', () => {
    const b = new Uint8Array([0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0]);
    expect(readScalar(b, 0, 'u32')).toBe('3735928559');
    expect(readScalar(b, 0, 'i32')).toBe('-559038737');
    expect(readScalar(b, 0, 'u64')).toBe('3735928559');
    expect(readScalar(b, 6, 'u32')).toBeNull();
    expect(readScalar(new Uint8Array(new Float64Array([1.5]).buffer), 0, 'f64')).toBe('1.5');
  });

  it('quotes C strings with C escapes', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(readCString(new Uint8Array([...enc('hi "x"\\'), 10, 8, 0]), 0)).toBe('"hi \\"x\\"\\\\\\n\\x08"');
    expect(readCString(enc('abc'), 0)).toBe('"abc…');
  });

  it('stops a C string at the first byte that was not read', () => {
    const b = new TextEncoder().encode('abcd\0');
    expect(readCString(b, 0, 64, (i) => i < 2)).toBe('"ab…');
    expect(readCString(b, 0, 64, () => false)).toBe('??');
  });
});
