/**
 * How every face words what it shows: the CLI, the service (IPC and bridge) and the renderer
 * format symbols, values, storage figures and checkpoint errors with these, so the same thing
 * reads the same everywhere. Pure: no Node, no DOM.
 *
 *   symbol+offset   "counter", "shop+0x40" (hex offsets, as gdb writes them)
 *   integers        "3735928559 (0xdeadbeef)": little-endian, unsigned, decimal then hex
 *   reduction       1 - stored / raw (a fraction; 0.42 reads "42.0% smaller")
 *   changes         "old" and "new" bytes (null where unmapped)
 */
import { bytesToHex } from './bytes.js';

/** A location as a symbol plus a hex offset: "counter", "shop+0x40". */
export function symbolWithOffset(name: string, offset: bigint): string {
  return offset === 0n ? name : `${name}+0x${offset.toString(16)}`;
}

/** 1, 2, 4 or 8 bytes as the little-endian unsigned integer they hold, in decimal and hex; other lengths as hex bytes. */
export function formatLittleEndian(bytes: Uint8Array | null): string {
  if (bytes === null) return 'unmapped';
  if (![1, 2, 4, 8].includes(bytes.length)) return bytesToHex(bytes);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return `${v} (0x${v.toString(16).padStart(bytes.length * 2, '0')})`;
}

/** How much smaller the stored bytes are than the pages received: 1 - stored / raw (0 when nothing was received). */
export function storageReduction(rawBytes: number, storedBytes: number): number {
  return rawBytes > 0 ? 1 - storedBytes / rawBytes : 0;
}

/** A reduction in words: "42.0% smaller" (or "3.1% larger" when the index outweighs the pages). */
export function formatReduction(reduction: number, digits = 1): string {
  return reduction >= 0 ? `${(reduction * 100).toFixed(digits)}% smaller` : `${(-reduction * 100).toFixed(digits)}% larger`;
}

/** The one wording of a checkpoint that does not exist: "checkpoint 9 is out of range: the recording has checkpoints 0..8". */
export function checkpointOutOfRange(k: number, count: number, what = 'checkpoint'): string {
  return `${what} ${k} is out of range: the recording has ${count === 0 ? 'no checkpoints' : `checkpoints 0..${count - 1}`}`;
}
