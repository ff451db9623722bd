/**
 * Test and bench support: the SQLite amalgamation (one 9 MB C file) built here with -g, as a
 * large real program to check the DWARF reader on. The source comes from the better-sqlite3
 * package on the npm registry (it ships deps/sqlite3/sqlite3.c), fetched with `npm pack` once
 * into node_modules/.cache; builds are kept there too, per compiler flags. Tests and the bench
 * import this; nothing else does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../testing/cli.js';

const PACKAGE = 'better-sqlite3@12.4.1';
const CACHE = join(ROOT, 'node_modules/.cache/delorean-sqlite');

const MAIN = `#include "sqlite3.h"
#include <stdio.h>
int main(void)
{
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return 1;
	int rc = sqlite3_exec(db, "create table t(x); insert into t values (1), (2);", 0, 0, 0);
	sqlite3_close(db);
	puts(rc == SQLITE_OK ? "ok" : "failed");
	return rc;
}
`;

/** The directory holding sqlite3.c and sqlite3.h, fetched when absent; null (with why) when it cannot be. */
export function sqliteSource(): { dir: string } | { error: string } {
  const dir = join(CACHE, 'src');
  if (existsSync(join(dir, 'sqlite3.c'))) return { dir };
  mkdirSync(CACHE, { recursive: true });
  const pack = spawnSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', CACHE], { encoding: 'utf8', cwd: CACHE });
  if (pack.status !== 0) return { error: `npm pack ${PACKAGE} failed: ${pack.stderr.trim() || pack.stdout.trim()}` };
  const tgz = join(CACHE, pack.stdout.trim().split('\n').pop()!);
  const tmp = join(CACHE, 'unpack');
  mkdirSync(tmp, { recursive: true });
  const tar = spawnSync('tar', ['xzf', tgz, '-C', tmp, 'package/deps/sqlite3/sqlite3.c', 'package/deps/sqlite3/sqlite3.h'], { encoding: 'utf8' });
  if (tar.status !== 0) return { error: `cannot unpack ${tgz}: ${tar.stderr.trim()}` };
  renameSync(join(tmp, 'package/deps/sqlite3'), dir);
  return { dir };
}

/** The amalgamation built with `flags` (cached); null (with why) when the source is not at hand. */
export function sqliteProgram(cc: string, flags: readonly string[]): { path: string } | { error: string } {
  const src = sqliteSource();
  if ('error' in src) return src;
  const path = join(CACHE, `sqlite-${cc}${flags.join('')}`.replace(/[^\w.-]/g, '_'));
  if (existsSync(path)) return { path };
  const main = join(CACHE, 'main.c');
  writeFileSync(main, MAIN);
  execFileSync(cc, [...flags, '-w', '-I', src.dir, '-o', path + '.tmp', join(src.dir, 'sqlite3.c'), main, '-lm', '-lpthread'], { stdio: 'inherit' });
  renameSync(path + '.tmp', path);
  return { path };
}
