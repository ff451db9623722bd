/**
 * `delorean find REC 'PRED' [--all] [--limit N] [--from K] [--to K] [--json]`: exact search.
 *
 * Without --all: the first checkpoint where the predicate holds ({"checkpoint":K|null}).
 * With --all: every transition of the predicate's value, starting with its value at --from
 * ({"transitions":[{"checkpoint":K,"value":V}]}); for a comparison that is its truth (0/1),
 * for any other expression its value, so `find --all REC 'u32(&counter)'` lists every value.
 * Integers are decimal strings (64-bit safe); "type" says int, float, string or error.
 */
import { decodeBytes, formatValue, type Value } from '../../../shared/predicate/values.js';
import { describeCheckpoint } from '../../api/describe.js';
import type { Transition } from '../../engine/engine.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { rangeOptions, round, runQuery } from '../query.js';

/** A predicate value for JSON: 64-bit integers as decimal strings. */
export function valueJson(v: Value | null): { value: string | number | null; type: 'int' | 'float' | 'string' | 'error' } {
  if (v === null) return { value: null, type: 'error' };
  if (v.kind === 'int') return { value: v.value.toString(), type: 'int' };
  if (v.kind === 'float') return { value: Number.isFinite(v.value) ? v.value : String(v.value), type: 'float' };
  return { value: decodeBytes(v.value), type: 'string' };
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
  return runQuery('find', io, recPath, { expr: predicate ?? null, upTo: range.to ?? null }, async ({ engine, reader, signal, onProgress }) => {
    const pred = predicate!;
    const opts = { ...range, signal, ...(onProgress ? { onProgress } : {}) };
    if (!values.all) {
      const r = await engine.find(pred, opts);
      if (values.json) {
        io.stdout(JSON.stringify({ checkpoint: r.checkpoint, evaluations: r.evaluations, mode: r.mode, ms: round(r.ms) }) + '\n');
      } else if (r.checkpoint === null) {
        io.stdout(`the predicate never holds in checkpoints ${range.from ?? 0}..${range.to ?? reader.checkpointCount - 1}\n`);
      } else {
        io.stdout(`checkpoint ${r.checkpoint} (${describeCheckpoint(engine, r.checkpoint)})\n`);
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
