/**
 * `delorean open REC`: opens a recording in the desktop app (Electron, built by
 * `npm run build:electron` into out/main). Electron's binary is downloaded by its npm package
 * on first use; where that cannot happen the command says so and points to `delorean serve`,
 * which shows the same app in a browser.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../api/paths.js';
import { parseCommandArgs } from '../args.js';
import { CliError, type CliIo } from '../io.js';

/** The Electron executable installed by the `electron` package, or null when its binary is missing. */
export function electronBinary(): string | null {
  const dir = join(packageRoot(), 'node_modules', 'electron');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathTxt = join(dir, 'path.txt');
  const name = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : 'electron';
  const bin = override ? join(override, name) : join(dir, 'dist', name);
  return existsSync(bin) ? bin : null;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs('open', args, {});
  if (positionals.length !== 1) throw new CliError('open: expected one recording (usage: delorean open REC)', 2);
  const rec = resolve(positionals[0]!);
  if (!existsSync(rec)) throw new CliError(`no such recording: ${rec}`);
  if (!statSync(rec).isDirectory()) throw new CliError(`not a recording (expected a .dlr directory): ${rec}`);

  const bin = electronBinary();
  if (!bin) {
    io.stderr(
      `delorean open: the Electron binary is not installed (node_modules/electron/dist is missing; it is downloaded on first install and that download did not happen here).\n` +
        `View the recording in a browser instead:\n\n  delorean serve ${rec}\n`,
    );
    return 1;
  }
  const root = packageRoot();
  if (!existsSync(join(root, 'out', 'main', 'index.js'))) throw new CliError('the desktop app is not built (out/main/index.js is missing); run `npm run build:electron`');
  const child = spawn(bin, [root, rec], { detached: true, stdio: 'ignore' });
  child.unref();
  io.stdout(`Opening ${rec} in DeLorean.\n`);
  return 0;
}
