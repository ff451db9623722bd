/**
 * Source lines for addresses, through binutils' addr2line (the binary's DWARF line table).
 *
 * One long-lived `addr2line -e FILE -a -f -C -i` per file, fed addresses on stdin: addr2line
 * flushes after every address, so it works as a server. With -a each answer starts with the
 * address line, then (function, file:line) pairs, innermost inlined function first. A batch
 * ends with a sentinel address (all ones) whose answer marks the end, so answers of variable
 * length are split without guessing. Requests to one file are serialised; answers are cached.
 *
 * Addresses given here are file-relative (ELF vaddrs): the engine subtracts the load base.
 * When addr2line is missing or the file has no line info, the answer is null, never an error.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export interface SourceFrame {
  readonly function: string | null;
  readonly file: string;
  readonly line: number;
}

export interface SourceLocation extends SourceFrame {
  /** Frames this location is inlined into, innermost first (empty when not inlined). */
  readonly inlinedInto: readonly SourceFrame[];
}

const SENTINEL = 0xffffffffffffffffn;

/**
 * elfutils' eu-addr2line when installed: binutils 2.40's addr2line mis-numbers DWARF 5 file
 * entries (gcc 12's default), naming the wrong file for code from headers (out.h:54 reported
 * as counter.c:54). Same options, same output but a trailing :column.
 */
const ADDR2LINE = ['/usr/bin/eu-addr2line', '/usr/local/bin/eu-addr2line'].find((p) => existsSync(p)) ?? 'addr2line';

interface Pending {
  readonly addrs: readonly bigint[];
  readonly resolve: (r: Array<SourceLocation | null>) => void;
  readonly reject: (e: Error) => void;
}

/** A running addr2line for one file. */
class Addr2Line {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private lines: string[] = [];
  private readonly queue: Pending[] = [];
  private dead: Error | null = null;

  constructor(readonly file: string) {
    this.proc = spawn(ADDR2LINE, ['-e', file, '-a', '-f', '-C', '-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.proc.stderr.resume();
    const die = (e: Error): void => {
      if (this.dead) return;
      this.dead = e;
      for (const p of this.queue.splice(0)) p.reject(e);
      this.setRef(false);
    };
    this.proc.on('error', (e) => die(new Error(`addr2line for ${file}: ${e.message}`)));
    this.proc.on('exit', (code) => die(new Error(`addr2line for ${file} exited (code ${code})`)));
    this.proc.stdin.on('error', () => {});
    unrefStream(this.proc.stderr);
    unrefStream(this.proc.stdin);
    this.setRef(false);
  }

  /** Keeps the event loop alive only while answers are awaited, so an idle resolver never blocks exit. */
  private setRef(on: boolean): void {
    if (on) this.proc.ref();
    else this.proc.unref();
    const out = this.proc.stdout as unknown as { ref?: () => void; unref?: () => void };
    if (on) out.ref?.();
    else out.unref?.();
  }

  lookup(addrs: readonly bigint[]): Promise<Array<SourceLocation | null>> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.queue.push({ addrs, resolve, reject });
      this.setRef(true);
      this.proc.stdin.write([...addrs, SENTINEL].map((a) => '0x' + a.toString(16) + '\n').join(''));
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop()!;
    this.lines.push(...parts);
    this.drain();
  }

  /** Completes the oldest request once its sentinel's answer (address line + 2 lines) is in. */
  private drain(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const records = splitRecords(this.lines);
      const sentinelAt = records.findIndex((r) => r.address === SENTINEL && r.body.length >= 2);
      if (sentinelAt < 0) return;
      const mine = records.slice(0, sentinelAt);
      const consumed = records.slice(0, sentinelAt + 1).reduce((n, r) => n + 1 + r.body.length, 0);
      this.lines = this.lines.slice(consumed);
      this.queue.shift();
      if (this.queue.length === 0) this.setRef(false);
      const out = head.addrs.map((_, i) => (mine[i] ? parseRecord(mine[i]!.body) : null));
      head.resolve(out);
    }
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

function unrefStream(s: unknown): void {
  const h = s as { unref?: () => void };
  h.unref?.();
}

function splitRecords(lines: readonly string[]): Array<{ address: bigint; body: string[] }> {
  const out: Array<{ address: bigint; body: string[] }> = [];
  for (const l of lines) {
    if (/^0x[0-9a-f]+$/i.test(l)) out.push({ address: BigInt(l), body: [] });
    else out[out.length - 1]?.body.push(l);
  }
  return out;
}

/** (function, file:line) pairs, innermost first; null when the innermost has no line info. */
function parseRecord(body: readonly string[]): SourceLocation | null {
  const frames: SourceFrame[] = [];
  for (let i = 0; i + 1 < body.length; i += 2) {
    const fn = body[i]!;
    const m = /^(.*?):(\d+)(?::\d+)?(?: \(discriminator \d+\))?$/.exec(body[i + 1]!);
    if (!m || m[1] === '??' || m[2] === '0') continue;
    frames.push({ function: fn === '??' ? null : fn, file: m[1]!, line: Number(m[2]) });
  }
  const [first, ...rest] = frames;
  return first ? { ...first, inlinedInto: rest } : null;
}

function isRegularFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Source lines for file-relative addresses, one addr2line per file, answers cached. */
export class SourceResolver {
  private readonly procs = new Map<string, Addr2Line>();
  private readonly cache = new Map<string, Promise<SourceLocation | null>>();

  /** Source location of each file-relative address in `file`; null where unknown. */
  async lookup(file: string, addrs: readonly bigint[]): Promise<Array<SourceLocation | null>> {
    const missing = [...new Set(addrs.filter((a) => !this.cache.has(`${file}\0${a}`)))];
    if (missing.length > 0) {
      const batch = this.batch(file, missing);
      missing.forEach((a, i) => this.cache.set(`${file}\0${a}`, batch.then((r) => r[i] ?? null)));
    }
    return Promise.all(addrs.map((a) => this.cache.get(`${file}\0${a}`)!));
  }

  private async batch(file: string, addrs: readonly bigint[]): Promise<Array<SourceLocation | null>> {
    if (!isRegularFile(file)) return addrs.map(() => null); // a FIFO named by a hostile recording would block addr2line forever
    let p = this.procs.get(file);
    if (!p) this.procs.set(file, (p = new Addr2Line(file)));
    try {
      return await p.lookup(addrs);
    } catch {
      this.procs.delete(file);
      return addrs.map(() => null); // no addr2line, or it failed on this file: no line info
    }
  }

  close(): void {
    for (const p of this.procs.values()) p.close();
    this.procs.clear();
  }
}
