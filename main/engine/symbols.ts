/**
 * Symbols at a checkpoint: the ELF symbol tables of the executable and every shared library
 * mapped at that checkpoint, relocated to where they were loaded.
 *
 * A module is a file with a mapping at file offset 0 in mapsAt(k). Its load base is that
 * mapping's start minus the lowest PT_LOAD vaddr (page-aligned) for ET_DYN files (PIE
 * executables, shared objects); ET_EXEC files are linked at their run address (base 0).
 * Parsed ELF files are cached per path + inode (ElfCache, shared across checkpoints), so a
 * new SymbolTable only relocates. Files that are not ELF (fonts, locale archives, data files
 * mapped by the program) are skipped; a file whose inode on disk differs from the recording's
 * is still used, with a warning, since a rebuilt binary usually keeps its layout.
 *
 * Name lookup prefers the main executable, then libraries in address order, and global
 * symbols over local ones. Addresses map back to `name+offset` via a sorted array and binary
 * search.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { FileIdentity, MapEntry } from '../../shared/model/recording.js';
import { fileChange } from '../store/identity.js';
import { ElfError, readElfFile, type ElfFile, type ElfSymbol } from './elf.js';

export class SymbolError extends Error {
  constructor(
    message: string,
    readonly suggestions: readonly string[] = [],
  ) {
    super(message);
    this.name = 'SymbolError';
  }
}

/** Parsed ELF files by path + inode; failures are cached too (a data file stays a data file). */
export class ElfCache {
  private readonly files = new Map<string, ElfFile | ElfError>();
  private readonly changes = new Map<string, string | null>();

  /** Why the file at path is not the recorded one (null: it is), checked once per cache. */
  change(path: string, recorded: FileIdentity): string | null {
    const key = `${path}\0${recorded.sha256}`;
    if (!this.changes.has(key)) this.changes.set(key, fileChange(path, recorded));
    return this.changes.get(key)!;
  }

  get(path: string, inode: number): ElfFile | ElfError {
    const key = `${path}\0${inode}`;
    let f = this.files.get(key);
    if (!f) {
      try {
        f = readElfFile(path);
      } catch (e) {
        if (!(e instanceof ElfError)) throw e;
        f = e;
      }
      this.files.set(key, f);
    }
    return f;
  }
}

export interface Module {
  readonly path: string;
  readonly name: string; // basename: "libc.so.6"
  readonly inode: number;
  readonly elf: ElfFile;
  /** Add to a file vaddr to get a run-time address (0 for ET_EXEC). */
  readonly base: bigint;
  /** Run-time range covered by its PT_LOAD segments (including .bss). */
  readonly start: bigint;
  readonly end: bigint;
  readonly isMain: boolean;
}

export interface SymbolInfo {
  readonly name: string;
  readonly section: number;
  readonly address: bigint; // run-time
  readonly size: bigint;
  readonly type: ElfSymbol['type'];
  readonly bind: ElfSymbol['bind'];
  readonly module: Module;
}

export interface SymbolLocation {
  readonly name: string;
  readonly offset: bigint;
  readonly library: string; // basename of the module ("guard", "libc.so.6")
  readonly path: string;
  readonly address: bigint; // of the symbol itself
}

const BIND_RANK: Readonly<Record<ElfSymbol['bind'], number>> = { global: 0, weak: 1, other: 2, local: 3 };

export class SymbolTable {
  readonly modules: readonly Module[];
  readonly warnings: readonly string[];
  private readonly byName = new Map<string, SymbolInfo[]>();
  private readonly sorted: SymbolInfo[];

  /** Why the program's own symbols are left out (its file is not the one recorded), or null. */
  readonly programChanged: string | null = null;

  /** `programFile`: the executable's identity as recorded; a file on disk that differs gives no symbols (never wrong ones). */
  constructor(maps: readonly MapEntry[], programPath: string, cache: ElfCache, programFile?: FileIdentity) {
    const warnings: string[] = [];
    const modules: Module[] = [];
    const seen = new Set<string>();
    for (const m of maps) {
      if (m.offset !== 0n || !m.path.startsWith('/') || m.path.endsWith(' (deleted)')) continue;
      const key = `${m.path}\0${m.inode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (m.path === programPath && programFile) {
        const change = cache.change(m.path, programFile);
        if (change) {
          this.programChanged = `the program ${m.path} is not the file that was recorded: ${change}; its symbols, types and lines would be wrong (rebuild it as it was, or record again)`;
          warnings.push(this.programChanged);
          continue;
        }
      }
      const elf = cache.get(m.path, m.inode);
      if (elf instanceof ElfError) continue;
      if (elf.loads.length === 0) continue;
      const base = elf.kind === 'exec' ? 0n : m.start - elf.minLoadVaddr;
      let lo = elf.loads[0]!.vaddr;
      let hi = lo;
      for (const s of elf.loads) {
        if (s.vaddr < lo) lo = s.vaddr;
        if (s.vaddr + s.memsz > hi) hi = s.vaddr + s.memsz;
      }
      const inodeNow = safeInode(m.path);
      if (inodeNow !== null && m.inode !== 0 && inodeNow !== m.inode) {
        warnings.push(`${m.path} changed on disk since the recording (inode ${m.inode}, now ${inodeNow}): symbols may be wrong`);
      }
      modules.push({ path: m.path, name: basename(m.path), inode: m.inode, elf, base, start: base + lo, end: base + hi, isMain: m.path === programPath });
    }
    // Main executable first; the rest keep address order.
    modules.sort((a, b) => (a.isMain === b.isMain ? 0 : a.isMain ? -1 : 1));
    this.modules = modules;
    this.warnings = warnings;

    const all: SymbolInfo[] = [];
    for (const mod of modules) {
      for (const s of mod.elf.symbols) {
        const info: SymbolInfo = { name: s.name, section: s.section, address: mod.base + s.value, size: s.size, type: s.type, bind: s.bind, module: mod };
        all.push(info);
        let list = this.byName.get(s.name);
        if (!list) this.byName.set(s.name, (list = []));
        list.push(info);
      }
    }
    const rank = new Map(modules.map((m, i) => [m, i]));
    for (const list of this.byName.values()) {
      list.sort((a, b) => rank.get(a.module)! - rank.get(b.module)! || BIND_RANK[a.bind] - BIND_RANK[b.bind]);
    }
    // By address; at one address the larger symbol first, so a backwards scan meets the smaller one first.
    this.sorted = all.sort((a, b) => cmp(a.address, b.address) || cmp(b.size, a.size));
  }

  get mainModule(): Module | null {
    return this.modules.find((m) => m.isMain) ?? this.modules[0] ?? null;
  }

  /** The module named by `library`: a path, a basename ("libc.so.6") or its stem ("libc", "libc.so"). */
  findModule(library: string): Module | null {
    return (
      this.modules.find((m) => m.path === library || m.name === library) ??
      this.modules.find((m) => m.name.startsWith(library + '.')) ??
      null
    );
  }

  /** The address of a symbol, optionally in one library. Throws SymbolError with near names. */
  resolveSymbol(name: string, library: string | null = null): bigint {
    return this.symbol(name, library).address;
  }

  symbol(name: string, library: string | null = null): SymbolInfo {
    if (library !== null) {
      const mod = this.findModule(library);
      if (!mod) {
        const names = this.modules.map((m) => m.name);
        throw new SymbolError(`no library '${library}' is loaded (loaded: ${names.join(', ') || 'none'})`, nearest(library, names));
      }
      const hit = this.byName.get(name)?.find((s) => s.module === mod);
      if (!hit) {
        const near = nearest(name, mod.elf.symbols.map((s) => s.name));
        throw new SymbolError(`unknown symbol '${name}' in ${mod.name}${didYouMean(near)}`, near);
      }
      return hit;
    }
    const list = this.byName.get(name);
    if (!list || list.length === 0) {
      const near = nearest(name, [...this.byName.keys()]);
      if (this.programChanged) throw new SymbolError(`cannot resolve '${name}': ${this.programChanged}`);
      throw new SymbolError(`unknown symbol '${name}'${didYouMean(near)}`, near);
    }
    return list[0]!;
  }

  /**
   * The symbol containing `addr` as name+offset; failing that, the nearest symbol of unknown
   * size before it in the same section (assembly labels), else null.
   */
  lookup(addr: bigint): SymbolLocation | null {
    const mod = this.moduleAt(addr);
    if (!mod) return null;
    // Last symbol with address <= addr.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.address <= addr) lo = mid + 1;
      else hi = mid;
    }
    let fallback: SymbolInfo | null = null;
    for (let i = lo - 1; i >= 0; i--) {
      const s = this.sorted[i]!;
      if (s.module !== mod) {
        if (s.address < mod.start) break;
        continue;
      }
      if (s.size > 0n && addr < s.address + s.size) return location(this.preferredAlias(s, i), addr);
      if (s.size === 0n && !fallback && this.inSection(s, addr)) fallback = this.preferredAlias(s, i);
      // Sized symbols ending before addr: keep looking for an enclosing one a little further back
      // (nested objects are rare; stop after a bounded scan).
      if (lo - i > 64) break;
    }
    return fallback ? location(fallback, addr) : null;
  }

  /**
   * Among symbols with the same address and size in one module (malloc and __libc_malloc), the
   * one a person would name: global before local, fewer leading underscores, shorter.
   */
  private preferredAlias(s: SymbolInfo, i: number): SymbolInfo {
    const better = (x: SymbolInfo, y: SymbolInfo): boolean =>
      (BIND_RANK[x.bind] - BIND_RANK[y.bind] || /^_*/.exec(x.name)![0].length - /^_*/.exec(y.name)![0].length || x.name.length - y.name.length) < 0;
    let best = s;
    for (const dir of [-1, 1]) {
      for (let j = i + dir; j >= 0 && j < this.sorted.length; j += dir) {
        const o = this.sorted[j]!;
        if (o.address !== s.address) break;
        if (o.module === s.module && o.size === s.size && better(o, best)) best = o;
      }
    }
    return best;
  }

  private inSection(s: SymbolInfo, addr: bigint): boolean {
    const sec = s.module.elf.sections[s.section];
    if (!sec || sec.addr === 0n) return false;
    const start = s.module.base + sec.addr;
    return addr >= start && addr < start + sec.size;
  }

  moduleAt(addr: bigint): Module | null {
    return this.modules.find((m) => addr >= m.start && addr < m.end) ?? null;
  }

  /** Names starting with `prefix` (or `lib!prefix`), main executable first, at most `limit`. */
  complete(prefix: string, limit = 50): string[] {
    const bang = prefix.indexOf('!');
    const out = new Set<string>();
    if (bang >= 0) {
      const mod = this.findModule(prefix.slice(0, bang));
      if (!mod) return [];
      const rest = prefix.slice(bang + 1);
      for (const s of [...mod.elf.symbols].sort((a, b) => a.name.localeCompare(b.name))) {
        if (s.name.startsWith(rest)) out.add(`${prefix.slice(0, bang)}!${s.name}`);
        if (out.size >= limit) break;
      }
      return [...out];
    }
    for (const mod of this.modules) {
      const names = mod.elf.symbols.filter((s) => s.name.startsWith(prefix)).map((s) => s.name).sort();
      for (const n of names) {
        out.add(n);
        if (out.size >= limit) return [...out];
      }
    }
    return [...out];
  }
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function location(s: SymbolInfo, addr: bigint): SymbolLocation {
  return { name: s.name, offset: addr - s.address, library: s.module.name, path: s.module.path, address: s.address };
}

function safeInode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

function didYouMean(near: readonly string[]): string {
  return near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(', ')}?)` : '';
}

/** Up to `max` names closest to `word` (all at the best distance found): small edit distance, or containing it. */
export function nearest(word: string, names: Iterable<string>, max = 3): string[] {
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  const scored: Array<[number, string]> = [];
  const lower = word.toLowerCase();
  for (const n of new Set(names)) {
    if (n === word) continue;
    if (Math.abs(n.length - word.length) > limit && !n.toLowerCase().includes(lower)) continue;
    const d = n.toLowerCase().includes(lower) ? 0.5 + (n.length - word.length) / 100 : editDistance(lower, n.toLowerCase(), limit);
    if (d <= limit) scored.push([d, n]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  const best = scored[0]?.[0];
  return scored
    .filter(([d]) => Math.floor(d) === Math.floor(best!))
    .slice(0, max)
    .map(([, n]) => n);
}

/** Edit distance with adjacent transpositions (optimal string alignment), giving up past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
