/**
 * The README and every CONTEXT.md name files by path; a path that no longer exists means the
 * doc describes code that moved or went away. A path is taken relative to the repository or to
 * the doc's folder; a bare file name must exist somewhere below the doc's folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../main/api/paths.js';

const root = packageRoot();
const SKIP = new Set(['node_modules', 'out', '.git', 'build']);

function walk(dir: string, keep: (name: string) => boolean): string[] {
  const found: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...walk(p, keep));
    else if (keep(e.name)) found.push(p);
  }
  return found;
}

const docs = walk('.', (name) => name === 'CONTEXT.md').concat('README.md');
const allFiles = walk('.', () => true);
const PATH = /(?<![\w./-])((?:[\w.-]+\/)*[\w-]+(?:\.[\w-]+)*\.(?:ts|tsx|c|h|md|json|bin|js|mjs|sh|css|html))(?![\w/-])/g;

function exists(doc: string, path: string): boolean {
  const dir = dirname(doc);
  if (existsSync(join(root, path)) || existsSync(join(root, dir, path))) return true;
  if (path.includes('/')) return false;
  const below = dir === '.' ? '' : `${dir}/`;
  return allFiles.some((f) => f.startsWith(below) && (f.endsWith(`/${path}`) || f === path));
}

describe('docs name only paths that exist', () => {
  it('finds the docs', () => {
    expect(docs.length).toBeGreaterThan(5);
  });
  for (const doc of docs) {
    it(relative(root, join(root, doc)), () => {
      const text = readFileSync(join(root, doc), 'utf8');
      const missing = [...text.matchAll(PATH)].map((m) => m[1]!).filter((p) => !exists(doc, p));
      expect(missing).toEqual([]);
    });
  }
});
