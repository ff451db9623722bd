/**
 * One gdb client's view of a recording: the remote protocol's requests answered from the
 * store, with "execution" being movement between checkpoints.
 *
 * State: the current checkpoint k, the general thread (whose registers g and p read),
 * watchpoints and breakpoints. gdb takes the thread of every stop reply to be the general
 * thread from then on, and changes it only with Hg, so that is exactly when it changes here:
 * not when `monitor goto` lands where another thread triggered the checkpoint.
 *
 *   reads     g/p (registers, amd64.ts), m (memory at k; a read stops at the first page that
 *             is not mapped, E14 if that is the first byte), threads (qfThreadInfo, T, qC) are
 *             the threads recorded at k; qXfer gives target.xml, the auxv (so gdb relocates a
 *             PIE executable and finds ld.so, process.ts) and the executable's path.
 *   writes    G, P, M, X are refused (E01): a recording is history.
 *   forward   c / vCont;c: to the first checkpoint after k where a watched range's bytes
 *             differ from the checkpoint before (Z2 write and Z4 access watchpoints; only
 *             changes are recorded, so Z3 read watchpoints are refused), or where some
 *             thread's rip is a breakpoint address (Z0/Z1: checkpoints only, so a breakpoint
 *             hits only where the recording stopped exactly there, e.g. --break triggers, or
 *             `break *$pc` at a syscall). With no watchpoint or breakpoint, one checkpoint
 *             (gdb itself always has a breakpoint in the dynamic linker inserted, so under gdb
 *             a continue without watchpoints runs to a hit or the end). Nothing found: the
 *             last checkpoint, reported as `replaylog:end` ("No more reverse-execution history").
 *   backward  bc: to the last checkpoint before k from which going forward one checkpoint
 *             changes a watched range (the value just before the change, as in a reverse
 *             debugger: see search()), or where a breakpoint hits; `replaylog:begin` at 0.
 *   step      s / vCont;s and bs: one checkpoint (stepi and reverse-stepi). `next` and `step`
 *             are not meaningful at checkpoint granularity.
 *   goto      qRcmd `monitor goto K`, `monitor info`, `monitor help`, output in O packets.
 *             gdb does not expect a monitor command to move the target: memory reads show
 *             checkpoint K at once, registers and frames only after `maintenance flush
 *             register-cache` (flushregs) or the next stop.
 *
 * Watch candidates come from the store's per-page version lists (a watched range can only
 * change at a version of one of its pages), so a continue costs a few binary searches and
 * byte comparisons however long the recording. Breakpoints must look at every checkpoint's
 * registers; that loop yields to the event loop and honours Ctrl-C (interrupt()).
 *
 * gdb reads the shared library list when it connects and then only at the dynamic linker's
 * event breakpoint, which a recording never stops at, and reloading it would reset the old
 * values of watchpoints. So qXfer:libraries-svr4 always answers with the list as of the last
 * checkpoint (process.ts reads it from the dynamic linker's memory): every library the
 * program ended up with, at the addresses it had, known from the start. A library unloaded
 * before the end (dlclose) is not in it.
 */
import { UnmappedError, type RecordingReader } from '../store/types.js';
import type { ThreadRegisters } from '../../shared/model/recording.js';
import { decodeGp } from '../engine/registers.js';
import { readAllRegisters, readRegister, TARGET_XML } from './amd64.js';
import { findAuxv, linkMapAt, orderedThreads, PAGE_SIZE, signalAt } from './process.js';
import { encodeBinaryPacket, encodePacket, fromHex, MAX_PACKET, parseHexNumber, toHex } from './rsp.js';
import { lowerBound, upperBound } from '../../shared/sorted.js';
import { checkpointOutOfRange } from '../../shared/api/format.js';

const SIGINT = 2;
const SIGTRAP = 5;
const E_MEMORY = 'E14'; // EFAULT, what gdbserver answers for unreadable memory
const E_REQUEST = 'E01';
const YIELD_MS = 20;
const MAX_WATCH = 1 << 20; // bytes under one watchpoint (compared at every candidate)

type Direction = 1 | -1;

type StopReason =
  | { readonly kind: 'initial' | 'step' }
  | { readonly kind: 'watch'; readonly address: bigint }
  | { readonly kind: 'break' }
  | { readonly kind: 'history-end'; readonly direction: Direction }
  | { readonly kind: 'interrupt' };

interface Watch {
  readonly address: bigint;
  readonly len: number;
}

export interface SessionReply {
  /** Framed packets to send, in order. */
  readonly packets: Buffer[];
  /** After sending: stop acknowledging (QStartNoAckMode), or hang up (D, k). */
  readonly after?: 'no-ack' | 'close';
}

export class GdbSession {
  /** The current checkpoint. */
  k: number;
  private stopTid: number; // the thread the last stop reply named
  private general: number; // Hg
  private readonly watches = new Map<string, Watch>();
  private readonly breakpoints = new Map<bigint, number>(); // address -> insertions (Z0 and Z1 may overlap)
  private interrupted = false;

  constructor(
    readonly reader: RecordingReader,
    at: number,
    private readonly log: (line: string) => void = () => {},
    /** Told each time the session moves to another checkpoint. */
    private readonly onMove: (k: number) => void = () => {},
  ) {
    if (reader.checkpointCount === 0) throw new RangeError('the recording has no checkpoints');
    if (!Number.isInteger(at) || at < 0 || at >= reader.checkpointCount) throw new RangeError(checkpointOutOfRange(at, reader.checkpointCount));
    this.k = at;
    this.stopTid = this.stopThread(at);
    this.general = this.stopTid;
  }

  /** Ctrl-C from gdb: a running search (or the next one, if it came with the resume) stops where it is. */
  interrupt(): void {
    this.interrupted = true;
  }

  /** Answers one packet. Never throws: a malformed request gets an error reply. */
  async handle(payload: string): Promise<SessionReply> {
    try {
      return await this.dispatch(payload);
    } catch (e) {
      if (!(e instanceof RangeError)) this.log(`error answering ${JSON.stringify(payload.slice(0, 60))}: ${e instanceof Error ? e.message : String(e)}`);
      return text(E_REQUEST);
    }
  }

  private async dispatch(p: string): Promise<SessionReply> {
    const [head, rest] = [p[0] ?? '', p.slice(1)];
    switch (head) {
      case '?':
        return text(this.stopReply({ kind: 'initial' }));
      case 'g':
        return text(toHex(readAllRegisters(this.registerThread())));
      case 'p':
        return text(toHex(readRegister(this.registerThread(), Number(parseHexNumber(rest, 'register number')))));
      case 'm':
        return text(this.readMemory(rest));
      case 'G':
      case 'P':
      case 'M':
      case 'X':
        return text(E_REQUEST); // history cannot be written
      case 'H':
        return text(this.selectThread(rest));
      case 'T':
        return text(this.threadAt(Number(parseHexNumber(rest, 'thread id'))) ? 'OK' : E_REQUEST);
      case 'Z':
      case 'z':
        return text(this.breakOrWatch(head === 'Z', rest));
      case 'c':
      case 's':
        // "c ADDR": resume somewhere else, which history cannot do
        return text(rest === '' ? await this.resume(1, head === 's') : E_REQUEST);
      case 'C':
      case 'S':
        // the signal to deliver is ignored: the recording already shows what the program did with it
        return text(/^[0-9a-fA-F]{2}$/.test(rest) ? await this.resume(1, head === 'S') : E_REQUEST);
      case 'b':
        if (rest === 'c' || rest === 's') return text(await this.resume(-1, rest === 's'));
        return text('');
      case 'D':
        return { packets: [encodePacket('OK')], after: 'close' };
      case 'k':
        return { packets: [], after: 'close' };
      case 'q':
      case 'Q':
      case 'v':
        return this.query(p);
      default:
        return text('');
    }
  }

  private async query(p: string): Promise<SessionReply> {
    if (p.startsWith('qSupported')) {
      return text(`PacketSize=${MAX_PACKET.toString(16)};QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;qXfer:libraries-svr4:read+;ReverseContinue+;ReverseStep+;swbreak+;hwbreak+`);
    }
    if (p === 'QStartNoAckMode') return { packets: [encodePacket('OK')], after: 'no-ack' };
    if (p === 'qC') return text(`QC${this.stopTid.toString(16)}`);
    if (p === 'qfThreadInfo') return text('m' + orderedThreads(this.reader, this.k).map((t) => t.tid.toString(16)).join(','));
    if (p === 'qsThreadInfo') return text('l');
    if (p === 'qAttached' || p.startsWith('qAttached:')) return text('1'); // quitting gdb detaches
    if (p.startsWith('qSymbol')) return text('OK');
    if (p.startsWith('qXfer:')) return this.xfer(p);
    if (p.startsWith('qRcmd,')) return this.monitor(Buffer.from(fromHex(p.slice(6))).toString('utf8'));
    if (p === 'vCont?') return text('vCont;c;C;s;S');
    if (p.startsWith('vCont;')) {
      const actions = p.slice(6).split(';');
      const stepping = actions.find((a) => a[0] === 's' || a[0] === 'S');
      if (stepping) {
        const tid = /:(?:p[0-9a-f]+\.)?([0-9a-f]+)$/i.exec(stepping)?.[1];
        return text(await this.resume(1, true, tid === undefined ? undefined : Number.parseInt(tid, 16)));
      }
      if (actions.some((a) => a[0] === 'c' || a[0] === 'C')) return text(await this.resume(1, false));
      return text(E_REQUEST);
    }
    if (p.startsWith('vKill')) return text('OK');
    return text(''); // unsupported: vFile (gdb then reads files locally), qOffsets, qTStatus...
  }

  // ------------------------------------------------------------------------------------------
  // Threads and registers

  private threadAt(tid: number): ThreadRegisters | undefined {
    return this.reader.registersAt(this.k).find((t) => t.tid === tid);
  }

  /** The thread to show at k: the one that triggered the checkpoint, else the main thread, else any. */
  private stopThread(k: number): number {
    return orderedThreads(this.reader, k)[0]?.tid ?? this.reader.meta.pid;
  }

  private registerThread(): ThreadRegisters {
    const t = this.threadAt(this.general);
    if (!t) throw new RangeError(`no thread ${this.general} at checkpoint ${this.k}`);
    return t;
  }

  private selectThread(rest: string): string {
    const op = rest[0];
    const id = rest.slice(1);
    if (op !== 'g' && op !== 'c') return '';
    if (op === 'c') return 'OK'; // resumption always moves every thread together
    if (id === '0' || id === '-1') {
      this.general = this.stopTid; // "any thread"
      return 'OK';
    }
    const tid = Number(parseHexNumber(id.replace(/^p[0-9a-f]+\./i, ''), 'thread id'));
    if (!this.threadAt(tid)) return E_REQUEST;
    this.general = tid;
    return 'OK';
  }

  // ------------------------------------------------------------------------------------------
  // Memory and transfers

  private readMemory(args: string): string {
    const [a, l] = args.split(',');
    const address = parseHexNumber(a ?? '', 'address');
    const len = Number(parseHexNumber(l ?? '', 'length'));
    if (len > MAX_PACKET / 2) throw new RangeError(`read of ${len} bytes is larger than the packet size`);
    if (address + BigInt(len) > 1n << 64n) return E_MEMORY;
    const out: Uint8Array[] = [];
    let done = 0;
    while (done < len) {
      const at = address + BigInt(done);
      const page = at - (at % BigInt(PAGE_SIZE));
      const n = Math.min(PAGE_SIZE - Number(at - page), len - done);
      try {
        out.push(this.reader.readMemory(this.k, at, n));
      } catch (e) {
        if (e instanceof UnmappedError) break;
        throw e;
      }
      done += n;
    }
    if (done === 0 && len > 0) return E_MEMORY;
    return out.map(toHex).join('');
  }

  private xfer(p: string): SessionReply {
    const m = /^qXfer:([\w-]+):read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
    if (!m) return text(/^qXfer:(features|auxv|exec-file|libraries-svr4):/.test(p) ? E_REQUEST : '');
    const [, object, annex, off, len] = m as unknown as [string, string, string, string, string];
    let data: Uint8Array | null;
    if (object === 'features') data = annex === 'target.xml' ? Buffer.from(TARGET_XML) : null;
    else if (object === 'auxv') data = findAuxv(this.reader, this.k);
    else if (object === 'exec-file') data = Buffer.from(this.reader.programAt(this.k));
    else if (object === 'libraries-svr4') data = annex === '' ? this.libraryList() : null; // an annex asks for an update after a linker event: gdb then reloads in full
    else return text('');
    if (!data) return text('E00');
    const start = Number(parseHexNumber(off, 'offset'));
    const want = Math.min(Number(parseHexNumber(len, 'length')), MAX_PACKET / 2);
    const chunk = data.subarray(Math.min(start, data.length), Math.min(start + want, data.length));
    return { packets: [encodeBinaryPacket(start + chunk.length < data.length ? 'm' : 'l', chunk)] };
  }

  private libraryList(): Uint8Array | null {
    const list = linkMapAt(this.reader, this.reader.checkpointCount - 1);
    if (!list) return null;
    const h = (v: bigint): string => '0x' + v.toString(16);
    const libs = list.libraries.map((l) => `<library name="${xmlEscape(l.name)}" lm="${h(l.lm)}" l_addr="${h(l.lAddr)}" l_ld="${h(l.lLd)}" lmid="0x0"/>`);
    return Buffer.from(`<library-list-svr4 version="1.0" main-lm="${h(list.mainLm)}">${libs.join('')}</library-list-svr4>`);
  }

  // ------------------------------------------------------------------------------------------
  // Breakpoints and watchpoints

  private breakOrWatch(insert: boolean, rest: string): string {
    const [type, a, kind] = rest.split(/[,;]/);
    const address = parseHexNumber(a ?? '', 'address');
    const len = Number(parseHexNumber(kind ?? '', 'length'));
    if (type === '0' || type === '1') {
      const n = this.breakpoints.get(address) ?? 0;
      if (insert) this.breakpoints.set(address, n + 1);
      else if (n <= 1) this.breakpoints.delete(address);
      else this.breakpoints.set(address, n - 1);
      return 'OK';
    }
    if (type === '2' || type === '4') {
      if (len < 1 || len > MAX_WATCH) return E_REQUEST;
      const key = `${type},${address},${len}`;
      if (insert) this.watches.set(key, { address, len });
      else this.watches.delete(key);
      return 'OK';
    }
    return E_REQUEST; // read watchpoints (Z3): reads are not recorded
  }

  /** The watch whose bytes at c differ from those at c - 1 (c >= 1), if any. */
  private watchChangedAt(c: number, before = c - 1): Watch | null {
    for (const w of this.watches.values()) {
      if (!sameBytes(this.bytesAt(before, w), this.bytesAt(c, w))) return w;
    }
    return null;
  }

  private bytesAt(k: number, w: Watch): Uint8Array | null {
    try {
      return this.reader.readMemory(k, w.address, w.len);
    } catch (e) {
      if (e instanceof UnmappedError) return null;
      throw e;
    }
  }

  /** Version lists of every page under a watch. */
  private watchedVersions(): Uint32Array[] {
    const pages = new Set<bigint>();
    for (const w of this.watches.values()) {
      for (let p = w.address - (w.address % BigInt(PAGE_SIZE)); p < w.address + BigInt(w.len); p += BigInt(PAGE_SIZE)) pages.add(p);
    }
    return [...pages].map((p) => this.reader.versionsOf(p));
  }

  private breakpointHit(c: number): number | null {
    if (this.breakpoints.size === 0) return null;
    for (const t of this.reader.registersAt(c)) if (this.breakpoints.has(decodeGp(t.gp).rip)) return t.tid;
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // Moving through the recording

  /** `stepTid`: the thread gdb steps (default the general thread); a step stops in it if it still exists. */
  private async resume(direction: Direction, step: boolean, stepTid = this.general): Promise<string> {
    this.reader.refresh();
    if (!step && (this.watches.size > 0 || this.breakpoints.size > 0)) return this.stopReply(await this.search(direction));
    const reason = this.step(direction);
    if (reason.kind !== 'break' && this.threadAt(stepTid)) this.stopTid = stepTid;
    return this.stopReply(reason);
  }

  private step(direction: Direction): StopReason {
    const to = this.k + direction;
    if (to < 0 || to >= this.reader.checkpointCount) return { kind: 'history-end', direction };
    const from = this.k;
    this.moveTo(to);
    const w = this.watches.size > 0 ? this.watchChangedAt(to, from) : null;
    if (w) return { kind: 'watch', address: w.address };
    const tid = this.breakpointHit(to);
    if (tid === null) return { kind: 'step' };
    this.stopTid = tid;
    return { kind: 'break' };
  }

  /**
   * The nearest checkpoint in the direction of travel where a watched value differs from where
   * the previous step of the journey was, or where a breakpoint hits. A change "at p" means the
   * bytes at p differ from those at p - 1: going forward the stop is p (the new value), going
   * backward it is p - 1 (the value before the change), just as a reverse debugger stops with
   * the write undone. gdb checks the watched value itself at every stop and keeps going when
   * it equals the old one, so a stop must always follow a change it has not yet seen.
   *
   * With watchpoints only, the candidates are the watched pages' versions (binary searches);
   * breakpoints need every checkpoint's registers.
   */
  private async search(direction: Direction): Promise<StopReason> {
    const last = this.reader.checkpointCount - 1;
    const versions = this.watchedVersions();
    const linear = this.breakpoints.size > 0;
    // A landing checkpoint c and the change point p that leads there.
    const changeFor = (c: number): number => (direction === 1 ? c : c + 1);
    const landingFor = (p: number): number => (direction === 1 ? p : p - 1);
    const nextLanding = (c: number): number | null => {
      if (linear) return c + direction;
      const p = nearestVersion(versions, changeFor(c), direction);
      return p === null ? null : landingFor(p);
    };
    let yielded = performance.now();
    for (let c = nextLanding(this.k); c !== null && c >= 0 && c <= last; c = nextLanding(c)) {
      if (this.interrupted) {
        this.moveTo(c);
        return { kind: 'interrupt' };
      }
      const p = changeFor(c);
      if (p >= 1 && p <= last && (!linear || hasVersion(versions, p))) {
        const w = this.watchChangedAt(p);
        if (w) {
          this.moveTo(c);
          return { kind: 'watch', address: w.address };
        }
      }
      const tid = this.breakpointHit(c);
      if (tid !== null) {
        this.moveTo(c);
        this.stopTid = tid;
        return { kind: 'break' };
      }
      if (performance.now() - yielded > YIELD_MS) {
        await new Promise((r) => setImmediate(r)); // lets a Ctrl-C in
        yielded = performance.now();
      }
    }
    this.moveTo(direction === 1 ? last : 0);
    return { kind: 'history-end', direction };
  }

  private moveTo(k: number): void {
    if (k !== this.k) this.onMove(k);
    this.k = k;
    this.stopTid = this.stopThread(k);
  }

  private stopReply(reason: StopReason): string {
    this.interrupted = false;
    const signal = reason.kind === 'interrupt' ? SIGINT : reason.kind === 'initial' || reason.kind === 'step' ? signalAt(this.reader, this.k) || SIGTRAP : SIGTRAP;
    let extra = '';
    if (reason.kind === 'watch') extra = `watch:${reason.address.toString(16)};`;
    else if (reason.kind === 'break') extra = 'swbreak:;';
    else if (reason.kind === 'history-end') extra = `replaylog:${reason.direction === 1 ? 'end' : 'begin'};`;
    this.general = this.stopTid;
    return `T${hex2(signal)}thread:${this.stopTid.toString(16)};${extra}`;
  }

  // ------------------------------------------------------------------------------------------
  // monitor commands

  private monitor(command: string): SessionReply {
    const words = command.trim().split(/\s+/);
    const out = (s: string): Buffer => encodePacket('O' + toHex(Buffer.from(s)));
    const fail = (s: string): SessionReply => ({ packets: [out(`error: ${s}\n`), encodePacket(E_REQUEST)] });
    const last = this.reader.checkpointCount - 1;
    switch (words[0]) {
      case 'goto': {
        if (!words[1] || !/^\d+$/.test(words[1])) return fail('usage: monitor goto K (a checkpoint number)');
        this.reader.refresh();
        const k = Number(words[1]);
        if (k > this.reader.checkpointCount - 1) return fail(checkpointOutOfRange(k, this.reader.checkpointCount));
        this.moveTo(k);
        return {
          packets: [out(`${this.describe()}\nmemory reads show checkpoint ${k} now; run \`maintenance flush register-cache\` (flushregs) to refresh registers and the backtrace\n`), encodePacket('OK')],
        };
      }
      case 'info':
      case 'when':
        return { packets: [out(`${this.describe()}\n`), encodePacket('OK')] };
      case 'help':
      case undefined:
      case '':
        return {
          packets: [
            out(
              'DeLorean: a recording served as a gdb target; execution moves between checkpoints (0..' +
                `${last}).\n` +
                '  monitor goto K   go to checkpoint K (then `maintenance flush register-cache`)\n' +
                '  monitor info     where we are\n' +
                '  continue / reverse-continue   to the next / previous checkpoint where a watchpoint changed (or a breakpoint address is the pc)\n' +
                '  stepi / reverse-stepi         one checkpoint\n',
            ),
            encodePacket('OK'),
          ],
        };
      default:
        return fail(`unknown monitor command '${words[0]}' (try: monitor help)`);
    }
  }

  private describe(): string {
    const c = this.reader.checkpoint(this.k);
    const what = c.trigger === 'syscall' ? `syscall ${c.detail}` : c.trigger === 'signal' ? `signal ${c.detail}` : c.trigger;
    return `checkpoint ${this.k} of 0..${this.reader.checkpointCount - 1}: ${what} in thread ${c.tid}, ${c.threads} thread${c.threads === 1 ? '' : 's'}`;
  }
}

const text = (s: string): SessionReply => ({ packets: [encodePacket(s)] });
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const xmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** The nearest checkpoint strictly after `from` (direction 1) or before it (-1) in any of the sorted lists. */
function nearestVersion(lists: readonly Uint32Array[], from: number, direction: Direction): number | null {
  let best: number | null = null;
  for (const v of lists) {
    const i = upperBound(v, from); // first index with v[i] > from
    const c = direction === 1 ? v[i] : v[lowerBound(v, from) - 1];
    if (c !== undefined && (best === null || (direction === 1 ? c < best : c > best))) best = c;
  }
  return best;
}

function hasVersion(lists: readonly Uint32Array[], c: number): boolean {
  return lists.some((v) => v[lowerBound(v, c)] === c);
}

