/**
 * The commit log: a header, then records of [u32 crc32][u32 length][u8 type][body], the CRC
 * covering length, type and body (format.ts). Records are only ever appended, each with a
 * single write, after the blobs they reference; a record is committed once it is whole.
 *
 * A record that is not whole and valid (a header or body that runs past the end of the file,
 * an implausible length, checked against the file size and MAX_RECORD before any allocation,
 * or a CRC mismatch) is damage. A scan that is told what to do with damage (`onDamage`)
 * resynchronises: it looks for the next offset where a whole record checks (plausible header,
 * and CRC), reports the bytes in between, and goes on from there. Where no valid record
 * follows, the scan stops; the stop is "torn" when it looks like the tail of an interrupted
 * append (the last record runs past EOF or ends exactly at EOF, or the rest of the file is
 * zeros, as after a power cut): a writable open may cut that off. Damage followed by more data
 * is never cut (forensics).
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

/** Bytes [offset, offset + bytes) of the log that hold no valid record, with a valid one right after. */
export interface LogDamage {
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
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
/** The record types a resynchronising scan accepts (format.ts RecordType). */
const MIN_TYPE = 1;
const MAX_TYPE = 7;

function allZeroFrom(fd: number, from: number, size: number): boolean {
  if (size - from > ZERO_CHECK_LIMIT) return false;
  const b = readAt(fd, from, size - from);
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Whether the record header at `at` of `b` (file offset fileAt) is plausible: a known type and a length that fits in the file. */
function plausibleHeader(b: Uint8Array, dv: DataView, at: number, fileAt: number, size: number): boolean {
  const type = b[at + 8]!;
  if (type < MIN_TYPE || type > MAX_TYPE) return false;
  const len = dv.getUint32(at + 4, true);
  return len <= MAX_RECORD && fileAt + RECORD_HEADER + len <= size;
}

/**
 * The offset of the first whole, valid record in [from, size), or -1. A candidate must have a
 * plausible header, be followed by the end of the file or another plausible header (cheap, and
 * spares most CRCs), and pass its CRC.
 */
export function findNextRecord(fd: number, from: number, size: number): number {
  const overlap = 2 * RECORD_HEADER;
  for (let start = from; start + RECORD_HEADER <= size; start += CHUNK - overlap) {
    const buf = readAt(fd, start, Math.min(CHUNK, size - start));
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const last = Math.min(buf.length - RECORD_HEADER, CHUNK - overlap - 1);
    for (let at = 0; at <= last; at++) {
      const pos = start + at;
      if (!plausibleHeader(buf, dv, at, pos, size)) continue;
      const total = RECORD_HEADER + dv.getUint32(at + 4, true);
      const next = pos + total;
      if (next !== size) {
        if (next + RECORD_HEADER > size) continue;
        const h = next - start + RECORD_HEADER <= buf.length ? null : readAt(fd, next, RECORD_HEADER);
        const ok = h ? plausibleHeader(h, new DataView(h.buffer, h.byteOffset, RECORD_HEADER), 0, next, size) : plausibleHeader(buf, dv, next - start, next, size);
        if (!ok) continue;
      }
      const bytes = at + total <= buf.length ? buf.subarray(at, at + total) : readAt(fd, pos, total);
      if (bytes.length === total && checkRecord(bytes)) return pos;
    }
  }
  return -1;
}

/**
 * Scans records in [from, size) of the log open at fd, calling `onRecord` for each whole,
 * valid one in order. `onRecord` may return a reason to stop before that record (it is then
 * treated as not committed and torn, e.g. its blobs are not all on disk); errors it throws
 * propagate (a whole record that makes no sense is corruption, not a torn tail). With
 * `onDamage`, damage followed by a valid record is reported to it and the scan goes on after it.
 */
export function scanLog(fd: number, from: number, size: number, onRecord: (r: LogRecord) => string | undefined, onDamage?: (d: LogDamage) => void): ScanResult {
  let buf: Uint8Array = new Uint8Array(0);
  let bufStart = from; // file offset of buf[0]
  let pos = from;
  const stop = (reason: string, torn: boolean): ScanResult => ({ end: pos, stop: { offset: pos, reason, torn } });
  /** Damage at pos: true when the scan resumes at the next valid record (pos moved there). */
  const resync = (reason: string): boolean => {
    if (!onDamage) return false;
    const next = findNextRecord(fd, pos + 1, size);
    if (next < 0) return false;
    onDamage({ offset: pos, bytes: next - pos, reason });
    pos = next;
    return true;
  };
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
      const reason = `record at byte ${pos} claims ${len} bytes, past the end of the file`;
      if (resync(reason)) continue;
      return stop(reason, true);
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
      const reason = `record at byte ${pos} fails its checksum`;
      if (resync(reason)) continue;
      const torn = pos + total === size || allZeroFrom(fd, pos, size);
      return stop(reason, torn);
    }
    const reason = onRecord({ type: bytes[8]!, body: bytes.subarray(RECORD_HEADER), offset: pos, length: total, crc });
    if (reason !== undefined) return stop(reason, true);
    pos += total;
  }
  return { end: pos, stop: null };
}
