/**
 * The blob store's segment block cache: a walk longer than the cache makes it drop blocks and
 * read new ones into the dropped blocks' buffers. Every blob read back, in order, twice over,
 * and in a random order with neighbours (near reads go through blocks), must be the bytes
 * written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore } from './blobs.js';
import { newRecordingId } from './files.js';
import { BlobKind } from './format.js';

const root = mkdtempSync(join(tmpdir(), 'delorean-blobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('segment block cache', () => {
  it('reads back every blob right when the walk is longer than the cache (block buffers reused)', () => {
    const id = newRecordingId();
    const len = 100;
    const w = BlobStore.create(root, id, 1 << 30);
    const blobs: Array<{ vofs: number; bytes: Uint8Array }> = [];
    let seed = 1;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 120_000; i++) {
      const bytes = new Uint8Array(len).map(() => next() & 0xff);
      blobs.push({ vofs: w.append(BlobKind.Raw, 0, 0, bytes, null), bytes });
    }
    w.writePending();
    w.sync();
    w.close();
    // ~12 MiB of segment: ~190 blocks of 64 KiB through a cache of the minimum size (128 blocks).
    const rd = BlobStore.forReading(root, id, 4, 1);
    const wrong: number[] = [];
    const check = (i: number): void => {
      const got = rd.read(blobs[i]!.vofs, len).data;
      if (!got.every((v, j) => v === blobs[i]!.bytes[j])) wrong.push(i);
    };
    for (let pass = 0; pass < 2; pass++) for (let i = 0; i < blobs.length; i++) check(i);
    for (let n = 0; n < 20_000; n++) {
      const j = next() % (blobs.length - 3);
      for (let i = j; i < j + 3; i++) check(i);
    }
    rd.close();
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});
