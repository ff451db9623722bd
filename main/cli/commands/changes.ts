/**
 * `delorean changes REC ADDRESS [--len N] [--from K] [--to K] [--limit N] [--json]`: every
 * checkpoint where the bytes at ADDRESS changed, with the bytes before and after. Walks only
 * the version lists of the pages those bytes cover (and memory map changes), not every
 * checkpoint.
 *
 * ADDRESS is an address expression at --from (main/api/locations.ts): a number, a symbol,
 * `symbol+8`, `lib.so!name`, `ptr(head)+8`, or an expression over the program's debug info
 * (`ledger.guard`). Without --len the length is the size of its type when the debug info
 * describes it (`changes REC ledger.guard`), or the symbol's size when ADDRESS is a bare symbol
 * of 1..4096 bytes, else 8.
 * JSON: {"changes":[{"checkpoint":K,"old":"hex","new":"hex"}]} (null where unmapped).
 */
import { bytesToHex } from '../../../shared/api/bytes.js';
import { formatLittleEndian } from '../../../shared/api/format.js';
import { resolveLocation } from '../../api/locations.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { rangeOptions, round, runQuery } from '../query.js';

const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : bytesToHex(b));

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('changes', argv, {
    len: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [recPath, addrExpr, extra] = positionals;
  if (extra !== undefined) throw new CliError(`changes: unexpected argument '${extra}'`, 2);
  if (recPath !== undefined && addrExpr === undefined) throw new CliError('changes: missing ADDRESS (a number, a symbol, symbol+OFFSET)', 2);
  const range = rangeOptions(values);
  const lenOpt = parseIndex(values.len, '--len');
  if (lenOpt !== undefined && (lenOpt < 1 || lenOpt > 4096)) throw new CliError('changes: --len must be between 1 and 4096', 2);
  const limit = parseIndex(values.limit, '--limit');
  return runQuery('changes', io, recPath, { expr: addrExpr ?? null, upTo: range.to ?? null }, async ({ engine, reader, signal, onProgress }) => {
    const from = engine.checkCheckpoint(range.from ?? 0, '--from checkpoint');
    const location = resolveLocation(engine, addrExpr!, from);
    const address = location.address;
    if (lenOpt === undefined && location.type !== null && location.size !== null && location.size > 4096) {
      throw new CliError(`changes: '${addrExpr}' is ${location.size} bytes, more than the 4096 changes follows: name a member or an element, or give --len`);
    }
    const len = lenOpt ?? (location.size !== null && location.size <= 4096 ? location.size : 8);
    const r = await engine.changes(address, len, { ...range, signal, ...(onProgress ? { onProgress } : {}), ...(limit !== undefined ? { limit } : {}) });
    if (values.json) {
      io.stdout(
        JSON.stringify({
          address: '0x' + address.toString(16),
          len,
          initial: hexOrNull(r.initial),
          changes: r.changes.map((c) => ({ checkpoint: c.checkpoint, old: hexOrNull(c.old), new: hexOrNull(c.new) })),
          truncated: r.truncated,
          ms: round(r.ms),
        }) + '\n',
      );
      return 0;
    }
    const name = location.symbol ? ` (${location.symbol})` : '';
    io.stdout(`${len} bytes at 0x${address.toString(16)}${name}: ${formatLittleEndian(r.initial)} at checkpoint ${from}\n`);
    if (r.changes.length === 0) io.stdout(`no changes through checkpoint ${range.to ?? reader.checkpointCount - 1}\n`);
    for (const c of r.changes) io.stdout(`${String(c.checkpoint).padStart(10)}  ${formatLittleEndian(c.old)} -> ${formatLittleEndian(c.new)}\n`);
    if (r.truncated) io.stdout(`(stopped after ${r.changes.length} changes: --limit)\n`);
    return 0;
  });
}
