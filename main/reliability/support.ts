/**
 * Helpers for the reliability suites (faults, awkward programs, fuzz, security) and the long
 * run in bench/reliability.ts: reading values out of a real recording, the lines a program
 * wrote at its write(2) checkpoints, and what /proc says about a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveLocation } from '../api/locations.js';
import { Engine } from '../engine/engine.js';
import { decodeGp } from '../engine/registers.js';
import { ElfCache } from '../engine/symbols.js';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { ROOT } from '../testing/cli.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const elfCache = new ElfCache();
const addresses = new Map<string, bigint>();

/** A symbol's address at checkpoint k (cached per recording and program image: symbols only move at exec). */
export function addressOf(r: RecordingReader, k: number, expr: string): bigint {
  const key = `${r.path}\0${r.programAt(k)}\0${r.meta.startedAt}\0${expr}`;
  let a = addresses.get(key);
  if (a === undefined) {
    a = resolveLocation(new Engine(r, { elfCache }), expr, k).address;
    addresses.set(key, a);
  }
  return a;
}

/** Little-endian integer of `size` bytes at a symbol (or address expression) at checkpoint k. */
export function intAt(r: RecordingReader, k: number, expr: string, size: 1 | 4 | 8 = 8, offset = 0, signed = false): bigint {
  const address = addressOf(r, k, expr);
  const b = r.readMemory(k, address + BigInt(offset), size);
  const dv = new DataView(b.buffer, b.byteOffset, size);
  if (size === 1) return BigInt(signed ? dv.getInt8(0) : dv.getUint8(0));
  if (size === 4) return BigInt(signed ? dv.getInt32(0, true) : dv.getUint32(0, true));
  return signed ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true);
}

/** The bytes a write(2) checkpoint is about to write (args: fd, buf, len), as text. */
export function lineAt(r: RecordingReader, k: number): string {
  const c = r.checkpoint(k);
  return Buffer.from(r.readMemory(k, c.args[1]!, Number(c.args[2]!))).toString('latin1');
}

/**
 * Every write(2) to fd 1 checkpointed, with its line, in order. A write the kernel restarted
 * reaches its seccomp stop twice (the tty's write gives -ERESTARTSYS when a checkpoint's
 * interrupt is already pending, before writing anything): the second sighting of the same
 * call (same thread, same rip and arguments, no other write of that thread in between) is
 * dropped, so each line appears once per write the program made.
 */
export function writeLines(r: RecordingReader): Array<{ k: number; line: string; tid: number }> {
  const out: Array<{ k: number; line: string; tid: number }> = [];
  const last = new Map<number, string>(); // tid -> identity of its last write
  for (let k = 0; k < r.checkpointCount; k++) {
    const c = r.checkpoint(k);
    if (c.trigger !== 'syscall' || c.detail !== 1n || c.args[0] !== 1n) continue;
    const line = lineAt(r, k);
    const regs = r.registersAt(k).find((t) => t.tid === c.tid);
    const rip = regs ? decodeGp(regs.gp).rip : 0n;
    const id = `${rip}:${c.args.join(',')}:${line}`;
    if (last.get(c.tid) === id) continue;
    last.set(c.tid, id);
    out.push({ k, line, tid: c.tid });
  }
  return out;
}

/** The checkpoint of the first write(2) whose line starts with prefix; throws if none. */
export function lineCheckpoint(r: RecordingReader, prefix: string): number {
  const hit = writeLines(r).find((w) => w.line.startsWith(prefix));
  if (!hit) throw new Error(`no write(2) of a line starting ${JSON.stringify(prefix)} in ${r.path}`);
  return hit.k;
}

/** The program's whole terminal output, as text. */
export function terminalText(r: RecordingReader): string {
  return Buffer.concat(r.terminalOutput().map((c) => c.data)).toString('latin1');
}

export interface ProcState {
  state: string; // R, S, D, T, t, Z, ... ('' when gone)
  tracerPid: number;
}

/** State letter and TracerPid of a process, or null when it no longer exists. */
export function procState(pid: number): ProcState | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '', tracerPid: Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1] ?? 0) };
  } catch {
    return null;
  }
}

/** Direct children of pid (from /proc/N/stat). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Peak resident set size (VmHWM) of a live process in bytes, or 0 when it is gone. */
export function peakRss(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Current resident set size (VmRSS) of a live process in bytes, or 0 when it is gone. */
export function rss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Waits until a process is gone or a zombie; throws after timeoutMs naming its last state. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = procState(pid);
    if (!st || st.state === 'Z' || st.state === 'X') return;
    if (Date.now() > until) throw new Error(`process ${pid} (${cmdline(pid)}) still exists: state ${st.state}, tracer ${st.tracerPid}`);
    await sleep(20);
  }
}

/** A `delorean record` run started in the background, as a user would start it. */
export interface LiveRecording {
  cli: ChildProcess;
  out: string;
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the CLI's exit code (null when killed by a signal). */
  closed: Promise<number | null>;
}

export function startRecording(out: string, flags: string[], program: string, args: string[], env: Record<string, string> = {}): LiveRecording {
  const cli = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', out, ...flags, '--', program, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  let stdout = '';
  cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  cli.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const closed = new Promise<number | null>((ok) => cli.on('close', (code) => ok(code)));
  return { cli, out, stderr: () => stderr, stdout: () => stdout, closed };
}

/** The recorder process under a `delorean record` CLI (a child on its pty), or undefined. */
export function recorderOf(cliPid: number): number | undefined {
  return childrenOf(cliPid).find((p) => cmdline(p).includes('delorean-recorder'));
}

/** Waits until the recording on disk has at least n committed checkpoints (read-only opens, as another process would). */
export async function waitForCheckpoints(out: string, n: number, timeoutMs = 20_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(join(out, 'log'))) {
      try {
        const r = await openRecording(out, { readOnly: true });
        const count = r.checkpointCount;
        r.close();
        if (count >= n) return count;
      } catch {
        // being created
      }
    }
    await sleep(20);
  }
  throw new Error(`recording ${out} never reached ${n} checkpoints`);
}

/** Waits until pid's recorder-side pid is known: the recording's meta names it once HELLO is stored. */
export async function programPid(out: string, timeoutMs = 20_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await openRecording(out, { readOnly: true });
      const pid = r.meta.pid;
      r.close();
      if (pid > 0) return pid;
    } catch {
      // not yet
    }
    await sleep(20);
  }
  throw new Error(`recording ${out} never named its program`);
}

