/**
 * What the peer benchmarks share: finding Debian programs, timing a plain run, recording a run
 * with the real recorder and ingest (RecordingSession, as `delorean record` does), medians, a
 * seeded generator for input data, free loopback ports and the machine's load.
 *
 * Every figure these benchmarks report is a ratio of runs made side by side (plain, recorded,
 * plain, recorded, ...) in one process, so a busy machine slows both sides alike; the load
 * average is reported with each section so a reader can tell a quiet run from a noisy one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openRecording } from '../../main/store/reader.js';
import { recorderPath, RecordingSession, type RecordOptions, type RecordingSummary } from '../../main/recorder/session.js';

export const ROOT = process.cwd();
export const DELOREAN_CLI = join(ROOT, 'bin/delorean.js');

export type Figures = Record<string, number | string | null>;

/** Debian's binary (never a pyenv or other shim on PATH, which would record a shell script). */
export function debianProgram(name: string): string | null {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

export function missing(names: string[]): string[] {
  return names.filter((n) => debianProgram(n) === null);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? +x.toFixed(digits) : NaN);

export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}


export function scratchDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `dl-peers-bench-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface PlainRun {
  wallMs: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, unrecorded; wall time from spawn to exit. */
export async function runPlain(program: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<PlainRun> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const child = spawn(program, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (status) => ok({ wallMs: performance.now() - t0, status, stdout, stderr }));
  });
}

export type Trigger = Pick<RecordOptions, 'syscalls' | 'interval'>;

export function triggerArgs(t: Trigger): string[] {
  const a: string[] = [];
  if (t.syscalls) a.push('--syscalls', t.syscalls === 'all' ? 'all' : t.syscalls.join(','));
  if (t.interval) a.push('--interval', t.interval);
  return a;
}

/**
 * The bare recorder with its wire stream written to /dev/null: tracing, dirty tracking and
 * copying pages, without the ingest worker and the store (nothing to wait for downstream).
 * A diagnostic: recorded / recorder-only says how much of the slowdown is the store's.
 */
export function recorderOnlyArgs(program: string, args: string[], t: Trigger, cwd?: string): string[] {
  return ['--wire-file', '/dev/null', ...triggerArgs(t), ...(cwd ? ['--cwd', cwd] : []), '--', program, ...args];
}

export async function runRecorderOnly(program: string, args: string[], t: Trigger, cwd?: string): Promise<PlainRun> {
  return runPlain(recorderPath(), recorderOnlyArgs(program, args, t, cwd), cwd ? { cwd } : {});
}

export interface RecordedRun {
  /** The recording directory (kept until the caller removes it). */
  dir: string;
  summary: RecordingSummary;
  /** RecordingSession.start to a closed recording: what a user waits for. */
  wallMs: number;
  /** The program's own run under recording: checkpoint 0 (first instruction) to the last (exit). */
  runMs: number;
  /**
   * Share of checkpoints after the first with at most 2 dirty pages (the stack, a counter): with
   * an interval trigger, checkpoints the program barely ran between, i.e. taken right after the
   * previous one because the timer expired while the program was stopped.
   */
  nearEmptyShare: number;
  output: string;
}

export interface RecordArgs {
  program: string;
  args: string[];
  trigger: Trigger;
  cwd?: string;
  env?: Record<string, string>;
  /** Called once the session runs, e.g. to drive a server; resolves when the driver is done. */
  drive?: (session: RecordingSession) => Promise<void>;
}

/** Records one run of a program into a fresh directory under `parent`, on a pty as `delorean record` does. */
export async function runRecorded(parent: string, name: string, a: RecordArgs): Promise<RecordedRun> {
  const dir = join(parent, `${name}.dlr`);
  removeDir(dir);
  const t0 = performance.now();
  const session = await RecordingSession.start({
    program: a.program,
    args: a.args,
    out: dir,
    ...a.trigger,
    ...(a.cwd ? { cwd: a.cwd } : {}),
    ...(a.env ? { env: a.env } : {}),
    terminal: { kind: 'pty', cols: 160, rows: 50 },
  });
  let output = '';
  session.onOutput((d) => (output += d));
  if (a.drive) await a.drive(session);
  const summary = await session.done;
  const wallMs = performance.now() - t0;
  const reader = await openRecording(dir);
  let runMs = NaN;
  let nearEmpty = 0;
  let n = 0;
  try {
    const count = reader.checkpointCount;
    if (count > 1) runMs = Number(reader.checkpoint(count - 1).timeNs - reader.checkpoint(0).timeNs) / 1e6;
    // The dirty-page column in bounded windows (a long recording's index is not all in memory).
    for (let from = 1; from < count; from += 65_536) {
      const c = reader.columns(from, Math.min(count, from + 65_536));
      for (let i = 0; i < c.count; i++) {
        n++;
        if (c.dirtyPages[i]! <= 2) nearEmpty++;
      }
    }
  } finally {
    reader.close();
  }
  return { dir, summary, wallMs, runMs, nearEmptyShare: n ? nearEmpty / n : 0, output };
}

/** Runs `delorean ARGS --json` and parses its output; wall time includes Node's start, as a user sees it. */
export function cliJson<T>(args: string[]): { value: T; wallMs: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [DELOREAN_CLI, ...args, '--json'], { encoding: 'utf8', cwd: ROOT });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`delorean ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return { value: JSON.parse(r.stdout) as T, wallMs };
}

export function abs(p: string): string {
  return resolve(ROOT, p);
}
