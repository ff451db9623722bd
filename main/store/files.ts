/**
 * File plumbing shared by the store: the 24-byte header every store file starts with (layout in
 * format.ts), positioned reads, and the permissions a recording must have (dir 0700, files
 * 0600: memory images hold secrets).
 */
import { closeSync, constants, fsyncSync, openSync, readSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { FORMAT_VERSION, HEADER_SIZE } from './format.js';
import { RecordingError } from './types.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export function newRecordingId(): Uint8Array {
  return new Uint8Array(randomBytes(8));
}

export function encodeHeader(magic: string, id: Uint8Array): Uint8Array {
  const h = new Uint8Array(HEADER_SIZE);
  const dv = new DataView(h.buffer);
  for (let i = 0; i < 8; i++) h[i] = magic.charCodeAt(i);
  dv.setUint32(8, FORMAT_VERSION, true);
  h.set(id, 12);
  dv.setUint32(20, crc32(h.subarray(0, 20)), true);
  return h;
}

/**
 * Checks a header read from `file` and returns its recording id. Errors say what is wrong:
 * not a store file at all, a format version this build does not read, or a corrupt header.
 */
export function checkHeader(h: Uint8Array, magic: string, file: string, what: string): Uint8Array {
  if (h.length < HEADER_SIZE) throw new RecordingError(`${what} header truncated (${h.length} of ${HEADER_SIZE} bytes)`, file);
  for (let i = 0; i < 8; i++) {
    if (h[i] !== magic.charCodeAt(i)) throw new RecordingError(`not a DeLorean ${what} (bad magic)`, file);
  }
  const dv = new DataView(h.buffer, h.byteOffset, HEADER_SIZE);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    throw new RecordingError(`unsupported format version ${version} (this build reads version ${FORMAT_VERSION})`, file);
  }
  if (dv.getUint32(20, true) !== crc32(h.subarray(0, 20))) throw new RecordingError(`${what} header is corrupt (checksum mismatch)`, file);
  return h.slice(12, 20);
}

export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Reads up to `len` bytes at `pos`; shorter only at end of file. */
export function readAt(fd: number, pos: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const got = readInto(fd, pos, out);
  return got === len ? out : out.subarray(0, got);
}

/** Fills `out` from `pos`; returns the bytes read (fewer only at end of file). */
export function readInto(fd: number, pos: number, out: Uint8Array): number {
  let got = 0;
  while (got < out.length) {
    const n = readSync(fd, out, got, out.length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
