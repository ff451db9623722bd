/**
 * Every query command through the real `delorean` binary on a damaged copy of a real
 * recording: each file of it cut short, with bytes flipped, or missing, in turn. Shared by
 * cli-damage.test.ts (a sample of damages per file) and bench/reliability.ts (all of them).
 *
 * The rule, per query and damage: exit 0 with exactly the answer the undamaged recording
 * gives, or exit 1 with a one-line "delorean: ..." error that says the recording is damaged
 * (or a file is missing) and names it; never exit >= 2, a stack trace, or another answer.
 */
import { copyFileSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { delorean } from '../testing/cli.js';

/** The queries run at each damage (REC stands for the recording), over a recording of `counter 30` with --syscalls write. */
export const COUNTER_QUERIES: readonly (readonly string[])[] = [
  ['info', 'REC'],
  ['read', 'REC', '--at', '20', 'counter', '--type', 'u64'],
  ['read', 'REC', '--at', '31', 'squares', '--len', '16'],
  ['maps', 'REC', '--at', '5'],
  ['regs', 'REC', '--at', '10'],
  ['diff', 'REC', '3', '20'],
  ['changes', 'REC', 'counter'],
  ['bisect', 'REC', 'u64(counter) >= 17'],
  ['find', 'REC', 'u64(squares) == 144'],
  ['find', 'REC', '--all', 'u64(counter)'],
];

export type Damage = { readonly kind: 'cut'; readonly at: number } | { readonly kind: 'flip'; readonly at: number; readonly bytes: number } | { readonly kind: 'missing' };

export interface DamageCase {
  readonly file: string;
  readonly damage: Damage;
}

/** The damages of one file: cut to half and to its header, bytes flipped at a quarter, a half and near the end, missing. */
export function damagesOf(size: number, all: boolean): Damage[] {
  if (size === 0) return [{ kind: 'missing' }];
  const sample: Damage[] = [{ kind: 'cut', at: Math.floor(size / 2) }, { kind: 'flip', at: Math.floor(size / 2), bytes: 4 }, { kind: 'missing' }];
  if (!all) return sample;
  const cuts = [0, 1, 24, Math.floor(size / 4), Math.floor((3 * size) / 4), size - 1].filter((n) => n >= 0 && n < size).map((at): Damage => ({ kind: 'cut', at }));
  const flips = [0, 24, Math.floor(size / 4), Math.floor((3 * size) / 4), Math.max(0, size - 8)].map((at): Damage => ({ kind: 'flip', at, bytes: 1 }));
  return [...sample, ...cuts, ...flips];
}

export const describeDamage = (c: DamageCase): string =>
  c.damage.kind === 'missing' ? `${c.file} missing` : c.damage.kind === 'cut' ? `${c.file} cut to ${c.damage.at} bytes` : `${c.file}: ${c.damage.bytes} bytes flipped at ${c.damage.at}`;

export interface CliDamageStats {
  cases: number;
  queries: number;
  /** Exit 0 with the undamaged recording's answer. */
  same: number;
  /** Exit 1 with a clear error. */
  refused: number;
  /** Everything else, described (empty when the rule held). */
  failures: string[];
}

/**
 * A --json answer without the fields that are not about the recording's contents: timings,
 * which differ from run to run, and info's bytes on disk, which measure the files as they are.
 */
function answer(stdout: string): string {
  return JSON.stringify(JSON.parse(stdout), (k, v: unknown) => (k === 'ms' || k === 'storedBytes' || k === 'reduction' ? undefined : v));
}

/** Runs `jobs` with at most `width` at once, in order of their results. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

/**
 * Damages a copy of `recording` in `work` (an empty directory) case by case and runs queries
 * of `queries` on it through bin/delorean.js, judging each against the undamaged answer:
 * every query at every damage, or with `perCase` that many per damage, taken in turn so that
 * each query meets damages of every file.
 */
export async function damageThroughCli(recording: string, work: string, queries: readonly (readonly string[])[], opts: { all: boolean; perCase?: number; width?: number }): Promise<CliDamageStats> {
  const files = new Map(readdirSync(recording).map((n) => [n, readFileSync(join(recording, n))]));
  const restore = (): void => {
    for (const n of readdirSync(work)) if (!files.has(n)) rmSync(join(work, n), { force: true, recursive: true });
    for (const n of files.keys()) copyFileSync(join(recording, n), join(work, n));
  };
  const argvOf = (q: readonly string[]): string[] => [...q.map((a) => (a === 'REC' ? work : a)), '--json'];
  const width = opts.width ?? 3;

  restore();
  const expected = await pool(
    queries.map((q) => async () => {
      const r = await delorean(argvOf(q));
      if (r.code !== 0) throw new Error(`the undamaged recording: delorean ${q.join(' ')} exited ${r.code}: ${r.stderr}`);
      return answer(r.stdout);
    }),
    width,
  );

  const stats: CliDamageStats = { cases: 0, queries: 0, same: 0, refused: 0, failures: [] };
  for (const [file, bytes] of files) {
    for (const damage of damagesOf(bytes.length, opts.all)) {
      const c: DamageCase = { file, damage };
      restore();
      const path = join(work, file);
      if (damage.kind === 'missing') rmSync(path);
      else if (damage.kind === 'cut') truncateSync(path, damage.at);
      else {
        const b = Buffer.from(bytes);
        for (let i = damage.at; i < Math.min(b.length, damage.at + damage.bytes); i++) b[i] = b[i]! ^ 0xff;
        writeFileSync(path, b);
      }
      const picked = opts.perCase === undefined ? queries.map((_, i) => i) : Array.from({ length: Math.min(opts.perCase, queries.length) }, (_, j) => (stats.cases * opts.perCase! + j) % queries.length);
      stats.cases++;
      const results = await pool(
        picked.map((i) => () => delorean(argvOf(queries[i]!))),
        width,
      );
      results.forEach((r, j) => {
        const i = picked[j]!;
        stats.queries++;
        const what = `${describeDamage(c)}: delorean ${queries[i]!.join(' ')} exited ${r.code}`;
        if (r.code === 0) {
          let got: string;
          try {
            got = answer(r.stdout);
          } catch {
            got = r.stdout;
          }
          if (got === expected[i]) stats.same++;
          else stats.failures.push(`${what} with another answer:\n  ${r.stdout.slice(0, 300)}\n  expected ${expected[i]!.slice(0, 300)}`);
          return;
        }
        const clear = r.code === 1 && /^delorean: /.test(r.stderr) && r.stderr.trim().split('\n').length === 1 && !/internal error|\n\s+at /.test(r.stderr) && /damaged|missing/.test(r.stderr) && r.stderr.includes(work);
        if (clear) stats.refused++;
        else stats.failures.push(`${what}:\n  ${r.stderr.slice(0, 600)}`);
      });
    }
  }
  restore();
  return stats;
}
