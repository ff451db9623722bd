/**
 * `delorean bisect REC 'PRED' [--from K] [--to K] [--json]`: binary search for the first
 * checkpoint where a monotone predicate holds (false before it, true from it on), in about
 * log2(N) probes, each a partial rollback of the pages the predicate reads.
 * JSON: {"checkpoint":K|null,"probes":N,"ms":T}. For predicates that are not monotone, use
 * `find` (exact, no assumption).
 */
import { parseCommandArgs } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { describeCheckpoint } from '../../api/describe.js';
import { rangeOptions, round, runQuery } from '../query.js';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('bisect', argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [recPath, predicate, extra] = positionals;
  if (extra !== undefined) throw new CliError(`bisect: unexpected argument '${extra}' (quote the predicate)`, 2);
  if (recPath !== undefined && predicate === undefined) throw new CliError("bisect: missing predicate (usage: delorean bisect REC 'PRED')", 2);
  const range = rangeOptions(values);
  return runQuery('bisect', io, recPath, { expr: predicate ?? null, upTo: range.to ?? null }, async ({ engine, reader, signal, onProgress }) => {
    const r = await engine.bisect(predicate!, { ...range, signal, ...(onProgress ? { onProgress } : {}) });
    if (values.json) {
      io.stdout(JSON.stringify({ checkpoint: r.checkpoint, probes: r.probes, ms: round(r.ms) }) + '\n');
    } else if (r.checkpoint === null) {
      io.stdout(`the predicate does not hold at the end of checkpoints ${range.from ?? 0}..${range.to ?? reader.checkpointCount - 1} (${r.probes} probes)\n`);
    } else {
      io.stdout(`checkpoint ${r.checkpoint} (${describeCheckpoint(engine, r.checkpoint)}): first to hold, ${r.probes} probes in ${r.ms.toFixed(1)} ms\n`);
    }
    return 0;
  });
}
