/**
 * The tests drive the real renderer build (out/web). `npm test` builds it first; a test run on
 * its own builds it here when it is missing or older than any source under app/ or shared/.
 * A lock directory keeps parallel test files from building at the same time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../main/api/paths.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function webBuildIsFresh(): boolean {
  const root = packageRoot();
  const index = join(root, 'out', 'web', 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return newestMtime(join(root, 'app')) <= built && newestMtime(join(root, 'shared')) <= built;
}

export async function ensureWebBuild(): Promise<void> {
  const root = packageRoot();
  const lock = join(root, 'out', '.web-build.lock');
  mkdirSync(join(root, 'out'), { recursive: true });
  for (;;) {
    if (webBuildIsFresh()) return;
    try {
      mkdirSync(lock);
    } catch {
      // Someone else is building: wait for them.
      await new Promise((r) => setTimeout(r, 250));
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock); // a build that died
      continue;
    }
    try {
      if (!webBuildIsFresh()) {
        execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'app/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
      }
    } finally {
      rmdirSync(lock);
    }
  }
}
