/**
 * `delorean gdbserver REC [--port P] [--at K]`: serves a recording to gdb over the remote
 * protocol (main/gdb/server.ts) until Ctrl-C, on a Unix socket only this user can reach, or on
 * 127.0.0.1:P admitting only this user's connections. Prints the gdb command line to use.
 */
import { GdbServerError, startGdbServer } from '../../gdb/server.js';
import { checkCheckpoint, parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo, untilInterrupted } from '../io.js';
import { openForCli } from '../recording.js';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('gdbserver', argv, { port: { type: 'string', short: 'p' }, at: { type: 'string' } });
  if (positionals.length > 1) throw new CliError(`gdbserver: expected one recording, got ${positionals.length} (usage: delorean gdbserver REC [--port P] [--at K])`, 2);
  const port = parseIndex(values.port, '--port');
  if (port !== undefined && port > 65535) throw new CliError(`--port must be at most 65535, got ${port}`, 2);
  const r = await openForCli(positionals[0], 'gdbserver');
  try {
    const at = checkCheckpoint(parseIndex(values.at, '--at') ?? 0, r.checkpointCount);
    let server;
    try {
      server = await startGdbServer(r, { port, at, log: (line) => io.stderr(`delorean gdbserver: ${line}\n`) });
    } catch (e) {
      if (e instanceof GdbServerError) throw new CliError(`gdbserver: ${e.message}`);
      throw e;
    }
    const program = r.programAt(at);
    io.stdout(
      `DeLorean gdbserver: ${r.path}, checkpoints 0..${r.checkpointCount - 1}, starting at ${at}. Listening on ${server.address} (this user only).\n\n` +
        `  gdb -ex 'target remote ${server.address}' ${/^[\w@%+=:,./-]+$/.test(program) ? program : `'${program.replace(/'/g, `'\\''`)}'`}\n\n` +
        'continue / reverse-continue move to the next / previous checkpoint where a watchpoint changed; stepi / reverse-stepi move one\n' +
        'checkpoint; `monitor goto K` jumps (then `maintenance flush register-cache`); `monitor help` for more. Ctrl-C stops the server.\n',
    );
    await untilInterrupted();
    io.stderr('delorean gdbserver: stopping\n');
    await server.close();
    return 0;
  } finally {
    r.close();
  }
}
