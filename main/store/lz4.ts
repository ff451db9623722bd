/**
 * Raw LZ4 blocks (never frames: the frame header and checksums would dominate 4 KiB pages)
 * through the native `lz4` package, which is CommonJS and untyped, hence createRequire and the
 * narrow interface below. Both calls are safe on hostile input: decodeBlock is
 * LZ4_decompress_safe, which never writes past `output` and returns a negative number on
 * malformed input.
 */
import { createRequire } from 'node:module';

interface Lz4Binding {
  /** Compressed size, or 0 when the result would not fit in `output`. */
  encodeBlock(input: Uint8Array, output: Uint8Array): number;
  /** Decoded size, or a negative number when `input` is not a valid block for `output`. */
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
}

const require = createRequire(import.meta.url);
const binding = require('lz4') as Lz4Binding;

/** Compresses `input` into `output`; returns the size, or 0 if it does not fit (incompressible). */
export function lz4Encode(input: Uint8Array, output: Uint8Array): number {
  if (input.length === 0) return 0;
  return binding.encodeBlock(input, output);
}

/** Decodes a block into `output`; returns the decoded size, or -1 if the block is malformed. */
export function lz4Decode(input: Uint8Array, output: Uint8Array): number {
  if (input.length === 0) return -1;
  const n = binding.decodeBlock(input, output);
  return n < 0 ? -1 : n;
}
