/**
 * `delorean read REC --at K ADDRESS [--len N | --type T] [--json]`: memory as it was at a
 * checkpoint (a partial rollback: only the pages touched are rebuilt).
 *
 * ADDRESS is a number (0x... or decimal) or a symbol of the program, `name+OFFSET`, or
 * `lib.so!name`. Without --len or --type the length is the symbol's size (when it has one,
 * up to 4 KiB), else 16 bytes.
 */
import { UnmappedError, type RecordingReader } from '../../store/types.js';
import { ElfCache, SymbolError, SymbolTable } from '../../engine/symbols.js';
import { checkCheckpoint, hex, parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { openForCli } from '../recording.js';

const TYPES = { u8: 1, u16: 2, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8, ptr: 8, cstr: 0 } as const;
type TypeName = keyof typeof TYPES;
const CSTR_MAX = 4096;

/** The address of ADDRESS at checkpoint k, and the size of the symbol it names (0 if none). */
export function resolveAddress(r: RecordingReader, k: number, expr: string, cache = new ElfCache()): { address: bigint; size: number } {
  const program = r.programAt(k);
  const symbols = new SymbolTable(r.mapsAt(k), program, cache, program === r.meta.program ? r.meta.programFile : undefined);
  try {
    const address = symbols.resolve(expr);
    const name = /^(?:[^\s!]+!)?([A-Za-z_][\w.]*)$/.exec(expr.trim());
    const size = name ? Number(symbols.symbol(name[1]!, expr.includes('!') ? expr.split('!')[0]! : null).size) : 0;
    return { address, size };
  } catch (e) {
    if (e instanceof SymbolError) throw new CliError(e.message);
    throw e;
  }
}

function decode(type: TypeName, b: Uint8Array): number | string {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (type) {
    case 'u8': return v.getUint8(0);
    case 'u16': return v.getUint16(0, true);
    case 'u32': return v.getUint32(0, true);
    case 'i8': return v.getInt8(0);
    case 'i16': return v.getInt16(0, true);
    case 'i32': return v.getInt32(0, true);
    case 'f32': return v.getFloat32(0, true);
    case 'f64': return v.getFloat64(0, true);
    case 'u64':
    case 'ptr': return v.getBigUint64(0, true).toString();
    case 'i64': return v.getBigInt64(0, true).toString();
    case 'cstr': return new TextDecoder().decode(b);
  }
}

const ADDRESS_SPACE_END = 1n << 64n;

/** A C string: bytes up to the NUL, page by page, so a string ending before an unmapped page reads fine. */
function readCString(r: RecordingReader, k: number, addr: bigint): Uint8Array {
  const out: number[] = [];
  let a = addr;
  while (out.length < CSTR_MAX && a < ADDRESS_SPACE_END) {
    const chunk = Math.min(Number(4096n - (a % 4096n)), CSTR_MAX - out.length);
    const bytes = r.readMemory(k, a, chunk);
    const nul = bytes.indexOf(0);
    if (nul >= 0) return Uint8Array.from([...out, ...bytes.subarray(0, nul)]);
    out.push(...bytes);
    a += BigInt(chunk);
  }
  return Uint8Array.from(out);
}

export function hexDump(addr: bigint, bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hexes = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(addr + BigInt(i)).toString(16).padStart(12, '0')}  ${hexes.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('read', argv, {
    at: { type: 'string' },
    len: { type: 'string' },
    type: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [recPath, addrExpr, extra] = positionals;
  if (extra !== undefined) throw new CliError(`read: unexpected argument '${extra}'`, 2);
  const r = await openForCli(recPath, 'read', io);
  try {
    const at = parseIndex(values.at, '--at');
    if (at === undefined) throw new CliError('read: --at K is required', 2);
    if (!addrExpr) throw new CliError('read: missing ADDRESS (a number, or a symbol with an optional +OFFSET)', 2);
    if (values.len !== undefined && values.type !== undefined) throw new CliError('read: give --len or --type, not both', 2);
    const type = values.type as TypeName | undefined;
    if (type !== undefined && !(type in TYPES)) throw new CliError(`read: unknown type '${values.type}' (expected ${Object.keys(TYPES).join(' ')})`, 2);
    const len = parseIndex(values.len, '--len');
    if (len !== undefined && (len < 1 || len > 1 << 24)) throw new CliError('read: --len must be between 1 and 16777216', 2);
    checkCheckpoint(at, r.checkpointCount);

    const { address, size } = resolveAddress(r, at, addrExpr);
    const n = type ? TYPES[type] : (len ?? (size > 0 && size <= 4096 ? size : 16));
    if (address + BigInt(type === 'cstr' ? 1 : n) > ADDRESS_SPACE_END) throw new CliError(`read: ${n} bytes at ${hex(address)} run past the end of the 64-bit address space`);
    let bytes: Uint8Array;
    try {
      bytes = type === 'cstr' ? readCString(r, at, address) : r.readMemory(at, address, n);
    } catch (e) {
      if (e instanceof UnmappedError) throw new CliError(e.message);
      throw e;
    }
    const value = type ? decode(type, bytes) : undefined;
    if (values.json) {
      io.stdout(JSON.stringify({ checkpoint: at, address: hex(address), hex: Buffer.from(bytes).toString('hex'), ...(type ? { type, value } : {}) }) + '\n');
    } else if (type) {
      io.stdout(`${type === 'cstr' ? JSON.stringify(value) : value}\n`);
    } else {
      io.stdout(hexDump(address, bytes));
    }
    return 0;
  } finally {
    r.close();
  }
}
