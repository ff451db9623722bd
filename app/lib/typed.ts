/**
 * Reading bytes as C types for the memory view: the typed column and the inspector. Pure.
 */

export type ScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64';

export const SIZE: Readonly<Record<ScalarType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, f32: 4, f64: 8 };

/** The value of `type` at `offset` (little-endian), or null when the bytes run out. */
export function readScalar(bytes: Uint8Array, offset: number, type: ScalarType): string | null {
  const n = SIZE[type];
  if (offset < 0 || offset + n > bytes.length) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, n);
  switch (type) {
    case 'u8':
      return String(v.getUint8(0));
    case 'i8':
      return String(v.getInt8(0));
    case 'u16':
      return String(v.getUint16(0, true));
    case 'i16':
      return String(v.getInt16(0, true));
    case 'u32':
      return String(v.getUint32(0, true));
    case 'i32':
      return String(v.getInt32(0, true));
    case 'u64':
      return v.getBigUint64(0, true).toString();
    case 'i64':
      return v.getBigInt64(0, true).toString();
    case 'f32':
      return formatFloat(v.getFloat32(0, true));
    case 'f64':
      return formatFloat(v.getFloat64(0, true));
  }
}

function formatFloat(x: number): string {
  if (Number.isNaN(x) || !Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e9)) return x.toExponential(4);
  return String(Number(x.toPrecision(7)));
}

/**
 * A C string starting at offset, up to the NUL or `max` bytes, quoted, with C escapes for other
 * bytes; it stops before the first byte that could not be read (`??` when that is the first).
 */
export function readCString(bytes: Uint8Array, offset: number, max = 64, readable: (i: number) => boolean = () => true): string {
  let out = '';
  for (let i = offset; i < bytes.length && i < offset + max; i++) {
    if (!readable(i)) return i === offset ? '??' : `"${out}…`;
    const b = bytes[i]!;
    if (b === 0) return `"${out}"`;
    if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else if (b === 10) out += '\\n';
    else if (b === 9) out += '\\t';
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `"${out}…`;
}

export function asciiOf(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·';
}
