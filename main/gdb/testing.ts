/**
 * Test support for the gdb faces: run the real gdb in batch mode and pick its answers apart.
 * Tests import this; nothing else does.
 */
import { Engine } from '../engine/engine.js';
import { run, type RunResult } from '../testing/cli.js';

/** `gdb -batch -nx` with these commands (each an -ex) against PROGRAM [CORE]. */
export async function gdb(commands: readonly string[], program: string, core?: string): Promise<RunResult & { output: string }> {
  const args = ['-batch', '-nx', '-iex', 'set debuginfod enabled off', '-iex', 'set confirm off', ...commands.flatMap((c) => ['-ex', c]), program, ...(core ? [core] : [])];
  const r = await run('gdb', args, { timeoutMs: 90_000 });
  return { ...r, output: r.stdout + r.stderr };
}

/** The values of gdb's `print` commands in order ("$1 = 42" -> "42"; not always at a line start: stepi leaves "PC\t"). */
export function printed(output: string): string[] {
  return [...output.matchAll(/(?:^|\t)\$\d+ = (.*)$/gm)].map((m) => m[1]!);
}

/** An integer expression of the predicate language at checkpoint k, as a decimal string. */
export function valueAt(engine: Engine, expr: string, k: number): string {
  const r = engine.evaluate(expr, k);
  if (!r.ok) throw new Error(`${expr} at ${k}: ${r.reason}`);
  if (r.value.kind !== 'int') throw new Error(`${expr} at ${k} is not an integer`);
  return r.value.value.toString();
}

/** Whether gdb is installed (the tests need the real one). */
export async function haveGdb(): Promise<boolean> {
  try {
    return (await run('gdb', ['--version'], { timeoutMs: 10_000 })).code === 0;
  } catch {
    return false;
  }
}
