/**
 * Where a recording's bytes go, layer by layer, derived by re-reading the recording's files
 * (the store reports counts per layer, not bytes; see main/store/writer.ts `stats`):
 *
 *   raw        pages received from the recorder x 4096
 *   zero       all-zero pages: stored as nothing
 *   unchanged  pages the recorder sent again with the same bytes (written, but to the same
 *              value): the store keeps the previous version (counted in the store's dedupHits)
 *   dedup      pages identical to content already stored elsewhere (the rest of dedupHits)
 *   delta      new versions stored as XOR deltas against the page's previous version (runs or
 *              LZ4): 4096 - payload saved per page
 *   lz4        new versions stored whole: 4096 - LZ4 payload saved per page
 *   overhead   what the store adds: blob headers, segment headers, the checkpoint records (the
 *              index: page and register references per checkpoint), the index snapshot, register
 *              blobs, maps texts, terminal output, metadata
 *
 * so stored = raw - zero - unchanged - dedup - delta - lz4 + overhead (checked: `identityError`).
 * Counterfactual: `lz4OnlyBytes` is what the delta pages would take as standalone LZ4 blocks
 * (each decoded from the recording and compressed again), so the gain of deltas over plain
 * per-page compression is known too.
 *
 * How "unchanged" is told from "dedup": a checkpoint record lists only pages whose content
 * changed, so per checkpoint, received - listed pages were sent unchanged; those that were
 * zero are the zero pages not listed with a zero reference.
 */
import { closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStore } from '../../main/store/blobs.js';
import { isDelta } from '../../main/store/codec.js';
import { readAt } from '../../main/store/files.js';
import { BlobKind, HEADER_SIZE, INDEX_FILE, LOG_FILE, PAGE_SIZE, RecordType, SEGMENT_RE, SEGMENT_SPAN } from '../../main/store/format.js';
import { scanLog } from '../../main/store/log.js';
import { lz4Encode } from '../../main/store/lz4.js';
import { decodeCheckpoint } from '../../main/store/records.js';

export interface StorageLayers {
  checkpoints: number;
  rawBytes: number;
  storedBytes: number; // every file in the directory
  pagesReceived: number;
  zeroPages: number;
  unchangedPages: number; // sent again with the same (non-zero) bytes
  dedupPages: number; // new to this address, identical to stored content
  deltaPages: number;
  fullPages: number;
  deltaRunsPages: number;
  deltaLz4Pages: number;
  fullLz4Pages: number;
  fullRawPages: number;
  deltaPayloadBytes: number;
  fullPayloadBytes: number;
  lz4OnlyBytes: number; // the delta pages as standalone LZ4 blocks (counterfactual)
  overhead: {
    blobHeaders: number; // page blobs' crc + varints
    segmentHeaders: number;
    registers: number; // register blobs, headers included
    checkpointRecords: number; // the index in the log
    indexSnapshot: number;
    maps: number;
    output: number;
    other: number; // log header, metadata, exit, warnings, writer.pid, unreferenced blobs
  };
  /** stored - (raw - savings + overhead): 0 when every byte is accounted for. */
  identityError: number;
}

function varint(b: Uint8Array, at: { i: number }): number {
  let v = 0;
  let mul = 1;
  for (;;) {
    const x = b[at.i++]!;
    v += (x & 0x7f) * mul;
    if (x < 0x80) return v;
    mul *= 128;
  }
}

export function storageLayers(dir: string): StorageLayers {
  const logPath = join(dir, LOG_FILE);
  const fd = openSync(logPath, 'r');
  const pageRefs = new Set<number>();
  const regRefs = new Set<number>();
  let checkpoints = 0;
  let pagesReceived = 0;
  let zeroPages = 0;
  let dedupHits = 0;
  let deltaBlobs = 0;
  let fullBlobs = 0;
  let listed = 0;
  let listedZero = 0;
  const logBytes = { checkpointRecords: 0, maps: 0, output: 0, other: HEADER_SIZE };
  let id: Uint8Array;
  try {
    id = readAt(fd, 12, 8);
    const size = statSync(logPath).size;
    const scan = scanLog(fd, HEADER_SIZE, size, (r) => {
      if (r.type === RecordType.Checkpoint) {
        const c = decodeCheckpoint(r.body, logPath, r.offset);
        checkpoints++;
        pagesReceived += c.dirtyPages;
        zeroPages += c.zeroPages;
        dedupHits += c.dedupHits;
        deltaBlobs += c.deltaBlobs;
        fullBlobs += c.fullBlobs;
        listed += c.pageVofs.length;
        for (const v of c.pageVofs) {
          if (v === 0) listedZero++;
          else pageRefs.add(v);
        }
        for (const t of c.threads) regRefs.add(t.vofs);
        logBytes.checkpointRecords += r.length;
      } else if (r.type === RecordType.Maps) logBytes.maps += r.length;
      else if (r.type === RecordType.Output) logBytes.output += r.length;
      else logBytes.other += r.length;
      return undefined;
    });
    logBytes.other += size - scan.end; // a torn tail, if any
  } finally {
    closeSync(fd);
  }

  // Walk every blob of every segment in order.
  const blobs = BlobStore.forReading(dir, id, 16384);
  const out = new Uint8Array(PAGE_SIZE);
  let segmentHeaders = 0;
  let blobHeaders = 0;
  let registers = 0;
  let unreferenced = 0;
  const k = { deltaRuns: 0, deltaLz4: 0, fullLz4: 0, fullRaw: 0, deltaPayload: 0, fullPayload: 0, lz4Only: 0 };
  const segments = readdirSync(dir)
    .map((n) => SEGMENT_RE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  try {
    for (const s of segments) {
      const bytes = readFileSync(join(dir, `blobs-${String(s).padStart(6, '0')}.seg`));
      segmentHeaders += Math.min(HEADER_SIZE, bytes.length);
      const at = { i: HEADER_SIZE };
      while (at.i + 5 <= bytes.length) {
        const start = at.i;
        at.i += 4; // crc32
        const head = varint(bytes, at);
        const kind = head % 8;
        const length = Math.floor(head / 512);
        if (isDelta(kind)) varint(bytes, at);
        const header = at.i - start;
        at.i += length;
        if (at.i > bytes.length) {
          unreferenced += bytes.length - start; // a torn tail
          break;
        }
        const vofs = s * SEGMENT_SPAN + start;
        if (regRefs.has(vofs)) {
          registers += header + length;
          continue;
        }
        if (!pageRefs.has(vofs)) {
          unreferenced += header + length;
          continue;
        }
        blobHeaders += header;
        if (isDelta(kind)) {
          k.deltaPayload += length;
          if (kind === BlobKind.XorRuns) k.deltaRuns++;
          else k.deltaLz4++;
          const content = blobs.read(vofs, PAGE_SIZE).data;
          const lz = lz4Encode(content, out.subarray(0, PAGE_SIZE - 1));
          k.lz4Only += lz > 0 ? lz : PAGE_SIZE;
        } else {
          k.fullPayload += length;
          if (kind === BlobKind.Lz4) k.fullLz4++;
          else k.fullRaw++;
        }
      }
    }
  } finally {
    blobs.close();
  }

  let storedBytes = 0;
  let indexSnapshot = 0;
  let pid = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name));
    if (!st.isFile()) continue;
    storedBytes += st.size;
    if (name === INDEX_FILE) indexSnapshot = st.size;
    else if (!SEGMENT_RE.test(name) && name !== LOG_FILE) pid += st.size;
  }

  const unchangedZero = zeroPages - listedZero;
  const unchangedPages = pagesReceived - listed - unchangedZero;
  const overhead = {
    blobHeaders,
    segmentHeaders,
    registers,
    checkpointRecords: logBytes.checkpointRecords,
    indexSnapshot,
    maps: logBytes.maps,
    output: logBytes.output,
    other: logBytes.other + pid + unreferenced,
  };
  const overheadTotal = Object.values(overhead).reduce((a, b) => a + b, 0);
  const rawBytes = pagesReceived * PAGE_SIZE;
  const expected = k.deltaPayload + k.fullPayload + overheadTotal;
  return {
    checkpoints,
    rawBytes,
    storedBytes,
    pagesReceived,
    zeroPages,
    unchangedPages,
    dedupPages: dedupHits - unchangedPages,
    deltaPages: deltaBlobs,
    fullPages: fullBlobs,
    deltaRunsPages: k.deltaRuns,
    deltaLz4Pages: k.deltaLz4,
    fullLz4Pages: k.fullLz4,
    fullRawPages: k.fullRaw,
    deltaPayloadBytes: k.deltaPayload,
    fullPayloadBytes: k.fullPayload,
    lz4OnlyBytes: k.lz4Only,
    overhead,
    identityError: storedBytes - expected,
  };
}

/** The layers as fractions of raw bytes, for a table. */
export function layerShares(l: StorageLayers): Record<string, number> {
  const raw = l.rawBytes || 1;
  const overheadTotal = Object.values(l.overhead).reduce((a, b) => a + b, 0);
  return {
    zero: (l.zeroPages * PAGE_SIZE) / raw,
    unchanged: (l.unchangedPages * PAGE_SIZE) / raw,
    dedup: (l.dedupPages * PAGE_SIZE) / raw,
    delta: (l.deltaPages * PAGE_SIZE - l.deltaPayloadBytes) / raw,
    lz4: (l.fullPages * PAGE_SIZE - l.fullPayloadBytes) / raw,
    overhead: overheadTotal / raw,
    stored: l.storedBytes / raw,
  };
}
