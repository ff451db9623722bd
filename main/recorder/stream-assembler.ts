/**
 * The ingest worker's reader of the recorder's stream: socket chunks are copied into one
 * reusable buffer and handed to a WireDecoder a whole message at a time, so the decoder never
 * assembles a message across chunks. It used to: a fresh zero-filled allocation and a copy of
 * every Pages message (1-4 MiB each, fresh memory faulted in page by page), and the external
 * memory pressure of those allocations made V8 run a full GC every few hundred ms (~15% of
 * ingest on the python stream).
 *
 * Messages returned by next() are views of the buffer: valid until the next push(). The store
 * writer copies what it keeps, and the worker ingests every message before reading more.
 */
import { HEADER_SIZE, MAX_BODY, WireDecoder, type WireMessage } from '../../shared/protocol/wire.js';

const INITIAL = 8 * 1024 * 1024;

export class StreamAssembler {
  private buf = new Uint8Array(INITIAL);
  private start = 0; // first byte not yet handed out
  private end = 0; // end of the bytes received
  private readonly decoder = new WireDecoder();

  /** Bytes received but not yet part of a whole message (non-zero at end of stream = truncated). */
  get pending(): number {
    return this.end - this.start + this.decoder.pending;
  }

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const keep = this.end - this.start;
      if (keep + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length;
        while (size < keep + chunk.length) size *= 2;
        const bigger = new Uint8Array(size);
        bigger.set(this.buf.subarray(this.start, this.end));
        this.buf = bigger;
      }
      this.start = 0;
      this.end = keep;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next whole message, or null if more bytes are needed. Garbage throws a WireError. */
  next(): WireMessage | null {
    const have = this.end - this.start;
    if (have < HEADER_SIZE) return null;
    const b = this.buf;
    const at = this.start;
    const length = (b[at + 8]! | (b[at + 9]! << 8) | (b[at + 10]! << 16) | (b[at + 11]! << 24)) >>> 0;
    // An oversize length is garbage: the decoder, fed what there is, reports it (as would any).
    const total = length > MAX_BODY ? have : HEADER_SIZE + length;
    if (total > have) return null;
    this.decoder.push(b.subarray(at, at + total));
    this.start += total;
    return this.decoder.next();
  }
}
