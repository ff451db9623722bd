/**
 * Test support: run the real `delorean` command (the built CLI, as a user would) and record
 * the repository's C test programs. Tests import this; nothing else does.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../cli/io.js';
import { main } from '../cli/main.js';

// From main/testing (sources under vitest) or out/node/main/testing (compiled, e.g. bench/reliability.ts).
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).endsWith('.ts') ? '../..' : '../../../..');
export const PROGRAMS = join(ROOT, 'native-recorder/build/programs');
export const RECORDER = join(ROOT, 'native-recorder/build/delorean-recorder');
export const ASAN_RECORDER = join(ROOT, 'native-recorder/build/asan/delorean-recorder');
const BIN = join(ROOT, 'bin/delorean.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Run as this unprivileged uid/gid (via setpriv), to test an ordinary user. */
  asUser?: { uid: number; gid: number };
}

export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, argv] = opts.asUser ? ['setpriv', [`--reuid=${opts.asUser.uid}`, `--regid=${opts.asUser.gid}`, '--clear-groups', command, ...args]] : [command, args];
  return new Promise((ok, fail) => {
    const child = spawn(cmd as string, argv as string[], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr });
    });
  });
}

/** `delorean ARGS...` with the built CLI. */
export function delorean(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], opts);
}

/** `delorean ... --json`, parsed; fails the test with stderr when the command fails. */
export async function deloreanJson<T = Record<string, unknown>>(args: string[], opts: RunOptions = {}): Promise<T> {
  const dash = args.indexOf('--');
  const withJson = dash >= 0 ? [...args.slice(0, dash), '--json', ...args.slice(dash)] : [...args, '--json'];
  const r = await delorean(withJson, opts);
  if (r.code !== 0) throw new Error(`delorean ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface RecordSummaryJson {
  out: string;
  checkpoints: number;
  backend: string;
  exit: { kind: string; code?: number; signal?: number } | null;
  rawBytes: number;
  storedBytes: number;
  reduction: number;
  warnings: string[];
}

/** A fresh temporary directory (world-writable when `shared`, for unprivileged runs); removed by cleanup(). */
export function tempDir(shared = false): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'delorean-test-'));
  if (shared) chmodSync(path, 0o777);
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Records native-recorder/build/programs/NAME with the given record flags into dir/NAME.dlr. */
export async function recordProgram(dir: string, name: string, programArgs: string[], flags: string[] = [], opts: RunOptions = {}): Promise<RecordSummaryJson & { dir: string }> {
  const out = join(dir, `${name}-${Math.random().toString(36).slice(2, 8)}.dlr`);
  const summary = await deloreanJson<RecordSummaryJson>(['record', '--out', out, ...flags, '--', join(PROGRAMS, name), ...programArgs], opts);
  return { ...summary, dir: out };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls f every 10 ms until it holds; fails naming `what` after ms. */
export async function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process (as bin/delorean.js does), capturing its output. */
export async function cliInProcess(argv: string[]): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
