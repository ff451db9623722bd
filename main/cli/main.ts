/**
 * `delorean`: the CLI over the same engine the app uses. One file per command in commands/,
 * each exporting `run(args, io)`; this file only dispatches and turns errors into exit codes.
 */
import { CliError, processIo, type CliIo, type CommandRun } from './io.js';
import { RecordingError } from '../store/types.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: CommandRun }> }> = {
  record: { summary: 'record a program: delorean record [options] -- PROGRAM [ARGS...]', load: () => import('./commands/record.js') },
  info: { summary: 'summarise a recording: delorean info REC [--json]', load: () => import('./commands/info.js') },
  read: { summary: 'read memory at a checkpoint: delorean read REC --at K ADDRESS [--len N | --type T] [--json]', load: () => import('./commands/read.js') },
  maps: { summary: 'memory map at a checkpoint: delorean maps REC --at K [--json]', load: () => import('./commands/maps.js') },
  regs: { summary: 'registers at a checkpoint: delorean regs REC --at K [--thread TID] [--json]', load: () => import('./commands/regs.js') },
  diff: { summary: 'what changed between two checkpoints: delorean diff REC K1 K2 [--json]', load: () => import('./commands/diff.js') },
  changes: { summary: 'every change of some bytes: delorean changes REC ADDRESS [--len N] [--from K] [--to K] [--json]', load: () => import('./commands/changes.js') },
  bisect: { summary: "first checkpoint where a monotone predicate holds: delorean bisect REC 'PRED' [--from K] [--to K] [--json]", load: () => import('./commands/bisect.js') },
  find: { summary: "exact search for a predicate: delorean find REC 'PRED' [--all] [--from K] [--to K] [--json]", load: () => import('./commands/find.js') },
  core: { summary: 'write a core file of a checkpoint, for gdb: delorean core REC --at K -o FILE [--force] [--json]', load: () => import('./commands/core.js') },
  gdbserver: { summary: 'serve a recording to gdb (target remote): delorean gdbserver REC [--port P] [--at K]', load: () => import('./commands/gdbserver.js') },
  serve: { summary: 'open a recording in a browser: delorean serve [REC] [--port P]', load: () => import('./commands/serve.js') },
  open: { summary: 'open a recording in the desktop app: delorean open REC', load: () => import('./commands/open.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary.replace(/^[^:]*: /, '')}`);
  return `DeLorean: a time-travel debugger for Linux programs.\n\nUsage: delorean COMMAND [ARGS...]\n\n${lines.join('\n')}\n\nEvery query command takes --json. See README.md for details.\n`;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return 0;
  }
  if (!name) {
    // A usage error: the usage goes to stderr, so stdout stays empty for scripts.
    io.stderr(`delorean: no command given\n\n${usage()}`);
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`delorean: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    io.stdout(`usage: ${command.summary.replace(/^[^:]*: /, '')}\n`);
    return 0;
  }
  try {
    const { run } = await command.load();
    return await run(rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`delorean: ${e.message}\n`);
      return e.exitCode;
    }
    // A recording file found unreadable while a command runs (it names the file and why).
    if (e instanceof RecordingError) {
      io.stderr(`delorean: ${e.message}\n`);
      return 1;
    }
    io.stderr(`delorean: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
}
