/** `delorean maps REC --at K [--json]`: the memory map in force at a checkpoint. */
import { mapJson } from '../../api/json.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { runQuery } from '../query.js';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('maps', argv, { at: { type: 'string' }, json: { type: 'boolean' } });
  const at = parseIndex(values.at, '--at');
  if (positionals[0] !== undefined && at === undefined) throw new CliError('maps: --at K is required', 2);
  return runQuery('maps', io, positionals[0], { expr: null, upTo: at ?? null }, async ({ engine, reader }) => {
    const maps = reader.mapsAt(engine.checkCheckpoint(at!));
    if (values.json) {
      io.stdout(JSON.stringify({ checkpoint: at, maps: maps.map(mapJson) }) + '\n');
    } else {
      for (const m of maps) io.stdout(`${m.start.toString(16).padStart(12, '0')}-${m.end.toString(16).padStart(12, '0')} ${m.perms} ${m.offset.toString(16).padStart(8, '0')} ${m.path}\n`);
    }
    return 0;
  });
}
