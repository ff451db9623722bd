/**
 * Test and bench support: gdb's own answers about a program (and optionally a core file), to
 * check the DWARF reader against. Tests and the bench import this; nothing else does.
 */
import { spawnSync } from 'node:child_process';

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

const MARK = '@@delorean-gdb@@';

/** Runs gdb in batch mode over `program` (and `core`); returns each command's output (stdout and stderr, trimmed). */
export function gdbAnswers(program: string, commands: readonly string[], core: string | null = null): string[] {
  // -ex per command: a failing command does not stop the rest (as it would in a script).
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set width 0', ...commands.flatMap((c) => ['-ex', `echo ${MARK}\\n`, '-ex', c]), program, ...(core ? [core] : [])];
  const r = spawnSync('sh', ['-c', 'exec gdb "$@" 2>&1', 'gdb', ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`gdb failed (${r.status}): ${r.stdout}`);
  const parts = r.stdout.split(`${MARK}\n`);
  const out = parts.slice(1).map((p) => p.trim());
  if (out.length !== commands.length) throw new Error(`gdb answered ${out.length} of ${commands.length} commands: ${r.stdout.slice(0, 2000)}`);
  return out;
}

/** `$1 = (T) 0x40a0 <x>` or `type = T` or `$2 = 144`: the text after '= '. */
export function gdbValue(answer: string): string {
  const m = /^(?:\$\d+|type) = ([\s\S]*)$/.exec(answer);
  if (!m) throw new Error(`not a gdb value: ${answer}`);
  return m[1]!;
}

/** `print &x` → the address; the pointer's type is dropped. */
export function gdbAddress(answer: string): bigint {
  const m = /^\$\d+ = (?:\(.*\) )?(0x[0-9a-f]+)/.exec(answer);
  if (!m) throw new Error(`not a gdb address: ${answer}`);
  return BigInt(m[1]!);
}

/** Direct members of a `ptype/o` answer: byte offset (0 for a union's), bit offset within that byte, size in bytes. */
export function gdbLayout(answer: string): Array<{ offset: number; bit: number; size: number }> {
  const out: Array<{ offset: number; bit: number; size: number }> = [];
  for (const line of answer.split('\n')) {
    const m = /^\/\*\s+(?:(\d+)(?::\s*(\d+))?\s*\|)?\s*(\d+) \*\/ {4}(\S.*)$/.exec(line);
    if (!m || m[4]!.startsWith(' ')) continue;
    out.push({ offset: Number(m[1] ?? 0), bit: Number(m[2] ?? 0), size: Number(m[3]) });
  }
  return out;
}
