/**
 * Synthetic recordings: a deterministic fake program whose memory history is known exactly,
 * streamed through the real RecordingWriter as WireMessages. Used by the store's tests, by
 * benchmarks and by other engineers' tests (engine, CLI, UI) that need a recording of a given
 * size without running the recorder.
 *
 * The program (all addresses fixed, x86-64 style):
 *   code   0x555555554000  16 pages r-xp  /synthetic/prog   code-like bytes, sent at checkpoint 0
 *   data   0x555555570000   1 page  rw-p  /synthetic/prog   u64 counter at +0 = checkpoint index
 *   heap   0x555555580000   P pages rw-p  [heap]            pointer arrays, structs, text, zero
 *                                                           and random pages; W random u64
 *                                                           words change per checkpoint
 *   lib    0x7ffff7dd0000   4 pages r--p  /synthetic/libc   text, sent at checkpoint 0
 *   stack  0x7ffffffde000   8 pages rw-p  [stack]           the top page changes every checkpoint
 * Checkpoint 0 sends every page; checkpoint k sends the pages written since k-1. Every thread
 * sends registers (216-byte user_regs_struct with rip/rsp/rax moving, and a 2696-byte XSAVE
 * area as on an AVX-512 machine). Optionally every `zeroEvery` checkpoints the last 8 heap pages
 * are zeroed with a ZeroRanges message (as after madvise(DONTNEED)), and every `outputEvery`
 * checkpoints a line of terminal output is produced.
 *
 * SyntheticProgram.memory is the exact content of every page after the last checkpoint
 * generated, so a test can step a second instance in lockstep to know what to expect.
 */
import { Backend, MessageType, Trigger, WIRE_VERSION, type WireMessage } from '../../shared/protocol/wire.js';
import { RecordingWriter, type WriterOptions } from './writer.js';
import type { RecordingStats } from '../../shared/model/recording.js';
import { prng } from '../testing/prng.js';

export interface SyntheticOptions {
  checkpoints: number;
  heapPages?: number; // P, default 256
  wordsPerCheckpoint?: number; // W, default 8
  seed?: number; // default 1
  threads?: number; // default 1
  zeroEvery?: number; // 0 (default) = never
  outputEvery?: number; // 0 (default) = never
}

export const SYN = {
  code: 0x555555554000n,
  codePages: 16,
  data: 0x555555570000n,
  heap: 0x555555580000n,
  lib: 0x7ffff7dd0000n,
  libPages: 4,
  stack: 0x7ffffffde000n,
  stackPages: 8,
  gpSize: 216,
  fpSize: 2696,
} as const;

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'request', 'response', 'error', 'timeout', 'user', 'cache', 'entry', 'node', 'value', 'key', 'buffer', 'the', 'of', 'and'];

export class SyntheticProgram {
  readonly memory = new Map<bigint, Uint8Array>(); // page address -> content
  readonly heapPages: number;
  readonly words: number;
  readonly threads: number;
  private readonly rand: () => number;
  private next = 0;

  constructor(private readonly opts: SyntheticOptions) {
    this.heapPages = opts.heapPages ?? 256;
    this.words = opts.wordsPerCheckpoint ?? 8;
    this.threads = opts.threads ?? 1;
    this.rand = prng(opts.seed ?? 1);
    this.init();
  }

  private int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private heapPointer(): bigint {
    return SYN.heap + BigInt(this.int(this.heapPages * 4096) & ~15);
  }

  private init(): void {
    for (let i = 0; i < SYN.codePages; i++) {
      const p = new Uint8Array(4096);
      // Prologue/epilogue-heavy instruction soup: repetitive, like real code.
      const snippets = [[0x55], [0x48, 0x89, 0xe5], [0x48, 0x83, 0xec, 0x20], [0xe8, 0, 0, 0, 0], [0x48, 0x8b, 0x45, 0xf8], [0xc9], [0xc3], [0x0f, 0x1f, 0x44, 0, 0]];
      for (let j = 0; j < 4096; ) {
        const s = snippets[this.int(snippets.length)]!;
        for (const b of s) if (j < 4096) p[j++] = b === 0 ? this.int(256) : b;
      }
      this.memory.set(SYN.code + BigInt(i * 4096), p);
    }
    this.memory.set(SYN.data, new Uint8Array(4096));
    for (let i = 0; i < this.heapPages; i++) {
      const p = new Uint8Array(4096);
      const dv = new DataView(p.buffer);
      switch (i % 8) {
        case 0:
        case 1: // pointer array with nulls
          for (let j = 0; j < 512; j++) if (this.rand() < 0.8) dv.setBigUint64(j * 8, this.heapPointer(), true);
          break;
        case 2:
        case 3: // structs: {u32 id, u32 flags, ptr next, u64 size, f64 score}
          for (let j = 0; j < 128; j++) {
            dv.setUint32(j * 32, i * 128 + j, true);
            dv.setUint32(j * 32 + 4, this.int(4), true);
            dv.setBigUint64(j * 32 + 8, this.heapPointer(), true);
            dv.setBigUint64(j * 32 + 16, BigInt(this.int(10000)), true);
            dv.setFloat64(j * 32 + 24, this.rand(), true);
          }
          break;
        case 4:
        case 5: {
          // text
          let j = 0;
          while (j < 4000) for (const c of WORDS[this.int(WORDS.length)]! + ' ') p[j++] = c.charCodeAt(0);
          break;
        }
        case 6: // untouched (zero) page
          break;
        default: // compressed data or hashes: incompressible
          for (let j = 0; j < 4096; j++) p[j] = this.int(256);
      }
      this.memory.set(SYN.heap + BigInt(i * 4096), p);
    }
    for (let i = 0; i < SYN.libPages; i++) {
      const p = new Uint8Array(4096);
      let j = 0;
      while (j < 4000) for (const c of `${WORDS[this.int(WORDS.length)]}\0`) p[j++] = c.charCodeAt(0);
      this.memory.set(SYN.lib + BigInt(i * 4096), p);
    }
    for (let i = 0; i < SYN.stackPages; i++) this.memory.set(SYN.stack + BigInt(i * 4096), new Uint8Array(4096));
  }

  hello(): WireMessage {
    return { type: MessageType.Hello, version: WIRE_VERSION, pageSize: 4096, pid: 4242, backend: Backend.UffdWp, flags: 0, exe: '/synthetic/prog', cwd: '/synthetic', argv: ['prog', '--seed', String(this.opts.seed ?? 1)] };
  }

  mapsText(): string {
    const hex = (v: bigint): string => v.toString(16).padStart(12, '0');
    const line = (start: bigint, pages: number, perms: string, path: string): string => `${hex(start)}-${hex(start + BigInt(pages * 4096))} ${perms} 00000000 00:00 ${path ? 1000 : 0}${path ? ' '.repeat(10) + path : ''}\n`;
    return (
      line(SYN.code, SYN.codePages, 'r-xp', '/synthetic/prog') +
      line(SYN.data, 1, 'rw-p', '/synthetic/prog') +
      line(SYN.heap, this.heapPages, 'rw-p', '[heap]') +
      line(SYN.lib, SYN.libPages, 'r--p', '/synthetic/libc') +
      line(SYN.stack, SYN.stackPages, 'rw-p', '[stack]')
    );
  }

  /** Registers of thread t at checkpoint k (a pure function of k and t). */
  static registers(k: number, t: number): { gp: Uint8Array; fp: Uint8Array } {
    const gp = new Uint8Array(SYN.gpSize);
    const g = new DataView(gp.buffer);
    const set = (i: number, v: bigint): void => g.setBigUint64(i * 8, v, true);
    set(10, BigInt(k)); // rax
    set(16, SYN.code + BigInt((k * 37 + t * 512) % (SYN.codePages * 4096))); // rip
    set(19, SYN.stack + BigInt(SYN.stackPages * 4096 - 256 - (k % 64) * 16 - t * 4096)); // rsp
    set(4, SYN.stack + BigInt(SYN.stackPages * 4096 - 128 - t * 4096)); // rbp
    set(17, 0x33n); // cs
    set(18, 0x246n); // eflags
    set(20, 0x2bn); // ss
    set(21, 0x7ffff7d8a740n + BigInt(t) * 0x1000000n); // fs_base
    const fp = new Uint8Array(SYN.fpSize);
    const f = new DataView(fp.buffer);
    f.setUint16(0, 0x37f, true); // fcw
    f.setUint32(24, 0x1f80, true); // mxcsr
    f.setUint32(28, 0xffff, true);
    f.setFloat64(160, k * 0.5, true); // xmm0
    f.setBigUint64(512, 3n, true); // XSTATE_BV: x87 | SSE
    return { gp, fp };
  }

  /** The messages of checkpoint `k` (must be called for 0, 1, 2, ... in order). */
  checkpoint(k: number): WireMessage[] {
    if (k !== this.next) throw new Error(`synthetic checkpoints must be generated in order (${this.next} next, ${k} asked)`);
    this.next++;
    const out: WireMessage[] = [];
    const trigger = k === 0 ? Trigger.Start : k % 3 === 0 ? Trigger.Syscall : Trigger.Interval;
    out.push({ type: MessageType.CheckpointBegin, seq: BigInt(k), timeNs: 1_000_000_000n + BigInt(k) * 100_000n + BigInt(this.int(1000)), trigger, tid: 4242, detail: trigger === Trigger.Syscall ? 1n : 0n, args: trigger === Trigger.Syscall ? [1n, SYN.heap, 12n, 0n, 0n, 0n] : [0n, 0n, 0n, 0n, 0n, 0n] });
    let dirty: bigint[];
    if (k === 0) {
      out.push({ type: MessageType.Maps, text: this.mapsText() });
      dirty = [...this.memory.keys()];
    } else {
      const set = new Set<bigint>();
      for (let i = 0; i < this.words; i++) {
        const page = SYN.heap + BigInt(this.int(this.heapPages) * 4096);
        const p = this.memory.get(page)!;
        const dv = new DataView(p.buffer);
        const at = this.int(512) * 8;
        const r = this.rand();
        dv.setBigUint64(at, r < 0.4 ? this.heapPointer() : r < 0.8 ? dv.getBigUint64(at, true) + 1n : BigInt(this.int(2 ** 30)), true);
        set.add(page);
      }
      new DataView(this.memory.get(SYN.data)!.buffer).setBigUint64(0, BigInt(k), true);
      set.add(SYN.data);
      const top = SYN.stack + BigInt((SYN.stackPages - 1) * 4096);
      const sdv = new DataView(this.memory.get(top)!.buffer);
      sdv.setBigUint64(4096 - 256 - (k % 64) * 16, SYN.code + BigInt(k % 4096), true);
      sdv.setBigUint64(4096 - 248 - (k % 64) * 16, BigInt(k), true);
      set.add(top);
      const z = this.opts.zeroEvery ?? 0;
      if (z > 0 && k % z === 0 && this.heapPages >= 16) {
        const start = SYN.heap + BigInt((this.heapPages - 8) * 4096);
        const end = SYN.heap + BigInt(this.heapPages * 4096);
        out.push({ type: MessageType.ZeroRanges, ranges: [[start, end]] });
        for (let a = start; a < end; a += 4096n) if (!set.has(a)) this.memory.set(a, new Uint8Array(4096));
      }
      dirty = [...set];
    }
    const data = new Uint8Array(dirty.length * 4096);
    dirty.forEach((a, i) => data.set(this.memory.get(a)!, i * 4096));
    out.push({ type: MessageType.Pages, addrs: dirty, data, pageSize: 4096 });
    for (let t = 0; t < this.threads; t++) {
      const { gp, fp } = SyntheticProgram.registers(k, t);
      out.push({ type: MessageType.Regs, tid: 4242 + t, gp, fp });
    }
    out.push({ type: MessageType.CheckpointEnd, seq: BigInt(k), pageCount: dirty.length, threadCount: this.threads });
    return out;
  }

  /** Terminal output produced at checkpoint k, if any. */
  output(k: number): Uint8Array | null {
    const every = this.opts.outputEvery ?? 0;
    return every > 0 && k % every === 0 ? new TextEncoder().encode(`step ${k}\n`) : null;
  }
}

export interface SyntheticResult {
  readonly checkpoints: number;
  readonly elapsedMs: number;
  readonly stats: RecordingStats;
}

/**
 * Writes an N-checkpoint synthetic recording into dir (created; must not exist)
 * through the real writer, flushing every 1000 checkpoints, and closes it.
 */
export async function writeSyntheticRecording(dir: string, opts: SyntheticOptions, writerOpts: WriterOptions = {}): Promise<SyntheticResult> {
  const t0 = performance.now();
  const w = await RecordingWriter.create(dir, { deferWrites: true, ...writerOpts });
  const prog = new SyntheticProgram(opts);
  w.ingest(prog.hello());
  for (let k = 0; k < opts.checkpoints; k++) {
    for (const m of prog.checkpoint(k)) w.ingest(m);
    const o = prog.output(k);
    if (o) w.appendOutput(o);
    if (k % 1000 === 999) w.flush();
  }
  w.ingest({ type: MessageType.Exit, kind: 0, code: 0 });
  w.close();
  return { checkpoints: opts.checkpoints, elapsedMs: performance.now() - t0, stats: w.stats };
}
