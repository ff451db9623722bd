/**
 * `delorean serve [REC] [--port P]`: browser mode. Starts the WebSocket bridge on loopback
 * (main/bridge/server.ts) over the same service the desktop app uses, prints the URL to open
 * (it carries the access token), and serves until Ctrl-C. With REC, the page opens it.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DeloreanService } from '../../api/service.js';
import { webRoot } from '../../api/paths.js';
import { startBridge } from '../../bridge/server.js';
import { parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo, untilInterrupted } from '../io.js';

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', args, { port: { type: 'string', short: 'p' } });
  if (positionals.length > 1) throw new CliError(`serve: expected at most one recording, got ${positionals.length} (usage: delorean serve [REC] [--port P])`, 2);
  const port = parseIndex(values.port, '--port') ?? 0;
  if (port > 65535) throw new CliError(`--port must be at most 65535, got ${port}`, 2);
  const rec = positionals[0] ? resolve(positionals[0]) : null;
  if (rec && !existsSync(rec)) throw new CliError(`no such recording: ${rec}`);
  if (rec && !statSync(rec).isDirectory()) throw new CliError(`not a recording (expected a .dlr directory): ${rec}`);
  if (!existsSync(join(webRoot(), 'index.html'))) throw new CliError(`the web app is not built (${webRoot()} is missing); run \`npm run build:web\``);

  const service = new DeloreanService({ face: 'bridge', initialRecording: rec });
  let bridge;
  try {
    bridge = await startBridge({ endpoint: service, port });
  } catch (e) {
    await service.dispose();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${port} is already in use; pick another with --port, or omit it for a free one`);
    throw e;
  }
  io.stdout(`DeLorean ${rec ? `is serving ${rec}` : 'is ready'}. Open this URL in a browser on this machine:\n\n  ${bridge.url}\n\nThe URL holds an access token: do not share it. Ctrl-C stops the server.\n`);

  await untilInterrupted();
  io.stderr('delorean serve: stopping\n');
  await bridge.close();
  await service.dispose();
  return 0;
}
