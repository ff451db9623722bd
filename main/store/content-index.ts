/**
 * The writer's dedup table: 64-bit content hash -> vofs of a blob with that content. Open
 * addressing (linear probing) over typed arrays, 16 bytes a slot, so tens of millions of
 * distinct blobs cost no per-entry objects. Only the writer needs it (it is rebuilt by nobody:
 * a recording is written once), so it is never persisted.
 *
 * A hash match is a candidate, not a proof: the writer compares bytes before reusing a blob,
 * so a collision (forced in tests with a constant hash) costs a second blob, never wrong data.
 * A colliding newcomer replaces the slot's entry (the most recent content is the likeliest to
 * recur).
 */
export class ContentIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private vofs: Float64Array; // 0 = empty slot (no blob lives at vofs 0)
  private used = 0;

  constructor(capacity = 1 << 16) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.vofs = new Float64Array(capacity);
  }

  get size(): number {
    return this.used;
  }

  private slot(hi: number, lo: number): number {
    const mask = this.vofs.length - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.vofs[i] !== 0 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & mask;
    return i;
  }

  /** The vofs recorded for this hash, or 0. */
  get(hash: bigint): number {
    const i = this.slot(Number(hash >> 32n) >>> 0, Number(hash & 0xffffffffn));
    return this.vofs[i]!;
  }

  set(hash: bigint, vofs: number): void {
    const hi = Number(hash >> 32n) >>> 0;
    const lo = Number(hash & 0xffffffffn);
    const i = this.slot(hi, lo);
    if (this.vofs[i] === 0) this.used++;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.vofs[i] = vofs;
    if (this.used * 2 > this.vofs.length) this.grow();
  }

  private grow(): void {
    const { hi, lo, vofs } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(lo.length * 2);
    this.vofs = new Float64Array(vofs.length * 2);
    for (let j = 0; j < vofs.length; j++) {
      if (vofs[j] === 0) continue;
      const i = this.slot(hi[j]!, lo[j]!);
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.vofs[i] = vofs[j]!;
    }
  }
}
