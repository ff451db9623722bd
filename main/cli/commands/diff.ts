/**
 * `delorean diff REC K1 K2 [--limit N] [--json]`: what differs in memory between two
 * checkpoints: mappings added and removed, and, in memory mapped at both, every page whose
 * bytes differ with the byte ranges that do (pages with no new version between the two are
 * skipped without being read).
 */
import { diffJson } from '../../api/json.js';
import { symbolAt } from '../../api/locations.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { rangeOptions, round, runQuery } from '../query.js';

const hex = (v: bigint): string => '0x' + v.toString(16);

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('diff', argv, { limit: { type: 'string' }, json: { type: 'boolean' } });
  const [recPath, a, b, extra] = positionals;
  if (extra !== undefined) throw new CliError(`diff: unexpected argument '${extra}'`, 2);
  if (recPath !== undefined && (a === undefined || b === undefined)) throw new CliError('diff: usage: delorean diff REC K1 K2', 2);
  const { from: k1, to: k2 } = rangeOptions({ from: a, to: b });
  const limit = parseIndex(values.limit, '--limit');
  return runQuery('diff', io, recPath, { expr: null, upTo: Math.max(k1 ?? 0, k2 ?? 0) }, async ({ engine, signal, onProgress }) => {
    const r = await engine.diff(k1!, k2!, { signal, ...(onProgress ? { onProgress } : {}), ...(limit !== undefined ? { limit } : {}) });
    if (values.json) {
      io.stdout(JSON.stringify({ ...diffJson(engine, r), ms: round(r.ms) }) + '\n');
      return 0;
    }
    for (const m of r.maps.removed) io.stdout(`- map ${hex(m.start)}-${hex(m.end)} ${m.perms} ${m.path}\n`);
    for (const m of r.maps.added) io.stdout(`+ map ${hex(m.start)}-${hex(m.end)} ${m.perms} ${m.path}\n`);
    const MAX_RANGES = 8;
    for (const p of r.pages) {
      io.stdout(`page ${hex(p.page)}: ${p.changedBytes} byte${p.changedBytes === 1 ? '' : 's'} differ\n`);
      for (const x of p.ranges.slice(0, MAX_RANGES)) {
        const at = p.page + BigInt(x.offset);
        const sym = symbolAt(engine, at, k2!);
        io.stdout(`    ${hex(at)}+${x.length}${sym ? `  ${sym}` : ''}\n`);
      }
      if (p.ranges.length > MAX_RANGES) io.stdout(`    ... ${p.ranges.length - MAX_RANGES} more ranges\n`);
    }
    io.stdout(`${r.totalPages} page${r.totalPages === 1 ? '' : 's'} differ between checkpoints ${r.from} and ${r.to}${r.truncated ? ` (showing ${r.pages.length}: --limit)` : ''}; ${r.maps.added.length} mappings added, ${r.maps.removed.length} removed\n`);
    return 0;
  });
}
