/** Lru: eviction order, including runs of hits on the most recent key (which skip reordering). */
import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

describe('Lru', () => {
  it('evicts the least recently used key, whatever the run of hits', () => {
    const l = new Lru<number, string>(3);
    l.set(1, 'a');
    l.set(2, 'b');
    l.set(3, 'c');
    expect(l.get(1)).toBe('a'); // 1 is now the most recent
    expect(l.get(1)).toBe('a');
    l.set(4, 'd'); // evicts 2
    expect(l.get(2)).toBeUndefined();
    expect([l.get(3), l.get(1), l.get(4)]).toEqual(['c', 'a', 'd']);
    l.set(5, 'e'); // evicts 3
    expect(l.get(3)).toBeUndefined();
    l.delete(5);
    expect(l.get(5)).toBeUndefined();
    l.set(5, 'f');
    expect(l.get(5)).toBe('f');
    expect(l.size).toBe(3);
    l.clear();
    expect(l.get(5)).toBeUndefined();
  });
});
