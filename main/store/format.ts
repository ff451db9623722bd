/**
 * The on-disk format of a recording: one directory (NAME.dlr, mode 0700) of files (mode 0600,
 * memory images hold secrets). All integers little-endian. Bump FORMAT_VERSION whenever a byte
 * described here changes; readers refuse versions they do not know.
 *
 *   log                 the commit log: header, then append-only records (the source of truth)
 *   blobs-NNNNNN.seg    blob segments: header, then append-only blobs (page and register contents)
 *   index               snapshot of the index as of some log offset: what is not sealed yet
 *                       (written at close and at each seal; optional, disposable)
 *   index-segments      sealed index segments, the index of each whole run of checkpoints
 *                       (index-segments.ts; optional, disposable)
 *   writer.pid          present while a writer is live (holds its pid; stale after kill -9)
 *
 * File header (log, segments and index share it), 24 bytes:
 *
 *   0        8         12        20       24
 *   +--------+---------+---------+--------+
 *   | magic  | version |  rec id | crc32  |   magic: "DLR-LOG\n" / "DLR-SEG\n" / "DLR-IX2\n" / "DLR-ISG\n"
 *   +--------+---------+---------+--------+   rec id: 8 random bytes shared by every file of one
 *                                             recording; crc32 covers bytes 0..20.
 *
 * Log record (see log.ts), at any offset after the header:
 *
 *   0       4        8      9
 *   +-------+--------+------+----------------+
 *   | crc32 | length | type | body[length]   |   crc32 covers bytes 4 .. 9+length
 *   +-------+--------+------+----------------+
 *
 * Blob (see blobs.ts), at any offset >= 24 of a segment; a blob's address ("vofs") is
 * segment * 2^32 + offset, so vofs 0 never names a blob and means "all zero":
 *
 *   0       4                                     (varint)          (varint)
 *   +-------+-------------------------------------+-----------------+--------------------+
 *   | crc32 | kind + 8 * depth + 512 * length     | vofs - base     | payload[length]    |
 *   +-------+-------------------------------------+-----------------+--------------------+
 *   crc32 covers everything after it. Varints are LEB128. kind: 1 raw, 2 lz4 block, 3 lz4 block
 *   of (content XOR base content), 4 non-zero runs of (content XOR base content) (codec.ts).
 *   Kinds 3 and 4 are deltas: depth = base depth + 1 (<= MAX_DEPTH), and the distance back to
 *   their base (an earlier blob, so chains end) follows; full kinds have depth 0 and no distance.
 *   A one-word page delta is ~10 bytes of header and ~10 of payload.
 *
 * Record bodies are described in records.ts, the index snapshot in snapshot.ts.
 */

export const FORMAT_VERSION = 1;

export const HEADER_SIZE = 24;
export const MAGIC_LOG = 'DLR-LOG\n';
export const MAGIC_SEGMENT = 'DLR-SEG\n';
export const MAGIC_INDEX = 'DLR-IX2\n'; // 'DLR-IDX\n' held the whole index: an old one is ignored (rebuilt)
export const MAGIC_INDEX_SEGMENTS = 'DLR-ISG\n';

export const LOG_FILE = 'log';
export const INDEX_FILE = 'index';
export const INDEX_SEGMENTS_FILE = 'index-segments';
export const LOCK_FILE = 'writer.pid';
export const segmentFile = (n: number): string => `blobs-${String(n).padStart(6, '0')}.seg`;
export const SEGMENT_RE = /^blobs-(\d{6})\.seg$/;

export const PAGE_SIZE = 4096;
/** The same as bigints, made once (BigInt() in a hot loop allocates). */
export const PAGE_SIZE_N = 4096n;
export const PAGE_SHIFT_N = 12n;
export const PAGE_MASK_N = 4095n;

/** vofs = segment * SEGMENT_SPAN + offset. A segment is cut before it grows past its limit. */
export const SEGMENT_SPAN = 2 ** 32;
export const DEFAULT_SEGMENT_LIMIT = 1024 * 1024 * 1024;
export const MAX_SEGMENTS = 2 ** 20; // keeps every vofs below 2^53 (exact in a double)

export const RECORD_HEADER = 9;
/** Largest record body accepted: a checkpoint of 1M pages is 16 MiB of entries. */
export const MAX_RECORD = 256 * 1024 * 1024;

/** Longest blob header: crc32, a 5-byte varint, an 8-byte varint. */
export const BLOB_HEADER_MAX = 17;
/** Largest blob content (registers: user_regs_struct + XSAVE area; pages: 4096). */
export const MAX_BLOB = (1 << 22) - 1;

export const BlobKind = { Raw: 1, Lz4: 2, XorLz4: 3, XorRuns: 4 } as const;
export type BlobKindCode = (typeof BlobKind)[keyof typeof BlobKind];

/**
 * Largest depth a blob header can state (6 bits): a reader follows at most MAX_DEPTH + 1 blobs.
 * The writer's own limit (writer.ts, DEFAULT_DELTA_CHAIN) is lower.
 */
export const MAX_DEPTH = 63;

export const RecordType = {
  Meta: 1, // the Hello: UTF-8 JSON of RecordingMeta minus formatVersion
  Maps: 2, // a new distinct maps text
  Program: 3, // the executable changes (exec) from a checkpoint on
  Checkpoint: 4, // one committed checkpoint, with its page and register references
  Output: 5, // a chunk of terminal output
  Warning: 6, // a recorder Error message (fatal or not)
  Exit: 7, // how the program ended
} as const;
