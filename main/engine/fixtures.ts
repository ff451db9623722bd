/**
 * Hand-built recordings for engine tests and benchmarks: a thin layer over the real
 * RecordingWriter that speaks the recorder's wire messages, so what the engine reads back went
 * through the same store code a real recording does. Pages are given as (address, bytes) and
 * filled into 4 KiB pages; maps as MapEntry lists; registers as GP values by name.
 *
 * Not used by the product; tests and bench/ import it.
 */
import { statSync } from 'node:fs';
import type { MapEntry } from '../../shared/model/recording.js';
import { MessageType, Trigger, WIRE_VERSION, type TriggerCode } from '../../shared/protocol/wire.js';
import { RecordingWriter } from '../store/writer.js';
import { GP_NAMES, USER_REGS_SIZE, type GpName } from './registers.js';

export const PAGE = 4096n;

export interface ThreadSpec {
  readonly tid: number;
  readonly regs?: Partial<Record<GpName, bigint>>;
  readonly fp?: Uint8Array;
}

export interface CheckpointSpec {
  /** Whole pages: page address -> 4096 bytes (or fewer: zero-filled). */
  readonly pages?: ReadonlyArray<readonly [bigint, Uint8Array]>;
  /** The memory map from this checkpoint on (omitted: unchanged). */
  readonly maps?: readonly MapEntry[];
  readonly threads?: readonly ThreadSpec[];
  readonly trigger?: TriggerCode;
  readonly detail?: bigint;
}

/** A MapEntry for a plain anonymous rw mapping. */
export function anon(start: bigint, end: bigint, perms = 'rw-p'): MapEntry {
  return { start, end, perms, offset: 0n, dev: '00:00', inode: 0, path: '' };
}

/** MapEntries placing an ELF file at `base` the way ld.so does (one mapping per PT_LOAD, roughly). */
export function fileMapping(path: string, start: bigint, end: bigint, offset = 0n, perms = 'r--p'): MapEntry {
  return { start, end, perms, offset, dev: '08:01', inode: statSync(path).ino, path };
}

export function mapsText(maps: readonly MapEntry[]): string {
  const h = (v: bigint, w: number): string => v.toString(16).padStart(w, '0');
  return maps.map((m) => `${h(m.start, 8)}-${h(m.end, 8)} ${m.perms} ${h(m.offset, 8)} ${m.dev} ${m.inode}${m.path ? ' '.repeat(10) + m.path : ''}\n`).join('');
}

/** user_regs_struct bytes from named values (others zero). */
export function gpBytes(regs: Partial<Record<GpName, bigint>>): Uint8Array {
  const b = new Uint8Array(USER_REGS_SIZE);
  const v = new DataView(b.buffer);
  GP_NAMES.forEach((name, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, regs[name] ?? 0n), true));
  return b;
}

/** A page of zeros with little-endian integers written at offsets: page({ 0: 5n, 8: [0x1234n, 8] }). */
export function page(values: Record<number, bigint | number | readonly [bigint | number, 1 | 2 | 4 | 8]>): Uint8Array {
  const b = new Uint8Array(Number(PAGE));
  const v = new DataView(b.buffer);
  for (const [off, spec] of Object.entries(values)) {
    const [val, size] = Array.isArray(spec) ? (spec as readonly [bigint | number, number]) : [spec as bigint | number, 4];
    const n = BigInt(val);
    const o = Number(off);
    if (size === 1) v.setUint8(o, Number(BigInt.asUintN(8, n)));
    else if (size === 2) v.setUint16(o, Number(BigInt.asUintN(16, n)), true);
    else if (size === 4) v.setUint32(o, Number(BigInt.asUintN(32, n)), true);
    else v.setBigUint64(o, BigInt.asUintN(64, n), true);
  }
  return b;
}

export class RecordingBuilder {
  private seq = 0;

  private constructor(
    readonly dir: string,
    private readonly writer: RecordingWriter,
    readonly pid: number,
  ) {}

  static async create(dir: string, opts: { program?: string; pid?: number; maps?: readonly MapEntry[] } = {}): Promise<RecordingBuilder> {
    const writer = await RecordingWriter.create(dir);
    const pid = opts.pid ?? 4242;
    writer.ingest({ type: MessageType.Hello, version: WIRE_VERSION, pageSize: 4096, pid, backend: 2, flags: 0, exe: opts.program ?? '/synthetic', cwd: '/', argv: [opts.program ?? '/synthetic'] });
    return new RecordingBuilder(dir, writer, pid);
  }

  get count(): number {
    return this.seq;
  }

  /** Commits one checkpoint; returns its index. */
  checkpoint(spec: CheckpointSpec = {}): number {
    const w = this.writer;
    const seq = this.seq++;
    if (spec.maps) w.ingest({ type: MessageType.Maps, text: mapsText(spec.maps) });
    w.ingest({ type: MessageType.CheckpointBegin, seq: BigInt(seq), timeNs: BigInt(seq) * 1000n, trigger: spec.trigger ?? Trigger.Syscall, tid: this.pid, detail: spec.detail ?? 1n, args: [0n, 0n, 0n, 0n, 0n, 0n] });
    const pages = spec.pages ?? [];
    if (pages.length > 0) {
      const data = new Uint8Array(pages.length * 4096);
      pages.forEach(([, bytes], i) => data.set(bytes.subarray(0, 4096), i * 4096));
      w.ingest({ type: MessageType.Pages, addrs: pages.map(([a]) => a), data, pageSize: 4096 });
    }
    const threads = spec.threads ?? [{ tid: this.pid }];
    for (const t of threads) w.ingest({ type: MessageType.Regs, tid: t.tid, gp: gpBytes(t.regs ?? {}), fp: t.fp ?? new Uint8Array(0) });
    w.ingest({ type: MessageType.CheckpointEnd, seq: BigInt(seq), pageCount: pages.length, threadCount: threads.length });
    return seq;
  }

  close(exitCode = 0): void {
    this.writer.ingest({ type: MessageType.Exit, kind: 0, code: exitCode });
    this.writer.close();
  }
}
