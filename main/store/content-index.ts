/**
 * The writer's dedup table: 64-bit content hash (two uint32 halves) -> vofs of a blob with that content. Open
 * addressing (linear probing) over typed arrays, 16 bytes a slot, so tens of millions of
 * distinct blobs cost no per-entry objects. Only the writer needs it (it is rebuilt by nobody:
 * a recording is written once), so it is never persisted.
 *
 * Memory is bounded: at MAX_CAPACITY slots (64 MiB, 2M blobs) the table starts over empty
 * instead of growing, so dedup then finds contents seen since the reset (recent ones, the
 * likeliest to recur; the all-zero page never needs the table). It has two sizes: 1 MiB,
 * enough for most recordings, and once that is half full, the bound. Doubling in between
 * saved little and made a long recording's memory step up for half an hour (the last step, of
 * 32 MiB, came after a million distinct pages); now it settles within its first 32K.
 *
 * A hash match is a candidate, not a proof: the writer compares bytes before reusing a blob,
 * so a collision (forced in tests with a constant hash) costs a second blob, never wrong data.
 * A colliding newcomer replaces the slot's entry (the most recent content is the likeliest to
 * recur).
 */
const MAX_CAPACITY = 1 << 22;

export class ContentIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private vofs: Float64Array; // 0 = empty slot (no blob lives at vofs 0)
  private used = 0;

  constructor(
    capacity = 1 << 16,
    private readonly maxCapacity = MAX_CAPACITY,
  ) {
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

  /** The vofs recorded for the hash whose halves are hi and lo (uint32 each), or 0. */
  getHalves(hi: number, lo: number): number {
    return this.vofs[this.slot(hi, lo)]!;
  }

  setHalves(hi: number, lo: number, vofs: number): void {
    let i = this.slot(hi, lo);
    if (this.vofs[i] === 0) {
      if ((this.used + 1) * 2 > this.vofs.length) {
        if (this.vofs.length >= this.maxCapacity) this.reset();
        else this.grow();
        i = this.slot(hi, lo);
      }
      this.used++;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.vofs[i] = vofs;
  }

  /** The vofs recorded for this 64-bit hash, or 0. */
  get(hash: bigint): number {
    return this.getHalves(Number(BigInt.asUintN(64, hash) >> 32n), Number(BigInt.asUintN(32, hash)));
  }

  set(hash: bigint, vofs: number): void {
    this.setHalves(Number(BigInt.asUintN(64, hash) >> 32n), Number(BigInt.asUintN(32, hash)), vofs);
  }

  private reset(): void {
    this.hi.fill(0);
    this.lo.fill(0);
    this.vofs.fill(0);
    this.used = 0;
  }

  private grow(): void {
    const { hi, lo, vofs } = this;
    this.hi = new Uint32Array(this.maxCapacity);
    this.lo = new Uint32Array(this.maxCapacity);
    this.vofs = new Float64Array(this.maxCapacity);
    for (let j = 0; j < vofs.length; j++) {
      if (vofs[j] === 0) continue;
      const i = this.slot(hi[j]!, lo[j]!);
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.vofs[i] = vofs[j]!;
    }
  }
}
