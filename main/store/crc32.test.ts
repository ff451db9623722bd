/** crc32Of agrees with zlib's crc32 on both sides of its short/long split. */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Of } from './crc32.js';

describe('crc32Of', () => {
  it('equals zlib crc32 for every length from 0 to 300 at an offset', () => {
    const b = new Uint8Array(400);
    for (let i = 0; i < b.length; i++) b[i] = (i * 7919 + 13) & 0xff;
    for (let len = 0; len <= 300; len++) expect(crc32Of(b, 5, 5 + len), `length ${len}`).toBe(crc32(b.subarray(5, 5 + len)));
  });
});
