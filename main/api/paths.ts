/**
 * Where things are on disk relative to the installed package: the package root (found by
 * walking up from this file, so it works from sources under tsx/vitest and from out/ alike),
 * the built renderer, and the bundled demo.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The nearest folder above this file holding the delorean package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'delorean') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the delorean package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
}

/** out/web: the renderer built for browser mode (`npm run build:web`). */
export function webRoot(): string {
  return join(packageRoot(), 'out', 'web');
}

/** The bundled demo program and its source, when built (`make -C native-recorder`). */
export function demoProgram(): { program: string; source: string } | null {
  const program = join(packageRoot(), 'native-recorder', 'build', 'demo');
  const source = join(packageRoot(), 'assets', 'demo', 'demo.c');
  return existsSync(program) ? { program, source } : null;
}
