/**
 * Behaviour checks: tiny self-checking C programs (native-recorder/tests/behave/NAME.c, built
 * by `make` into native-recorder/build/behave/NAME) that print EXIT-SUCCESS and exit 0 when
 * the kernel feature they exercise works. Each is run plainly and recorded through the real
 * CLI in each trigger mode; under recording it must give the same result, the recording must
 * end within a bound (children that outlive the program are not waited for), and no process
 * of the run may be left stopped or traced afterwards.
 *
 * A program may declare, on its first line, modes it cannot run in and why:
 *   // behave: skip=interval,break (the reason)
 * Used by main/recorder/behave.test.ts (a bounded set in `npm test`) and bench/behave.ts (all).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../testing/cli.js';

export const BEHAVE_SOURCES = join(ROOT, 'native-recorder/tests/behave');
export const BEHAVE_BUILT = join(ROOT, 'native-recorder/build/behave');
const CLI = join(ROOT, 'bin/delorean.js');

export type RecordMode = 'syscalls' | 'interval' | 'break';
export const RECORD_MODES: readonly RecordMode[] = ['syscalls', 'interval', 'break'];
export const MODE_FLAGS: Record<RecordMode, string[]> = {
  syscalls: ['--syscalls', 'all'],
  interval: ['--interval', '1ms'],
  break: ['--break', 'main'],
};

/** How long a run may take before it counts as a hang (and is killed). */
export const RUN_BOUND_MS = 30_000;

export interface BehaveProgram {
  name: string;
  binary: string;
  /** Modes the program declared it cannot run in, with the reason. */
  skip: Map<RecordMode, string>;
}

/** The first-line declaration: `// behave: skip=MODE[,MODE] (reason)`. */
export function parseDeclaration(firstLine: string): Map<RecordMode, string> {
  const skip = new Map<RecordMode, string>();
  const m = /^\s*(?:\/\/|\/\*)\s*behave:\s*skip=([a-z,]+)\s*(?:\((.*)\))?/.exec(firstLine);
  if (!m) return skip;
  for (const mode of (m[1] ?? '').split(',')) {
    if (!(RECORD_MODES as readonly string[]).includes(mode)) throw new Error(`behave: unknown mode '${mode}' in: ${firstLine}`);
    skip.set(mode as RecordMode, m[2]?.trim() || 'no reason given');
  }
  return skip;
}

export function behavePrograms(): BehaveProgram[] {
  return readdirSync(BEHAVE_SOURCES)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -2);
      const firstLine = readFileSync(join(BEHAVE_SOURCES, f), 'utf8').split('\n', 1)[0] ?? '';
      return { name, binary: join(BEHAVE_BUILT, name), skip: parseDeclaration(firstLine) };
    });
}

export interface BehaveResult {
  /** EXIT-SUCCESS printed and exit status 0. */
  success: boolean;
  exit: string;
  output: string;
  ms: number;
  /** What went wrong beyond the program's own verdict (hang, leftover processes, stalls). */
  problems: string[];
}

interface Spawned {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

function spawnBounded(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<Spawned> {
  const start = Date.now();
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_BOUND_MS);
    child.on('error', fail);
    // A daemon the program left keeps our pipes open: the end is its exit (plus a moment for the last output).
    let done = false;
    const finish = (code: number | null, signal: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      ok({ code, signal, stdout, stderr, ms: Date.now() - start, timedOut });
    };
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 200));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Processes whose environment carries the run's marker: the program, its children, our recorder's helpers. */
function markedProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`).includes(marker)) pids.push(Number(d));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function statusField(pid: number, field: string): string | null {
  try {
    const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1]?.trim() ?? null;
  } catch {
    return null;
  }
}

/** Names every process of the run left stopped or traced, then kills them all (a test leaves nothing behind). */
function checkAndClean(marker: string): string[] {
  const problems: string[] = [];
  const pids = markedProcesses(marker);
  for (const pid of pids) {
    const state = statusField(pid, 'State');
    const tracer = statusField(pid, 'TracerPid');
    const name = statusField(pid, 'Name');
    if (state === null || state.startsWith('Z') || state.startsWith('X')) continue;
    if (state.startsWith('t') || state.startsWith('T') || (tracer !== null && tracer !== '0'))
      problems.push(`process ${pid} (${name}) left ${state}, TracerPid ${tracer}`);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return problems;
}

function verdict(output: string, exitOk: boolean): boolean {
  return exitOk && /^EXIT-SUCCESS\r?$/m.test(output);
}

export async function runPlain(p: BehaveProgram, cwd: string): Promise<BehaveResult> {
  const marker = `DELOREAN_BEHAVE_RUN=${process.pid}-${Math.random().toString(36).slice(2)}`;
  const [k, v] = marker.split('=') as [string, string];
  const r = await spawnBounded(p.binary, [], { [k]: v }, cwd);
  const problems = checkAndClean(marker);
  if (r.timedOut) problems.unshift(`did not end within ${RUN_BOUND_MS} ms`);
  const exit = r.signal ? `killed by ${r.signal}` : `exited ${r.code}`;
  return { success: verdict(r.stdout, r.code === 0), exit, output: r.stdout + r.stderr, ms: r.ms, problems };
}

interface SummaryJson {
  exit: { kind: string; code?: number; signal?: number } | null;
  warnings?: string[];
}

export async function runRecorded(p: BehaveProgram, mode: RecordMode, cwd: string): Promise<BehaveResult> {
  const marker = `DELOREAN_BEHAVE_RUN=${process.pid}-${Math.random().toString(36).slice(2)}`;
  const [k, v] = marker.split('=') as [string, string];
  const out = join(cwd, `${p.name}-${mode}-${v}.dlr`);
  const r = await spawnBounded(process.execPath, [CLI, 'record', '--json', '--out', out, ...MODE_FLAGS[mode], '--', p.binary], { [k]: v }, cwd);
  const problems = checkAndClean(marker);
  if (r.timedOut) problems.unshift(`the recording did not end within ${RUN_BOUND_MS} ms`);
  let summary: SummaryJson | null = null;
  try {
    summary = JSON.parse(r.stdout) as SummaryJson;
  } catch {
    if (!r.timedOut) problems.push(`record gave no summary (exit ${r.code}): ${r.stderr.slice(-400)}`);
  }
  // With --json the program's output is on stderr, after the recorder's lines.
  for (const line of r.stderr.split('\n')) if (/did not stop within/.test(line)) problems.push(`stall: ${line.trim()}`);
  const e = summary?.exit;
  const exit = !e ? 'no exit recorded' : e.kind === 'exited' ? `exited ${e.code}` : `${e.kind} ${e.signal ?? e.code ?? ''}`.trim();
  if (!existsSync(out) && summary) problems.push('no recording directory');
  return { success: verdict(r.stderr, e?.kind === 'exited' && e.code === 0), exit, output: r.stderr, ms: r.ms, problems };
}
