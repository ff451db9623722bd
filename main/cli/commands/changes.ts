/**
 * `delorean changes REC ADDRESS [--len N] [--from K] [--to K] [--limit N] [--json]`: every
 * checkpoint where the bytes at ADDRESS changed, with the bytes before and after. Walks only
 * the version lists of the pages those bytes cover (and memory map changes), not every
 * checkpoint.
 *
 * ADDRESS is an address expression at --from: a number, a symbol, `symbol+8`, `lib.so!name`,
 * even `ptr(head)+8`. Without --len the length is the symbol's size when ADDRESS is a bare
 * symbol of 1..4096 bytes, or the size of its type when the debug info describes it
 * (`changes REC ledger.guard`), else 8.
 * JSON: {"changes":[{"checkpoint":K,"old":"hex","new":"hex"}]} (null where unmapped).
 */
import { bytesToHex } from '../../../shared/api/bytes.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { rangeOptions, round, runQuery } from './find.js';

const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : bytesToHex(b));

/** 1, 2, 4 or 8 bytes as the little-endian integer they hold (decimal and hex), else hex bytes. */
function asNumber(b: Uint8Array | null): string {
  if (b === null) return 'unmapped';
  if (![1, 2, 4, 8].includes(b.length)) return bytesToHex(b);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return `${v} (0x${v.toString(16).padStart(b.length * 2, '0')})`;
}

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
  return runQuery('changes', io, recPath, addrExpr ?? null, async ({ engine, reader, signal, onProgress }) => {
    const from = engine.checkCheckpoint(range.from ?? 0, '--from checkpoint');
    // An object the debug info describes: its address and size (its type says how long it is).
    const loc = /^\s*(0x[0-9a-fA-F]+|\d+)\s*$/.test(addrExpr!) ? null : engine.locate(addrExpr!, from);
    if (lenOpt === undefined && loc && loc.address !== null && loc.size > 4096) {
      throw new CliError(`changes: '${addrExpr}' is ${loc.size} bytes, more than the 4096 changes follows: name a member or an element, or give --len`);
    }
    let len = lenOpt ?? (loc && loc.address !== null ? loc.size : undefined);
    if (len === undefined) {
      const bare = /^\s*&?\s*(?:([^\s!]+)!)?([A-Za-z_][\w.]*)\s*$/.exec(addrExpr!);
      let size = 0;
      if (bare) {
        try {
          size = Number(engine.symbolsAt(from).symbol(bare[2]!, bare[1] ?? null).size);
        } catch {
          size = 0; // not a symbol: the evaluation below names the problem
        }
      }
      len = size >= 1 && size <= 4096 ? size : 8;
    }
    const address = loc && loc.address !== null ? loc.address : engine.resolveAddress(addrExpr!, from);
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
    const sym = engine.symbolAt(address, from);
    const name = sym ? ` (${sym.name}${sym.offset ? `+${sym.offset}` : ''})` : '';
    io.stdout(`${len} bytes at 0x${address.toString(16)}${name}: ${asNumber(r.initial)} at checkpoint ${from}\n`);
    if (r.changes.length === 0) io.stdout(`no changes through checkpoint ${range.to ?? reader.checkpointCount - 1}\n`);
    for (const c of r.changes) io.stdout(`${String(c.checkpoint).padStart(10)}  ${asNumber(c.old)} -> ${asNumber(c.new)}\n`);
    if (r.truncated) io.stdout(`(stopped after ${r.changes.length} changes: --limit)\n`);
    return 0;
  });
}
