/**
 * The debug info of the modules mapped at a checkpoint, as lowering asks for it: variables,
 * types and enumerators of the main program first, then of each library that carries debug
 * info. Debug info is read once per file (path + inode), like ELF symbols.
 */
import { SymbolError, type Module, type SymbolTable } from '../symbols.js';
import { DebugInfo, DwarfError, type Type, type Variable } from './dwarf.js';
import type { NameScope } from './lower.js';

/** Debug info per file; a file without it (or with damaged debug info) is remembered as such. */
export class DebugInfoCache {
  private readonly files = new Map<string, DebugInfo | DwarfError | null>();

  get(mod: Module): DebugInfo | DwarfError | null {
    const key = `${mod.path}\0${mod.inode}`;
    let d = this.files.get(key);
    if (d === undefined) {
      try {
        d = DebugInfo.open(mod.path, mod.elf);
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        d = new DwarfError(`${mod.path}: ${e.message}`);
      }
      this.files.set(key, d);
    }
    return d;
  }
}

export class DebugScope implements NameScope {
  private readonly withInfo: ReadonlyArray<{ mod: Module; info: DebugInfo }>;
  /** Files whose debug info could not be read, with why. */
  readonly problems: readonly string[];

  constructor(
    private readonly table: SymbolTable,
    cache: DebugInfoCache,
  ) {
    const withInfo: Array<{ mod: Module; info: DebugInfo }> = [];
    const problems: string[] = [];
    for (const mod of table.modules) {
      const d = cache.get(mod);
      if (d instanceof DebugInfo) withInfo.push({ mod, info: d });
      else if (d instanceof DwarfError) problems.push(d.message);
    }
    this.withInfo = withInfo;
    this.problems = problems;
  }

  get hasDebugInfo(): boolean {
    return this.withInfo.length > 0;
  }

  variable(name: string, library: string | null): { module: string; variable: Variable } | null {
    const lib = library === null ? null : this.table.findModule(library);
    for (const { mod, info } of this.withInfo) {
      if (lib && mod !== lib) continue;
      const v = info.variable(name);
      if (v) return { module: mod.path, variable: v };
    }
    return null;
  }

  namedType(name: string): Type | null {
    for (const { info } of this.withInfo) {
      const t = info.namedType(name);
      if (t) return t;
    }
    return null;
  }

  enumerator(name: string): { value: bigint; type: Type } | null {
    for (const { info } of this.withInfo) {
      const e = info.enumerator(name);
      if (e) return e;
    }
    return null;
  }

  elfSymbolSize(name: string, library: string | null): bigint | null {
    try {
      return this.table.symbol(name, library).size;
    } catch (e) {
      if (e instanceof SymbolError) return null;
      throw e;
    }
  }

  /** Variable names of every module with debug info (completion). */
  variableNames(): string[] {
    return this.withInfo.flatMap(({ info }) => [...info.variableNames()]);
  }
}

/** One file's debug info alone, unrelocated (addresses as in the file, as gdb shows them before a run): tests and the bench. */
export function fileScope(path: string, info: DebugInfo): NameScope {
  return {
    hasDebugInfo: true,
    variable: (name) => {
      const v = info.variable(name);
      return v ? { module: path, variable: v } : null;
    },
    namedType: (name) => info.namedType(name),
    enumerator: (name) => info.enumerator(name),
    elfSymbolSize: () => null,
  };
}
