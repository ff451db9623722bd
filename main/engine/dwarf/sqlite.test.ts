/**
 * A large real program: the SQLite amalgamation built here with -g (sqlite-program.ts fetches
 * its source from the npm registry once). Every global's type, address and size agree with
 * gdb's, and so do the members and elements reachable from them (a bounded sample) and the
 * layouts of the structs they use. Skipped, saying why, when the source cannot be fetched.
 */
import { describe, expect, it } from 'vitest';
import { parsePredicate } from '../../../shared/predicate/parser.js';
import { readElfFile } from '../elf.js';
import { DebugInfo, sizeOf, stripType, typeName, type StructType, type Type } from './dwarf.js';
import { fileScope, foldAddress, lvalues } from './dwarf.test-support.js';
import { gdbAddress, gdbAnswers, gdbLayout, gdbValue, haveTool } from './gdb-oracle.js';
import { lowerExpression } from './lower.js';
import { sqliteProgram } from './sqlite-program.js';

const built = haveTool('gdb') ? sqliteProgram('gcc', ['-O0', '-g']) : { error: 'gdb is not installed' };
if ('error' in built) console.warn(`sqlite.test: skipped: ${built.error}`);

describe.skipIf('error' in built)('SQLite amalgamation (gcc -O0 -g) against gdb', () => {
  it('agrees on every global, a sample of their members, and their structs layouts', () => {
    const prog = (built as { path: string }).path;
    const info = DebugInfo.open(prog, readElfFile(prog))!;
    const scope = fileScope(prog, info);
    const names = [...info.variableNames()].sort();
    expect(names.length).toBeGreaterThan(90);
    expect(names).toEqual(expect.arrayContaining(['sqlite3Config', 'sqlite3_version', 'sqlite3BuiltinFunctions', 'sqlite3Autoext']));
    const exprs: string[] = [...names];
    // Members and elements: the first ones of each global, a bounded sample overall.
    for (const n of names) {
      const more: string[] = [];
      lvalues(n, info.variable(n)!.type, more);
      exprs.push(...more.slice(1, 25));
    }
    const answers = gdbAnswers(prog, exprs.flatMap((x) => [`whatis ${x}`, `print &(${x})`, `print sizeof(${x})`]));
    const mine = exprs.map((x) => {
      const l = lowerExpression(parsePredicate(x), scope, x);
      return { x, type: typeName(l.top.type!), address: '0x' + foldAddress(l.top.addr!).toString(16), size: sizeOf(l.top.type!) };
    });
    const theirs = exprs.map((x, i) => ({ x, type: gdbValue(answers[3 * i]!), address: '0x' + gdbAddress(answers[3 * i + 1]!).toString(16), size: Number(gdbValue(answers[3 * i + 2]!)) }));
    expect(mine).toEqual(theirs);

    const structs = new Set<Type>();
    const collect = (t: Type): void => {
      const s = stripType(t);
      if ((s.kind === 'struct' || s.kind === 'union') && !structs.has(s)) {
        structs.add(s);
        s.members.forEach((m) => collect(m.type));
      } else if (s.kind === 'array') collect(s.element);
      else if (s.kind === 'pointer' && structs.size < 60) collect(s.target);
    };
    names.forEach((n) => collect(info.variable(n)!.type));
    const named = ([...structs] as StructType[]).filter((s) => s.name !== null && !s.declaration).slice(0, 60);
    expect(named.length).toBeGreaterThan(20);
    const layouts = gdbAnswers(prog, named.map((s) => `ptype/o ${s.kind} ${s.name}`));
    named.forEach((s, i) => {
      const ours = s.members.map((m) => {
        const bit = m.bitOffset ?? m.offset * 8;
        return { offset: s.kind === 'union' ? 0 : Math.floor(bit / 8), bit: s.kind === 'union' ? 0 : bit % 8, size: sizeOf(m.type) };
      });
      expect({ struct: `${s.kind} ${s.name}`, members: ours }).toEqual({ struct: `${s.kind} ${s.name}`, members: gdbLayout(layouts[i]!) });
    });
  });
});
