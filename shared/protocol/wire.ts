/**
 * The recorder's wire protocol: how native-recorder streams checkpoints to the main process.
 *
 * One definition per side: this file and native-recorder/include/wire.h. The golden test
 * (wire.golden.test.ts here, tests/wire_golden.c there) encodes the same messages on both
 * sides and compares them with shared/protocol/golden.bin, so the two cannot drift.
 * Bump WIRE_VERSION whenever a byte below changes.
 *
 * Every message is a 12-byte little-endian header, then `length` body bytes:
 *
 *   0       4       6       8          12
 *   +-------+-------+-------+----------+------------------+
 *   | magic | type  | flags |  length  |  body ...        |
 *   | "DLRW"|  u16  |  u16  |   u32    |                  |
 *   +-------+-------+-------+----------+------------------+
 *
 * A checkpoint is CHECKPOINT_BEGIN, then any of OUTPUT / MAPS / ZERO_RANGES / PAGES / REGS, then
 * CHECKPOINT_END with the same sequence number. Nothing of a checkpoint counts until its END.
 * OUTPUT inside a checkpoint is what the program wrote to its terminal since the previous one
 * (before this stop); outside a checkpoint (only at the end, before EXIT) it came after the
 * last checkpoint.
 * Strings are u32 length + bytes (UTF-8 when text, but paths are bytes).
 */
import { ByteReader, ByteWriter, utf8 } from '../bytes.js';

export const WIRE_MAGIC = 0x57524c44; // "DLRW" read as a little-endian u32
export const WIRE_VERSION = 2;
export const HEADER_SIZE = 12;
/** Largest body we accept: a PAGES batch of 1024 pages is ~4.2 MiB; anything past this is garbage. */
export const MAX_BODY = 64 * 1024 * 1024;

export const MessageType = {
  // recorder -> main
  Hello: 1, // u32 version, u32 pageSize, i32 pid, u32 backend, u32 flags, u32 argc, str exe, str cwd, str argv[argc]
  Maps: 2, // the text of /proc/PID/maps, whole, sent when it changed (and at checkpoint 0)
  CheckpointBegin: 3, // u64 seq, u64 timeNs (CLOCK_MONOTONIC), u32 trigger, u32 tid, u64 detail, u64 args[6]
  Pages: 4, // u32 count, u32 0, u64 addr[count], u8 data[count][pageSize]
  Regs: 5, // u32 tid, u32 gpSize, u32 fpSize, u32 0, gp bytes (user_regs_struct), fp bytes (XSAVE area)
  CheckpointEnd: 6, // u64 seq, u32 pageCount, u32 threadCount
  Exit: 7, // u32 kind (ExitKind), i32 code or signal number
  Error: 8, // u32 errno (0 if none), u32 fatal (0 = warning), str message
  Exec: 9, // str new executable path; a checkpoint with trigger Exec and a full snapshot follows
  ZeroRanges: 10, // u32 count, u32 0, (u64 start, u64 end)[count]: pages in these ranges not sent in this checkpoint read as zero from here on
  Output: 11, // raw bytes the program wrote to its terminal (the recorder's pty; none when attached)
  // main -> recorder
  RequestCheckpoint: 32,
  Pause: 33,
  Resume: 34,
  Stop: 35, // u32 action (0 = detach and let it run, 1 = kill)
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const Backend = { UffdWp: 0, SoftDirty: 1, Hash: 2 } as const;
export type BackendCode = (typeof Backend)[keyof typeof Backend];
export const BACKEND_NAMES = ['uffd-wp', 'soft-dirty', 'hash'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const HelloFlags = { Attached: 1 } as const;

/** What stopped the program for a checkpoint. `detail` means: syscall number, breakpoint address, signal, exit code. */
export const Trigger = {
  Start: 0,
  Syscall: 1,
  Interval: 2,
  Breakpoint: 3,
  Request: 4,
  Exit: 5, // detail = exit code; the process is about to exit, memory intact
  Signal: 6, // detail = fatal signal number; memory as the signal found it
  Exec: 7, // detail = 0; the new image's first instruction
} as const;
export type TriggerCode = (typeof Trigger)[keyof typeof Trigger];
export const TRIGGER_NAMES = ['start', 'syscall', 'interval', 'breakpoint', 'request', 'exit', 'signal', 'exec'] as const;
export type TriggerName = (typeof TRIGGER_NAMES)[number];

export const ExitKind = { Exited: 0, Signaled: 1, Detached: 2 } as const;

export type WireMessage =
  | {
      type: typeof MessageType.Hello;
      version: number;
      pageSize: number;
      pid: number;
      backend: BackendCode;
      flags: number;
      exe: string;
      cwd: string;
      argv: string[];
    }
  | { type: typeof MessageType.Maps; text: string }
  | {
      type: typeof MessageType.CheckpointBegin;
      seq: bigint;
      timeNs: bigint;
      trigger: TriggerCode;
      tid: number;
      detail: bigint;
      args: bigint[];
    }
  | { type: typeof MessageType.Pages; addrs: bigint[]; data: Uint8Array; pageSize: number }
  | { type: typeof MessageType.Regs; tid: number; gp: Uint8Array; fp: Uint8Array }
  | { type: typeof MessageType.CheckpointEnd; seq: bigint; pageCount: number; threadCount: number }
  | { type: typeof MessageType.Exit; kind: number; code: number }
  | { type: typeof MessageType.Error; errno: number; fatal: boolean; message: string }
  | { type: typeof MessageType.Exec; exe: string }
  | { type: typeof MessageType.ZeroRanges; ranges: Array<[bigint, bigint]> }
  | { type: typeof MessageType.Output; data: Uint8Array }
  | { type: typeof MessageType.RequestCheckpoint }
  | { type: typeof MessageType.Pause }
  | { type: typeof MessageType.Resume }
  | { type: typeof MessageType.Stop; action: number };

export class WireError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`wire protocol: ${message} (at byte ${offset})`);
    this.name = 'WireError';
  }
}


function decodeBody(type: number, body: Uint8Array, base: number): WireMessage {
  const r = new ByteReader(body, (message, pos) => {
    throw new WireError(message, base + pos);
  });
  let m: WireMessage;
  switch (type) {
    case MessageType.Hello: {
      const version = r.u32('version');
      if (version !== WIRE_VERSION) throw new WireError(`recorder speaks protocol ${version}, expected ${WIRE_VERSION}`, base);
      const pageSize = r.u32('page size');
      if (pageSize !== 4096) throw new WireError(`unsupported page size ${pageSize}`, base + 4);
      const pid = r.i32('pid');
      const backend = r.u32('backend');
      if (backend > 2) throw new WireError(`unknown backend ${backend}`, base + 12);
      const flags = r.u32('flags');
      const argc = r.u32('argc');
      if (argc > 65536) throw new WireError(`implausible argc ${argc}`, base + 20);
      const exe = r.str('exe');
      const cwd = r.str('cwd');
      const argv: string[] = [];
      for (let i = 0; i < argc; i++) argv.push(r.str('argv'));
      m = { type, version, pageSize, pid, backend: backend as BackendCode, flags, exe, cwd, argv };
      break;
    }
    case MessageType.Maps:
      return { type, text: utf8.decode(body) };
    case MessageType.CheckpointBegin: {
      const seq = r.u64('seq');
      const timeNs = r.u64('time');
      const trigger = r.u32('trigger');
      if (trigger >= TRIGGER_NAMES.length) throw new WireError(`unknown trigger ${trigger}`, base + 16);
      const tid = r.u32('tid');
      const detail = r.u64('detail');
      const args: bigint[] = [];
      for (let i = 0; i < 6; i++) args.push(r.u64('args'));
      m = { type, seq, timeNs, trigger: trigger as TriggerCode, tid, detail, args };
      break;
    }
    case MessageType.Pages: {
      const count = r.u32('page count');
      r.u32('reserved');
      const pageSize = 4096;
      if (count * (8 + pageSize) !== body.length - 8) throw new WireError(`pages body of ${body.length} bytes does not hold ${count} pages`, base);
      const addrs: bigint[] = [];
      for (let i = 0; i < count; i++) {
        const a = r.u64('page address');
        if (a % 4096n !== 0n) throw new WireError(`unaligned page address 0x${a.toString(16)}`, base + 8 + i * 8);
        addrs.push(a);
      }
      const data = r.bytes(count * pageSize, 'page data');
      m = { type, addrs, data, pageSize };
      break;
    }
    case MessageType.Regs: {
      const tid = r.u32('tid');
      const gpSize = r.u32('gp size');
      const fpSize = r.u32('fp size');
      r.u32('reserved');
      if (gpSize > 4096 || fpSize > 65536) throw new WireError(`implausible register sizes ${gpSize}/${fpSize}`, base + 4);
      const gp = r.bytes(gpSize, 'gp registers');
      const fp = r.bytes(fpSize, 'fp registers');
      m = { type, tid, gp, fp };
      break;
    }
    case MessageType.CheckpointEnd:
      m = { type, seq: r.u64('seq'), pageCount: r.u32('page count'), threadCount: r.u32('thread count') };
      break;
    case MessageType.Exit:
      m = { type, kind: r.u32('exit kind'), code: r.i32('exit code') };
      break;
    case MessageType.Error:
      m = { type, errno: r.u32('errno'), fatal: r.u32('fatal') !== 0, message: r.str('message') };
      break;
    case MessageType.Exec:
      m = { type, exe: r.str('exe') };
      break;
    case MessageType.ZeroRanges: {
      const count = r.u32('range count');
      r.u32('reserved');
      if (count * 16 !== body.length - 8) throw new WireError(`zero-ranges body of ${body.length} bytes does not hold ${count} ranges`, base);
      const ranges: Array<[bigint, bigint]> = [];
      for (let i = 0; i < count; i++) ranges.push([r.u64('range start'), r.u64('range end')]);
      m = { type, ranges };
      break;
    }
    case MessageType.Output:
      return { type, data: body };
    case MessageType.RequestCheckpoint:
    case MessageType.Pause:
    case MessageType.Resume:
      m = { type };
      break;
    case MessageType.Stop:
      m = { type, action: r.u32('stop action') };
      break;
    default:
      throw new WireError(`unknown message type ${type}`, base - HEADER_SIZE + 4);
  }
  r.end(`message type ${type}`);
  return m;
}

/**
 * Incremental decoder for a byte stream: push chunks as they arrive, take whole messages out.
 * Garbage (bad magic, unknown type, oversize length, malformed body) throws a WireError naming
 * the stream offset; after an error the stream is unusable (we never resynchronise on garbage).
 */
export class WireDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private consumed = 0; // stream offset of the first buffered byte

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received but not yet part of a whole message (non-zero at end of stream = truncated). */
  get pending(): number {
    return this.buffered;
  }

  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      this.consumed += n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - filled);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    this.consumed += n;
    return out;
  }

  private peekHeader(): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= HEADER_SIZE) return first.subarray(0, HEADER_SIZE);
    const h = new Uint8Array(HEADER_SIZE);
    let filled = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, HEADER_SIZE - filled);
      h.set(c.subarray(0, k), filled);
      filled += k;
      if (filled === HEADER_SIZE) break;
    }
    return h;
  }

  /** The next whole message, or null if more bytes are needed. */
  next(): WireMessage | null {
    if (this.buffered < HEADER_SIZE) return null;
    const h = this.peekHeader();
    const dv = new DataView(h.buffer, h.byteOffset, HEADER_SIZE);
    const magic = dv.getUint32(0, true);
    if (magic !== WIRE_MAGIC) throw new WireError(`bad magic 0x${magic.toString(16)}`, this.consumed);
    const type = dv.getUint16(4, true);
    const length = dv.getUint32(8, true);
    if (length > MAX_BODY) throw new WireError(`message length ${length} exceeds ${MAX_BODY}`, this.consumed + 8);
    if (this.buffered < HEADER_SIZE + length) return null;
    const base = this.consumed + HEADER_SIZE;
    this.take(HEADER_SIZE);
    return decodeBody(type, this.take(length), base);
  }

  /** Decodes a whole buffer that must hold only complete messages. */
  static decodeAll(bytes: Uint8Array): WireMessage[] {
    const d = new WireDecoder();
    d.push(bytes);
    const out: WireMessage[] = [];
    for (let m = d.next(); m; m = d.next()) out.push(m);
    if (d.pending) throw new WireError(`truncated message (${d.pending} bytes left over)`, d.consumed);
    return out;
  }
}

export function encodeMessage(m: WireMessage): Uint8Array {
  const b = new ByteWriter();
  switch (m.type) {
    case MessageType.Hello:
      b.u32(m.version);
      b.u32(m.pageSize);
      b.i32(m.pid);
      b.u32(m.backend);
      b.u32(m.flags);
      b.u32(m.argv.length);
      b.str(m.exe);
      b.str(m.cwd);
      for (const a of m.argv) b.str(a);
      break;
    case MessageType.Maps:
      b.bytes(utf8.encode(m.text));
      break;
    case MessageType.CheckpointBegin:
      b.u64(m.seq);
      b.u64(m.timeNs);
      b.u32(m.trigger);
      b.u32(m.tid);
      b.u64(m.detail);
      for (let i = 0; i < 6; i++) b.u64(m.args[i] ?? 0n);
      break;
    case MessageType.Pages:
      b.u32(m.addrs.length);
      b.u32(0);
      for (const a of m.addrs) b.u64(a);
      b.bytes(m.data);
      break;
    case MessageType.Regs:
      b.u32(m.tid);
      b.u32(m.gp.length);
      b.u32(m.fp.length);
      b.u32(0);
      b.bytes(m.gp);
      b.bytes(m.fp);
      break;
    case MessageType.CheckpointEnd:
      b.u64(m.seq);
      b.u32(m.pageCount);
      b.u32(m.threadCount);
      break;
    case MessageType.Exit:
      b.u32(m.kind);
      b.i32(m.code);
      break;
    case MessageType.Error:
      b.u32(m.errno);
      b.u32(m.fatal ? 1 : 0);
      b.str(m.message);
      break;
    case MessageType.Exec:
      b.str(m.exe);
      break;
    case MessageType.ZeroRanges:
      b.u32(m.ranges.length);
      b.u32(0);
      for (const [s, e] of m.ranges) {
        b.u64(s);
        b.u64(e);
      }
      break;
    case MessageType.Output:
      b.bytes(m.data);
      break;
    case MessageType.Stop:
      b.u32(m.action);
      break;
    case MessageType.RequestCheckpoint:
    case MessageType.Pause:
    case MessageType.Resume:
      break;
  }
  const body = b.result();
  const out = new Uint8Array(HEADER_SIZE + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, WIRE_MAGIC, true);
  dv.setUint16(4, m.type, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, body.length, true);
  out.set(body, HEADER_SIZE);
  return out;
}
