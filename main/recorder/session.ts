/**
 * A recording session: the native recorder running the user's program on a terminal, its
 * page stream flowing into an ingest worker that writes the store.
 *
 *   program <-ptrace- delorean-recorder ==unix socket==> ingest worker -> NAME.dlr
 *     ^ its own pty       ^ pty (node-pty)  ^ control (checkpoint/pause/resume/stop)
 *     (the recorder's)    |                 |
 *   RecordingSession (this file, main thread): terminal bytes in and out, progress, the end.
 *
 * A launched program runs on a pty the recorder owns: the recorder relays our keyboard bytes
 * to it and echoes its output to us (the live terminal), and sends that output on the wire
 * inside the checkpoint it precedes, so the store has it attributed exactly. The bytes we get
 * from node-pty are only for the screen. An attached program keeps its own terminal: its
 * output is neither shown nor recorded.
 *
 * Used by `delorean record`, the desktop app and the browser bridge alike.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IPty } from 'node-pty';
import type { ExitInfo, RecordingStats } from '../../shared/model/recording.js';
import type { FromWorker, IngestWorkerData, ToWorker } from './messages.js';

export type BackendChoice = 'auto' | 'uffd-wp' | 'soft-dirty' | 'hash';

export interface RecordOptions {
  /** The program to launch; ignored when attaching. */
  program: string;
  /** Attach to this running process instead of launching one. */
  attach?: number;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  out: string;
  syscalls?: string[] | 'all';
  interval?: string;
  breaks?: string[];
  backend?: BackendChoice;
  maxCheckpoints?: number;
  /** What the recorder does with the program if DeLorean goes away: kill (default) or detach. */
  onRecorderExit?: 'kill' | 'detach';
  /**
   * While the recorder pins the program to its CPU, run our threads (the ingest worker above all)
   * on the other CPUs (--move-off, placement.h): the program keeps more of its CPU (1 ms
   * intervals on a 2-core VM: 0.60 -> 0.69 of its throughput kept). Off by default: with both
   * CPUs busy it stalled the relay of the program's terminal output for tens of seconds.
   */
  moveOff?: boolean;
  terminal: { kind: 'pty'; cols: number; rows: number } | { kind: 'inherit' };
}

/** Whether anything is at `path`, a dangling symbolic link included. */
function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface RecordingProgress {
  checkpoints: number;
  rate: number; // checkpoints per second over the last second or so
  rawBytes: number;
  storedBytes: number;
}

export interface RecordingSummary {
  out: string;
  checkpoints: number;
  exit: ExitInfo | null;
  backend: string | null;
  warnings: string[];
  /** Why the store stopped taking checkpoints (say, a full disk), when it did: what was committed before is kept. */
  failure: string | null;
  stats: RecordingStats;
  reduction: number; // 1 - stored/raw
  durationMs: number;
}

/** A recording that could not start or went wrong; the message is for the user. */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).endsWith('.ts') ? '../..' : '../../../..');

/** The recorder binary: DELOREAN_RECORDER overrides (e.g. the ASan build in tests). */
export function recorderPath(): string {
  const p = process.env.DELOREAN_RECORDER ?? join(ROOT, 'native-recorder/build/delorean-recorder');
  if (!existsSync(p)) throw new RecordError(`the native recorder is not built (${p}); run \`npm install\` or \`make -C native-recorder\``);
  return p;
}

/** Compiled worker script; under vitest (TypeScript sources) it comes from the build in out/. */
function workerPath(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./ingest-worker.js', import.meta.url);
  const built = join(ROOT, 'out/node/main/recorder/ingest-worker.js');
  if (!existsSync(built)) throw new RecordError(`the ingest worker is not built (${built}); run \`npm run build:node\``);
  return new URL(`file://${built}`);
}

/** execvp's lookup, done up front so a typo gets a clear message before anything starts. */
export function resolveProgram(program: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const candidates = program.includes('/') ? [resolve(cwd, program)] : (env.PATH ?? '/usr/bin:/bin').split(delimiter).map((d) => join(resolve(cwd, d || '.'), program));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    if (!statSync(c).isFile()) throw new RecordError(`cannot run '${program}': ${c} is not a file`);
    try {
      accessSync(c, constants.X_OK);
    } catch {
      throw new RecordError(`cannot run '${program}': ${c} is not executable`);
    }
    return c;
  }
  throw new RecordError(`cannot run '${program}': no such file${program.includes('/') ? '' : ' in PATH'}`);
}

const RECORDER_EXIT: Record<number, string> = {
  2: 'bad recorder arguments',
  3: 'the program could not be started',
  4: 'not permitted to trace the program',
  5: 'internal recorder error',
  6: 'lost the connection to DeLorean',
};

export function recorderArgs(opts: RecordOptions, socketPath: string): string[] {
  const a = ['--socket', socketPath, '--backend', opts.backend ?? 'auto'];
  if (opts.syscalls) a.push('--syscalls', opts.syscalls === 'all' ? 'all' : opts.syscalls.join(','));
  if (opts.interval) a.push('--interval', opts.interval);
  for (const b of opts.breaks ?? []) a.push('--break', b);
  if (opts.maxCheckpoints !== undefined) a.push('--max-checkpoints', String(opts.maxCheckpoints));
  if (opts.onRecorderExit) a.push('--on-recorder-exit', opts.onRecorderExit);
  if (opts.attach !== undefined) {
    a.push('--attach', String(opts.attach));
    return a;
  }
  if (opts.cwd) a.push('--cwd', opts.cwd);
  if (opts.moveOff) a.push('--move-off', String(process.pid));
  a.push('--', opts.program, ...opts.args);
  return a;
}

type Listener<T> = (v: T) => void;

export class RecordingSession {
  private readonly progressListeners = new Set<Listener<RecordingProgress>>();
  private readonly outputListeners = new Set<Listener<string>>();
  private readonly warningListeners = new Set<Listener<string>>();
  private readonly warnings: string[] = [];
  private backend: string | null = null;
  private exit: ExitInfo | null = null;
  private recorderError: string | null = null;
  private workerFailure: string | null = null;
  private lastOutputAt = 0;
  private recorderExitedAt = 0;
  private rateWindow: Array<[number, number]> = [];
  private lastProgress: RecordingProgress = { checkpoints: 0, rate: 0, rawBytes: 0, storedBytes: 0 };
  readonly done: Promise<RecordingSummary>;

  private constructor(
    readonly out: string,
    private readonly worker: Worker,
    private readonly child: { pty: IPty } | { proc: ChildProcess },
    private readonly socketDir: string,
    private readonly started: number,
    workerDone: Promise<{ checkpoints: number; stats: RecordingStats }>,
    recorderExit: Promise<number>,
  ) {
    this.done = this.settle(workerDone, recorderExit);
  }

  static async start(opts: RecordOptions): Promise<RecordingSession> {
    const cwd = resolve(opts.cwd ?? process.cwd());
    const env = { ...process.env, ...opts.env };
    const program = opts.attach !== undefined ? opts.program : resolveProgram(opts.program, cwd, env);
    if (opts.attach !== undefined && !existsSync(`/proc/${opts.attach}`)) throw new RecordError(`cannot attach: no process ${opts.attach}`);
    const out = resolve(opts.out);
    // The store makes the directory itself and refuses an existing one (writer.ts); this is the early word.
    if (lexists(out)) throw new RecordError(`${out} already exists; choose another --out (nothing was overwritten)`);
    const recorder = recorderPath();
    // The recorder's socket, private (0700) to this user; the ingest worker removes it once connected.
    let socketDir: string;
    try {
      socketDir = mkdtempSync(join(tmpdir(), 'delorean-'));
    } catch (e) {
      throw new RecordError(`cannot make a directory for the recorder's socket in the temp directory ${tmpdir()} (set TMPDIR to one that exists): ${(e as Error).message}`);
    }
    const socketPath = join(socketDir, 'recorder.sock');

    const data: IngestWorkerData = { socketPath, out };
    const worker = new Worker(workerPath(), { workerData: data });
    let session: RecordingSession | null = null;
    const early: FromWorker[] = [];
    let resolveDone!: (v: { checkpoints: number; stats: RecordingStats }) => void;
    const workerDone = new Promise<{ checkpoints: number; stats: RecordingStats }>((r) => (resolveDone = r));
    const listening = new Promise<void>((ok, fail) => {
      worker.on('message', (m: FromWorker) => {
        if (m.kind === 'listening') ok();
        else if (m.kind === 'failed' && !session) fail(new RecordError(`cannot record to ${out}: ${m.message}`));
        if (m.kind === 'done') resolveDone({ checkpoints: m.checkpoints, stats: m.stats });
        if (session) session.onWorkerMessage(m);
        else early.push(m);
      });
      worker.on('error', (e) => fail(new RecordError(`ingest worker failed: ${e.message}`)));
    });
    try {
      await listening;
    } catch (e) {
      await worker.terminate();
      rmSync(socketDir, { recursive: true, force: true });
      throw e;
    }

    const args = recorderArgs({ ...opts, program }, socketPath);
    let child: { pty: IPty } | { proc: ChildProcess };
    let recorderExit: Promise<number>;
    if (opts.terminal.kind === 'pty') {
      const { spawn } = await import('node-pty');
      const pty = spawn(recorder, args, { name: 'xterm-256color', cols: opts.terminal.cols, rows: opts.terminal.rows, cwd, env });
      child = { pty };
      recorderExit = new Promise((r) => pty.onExit(({ exitCode, signal }) => r(signal ? 128 + signal : exitCode)));
    } else {
      const proc = spawnChild(recorder, args, { stdio: 'inherit', cwd, env });
      child = { proc };
      recorderExit = new Promise((r) => {
        proc.on('exit', (code, signal) => r(code ?? (signal ? 128 : 1)));
        proc.on('error', () => r(127));
      });
    }
    session = new RecordingSession(out, worker, child, socketDir, Date.now(), workerDone, recorderExit);
    if ('pty' in child) child.pty.onData((d) => session!.onTerminalData(d));
    for (const m of early) session.onWorkerMessage(m);
    return session;
  }

  onProgress(cb: Listener<RecordingProgress>): () => void {
    this.progressListeners.add(cb);
    return () => this.progressListeners.delete(cb);
  }
  onOutput(cb: Listener<string>): () => void {
    this.outputListeners.add(cb);
    return () => this.outputListeners.delete(cb);
  }
  onWarning(cb: Listener<string>): () => void {
    this.warningListeners.add(cb);
    return () => this.warningListeners.delete(cb);
  }
  get progress(): RecordingProgress {
    return this.lastProgress;
  }

  /** Keyboard input for the program (pty sessions only). */
  write(data: string): void {
    if ('pty' in this.child) this.child.pty.write(data);
  }
  resize(cols: number, rows: number): void {
    if ('pty' in this.child) this.child.pty.resize(cols, rows);
  }
  requestCheckpoint(): void {
    this.control({ kind: 'control', type: 'checkpoint' });
  }
  pause(): void {
    this.control({ kind: 'control', type: 'pause' });
  }
  resume(): void {
    this.control({ kind: 'control', type: 'resume' });
  }
  /** Ends the recording: the program is killed (or detached with action 0) and the store closed. */
  stop(action: 0 | 1 = 1): void {
    this.control({ kind: 'control', type: 'stop', stopAction: action });
  }

  private control(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    for (const l of this.warningListeners) l(message);
  }

  /**
   * node-pty may deliver the recorder's last echoed bytes after its exit event: for the output
   * listeners (the live terminal), wait for 50 ms of quiet (1 s at most). The store does not
   * wait for this: its output comes on the wire.
   */
  private async outputDrained(): Promise<void> {
    if (!('pty' in this.child)) return;
    const exitedAt = this.recorderExitedAt || Date.now();
    const deadline = exitedAt + 1000;
    while (Date.now() - Math.max(this.lastOutputAt, exitedAt) < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * The recorder ended its stream and waits (5 s at most) for us to close the connection before
   * it exits: node-pty drops what it has not delivered 200 ms after the recorder's exit, so the
   * live terminal first catches up with the pty (100 ms of quiet, 3 s at most).
   */
  private async release(): Promise<void> {
    if ('pty' in this.child) {
      const from = Date.now();
      while (Date.now() - Math.max(this.lastOutputAt, from) < 100 && Date.now() - from < 3000) await new Promise((r) => setTimeout(r, 20));
    }
    this.worker.postMessage({ kind: 'release' } satisfies ToWorker);
  }

  private onTerminalData(d: string): void {
    this.lastOutputAt = Date.now();
    for (const l of this.outputListeners) l(d);
  }

  private onWorkerMessage(m: FromWorker): void {
    switch (m.kind) {
      case 'hello':
        this.backend = m.backend;
        break;
      case 'progress': {
        const now = Date.now();
        this.rateWindow.push([now, m.checkpoints]);
        while (this.rateWindow.length > 2 && now - this.rateWindow[0]![0] > 1000) this.rateWindow.shift();
        const [t0, c0] = this.rateWindow[0]!;
        const rate = now > t0 ? ((m.checkpoints - c0) * 1000) / (now - t0) : 0;
        this.lastProgress = { checkpoints: m.checkpoints, rate, rawBytes: m.stats.rawBytes, storedBytes: m.stats.storedBytes };
        for (const l of this.progressListeners) l(this.lastProgress);
        break;
      }
      case 'warning':
        this.warn(m.message);
        break;
      case 'recorder-error':
        this.recorderError = m.message;
        break;
      case 'exit':
        this.exit = m.exitKind === 0 ? { kind: 'exited', code: m.code } : m.exitKind === 1 ? { kind: 'signaled', signal: m.code } : { kind: 'detached' };
        break;
      case 'failed':
        this.workerFailure = m.message;
        break;
      case 'ended':
        void this.release();
        break;
      case 'listening':
      case 'done':
        break;
    }
  }

  private async settle(workerDone: Promise<{ checkpoints: number; stats: RecordingStats }>, recorderExit: Promise<number>): Promise<RecordingSummary> {
    const code = await recorderExit;
    this.recorderExitedAt = Date.now();
    this.worker.postMessage({ kind: 'finish' } satisfies ToWorker);
    const [{ checkpoints, stats }] = await Promise.all([workerDone, this.outputDrained()]);
    await this.worker.terminate();
    rmSync(this.socketDir, { recursive: true, force: true });
    if (checkpoints === 0 && (code !== 0 || this.recorderError || this.workerFailure)) {
      rmSync(this.out, { recursive: true, force: true }); // nothing was recorded: leave no empty recording behind
      const why = this.recorderError ?? this.workerFailure ?? RECORDER_EXIT[code] ?? `the recorder exited with status ${code}`;
      throw new RecordError(why);
    }
    if (this.workerFailure) this.warn(`recording cut short: ${this.workerFailure}`);
    else if (code !== 0) this.warn(`recorder ended early: ${this.recorderError ?? RECORDER_EXIT[code] ?? `exit status ${code}`}`);
    const finalProgress = { checkpoints, rate: 0, rawBytes: stats.rawBytes, storedBytes: stats.storedBytes };
    this.lastProgress = finalProgress;
    for (const l of this.progressListeners) l(finalProgress);
    return {
      out: this.out,
      checkpoints,
      exit: this.exit,
      backend: this.backend,
      warnings: this.warnings,
      failure: this.workerFailure,
      stats,
      reduction: stats.rawBytes > 0 ? 1 - stats.storedBytes / stats.rawBytes : 0,
      durationMs: Date.now() - this.started,
    };
  }
}
