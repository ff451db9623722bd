/**
 * The messages the recorder sends for bench/programs/heap_words.c, made without running it:
 * a heap of MIB MiB of 0x01 bytes sent whole at checkpoint 0, then one checkpoint per step with
 * the pages of K words written by the same xorshift64 sequence. For measuring ingest alone
 * (bench/recording.ts): the recorder is not in the loop.
 */
import { MessageType, Trigger, WIRE_VERSION, type WireMessage } from '../../shared/protocol/wire.js';

export const HEAP_WORDS_HELLO: WireMessage = { type: MessageType.Hello, version: WIRE_VERSION, pageSize: 4096, pid: 1, backend: 0, flags: 0, exe: '/heap_words', cwd: '/', argv: [] };

/** heap_words' checkpoints, generated like the program does (xorshift64). */
export class HeapWords {
  readonly words: number;
  private x = 88172645463325252n;
  private readonly heap: BigUint64Array;
  private seq = 0;
  constructor(
    mib: number,
    private readonly k: number,
    readonly base = 0x7f0000000000n,
  ) {
    this.words = (mib * 1024 * 1024) / 8;
    this.heap = new BigUint64Array(this.words).fill(0x0101010101010101n);
  }
  /** The messages of the next checkpoint (the first sends the whole heap). */
  next(): WireMessage[] {
    const seq = BigInt(this.seq);
    const out: WireMessage[] = [{ type: MessageType.CheckpointBegin, seq, timeNs: seq * 200_000n, trigger: this.seq === 0 ? Trigger.Start : Trigger.Syscall, tid: 1, detail: 1n, args: [0n, 0n, 0n, 0n, 0n, 0n] }];
    let pages: number[];
    if (this.seq === 0) {
      out.push({ type: MessageType.Maps, text: `${this.base.toString(16)}-${(this.base + BigInt(this.words * 8)).toString(16)} rw-p 00000000 00:00 0 \n` });
      pages = Array.from({ length: (this.words * 8) / 4096 }, (_, i) => i);
    } else {
      const set = new Set<number>();
      const mask = (1n << 64n) - 1n;
      for (let i = 0; i < this.k; i++) {
        let x = this.x;
        x ^= (x << 13n) & mask;
        x ^= x >> 7n;
        x ^= (x << 17n) & mask;
        this.x = x;
        const w = Number(x % BigInt(this.words));
        this.heap[w] = x;
        set.add(w >> 9);
      }
      pages = [...set].sort((a, b) => a - b);
    }
    const bytes = new Uint8Array(this.heap.buffer);
    for (let i = 0; i < pages.length; i += 1024) {
      const part = pages.slice(i, i + 1024);
      const data = new Uint8Array(part.length * 4096);
      part.forEach((p, j) => data.set(bytes.subarray(p * 4096, (p + 1) * 4096), j * 4096));
      out.push({ type: MessageType.Pages, addrs: part.map((p) => this.base + BigInt(p * 4096)), data, pageSize: 4096 });
    }
    out.push({ type: MessageType.Regs, tid: 1, gp: new Uint8Array(216).fill(this.seq & 255), fp: new Uint8Array(2696) });
    out.push({ type: MessageType.CheckpointEnd, seq, pageCount: pages.length, threadCount: 1 });
    this.seq++;
    return out;
  }
}

