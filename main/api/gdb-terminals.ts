/**
 * "Open in gdb": gdb in a pseudo-terminal, attached to a gdb server over a recording positioned
 * at one checkpoint (main/gdb/server.ts). The service owns these; the renderer sees a terminal.
 *
 *   renderer --gdbOpen(rec, k)--> server = startGdbServer(reader, { at: k })   /tmp/delorean-gdb-X/gdb.sock
 *                                 pty: gdb -q PROGRAM -ex 'target remote /tmp/delorean-gdb-X/gdb.sock'
 *            <--onGdbData------- pty output
 *            --gdbInput/Resize-> pty
 *            --gdbClose--------> SIGHUP gdb (SIGKILL if it lingers), close the server
 *            <--onGdbCheckpoint- gdb moved to another checkpoint (continue, reverse-continue...)
 *            <--onGdbExit------- gdb is gone (closed, quit, or its recording closed)
 *
 * Security: the gdb command line holds nothing from the renderer but the checkpoint number,
 * and that only through the server (validated as an integer in range before anything starts).
 * The program path comes from the recording (made absolute, so it can never read as an
 * option); argv is passed without a shell. The server listens on a Unix socket no other user
 * can reach (server.ts) and takes one client. gdb only reads the program: nothing is executed.
 *
 * The server does not own the reader; the recording must stay open while its terminals run,
 * so closing a recording closes its terminals first (closeFor).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { IPty } from 'node-pty';
import { ApiError, type DeloreanEvents, type GdbStarted } from '../../shared/api/contract.js';
import { startGdbServer, type GdbServer } from '../gdb/server.js';
import type { RecordingReader } from '../store/types.js';

/** At most this many gdb terminals at once (each is a gdb process and a listening socket). */
export const MAX_GDB_TERMINALS = 8;
/** How long gdb gets to leave after SIGHUP before SIGKILL. */
const KILL_GRACE_MS = 2000;

interface GdbTerminal {
  readonly sessionId: string;
  readonly rec: string;
  readonly pty: IPty;
  readonly server: GdbServer;
  /** Resolves once gdb has exited and the server is closed. */
  readonly gone: Promise<void>;
  exited: boolean;
}

export interface GdbTerminalsOptions {
  /** The gdb to run: a name looked up on PATH, or a path (default: $DELOREAN_GDB or "gdb"). */
  readonly gdb?: string;
  readonly emit: <E extends 'onGdbData' | 'onGdbExit' | 'onGdbCheckpoint'>(event: E, payload: DeloreanEvents[E]) => void;
}

export class GdbTerminals {
  private readonly terminals = new Map<string, GdbTerminal>();
  private readonly gdb: string;

  constructor(private readonly options: GdbTerminalsOptions) {
    this.gdb = options.gdb ?? process.env.DELOREAN_GDB ?? 'gdb';
  }

  /** Starts a server at checkpoint k and gdb on a pty attached to it. k must be in range (the caller checks). */
  async open(reader: RecordingReader, rec: string, k: number, size: { cols: number; rows: number }): Promise<GdbStarted> {
    if (this.terminals.size >= MAX_GDB_TERMINALS) {
      throw new ApiError(`${MAX_GDB_TERMINALS} gdb terminals are open already: close one first`, 'failed');
    }
    const gdb = findExecutable(this.gdb);
    if (!gdb) {
      throw new ApiError(
        this.gdb.includes('/')
          ? `gdb not found: ${this.gdb} is not an executable file`
          : `gdb is not installed (no "${this.gdb}" on PATH). Install it (e.g. apt-get install gdb) to open checkpoints in gdb.`,
        'not-found',
      );
    }
    // gdb runs where the service runs, not in the recording's cwd: a recording names that
    // directory, and gdb would look for a .gdbinit there.
    const cwd = process.cwd();
    const programAtK = reader.programAt(k);
    const program = isAbsolute(programAtK) ? programAtK : resolve(reader.meta.cwd || '/', programAtK);
    const { spawn } = await import('node-pty');
    const sessionId = randomBytes(8).toString('hex');
    const server = await startGdbServer(reader, { at: k, onMove: (to) => this.options.emit('onGdbCheckpoint', { sessionId, k: to }) });
    let pty: IPty;
    try {
      // sysroot /: the recorded libraries are read from this machine's files (saves gdb a
      // "remote target does not support file transfer" detour and its warning).
      const args = ['-q', '-iex', 'set sysroot /', program, '-ex', `target remote ${server.address}`];
      pty = spawn(gdb, args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd, env: { ...process.env, TERM: 'xterm-256color' } });
    } catch (e) {
      await server.close();
      throw new ApiError(`cannot start gdb: ${e instanceof Error ? e.message : String(e)}`, 'failed');
    }
    let markGone!: () => void;
    const t: GdbTerminal = { sessionId, rec, pty, server, gone: new Promise<void>((r) => (markGone = r)), exited: false };
    this.terminals.set(sessionId, t);
    pty.onData((data) => this.options.emit('onGdbData', { sessionId, data }));
    pty.onExit(({ exitCode, signal }) => {
      t.exited = true;
      void server.close().finally(() => {
        this.terminals.delete(sessionId);
        markGone();
        this.options.emit('onGdbExit', { sessionId, exitCode, signal: signal ? signal : null });
      });
    });
    return { sessionId, program, address: server.address };
  }

  private known(sessionId: string): GdbTerminal {
    const t = this.terminals.get(sessionId);
    if (!t) throw new ApiError(`no gdb terminal ${sessionId} (it has exited, or never was)`, 'not-found');
    return t;
  }

  /** Keystrokes for gdb (dropped when it is exiting). */
  input(sessionId: string, data: string): void {
    const t = this.known(sessionId);
    if (!t.exited) t.pty.write(data);
  }

  resize(sessionId: string, cols: number, rows: number): void {
    const t = this.known(sessionId);
    if (t.exited) return;
    try {
      t.pty.resize(cols, rows);
    } catch {
      // It exited between the check and the ioctl.
    }
  }

  /** Ends gdb (SIGHUP, then SIGKILL) and closes its server; resolves when both are gone. False: no such terminal. */
  async close(sessionId: string): Promise<boolean> {
    const t = this.terminals.get(sessionId);
    if (!t) return false;
    await this.end(t);
    return true;
  }

  /** Closes every terminal over recording `rec` (before the recording itself is closed). */
  async closeFor(rec: string): Promise<void> {
    await Promise.all([...this.terminals.values()].filter((t) => t.rec === rec).map((t) => this.end(t)));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.terminals.values()].map((t) => this.end(t)));
  }

  private async end(t: GdbTerminal): Promise<void> {
    if (t.exited) return t.gone; // its server is closing
    signal(t.pty, 'SIGHUP'); // gdb quits on hangup, as when its terminal window closes
    const timer = setTimeout(() => signal(t.pty, 'SIGKILL'), KILL_GRACE_MS);
    await t.gone;
    clearTimeout(timer);
  }
}

function signal(pty: IPty, sig: string): void {
  try {
    pty.kill(sig);
  } catch {
    // Already gone.
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!existsSync(path) || !statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` looked up on PATH (or checked as is, when it has a slash); null when there is none. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | null {
  if (name.includes('/')) return isExecutableFile(name) ? resolve(name) : null;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}
