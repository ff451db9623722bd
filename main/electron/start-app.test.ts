/**
 * `npm start` (bin/start-app.js) names what the desktop app lacks before it builds anything:
 * a Node older than Electron's requirement, or Electron's binary. Run as a process, as npm runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const check = (...args: string[]): { status: number | null; out: string } => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/start-app.js'), '--check', ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
};

describe('npm start', () => {
  it('says which Node to install on one older than Electron needs', () => {
    for (const v of ['20.19.0', '22.11.9', '18.20.4']) {
      const r = check(v);
      expect(r.status).toBe(1);
      expect(r.out).toContain(`needs Node >= 22.12`);
      expect(r.out).toContain(`this is Node ${v}`);
      expect(r.out).toContain('npx delorean');
    }
    expect(JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')).engines.node).toMatch(/22\.12/);
  });

  it("on a new enough Node, names Electron's binary when it is missing, else starts", () => {
    const pathFile = join(ROOT, 'node_modules/electron/path.txt');
    const installed = existsSync(pathFile) && existsSync(join(ROOT, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim()));
    for (const v of ['22.12.0', '24.1.0']) {
      const r = check(v);
      if (installed) expect(r).toEqual({ status: 0, out: 'ok\n' });
      else {
        expect(r.status).toBe(1);
        expect(r.out).toContain("Electron's binary is missing");
      }
    }
  });

  it('runs the checks on the Node it is started with', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const r = check();
    if (major < 22 || (major === 22 && minor < 12)) expect(r.out).toContain(`this is Node ${process.versions.node}`);
    else expect(r.out).not.toContain('this is Node');
  });
});
