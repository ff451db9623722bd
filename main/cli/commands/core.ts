/**
 * `delorean core REC --at K -o FILE [--force] [--json]`: an ELF core file of the process as it
 * was at checkpoint K (main/gdb/core.ts), for `gdb PROGRAM FILE`. FILE must not exist; with
 * --force an existing one is replaced (atomically, by rename).
 */
import { CoreError, CoreExistsError, writeCore } from '../../gdb/core.js';
import { checkCheckpoint, parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { openForCli } from '../recording.js';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('core', argv, { at: { type: 'string' }, out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, json: { type: 'boolean' } });
  if (positionals.length > 1) throw new CliError(`core: expected one recording, got ${positionals.length} (usage: delorean core REC --at K -o FILE)`, 2);
  const at = parseIndex(values.at, '--at');
  if (at === undefined) throw new CliError('core: --at K is required', 2);
  if (!values.out) throw new CliError('core: -o FILE is required', 2);
  const r = await openForCli(positionals[0], 'core');
  try {
    checkCheckpoint(at, r.checkpointCount);
    let summary;
    try {
      summary = await writeCore(r, at, values.out, {
        replace: values.force,
        onProgress: io.isTTY ? (done, total) => io.stderr(`\rwriting core: ${Math.floor((100 * done) / total)}%`) : undefined,
      });
    } catch (e) {
      if (e instanceof CoreExistsError) throw new CliError(`core: ${e.message}; --force replaces it`);
      if (e instanceof CoreError) throw new CliError(`core: ${e.message}`);
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw new CliError(`core: cannot write ${values.out}: ${(e as Error).message}`);
      throw e;
    } finally {
      if (io.isTTY) io.stderr('\r\x1b[K');
    }
    const program = r.programAt(at);
    if (values.json) {
      io.stdout(JSON.stringify({ ...summary, program, ms: Math.round(summary.ms) }) + '\n');
      return 0;
    }
    io.stdout(
      `wrote ${summary.path}: checkpoint ${at}, ${summary.threads} thread${summary.threads === 1 ? '' : 's'}, ${summary.segments} mappings, ` +
        `${summary.size} bytes (${summary.written} written, the rest sparse) in ${Math.round(summary.ms)} ms\n` +
        `open it with: gdb ${shellQuote(program)} ${shellQuote(summary.path)}\n`,
    );
    if (!summary.auxv) io.stderr('delorean core: warning: no auxiliary vector found on the stack; gdb may not relocate a PIE executable\n');
    return 0;
  } finally {
    r.close();
  }
}

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
