/**
 * `delorean serve` and `delorean open` through the real CLI dispatcher, in a child process
 * (serve runs until SIGINT): serve prints a tokenised loopback URL that serves the renderer
 * and stops cleanly on Ctrl-C; open explains what to do when Electron's binary is missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../main/api/paths.js';
import { electronBinary } from '../main/cli/commands/open.js';
import { programPath, record } from './support/recordings.js';
import { ensureWebBuild } from './support/builds.js';

interface Run {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
  waitForStdout: (re: RegExp) => Promise<RegExpExecArray>;
}

/** Runs `delorean ARGS` from the sources (tsx), like bin/delorean.js runs the build. */
function delorean(args: string[]): Run {
  const script = `const { main } = await import(${JSON.stringify(join(packageRoot(), 'main/cli/main.ts'))}); process.exitCode = await main(${JSON.stringify(args)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageRoot(),
    env: { ...process.env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'delorean-cli-')) },
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    waiters.forEach((w) => w());
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
  return {
    code,
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => child.kill(signal),
    waitForStdout: (re) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
        void code.then((c) => reject(new Error(`exited with ${c} before printing ${re}: ${out}${err}`)));
      }),
  };
}

let rec: string;
beforeAll(async () => {
  await ensureWebBuild();
  rec = await record(programPath('counter'), ['3']);
});

describe('delorean serve', () => {
  it('prints a tokenised loopback URL, serves the app, and stops on Ctrl-C', async () => {
    const run = delorean(['serve', rec]);
    const [url] = await run.waitForStdout(/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/);
    expect(run.stdout()).toContain(`is serving ${rec}`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('<div id="root">');
    run.kill('SIGINT');
    expect(await run.code).toBe(0);
    expect(run.stderr()).toContain('stopping');
  });

  it('refuses a missing recording and a bad port with clear messages', async () => {
    const missing = delorean(['serve', join(tmpdir(), 'no-such.dlr')]);
    expect(await missing.code).toBe(1);
    expect(missing.stderr()).toMatch(/no such recording: .*no-such\.dlr/);
    const badPort = delorean(['serve', '--port', '70000']);
    expect(await badPort.code).toBe(2);
    expect(badPort.stderr()).toContain('--port must be at most 65535');
  });
});

describe('delorean open', () => {
  it.skipIf(electronBinary() !== null)('points to `delorean serve` when the Electron binary is missing', async () => {
    const run = delorean(['open', rec]);
    expect(await run.code).toBe(1);
    expect(run.stderr()).toContain('the Electron binary is not installed');
    expect(run.stderr()).toContain(`delorean serve ${rec}`);
  });

  it('refuses a missing recording', async () => {
    const run = delorean(['open', join(tmpdir(), 'no-such.dlr')]);
    expect(await run.code).toBe(1);
    expect(run.stderr()).toContain('no such recording');
  });
});
