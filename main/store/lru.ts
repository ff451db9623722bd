/**
 * A small least-recently-used map over JS Map's insertion order: a hit moves the key to the
 * end, an insert past capacity drops the first (oldest) key. Used for decoded blobs, so a walk
 * along the timeline or a run of deltas touches each blob's chain once.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  // The most recent key, already last in the map: a run of hits on it (blobs in one block)
  // costs no reordering.
  private recent: K | undefined = undefined;

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    if (key === this.recent) return this.map.get(key);
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
      this.recent = key;
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.recent = key;
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
    if (key === this.recent) this.recent = undefined;
  }

  clear(): void {
    this.map.clear();
    this.recent = undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
