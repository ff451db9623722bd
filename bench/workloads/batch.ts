/**
 * Batch workloads from Debian packages, each fed input generated here from a fixed seed (nothing
 * comes from the network, and every run sees the same bytes):
 *
 *   sqlite3  a generated SQL script: a table and an index, inserts in transactions, updates,
 *            deletes and aggregate queries (WAL, synchronous=NORMAL: CPU-bound, as an
 *            application database is usually configured)
 *   python3  a CPU-bound script: a prime sieve, dict churn with string keys, a sort
 *   gzip     compression of a generated log-like text file (100 MiB; 10 MiB with --quick)
 *
 * Each workload says how to run it plain and recorded; bench/peers.ts alternates the two.
 */
import { openSync, closeSync, writeSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { debianProgram } from './util.js';
import { prng } from '../../main/testing/prng.js';

export interface BatchWorkload {
  /** Key in the figures (sqlite, python, gzip). */
  name: string;
  program: string;
  args: string[];
  cwd: string;
  /** Removes what a run leaves (the database, the .gz) so the next starts the same way. */
  reset: () => void;
  /** What a correct run prints (checked on both sides, so a broken recording cannot pass as fast). */
  check: (stdout: string) => boolean;
}

export interface Sizes {
  sqliteRows: number;
  pythonN: number;
  gzipMiB: number;
}

export const SIZES = {
  quick: { sqliteRows: 60_000, pythonN: 300_000, gzipMiB: 10 },
  full: { sqliteRows: 120_000, pythonN: 1_500_000, gzipMiB: 100 },
} satisfies Record<string, Sizes>;

const WORDS = (() => {
  const r = prng(7);
  const syll = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'an', 'er', 'is', 'on', 'ul', 'pre', 'str', 'ght', 'qu'];
  return Array.from({ length: 2000 }, () => {
    let w = '';
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) w += syll[Math.floor(r() * syll.length)];
    return w;
  });
})();

/** A SQL script of `rows` inserts in transactions of 500, then index, updates, deletes and queries. */
export function sqliteScript(rows: number, seed = 1): string {
  const r = prng(seed);
  const word = (): string => WORDS[Math.floor(r() * WORDS.length)]!;
  const out: string[] = [
    'PRAGMA journal_mode=WAL;',
    'PRAGMA synchronous=NORMAL;',
    'CREATE TABLE item (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, price REAL NOT NULL);',
  ];
  for (let i = 0; i < rows; i += 500) {
    out.push('BEGIN;');
    for (let j = i; j < Math.min(rows, i + 500); j++) {
      out.push(`INSERT INTO item (k, name, price) VALUES (${Math.floor(r() * 1000)}, '${word()} ${word()}', ${(r() * 100).toFixed(2)});`);
    }
    out.push('COMMIT;');
  }
  out.push('CREATE INDEX item_k ON item(k);');
  for (let i = 0; i < 20; i++) {
    out.push('BEGIN;');
    out.push(`UPDATE item SET price = price * 1.01 WHERE k = ${Math.floor(r() * 1000)};`);
    out.push(`DELETE FROM item WHERE id % 97 = ${i};`);
    out.push('COMMIT;');
  }
  for (let i = 0; i < 200; i++) out.push(`SELECT count(*) FROM item WHERE k BETWEEN ${i * 5} AND ${i * 5 + 20} AND name LIKE '%${word().slice(0, 2)}%';`);
  out.push('SELECT k % 10 AS bucket, count(*), round(sum(price), 2) FROM item GROUP BY bucket ORDER BY bucket;');
  out.push("SELECT 'sqlite-done', count(*) FROM item;");
  return out.join('\n') + '\n';
}

export function pythonScript(n: number): string {
  return `import sys
n = ${n}
sieve = bytearray([1]) * (n + 1)
sieve[0] = sieve[1] = 0
for i in range(2, int(n ** 0.5) + 1):
    if sieve[i]:
        sieve[i * i :: i] = bytes(len(range(i * i, n + 1, i)))
primes = [i for i, v in enumerate(sieve) if v]
d = {}
for i in range(n):
    key = "k%d" % (i * 7919 % 50021)
    d[key] = d.get(key, 0) + (sieve[i] and i)
    if len(d) > 40000:
        for k in list(d)[:1000]:
            del d[k]
words = sorted(d.items(), key=lambda kv: (kv[1] % 1009, kv[0]))
print("python-done", len(primes), len(d), words[0][0] if words else "")
`;
}

/** Writes `mib` MiB of log-like text (timestamps, levels, words, numbers) from a seeded generator. */
export function writeTextFile(path: string, mib: number, seed = 3): void {
  const r = prng(seed);
  const levels = ['INFO', 'WARN', 'DEBUG', 'ERROR', 'TRACE'];
  const fd = openSync(path, 'w');
  try {
    const target = mib * 1024 * 1024;
    let written = 0;
    let t = 1_700_000_000_000;
    while (written < target) {
      const lines: string[] = [];
      for (let i = 0; i < 4096; i++) {
        t += Math.floor(r() * 50);
        let line = `${t} ${levels[Math.floor(r() * r() * levels.length)]} req=${Math.floor(r() * 1e6).toString(16)}`;
        const n = 3 + Math.floor(r() * 9);
        for (let j = 0; j < n; j++) line += ' ' + WORDS[Math.floor(r() * r() * WORDS.length)];
        lines.push(line + ` took=${Math.floor(r() * 5000)}us\n`);
      }
      let chunk = Buffer.from(lines.join(''));
      if (written + chunk.length > target) chunk = chunk.subarray(0, target - written);
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes each workload's input into `dir` and describes how to run it. */
export function prepareBatch(dir: string, sizes: Sizes): BatchWorkload[] {
  const sqlPath = join(dir, 'workload.sql');
  writeFileSync(sqlPath, sqliteScript(sizes.sqliteRows));
  const db = join(dir, 'bench.sqlite');
  const pyPath = join(dir, 'workload.py');
  writeFileSync(pyPath, pythonScript(sizes.pythonN));
  const text = join(dir, 'input.log');
  writeTextFile(text, sizes.gzipMiB);
  const rmDb = (): void => {
    for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) rmSync(f, { force: true });
  };
  rmDb();
  return [
    {
      name: 'sqlite',
      program: debianProgram('sqlite3')!,
      args: [db, `.read ${sqlPath}`],
      cwd: dir,
      reset: rmDb,
      check: (s) => /sqlite-done\|\d+/.test(s),
    },
    {
      name: 'python',
      program: debianProgram('python3')!,
      args: [pyPath],
      cwd: dir,
      reset: () => undefined,
      check: (s) => /python-done \d+/.test(s),
    },
    {
      name: 'gzip',
      program: debianProgram('gzip')!,
      args: ['-k', '-f', '-6', text],
      cwd: dir,
      reset: () => rmSync(`${text}.gz`, { force: true }),
      check: () => true,
    },
  ];
}
