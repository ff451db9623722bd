/**
 * The store's byte cursors: shared/bytes.ts, with reads past the end (or any other malformed
 * field) reported as a RecordingError naming the file and the byte offset.
 */
import { ByteReader as Reader } from '../../shared/bytes.js';
import { RecordingError } from './types.js';

export { ByteWriter, utf8 } from '../../shared/bytes.js';

export class ByteReader extends Reader {
  constructor(buf: Uint8Array, file: string, base = 0 /* file offset of buf[0] */, what = 'data') {
    super(buf, (message, pos) => {
      throw new RecordingError(`${what} at byte ${base + pos}: ${message}`, file);
    });
  }
}
