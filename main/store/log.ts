/**
 * The commit log: a header, then records of [u32 crc32][u32 length][u8 type][body], the CRC
 * covering length, type and body (format.ts). Records are only ever appended, each with a
 * single write, after the blobs they reference; a record is committed once it is whole.
 *
 * Scanning stops at the first record that is not whole and valid: a header or body that runs
 * past the end of the file, an implausible length (checked against the file size and
 * MAX_RECORD before any allocation), or a CRC mismatch. Everything from there on counts as not
 * committed. The stop is "torn" when it looks like the tail of an interrupted append (the last
 * record runs past EOF or ends exactly at EOF, or the rest of the file is zeros, as after a
 * power cut): a writable open may cut that off. Damage followed by more data is corruption and
 * is left alone for forensics.
 */
import { crc32 } from 'node:zlib';
import { readAt } from './files.js';
import { MAX_RECORD, RECORD_HEADER } from './format.js';

export interface LogRecord {
  readonly type: number;
  /** A view into the scan buffer: valid only during the callback. */
  readonly body: Uint8Array;
  readonly offset: number; // file offset of the record header
  readonly length: number; // header + body
  readonly crc: number;
}

export interface LogStop {
  readonly offset: number;
  readonly reason: string;
  readonly torn: boolean;
}

export interface ScanResult {
  /** Offset just past the last committed record. */
  readonly end: number;
  readonly stop: LogStop | null;
}

/** Frames one record into bytes ready to append. */
export function frameRecord(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, body.length, true);
  out[8] = type;
  out.set(body, RECORD_HEADER);
  dv.setUint32(0, crc32(out.subarray(4)), true);
  return out;
}

/** Checks a whole record held in `bytes` (header included); returns its body or null. */
export function checkRecord(bytes: Uint8Array): { type: number; body: Uint8Array } | null {
  if (bytes.length < RECORD_HEADER) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, RECORD_HEADER);
  const len = dv.getUint32(4, true);
  if (RECORD_HEADER + len !== bytes.length) return null;
  if (dv.getUint32(0, true) !== crc32(bytes.subarray(4))) return null;
  return { type: bytes[8]!, body: bytes.subarray(RECORD_HEADER) };
}

const CHUNK = 8 * 1024 * 1024;
const ZERO_CHECK_LIMIT = 64 * 1024 * 1024;

function allZeroFrom(fd: number, from: number, size: number): boolean {
  if (size - from > ZERO_CHECK_LIMIT) return false;
  const b = readAt(fd, from, size - from);
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Scans records in [from, size) of the log open at fd, calling `onRecord` for each whole,
 * valid one in order. `onRecord` may return a reason to stop before that record (it is then
 * treated as not committed and torn, e.g. its blobs are not all on disk); errors it throws
 * propagate (a whole record that makes no sense is corruption, not a torn tail).
 */
export function scanLog(fd: number, from: number, size: number, onRecord: (r: LogRecord) => string | undefined): ScanResult {
  let buf: Uint8Array = new Uint8Array(0);
  let bufStart = from; // file offset of buf[0]
  let pos = from;
  const stop = (reason: string, torn: boolean): ScanResult => ({ end: pos, stop: { offset: pos, reason, torn } });
  while (pos < size) {
    if (size - pos < RECORD_HEADER) return stop(`record header at byte ${pos} is cut short by the end of the file`, true);
    // Make sure the header is in the buffer.
    if (pos + RECORD_HEADER > bufStart + buf.length) {
      bufStart = pos;
      buf = readAt(fd, pos, Math.min(CHUNK, size - pos));
    }
    const at = pos - bufStart;
    const dv = new DataView(buf.buffer, buf.byteOffset + at, RECORD_HEADER);
    const len = dv.getUint32(4, true);
    if (len > MAX_RECORD || pos + RECORD_HEADER + len > size) {
      return stop(`record at byte ${pos} claims ${len} bytes, past the end of the file`, true);
    }
    const total = RECORD_HEADER + len;
    if (at + total > buf.length) {
      bufStart = pos;
      buf = readAt(fd, pos, Math.min(Math.max(CHUNK, total), size - pos));
      if (buf.length < total) return stop(`record at byte ${pos} could not be read whole`, true);
      continue;
    }
    const bytes = buf.subarray(at, at + total);
    const crc = dv.getUint32(0, true);
    if (crc !== crc32(bytes.subarray(4))) {
      const torn = pos + total === size || allZeroFrom(fd, pos, size);
      return stop(`record at byte ${pos} fails its checksum`, torn);
    }
    const reason = onRecord({ type: bytes[8]!, body: bytes.subarray(RECORD_HEADER), offset: pos, length: total, crc });
    if (reason !== undefined) return stop(reason, true);
    pos += total;
  }
  return { end: pos, stop: null };
}
