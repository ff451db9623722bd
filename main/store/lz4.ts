/**
 * Raw LZ4 blocks (never frames: the frame header and checksums would dominate 4 KiB pages),
 * the reference liblz4's LZ4_compress_default and LZ4_decompress_safe through native-codec.
 * Both are safe on hostile input: decoding never writes past `output` and reports a malformed
 * block as -1.
 */
import { native } from './native.js';

/** Compresses `input` into `output`; returns the size, or 0 if it does not fit (incompressible). */
export function lz4Encode(input: Uint8Array, output: Uint8Array): number {
  if (input.length === 0) return 0;
  return native.lz4Encode(input, output);
}

/** Decodes a block into `output`; returns the decoded size, or -1 if the block is malformed. */
export function lz4Decode(input: Uint8Array, output: Uint8Array): number {
  if (input.length === 0) return -1;
  const n = native.lz4Decode(input, output);
  return n < 0 ? -1 : n;
}
