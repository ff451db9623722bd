/** The contract's JSON shapes of engine results, built once for the service and the CLI's --json alike. */
import { toHex64 } from '../../shared/api/bytes.js';
import type { DiffResult, MapJson } from '../../shared/api/contract.js';
import type { MapEntry } from '../../shared/model/recording.js';
import type { DiffResult as EngineDiff, Engine } from '../engine/engine.js';
import { symbolAt } from './locations.js';

export function mapJson(m: MapEntry): MapJson {
  return { start: toHex64(m.start), end: toHex64(m.end), perms: m.perms, offset: toHex64(m.offset), dev: m.dev, inode: m.inode, path: m.path };
}

/** How many ranges of a page a diff names (rangeCount says how many there are). */
const DIFF_RANGES = 32;

/** A diff as the contract has it: each page with its first byte ranges, each named by the symbol it falls in (at `to`). */
export function diffJson(engine: Engine, r: EngineDiff): DiffResult {
  return {
    from: r.from,
    to: r.to,
    pages: r.pages.map((p) => ({
      addr: toHex64(p.page),
      changedBytes: p.changedBytes,
      ranges: p.ranges.slice(0, DIFF_RANGES).map((x) => {
        const at = p.page + BigInt(x.offset);
        return { addr: toHex64(at), length: x.length, symbol: symbolAt(engine, at, r.to) };
      }),
      rangeCount: p.ranges.length,
    })),
    totalPages: r.totalPages,
    truncated: r.truncated,
    maps: { added: r.maps.added.map(mapJson), removed: r.maps.removed.map(mapJson) },
  };
}
