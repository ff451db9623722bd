/**
 * Folder = runtime, checked on every import:
 *   shared/   no Node, no DOM-only packages, nothing from main/ or app/ (it runs everywhere);
 *   app/      the renderer: no Node built-ins, nothing from main/;
 *   main/     Node: nothing from app/; only main/electron/ may import `electron`
 *             (requiring it outside Electron tries to download a binary and throws).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../main/api/paths.js';

const root = packageRoot();

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Import specifiers of a file: static imports, re-exports and dynamic import() of literals. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    specs.push((m[1] ?? m[2] ?? m[3])!);
  }
  return specs;
}

/** The top folder a relative import lands in (shared, main, app...), or null for packages. */
function target(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return relative(root, resolve(root, dirname(file), spec)).split('/')[0] ?? null;
}

function violations(dir: string, rule: (file: string, spec: string) => string | null): string[] {
  const out: string[] = [];
  for (const f of sources(dir)) {
    for (const spec of importsOf(f)) {
      const why = rule(f, spec);
      if (why) out.push(`${f}: imports '${spec}': ${why}`);
    }
  }
  return out;
}

/** Node-only development scripts that live beside the protocol they dump or generate; nothing imports them. */
const NODE_TOOLS_IN_SHARED = new Set(['shared/protocol/dump.ts', 'shared/protocol/make-golden.ts']);

const isNode = (spec: string): boolean => spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'worker_threads', 'net', 'http', 'crypto'].includes(spec);

describe('layering', () => {
  it('no module imports the Node-only tools in shared/', () => {
    const tools = [...NODE_TOOLS_IN_SHARED].map((t) => t.replace(/\.ts$/, ''));
    for (const dir of ['shared', 'app', 'main']) {
      expect(violations(dir, (f, s) => (s.startsWith('.') && tools.includes(relative(root, resolve(root, dirname(f), s)).replace(/\.js$/, '')) ? 'a Node-only tool' : null))).toEqual([]);
    }
  });

  it('shared/ imports neither Node nor main/ nor app/', () => {
    expect(violations('shared', (f, s) => (isNode(s) && !f.endsWith('.test.ts') && !NODE_TOOLS_IN_SHARED.has(f) ? 'shared code runs in the renderer too' : ['main', 'app'].includes(target(f, s) ?? '') ? 'shared must not depend on a runtime folder' : null))).toEqual([]);
  });

  it('app/ imports no Node built-ins and nothing from main/', () => {
    expect(violations('app', (f, s) => (f.endsWith('.test.ts') || f.endsWith('vite.config.ts') ? null : isNode(s) ? 'the renderer has no Node' : target(f, s) === 'main' ? 'the renderer reaches main only through the API contract' : null))).toEqual([]);
  });

  it('only main/electron/ imports electron, and main/ nothing from app/', () => {
    expect(violations('main', (f, s) => (s === 'electron' && !f.startsWith('main/electron/') ? 'only the Electron entry and preload may import electron' : target(f, s) === 'app' ? 'main must not depend on the renderer' : null))).toEqual([]);
    for (const dir of ['shared', 'app', 'e2e']) expect(violations(dir, (_f, s) => (s === 'electron' ? 'only main/electron may import electron' : null))).toEqual([]);
  });
});
