/**
 * The e2e tests use real builds: the renderer (out/web) and the compiled Node code, whose
 * ingest worker the recorder's sessions start (out/node/main/recorder/ingest-worker.js).
 * `npm test` builds both first; a test run on its own builds whatever is missing or older than
 * its sources here. A lock directory per build keeps parallel test files from building the
 * same thing at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../main/api/paths.js';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(output: string, sources: readonly string[]): boolean {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((s) => newestMtime(s) <= built);
}

async function ensureFresh(name: string, output: string, sources: readonly string[], build: () => void): Promise<void> {
  const root = packageRoot();
  const lock = join(root, 'out', `.${name}.lock`);
  mkdirSync(join(root, 'out'), { recursive: true });
  for (;;) {
    if (isFresh(output, sources)) return;
    try {
      mkdirSync(lock);
    } catch {
      await new Promise((r) => setTimeout(r, 250)); // someone else is building
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock); // a build that died
      continue;
    }
    try {
      if (!isFresh(output, sources)) build();
    } finally {
      rmdirSync(lock);
    }
    if (!isFresh(output, sources)) throw new Error(`building ${name} did not refresh ${output}`);
  }
}

/** out/web, the renderer as `delorean serve` serves it. */
export async function ensureWebBuild(): Promise<void> {
  const root = packageRoot();
  await ensureFresh('web-build', join(root, 'out', 'web', 'index.html'), [join(root, 'app'), join(root, 'shared')], () => {
    execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'app/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  });
}

/** out/node, for the ingest worker that recording sessions start (tsc emits despite type errors elsewhere). */
export async function ensureNodeBuild(): Promise<void> {
  const root = packageRoot();
  await ensureFresh('node-build', join(root, 'out', 'node', 'main', 'recorder', 'ingest-worker.js'), [join(root, 'main', 'recorder'), join(root, 'main', 'store'), join(root, 'shared')], () => {
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.node.json'], { cwd: root, stdio: 'pipe' });
    } catch {
      // Type errors in code under construction elsewhere: tsc still wrote the JavaScript.
    }
  });
}
