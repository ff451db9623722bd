/**
 * `delorean record [options] -- PROGRAM [ARGS...]`: run a program under the recorder.
 *
 * The program runs on a pseudo-terminal (so its output can be kept with the recording and
 * shown at any checkpoint); its output is copied to our stdout (to stderr with --json, so
 * stdout stays one JSON document). When stdin is a terminal, our keyboard reaches it through
 * that pseudo-terminal; otherwise (a pipe, a file) the program reads our stdin itself.
 * The exit code is 0 when the recording completed, whatever the program's own status (that
 * is in the summary); 1 when nothing could be recorded, or when the store stopped early (a
 * full disk: the checkpoints committed before are kept and the error says how many).
 */
import { basename } from 'node:path';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { RecordError, RecordingSession, type BackendChoice, type RecordingSummary } from '../../recorder/session.js';
import { formatReduction } from '../../../shared/api/format.js';

const BACKENDS: readonly BackendChoice[] = ['auto', 'uffd-wp', 'soft-dirty', 'hash'];

function defaultOut(program: string, now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `./${basename(program).replace(/\s+/g, '-')}-${stamp}.dlr`;
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

export function describeExit(s: RecordingSummary): string {
  if (!s.exit) return 'still running when recording ended';
  if (s.exit.kind === 'exited') return `exited with status ${s.exit.code}`;
  if (s.exit.kind === 'signaled') return `killed by signal ${s.exit.signal}`;
  return 'detached (left running)';
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const { values, positionals } = parseCommandArgs('record', own, {
    out: { type: 'string', short: 'o' },
    syscalls: { type: 'string' },
    interval: { type: 'string' },
    break: { type: 'string', multiple: true },
    backend: { type: 'string' },
    'max-checkpoints': { type: 'string' },
    'on-recorder-exit': { type: 'string' },
    cwd: { type: 'string' },
    attach: { type: 'string' },
    json: { type: 'boolean' },
  });
  const command = dash >= 0 ? argv.slice(dash + 1) : positionals;
  if (dash >= 0 && positionals.length) throw new CliError(`record: unexpected '${positionals[0]}' before --`, 2);
  const attach = parseIndex(values.attach, '--attach');
  if (attach !== undefined && command.length) throw new CliError('record: give either --attach PID or a program, not both', 2);
  const [program = attach !== undefined ? `pid ${attach}` : undefined, ...args] = command;
  if (!program) throw new CliError('record: no program given (usage: delorean record [options] -- PROGRAM [ARGS...])', 2);
  const backend = (values.backend ?? 'auto') as BackendChoice;
  if (!BACKENDS.includes(backend)) throw new CliError(`record: unknown backend '${values.backend}' (expected ${BACKENDS.join(', ')})`, 2);
  const onExit = values['on-recorder-exit'];
  if (onExit !== undefined && onExit !== 'kill' && onExit !== 'detach') throw new CliError(`record: --on-recorder-exit takes kill or detach, got '${onExit}'`, 2);
  if (onExit === 'kill' && attach !== undefined) throw new CliError('record: --on-recorder-exit kill cannot be used with --attach (an attached program is always left running)', 2);
  if (values.interval !== undefined && !/^\d+(ns|us|ms|s)$/.test(values.interval)) throw new CliError(`record: --interval takes a duration like 1ms, 250us or 2s, got '${values.interval}'`, 2);
  const json = values.json ?? false;

  const stdin = process.stdin;
  const interactive = Boolean(stdin.isTTY);
  let session: RecordingSession;
  try {
    session = await RecordingSession.start({
      program,
      args,
      attach,
      cwd: values.cwd,
      out: values.out ?? defaultOut(program),
      syscalls: values.syscalls === undefined ? undefined : values.syscalls === 'all' ? 'all' : values.syscalls.split(',').filter(Boolean),
      interval: values.interval,
      breaks: values.break,
      backend,
      maxCheckpoints: parseIndex(values['max-checkpoints'], '--max-checkpoints'),
      onRecorderExit: onExit as 'kill' | 'detach' | undefined,
      terminal: { kind: interactive ? 'pty' : 'stdin', cols: process.stdout.columns ?? 120, rows: process.stdout.rows ?? 40 },
    });
  } catch (e) {
    if (e instanceof RecordError) throw new CliError(e.message);
    throw e;
  }

  const echo = json ? io.stderr : io.stdout;
  session.onOutput((d) => echo(d));
  session.onWarning((w) => io.stderr(`delorean: warning: ${w}\n`));
  let progressShown = false;
  if (io.isTTY && !json) {
    session.onProgress((p) => {
      progressShown = true;
      io.stderr(`\r\x1b[2K  ${p.checkpoints} checkpoints  ${Math.round(p.rate)}/s  ${mb(p.storedBytes)} stored`);
    });
  }
  const onResize = (): void => session.resize(process.stdout.columns ?? 120, process.stdout.rows ?? 40);
  const onInput = (d: Buffer): void => session.write(d.toString('utf8'));
  if (interactive) {
    stdin.setRawMode(true);
    stdin.on('data', onInput);
    process.stdout.on('resize', onResize);
  }
  // Ctrl-C reaches the program through the pty in raw mode; a SIGINT/SIGTERM sent to us ends the recording cleanly.
  const onSignal = (): void => session.stop(1);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let summary: RecordingSummary;
  try {
    summary = await session.done;
  } catch (e) {
    if (e instanceof RecordError) throw new CliError(e.message);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (interactive) {
      stdin.off('data', onInput);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.off('resize', onResize);
    }
    if (progressShown) io.stderr('\r\x1b[2K');
  }

  if (json) {
    io.stdout(
      JSON.stringify({
        out: summary.out,
        checkpoints: summary.checkpoints,
        backend: summary.backend,
        exit: summary.exit,
        rawBytes: summary.stats.rawBytes,
        storedBytes: summary.stats.storedBytes,
        reduction: summary.reduction,
        durationMs: summary.durationMs,
        warnings: summary.warnings,
      }) + '\n',
    );
  } else {
    io.stderr(
      `delorean: recorded ${summary.checkpoints} checkpoints to ${summary.out}\n` +
        `  program ${describeExit(summary)}; backend ${summary.backend ?? '?'}; ` +
        `${mb(summary.stats.rawBytes)} of pages stored in ${mb(summary.stats.storedBytes)} (${formatReduction(summary.reduction)})\n`,
    );
  }
  // The store gave up (a full disk): what it committed is kept, but the recording is not whole.
  if (summary.failure) throw new CliError(`recording stopped early: ${summary.failure}; kept ${summary.checkpoints} checkpoints in ${summary.out}`);
  return 0;
}
