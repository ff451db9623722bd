#!/usr/bin/env node
// `npm start`: builds and opens the desktop app, after checking what Electron needs, so that a
// missing piece is named instead of surfacing as an engine warning or a download error.
//   node bin/start-app.js [ARGS...]              (default ARGS: --demo)
//   node bin/start-app.js --check [NODE_VERSION]  report the problem (or "ok") and exit, as if on that Node
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Electron's own requirement (its package.json engines). */
export const ELECTRON_NODE = [22, 12];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What keeps the app from starting, as a sentence saying what to install; null when nothing. */
export function startProblem(nodeVersion, root = ROOT) {
  const [major, minor] = nodeVersion.split('.').map(Number);
  if (major < ELECTRON_NODE[0] || (major === ELECTRON_NODE[0] && minor < ELECTRON_NODE[1])) {
    return (
      `The desktop app needs Node >= ${ELECTRON_NODE.join('.')} (Electron's requirement); this is Node ${nodeVersion}.\n` +
      `Install Node ${ELECTRON_NODE[0]} LTS or newer (for example \`nvm install ${ELECTRON_NODE[0]}\`), then run \`npm install\` and \`npm start\` again.\n` +
      'The command line (`npx delorean record ...`, `npx delorean serve DIR` for the app in a browser) runs on this Node.'
    );
  }
  const pkg = join(root, 'node_modules/electron');
  if (!existsSync(join(pkg, 'package.json'))) return 'Electron is not installed: run `npm install` in the DeLorean folder.';
  const pathFile = join(pkg, 'path.txt');
  const binary = existsSync(pathFile) ? join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (binary === null || !existsSync(binary)) {
    return (
      "Electron's binary is missing (node_modules/electron/dist): its download at install time failed or was skipped.\n" +
      'Run `node node_modules/electron/install.js` with network access, or reinstall with `npm install electron`.'
    );
  }
  return null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args[0] === '--check') {
    const problem = startProblem(args[1] ?? process.versions.node);
    process.stdout.write(problem ? `${problem}\n` : 'ok\n');
    process.exit(problem ? 1 : 0);
  }
  const problem = startProblem(process.versions.node);
  if (problem) {
    process.stderr.write(`npm start: ${problem}\n`);
    process.exit(1);
  }
  const bin = (name) => join(ROOT, 'node_modules/.bin', name);
  const run = (cmd, argv) => spawnSync(cmd, argv, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
  const built = run(bin('electron-vite'), ['build']);
  process.exit(built !== 0 ? built : run(bin('electron'), ['.', ...(args.length ? args : ['--demo'])]));
}
