import { describe, expect, it } from 'vitest';
import { formatLittleEndian, hexToBytes } from './bytes.js';

describe('formatLittleEndian', () => {
  it('reads 1, 2, 4 and 8 bytes as unsigned little-endian integers, with hex in value order', () => {
    expect(formatLittleEndian(hexToBytes('efbeadde'))).toBe('3735928559 (0xdeadbeef)');
    expect(formatLittleEndian(hexToBytes('30000000'))).toBe('48 (0x00000030)');
    expect(formatLittleEndian(hexToBytes('ff'))).toBe('255 (0xff)');
    expect(formatLittleEndian(hexToBytes('feff'))).toBe('65534 (0xfffe)');
    expect(formatLittleEndian(hexToBytes('ffffffffffffffff'))).toBe('18446744073709551615 (0xffffffffffffffff)');
  });

  it('shows other sizes as the bytes in memory order', () => {
    expect(formatLittleEndian(hexToBytes('010203'))).toBe('010203');
  });
});
