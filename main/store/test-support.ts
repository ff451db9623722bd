/**
 * Helpers for the store's tests (and anyone else's that need a recording): temporary
 * directories, WireMessage builders, and a check that a reader returns exactly what a
 * SyntheticProgram wrote. No mocks: everything goes through the real writer and files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, MessageType, Trigger, WIRE_VERSION, type TriggerCode, type WireMessage } from '../../shared/protocol/wire.js';
import { SyntheticProgram, type SyntheticOptions } from './synthetic.js';
import { LostError, type RecordingReader } from './types.js';

/** A fresh directory under os.tmpdir(); remove it with cleanup(). */
export function tempDir(prefix = 'dlr-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const msg = {
  hello: (over: Partial<Extract<WireMessage, { type: typeof MessageType.Hello }>> = {}): WireMessage => ({
    type: MessageType.Hello,
    version: WIRE_VERSION,
    pageSize: 4096,
    pid: 777,
    backend: Backend.SoftDirty,
    flags: 0,
    exe: '/bin/prog',
    cwd: '/home/u',
    argv: ['prog', 'a b'],
    ...over,
  }),
  maps: (text: string): WireMessage => ({ type: MessageType.Maps, text }),
  begin: (seq: number, trigger: TriggerCode = Trigger.Interval, detail = 0n, args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n]): WireMessage => ({
    type: MessageType.CheckpointBegin,
    seq: BigInt(seq),
    timeNs: 1000n + BigInt(seq) * 10n,
    trigger,
    tid: 777,
    detail,
    args,
  }),
  pages: (pages: ReadonlyArray<readonly [bigint, Uint8Array]>): WireMessage => {
    const data = new Uint8Array(pages.length * 4096);
    pages.forEach(([, p], i) => data.set(p, i * 4096));
    return { type: MessageType.Pages, addrs: pages.map(([a]) => a), data, pageSize: 4096 };
  },
  regs: (tid: number, fill: number, gpSize = 216, fpSize = 512): WireMessage => ({
    type: MessageType.Regs,
    tid,
    gp: Uint8Array.from({ length: gpSize }, (_, i) => (i * 7 + fill) & 0xff),
    fp: Uint8Array.from({ length: fpSize }, (_, i) => (i < 32 ? fill : 0)),
  }),
  zero: (ranges: Array<[bigint, bigint]>): WireMessage => ({ type: MessageType.ZeroRanges, ranges }),
  end: (seq: number, pageCount: number, threadCount: number): WireMessage => ({ type: MessageType.CheckpointEnd, seq: BigInt(seq), pageCount, threadCount }),
};

/** A page filled by f(i). */
export const page = (f: (i: number) => number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => f(i) & 0xff);

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Expected memory of a small synthetic recording at every checkpoint, memoized by options. */
const timelines = new Map<string, Array<Map<bigint, Uint8Array>>>();
function timeline(opts: SyntheticOptions): Array<Map<bigint, Uint8Array>> | null {
  const key = JSON.stringify(opts);
  const hit = timelines.get(key);
  if (hit) return hit;
  const prog = new SyntheticProgram(opts);
  if (opts.checkpoints * prog.memory.size > 4096) return null; // too big to keep: step instead
  const states: Array<Map<bigint, Uint8Array>> = [];
  for (let k = 0; k < opts.checkpoints; k++) {
    prog.checkpoint(k);
    states.push(new Map([...prog.memory].map(([a, c]) => [a, c.slice()])));
  }
  timelines.set(key, states);
  return states;
}

/**
 * Checks that checkpoints [0, r.checkpointCount) of `r` hold exactly what a SyntheticProgram
 * with `opts` generated: every page, the registers, the counter (every `every`-th checkpoint
 * and the last). Returns a description of the first difference, or null.
 */
export function verifySynthetic(r: RecordingReader, opts: SyntheticOptions, every = 1): string | null {
  const states = timeline(opts);
  const prog = states ? null : new SyntheticProgram(opts);
  const threads = opts.threads ?? 1;
  let stepped = 0;
  for (let k = 0; k < r.checkpointCount; k++) {
    // After checkpoints lost to damage, checkpoint k is the one the program numbered `at`.
    const at = r.recordedIndex(k);
    while (prog && stepped <= at) prog.checkpoint(stepped++);
    if (k % every !== 0 && k !== r.checkpointCount - 1) continue;
    const memory = states ? states[at]! : prog!.memory;
    for (const [addr, content] of memory) {
      let got: Uint8Array;
      try {
        got = r.pageAt(k, addr);
      } catch (e) {
        if (e instanceof LostError) continue; // unknown, and said so
        throw e;
      }
      if (!equalBytes(got, content)) return `page 0x${addr.toString(16)} differs at checkpoint ${k}`;
    }
    const regs = r.registersAt(k);
    if (regs.length !== threads) return `checkpoint ${k} has ${regs.length} threads`;
    for (let t = 0; t < threads; t++) {
      const want = SyntheticProgram.registers(at, t);
      if (regs[t]!.tid !== 4242 + t || !equalBytes(regs[t]!.gp, want.gp) || !equalBytes(regs[t]!.fp, want.fp)) return `registers of thread ${t} differ at checkpoint ${k}`;
    }
    if (r.checkpoint(k).index !== k) return `checkpoint ${k} has the wrong index`;
  }
  return null;
}
