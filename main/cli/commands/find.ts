/**
 * `delorean find REC 'PRED' [--all] [--limit N] [--from K] [--to K] [--json]`: exact search.
 *
 * Without --all: the first checkpoint where the predicate holds ({"checkpoint":K|null}).
 * With --all: every transition of the predicate's value, starting with its value at --from
 * ({"transitions":[{"checkpoint":K,"value":V}]}); for a comparison that is its truth (0/1),
 * for any other expression its value, so `find --all REC 'u32(&counter)'` lists every value.
 * Integers are decimal strings (64-bit safe); "type" says int, float, string or error.
 *
 * This file also holds what the query commands (bisect, find, changes, diff) share: opening
 * the recording with an engine, Ctrl-C as an abort, progress on a terminal, and predicate
 * errors drawn with a caret under the position (exit 2).
 */
import { formatPredicateError, PredicateSyntaxError } from '../../../shared/predicate/parser.js';
import { decodeBytes, formatValue, type Value } from '../../../shared/predicate/values.js';
import { Engine, EngineError, type Progress, type Transition } from '../../engine/engine.js';
import { syscallName } from '../../api/syscalls.js';
import type { RecordingReader } from '../../store/types.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { openForCli } from '../recording.js';

export interface QueryContext {
  readonly engine: Engine;
  readonly reader: RecordingReader;
  readonly signal: AbortSignal;
  /** Progress reporter for the engine (draws on stderr when it is a terminal). */
  readonly onProgress: ((p: Progress) => void) | undefined;
}

/**
 * Runs a query command's body with an engine over the recording at `recPath`; turns Ctrl-C,
 * predicate errors and engine errors into messages and exit codes.
 */
export async function runQuery(
  command: string,
  io: CliIo,
  recPath: string | undefined,
  predicate: string | null,
  body: (ctx: QueryContext) => Promise<number>,
): Promise<number> {
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
    return await body({ engine, reader, signal: controller.signal, onProgress });
  } catch (e) {
    if (progressShown) io.stderr('\r\x1b[K');
    progressShown = false;
    if (controller.signal.aborted) {
      io.stderr(`delorean: ${command}: interrupted (Ctrl-C); nothing was changed\n`);
      return 130;
    }
    if (e instanceof PredicateSyntaxError && predicate !== null) {
      io.stderr(`delorean: ${command}: bad predicate\n${formatPredicateError(predicate, e)}\n`);
      return 2;
    }
    if (e instanceof EngineError) throw new CliError(`${command}: ${e.message}`);
    throw e;
  } finally {
    if (progressShown) io.stderr('\r\x1b[K');
    process.off('SIGINT', onSigint);
    engine.close();
    reader.close();
  }
}

/** Shared option parsing for --from/--to. */
export function rangeOptions(values: { from?: string | undefined; to?: string | undefined }): { from?: number; to?: number } {
  const from = parseIndex(values.from, '--from');
  const to = parseIndex(values.to, '--to');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** A predicate value for JSON: 64-bit integers as decimal strings. */
export function valueJson(v: Value | null): { value: string | number | null; type: 'int' | 'float' | 'string' | 'error' } {
  if (v === null) return { value: null, type: 'error' };
  if (v.kind === 'int') return { value: v.value.toString(), type: 'int' };
  if (v.kind === 'float') return { value: Number.isFinite(v.value) ? v.value : String(v.value), type: 'float' };
  return { value: decodeBytes(v.value), type: 'string' };
}

export const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export function describeCheckpoint(reader: RecordingReader, k: number): string {
  const c = reader.checkpoint(k);
  return c.trigger === 'syscall' ? `syscall ${syscallName(Number(c.detail))}` : c.trigger;
}

function transitionLine(t: Transition, boolean: boolean): string {
  const what = t.value === null ? `error: ${t.error}` : boolean ? (t.holds ? 'true' : 'false') : formatValue(t.value);
  return `${String(t.checkpoint).padStart(10)}  ${what}\n`;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('find', argv, {
    all: { type: 'boolean' },
    limit: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [recPath, predicate, extra] = positionals;
  if (extra !== undefined) throw new CliError(`find: unexpected argument '${extra}' (quote the predicate)`, 2);
  if (recPath !== undefined && predicate === undefined) throw new CliError("find: missing predicate (usage: delorean find REC 'PRED')", 2);
  const range = rangeOptions(values);
  const limit = parseIndex(values.limit, '--limit');
  return runQuery('find', io, recPath, predicate ?? null, async ({ engine, reader, signal, onProgress }) => {
    const pred = predicate!;
    const opts = { ...range, signal, ...(onProgress ? { onProgress } : {}) };
    if (!values.all) {
      const r = await engine.find(pred, opts);
      if (values.json) {
        io.stdout(JSON.stringify({ checkpoint: r.checkpoint, evaluations: r.evaluations, mode: r.mode, ms: round(r.ms) }) + '\n');
      } else if (r.checkpoint === null) {
        io.stdout(`the predicate never holds in checkpoints ${range.from ?? 0}..${range.to ?? reader.checkpointCount - 1}\n`);
      } else {
        io.stdout(`checkpoint ${r.checkpoint} (${describeCheckpoint(reader, r.checkpoint)})\n`);
      }
      if (!values.json && r.mode === 'every-checkpoint') io.stderr('note: the predicate reads registers, so every checkpoint was evaluated\n');
      return 0;
    }
    const r = await engine.find(pred, { ...opts, all: true, ...(limit !== undefined ? { limit } : {}) });
    if (values.json) {
      const transitions = r.transitions.map((t) => ({ checkpoint: t.checkpoint, ...valueJson(t.value), ...(t.error ? { error: t.error } : {}) }));
      io.stdout(JSON.stringify({ transitions, truncated: r.truncated, evaluations: r.evaluations, mode: r.mode, ms: round(r.ms) }) + '\n');
      return 0;
    }
    io.stdout(`${'checkpoint'.padStart(10)}  ${r.boolean ? 'holds' : 'value'}\n`);
    for (const t of r.transitions) io.stdout(transitionLine(t, r.boolean));
    if (r.truncated) io.stdout(`(stopped after ${r.transitions.length} transitions: --limit)\n`);
    if (r.mode === 'every-checkpoint') io.stderr('note: the predicate reads registers, so every checkpoint was evaluated\n');
    return 0;
  });
}
