/**
 * File plumbing shared by the store: the 24-byte header every store file starts with (layout in
 * format.ts), positioned reads, the permissions a recording must have (dir 0700, files 0600:
 * memory images hold secrets), and how its directory and files are created and opened.
 *
 * A recording may be written by root where other users can write (/tmp), and opened wherever
 * it was copied: the directory is always made new by us, every file in it is created new
 * (never truncated, never through a symbolic link), and an existing file is opened only if it
 * is a regular file, without following a link or blocking on a FIFO or device.
 */
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { FORMAT_VERSION, HEADER_SIZE } from './format.js';
import { RecordingError } from './types.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * Makes the recording directory, 0700, refusing any existing path (an empty directory planted
 * by another user, a symbolic link, a file). Its parents are made as needed.
 */
export function createRecordingDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: DIR_MODE });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RecordingError('already exists: a recording is written to a new directory, never an existing one (nothing was overwritten)', dir);
    throw e;
  }
  // The umask may have taken bits off; the directory just made is ours, not a link put in its place.
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, DIR_MODE);
  } finally {
    closeSync(fd);
  }
}

/** Creates a new file (0600) for writing: never an existing file, never through a symbolic link. */
export function createFile(path: string): number {
  return openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
}

/**
 * Opens an existing file of a recording, which must be a regular file: a symbolic link is not
 * followed, and a FIFO or device is refused without blocking on it. Errors other than these
 * (ENOENT above all) are the system's, for callers that handle a missing file.
 */
export function openFile(path: string, writable = false): number {
  let fd: number;
  try {
    fd = openSync(path, (writable ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new RecordingError('is a symbolic link; the files of a recording are never followed through links', path);
    if (code === 'EISDIR') throw new RecordingError('is a directory, not a regular file', path);
    throw e;
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new RecordingError(`is ${fileKind(st)}, not a regular file`, path);
  }
  return fd;
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}

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
