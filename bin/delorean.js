#!/usr/bin/env node
// The `delorean` command: a thin launcher for the compiled CLI (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../out/node/main/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('delorean: not built yet; run `npm install` (or `npm run build`) in the DeLorean folder first\n');
  process.exit(1);
}
// `delorean find ... | head`: a reader that closed the pipe is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
