/**
 * Source-level names (main/engine/dwarf): what debug info costs.
 *
 *   sqlite_*_load_ms       opening the SQLite amalgamation's debug info (one pass over
 *                          .debug_info building the index), the first time in this process and
 *                          the median of 5 more; target < 1000 ms
 *   sqlite_resolve_*_us    resolving an expression (parse + lowering through the debug info):
 *                          the first time (its types decoded) and again (types cached)
 *   search_*               exact search on a recording of bench/programs/names_loop.c (a
 *                          checkpoint per step, the searched value changing at every one):
 *                          the same search written with names and with typed reads; the names
 *                          cost only their one resolution, so the ratio should be ~1
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parsePredicate } from '../shared/predicate/parser.js';
import { DebugInfo } from '../main/engine/dwarf/dwarf.js';
import { fileScope } from '../main/engine/dwarf/scope.js';
import { lowerExpression } from '../main/engine/dwarf/lower.js';
import { sqliteProgram } from '../main/engine/dwarf/sqlite-program.js';
import { readElfFile } from '../main/engine/elf.js';
import { Engine } from '../main/engine/engine.js';
import { openRecording } from '../main/store/reader.js';
import { DELOREAN_CLI, median, removeDir, round, scratchDir, type Figures } from './workloads/util.js';

const NAMES_LOOP = join(process.cwd(), 'native-recorder/build/bench/names_loop');

function sectionSize(path: string, name: string): number {
  return Number(readElfFile(path).sections.find((s) => s.name === name)?.size ?? 0n);
}

function benchSqlite(cc: string, flags: string[], tag: string, out: Figures): void {
  const built = sqliteProgram(cc, flags);
  if ('error' in built) {
    out[`sqlite_${tag}`] = `skipped: ${built.error}`;
    return;
  }
  const elf = readElfFile(built.path);
  out[`sqlite_${tag}_debug_info_bytes`] = sectionSize(built.path, '.debug_info');
  let t = performance.now();
  const first = DebugInfo.open(built.path, elf)!;
  out[`sqlite_${tag}_load_first_ms`] = round(performance.now() - t, 1);
  const again: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    DebugInfo.open(built.path, elf);
    again.push(performance.now() - t);
  }
  out[`sqlite_${tag}_load_ms`] = round(median(again), 1);
  out[`sqlite_${tag}_globals`] = [...first.variableNames()].length;
  const scope = fileScope(built.path, first);
  const expr = 'sqlite3Config.pcache2.xFetch != 0 && sqlite3BuiltinFunctions.a[3]->nArg >= 0';
  t = performance.now();
  lowerExpression(parsePredicate(expr), scope, expr);
  out[`sqlite_${tag}_resolve_first_us`] = round((performance.now() - t) * 1000, 0);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    t = performance.now();
    lowerExpression(parsePredicate(expr), scope, expr);
    times.push(performance.now() - t);
  }
  out[`sqlite_${tag}_resolve_us`] = round(median(times) * 1000, 1);
}

async function benchSearch(steps: number, out: Figures): Promise<void> {
  execFileSync('make', ['-s', '-C', 'native-recorder', 'build/bench/names_loop'], { stdio: 'inherit' });
  const dir = scratchDir('names');
  try {
    const rec = join(dir, 'names.dlr');
    const r = spawnSync(process.execPath, [DELOREAN_CLI, 'record', '--syscalls', 'write', '-o', rec, '--json', '--', NAMES_LOOP, String(steps)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`recording names_loop failed: ${r.stderr}`);
    const reader = await openRecording(rec);
    const engine = new Engine(reader);
    try {
      const last = steps - 1;
      const pairs: Array<[string, string, string]> = [
        ['counter', `state.counter == ${last}`, `u32(&state + 8) == ${last}`],
        ['chain', `state.head->next->value == ${2 * last}`, `i32(ptr(ptr(&state + 24) + 8)) == ${2 * last}`],
      ];
      out.search_checkpoints = reader.checkpointCount;
      for (const [tag, names, typed] of pairs) {
        let t = performance.now();
        engine.prepare(names, [0, reader.checkpointCount - 1]);
        out[`search_${tag}_resolve_ms`] = round(performance.now() - t, 3);
        // Both lower to the same reads (state has debug info, so `&state` resolves through it
        // too): the ratio shows that names add nothing per step. One warm-up run each first.
        await engine.find(names, {});
        await engine.find(typed, {});
        const runs: Record<string, number[]> = { names: [], typed: [] };
        let found: Record<string, number | null> = {};
        for (let i = 0; i < 6; i++) {
          // Alternating which goes first, so neither gets the other's warm caches every time.
          const order = [['names', names], ['typed', typed]] as const;
          for (const [which, pred] of i % 2 ? [...order].reverse() : order) {
            t = performance.now();
            const res = await engine.find(pred, {});
            runs[which]!.push(performance.now() - t);
            found = { ...found, [which]: res.checkpoint };
            out[`search_${tag}_evaluations`] = res.evaluations;
          }
        }
        if (found.names !== found.typed || found.names === null) throw new Error(`names and typed reads disagree: ${JSON.stringify(found)}`);
        out[`search_${tag}_names_ms`] = round(median(runs.names!), 1);
        out[`search_${tag}_typed_ms`] = round(median(runs.typed!), 1);
        out[`search_${tag}_names_over_typed`] = round(median(runs.names!) / median(runs.typed!), 2);
      }
    } finally {
      engine.close();
      reader.close();
    }
  } finally {
    removeDir(dir);
  }
}

export async function benchNames(quick: boolean): Promise<Figures> {
  const out: Figures = {};
  benchSqlite('gcc', ['-O0', '-g'], 'gcc_O0', out);
  if (!quick && spawnSync('sh', ['-c', 'command -v clang']).status === 0) benchSqlite('clang', ['-O2', '-gdwarf-5'], 'clang_O2', out);
  await benchSearch(quick ? 5_000 : 20_000, out);
  return out;
}
