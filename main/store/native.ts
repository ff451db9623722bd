/**
 * The store's native hot loops (native-codec/, an N-API addon: one build loads in Node and in
 * Electron alike). Found from this file's folder upwards, so the same code runs from main/
 * (tsx), out/node/main/store/ (tsc) and out/main/ (the desktop app's bundle).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeCodec {
  /** 0: all zero; 1: the same bytes as `previous`; 2: changed, its 64-bit hash in hashOut as [hi, lo]. */
  inspect(content: Uint8Array, previous: Uint8Array | null, hashOut: Uint32Array): 0 | 1 | 2;
  /** The blob kind + 8 * payload length; the payload is at scratch[0..) (Raw: the content). scratch: 4x the content. */
  encode(content: Uint8Array, base: Uint8Array | null, fullBias: number, scratch: Uint8Array): number;
  /** Compressed size, or 0 when the block would not fit in `output`. */
  lz4Encode(input: Uint8Array, output: Uint8Array): number;
  /** Decoded size, or a negative number when `input` is not a valid block for `output`. */
  lz4Decode(input: Uint8Array, output: Uint8Array): number;
}

const ADDON = 'native-codec/build/delorean-codec.node';

/** The addon's path: the first ancestor folder of this file that holds it. */
export function nativeCodecPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, ADDON);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) throw new Error(`${ADDON} is missing: run \`npm run build:native\``);
  }
}

export const native = createRequire(import.meta.url)(nativeCodecPath()) as NativeCodec;
