/**
 * What every query command shares: the recording opened read-only with an engine over it,
 * Ctrl-C as an abort, progress on a terminal, and errors through the API's one translation
 * (main/api/errors.ts): predicate and address errors drawn with a caret under the position
 * (exit 2), everything the engine and store refuse as "delorean: COMMAND: message" (exit 1).
 */
import { formatPredicateError, PredicateSyntaxError } from '../../shared/predicate/parser.js';
import { knownError, refuseLost } from '../api/errors.js';
import { Engine, type Progress } from '../engine/engine.js';
import type { RecordingReader } from '../store/types.js';
import { parseIndex } from './args.js';
import { CliError, exitCodeOf, type CliIo } from './io.js';
import { openForCli } from './recording.js';

export interface QueryContext {
  readonly engine: Engine;
  readonly reader: RecordingReader;
  readonly signal: AbortSignal;
  /** Progress reporter for the engine (draws on stderr when it is a terminal). */
  readonly onProgress: ((p: Progress) => void) | undefined;
}

/**
 * Runs a query command's body with an engine over the recording at `recPath`. `expr` is the
 * predicate or address expression the command was given, for drawing a caret under an error;
 * `upTo` the last checkpoint the answer depends on (null: through the end), so that a
 * recording that lost checkpoints answers only what it still holds whole.
 */
export async function runQuery(
  command: string,
  io: CliIo,
  recPath: string | undefined,
  query: { readonly expr: string | null; readonly upTo: number | null },
  body: (ctx: QueryContext) => Promise<number>,
): Promise<number> {
  const { expr, upTo } = query;
  const reader = await openForCli(recPath, command, io);
  const engine = new Engine(reader);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('interrupted'));
  process.on('SIGINT', onSigint);
  let progressShown = false;
  const onProgress = io.isTTY
    ? (p: Progress): void => {
        const pct = p.fraction === null ? '' : `${(p.fraction * 100).toFixed(1).padStart(5)}%  `;
        io.stderr(`\r\x1b[K${command}: ${pct}${p.message}`);
        progressShown = true;
      }
    : undefined;
  try {
    refuseLost(reader, upTo);
    return await body({ engine, reader, signal: controller.signal, onProgress });
  } catch (e) {
    if (progressShown) io.stderr('\r\x1b[K');
    progressShown = false;
    if (controller.signal.aborted) {
      io.stderr(`delorean: ${command}: interrupted (Ctrl-C); nothing was changed\n`);
      return 130;
    }
    if (e instanceof PredicateSyntaxError && expr !== null) {
      io.stderr(`delorean: ${command}: bad ${command === 'find' || command === 'bisect' ? 'predicate' : 'address'}\n${formatPredicateError(expr, e)}\n`);
      return 2;
    }
    const known = knownError(e);
    if (known) throw new CliError(`${command}: ${known.message}`, exitCodeOf(known.code));
    throw e;
  } finally {
    if (progressShown) io.stderr('\r\x1b[K');
    process.off('SIGINT', onSigint);
    engine.close();
    reader.close();
  }
}

/** --from/--to. */
export function rangeOptions(values: { from?: string | undefined; to?: string | undefined }): { from?: number; to?: number } {
  const from = parseIndex(values.from, '--from');
  const to = parseIndex(values.to, '--to');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** Milliseconds to three decimals, for JSON. */
export const round = (ms: number): number => Math.round(ms * 1000) / 1000;
