/**
 * Electron smoke test: the desktop app's window opens, the preload exposes the typed API as
 * window.delorean, and one IPC round trip works (plus a refused one: IPC arguments are
 * validated). It needs Electron's binary, which npm downloads on install; where that download
 * cannot happen (this CI has no network but the npm registry), the suite is skipped and says
 * so. The build output it needs is checked either way.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES, type DeloreanPreload } from '../shared/api/contract.js';
import { packageRoot } from '../main/api/paths.js';
import { electronBinary } from '../main/cli/commands/open.js';

const root = packageRoot();
const bin = electronBinary();
const why = bin ? '' : ' (SKIPPED: the Electron binary is not installed in node_modules/electron/dist; `npx install-electron` needs network access)';

function buildElectron(): void {
  execFileSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

describe('Electron build', () => {
  it('builds main (ESM), the sandboxed preload (CommonJS) and the renderer', () => {
    buildElectron();
    const preload = readFileSync(join(root, 'out', 'preload', 'index.cjs'), 'utf8');
    expect(preload).toContain('require("electron")');
    expect(preload).toContain('exposeInMainWorld("delorean"');
    expect(preload).not.toMatch(/require\("(node:)?(fs|child_process|path)"\)/);
    const main = readFileSync(join(root, 'out', 'main', 'index.js'), 'utf8');
    expect(main).toContain('sandbox: true');
    expect(main).toContain('contextIsolation: true');
    expect(main).toContain('nodeIntegration: false');
    expect(existsSync(join(root, 'out', 'main', 'ingest-worker.js'))).toBe(true);
    expect(existsSync(join(root, 'out', 'renderer', 'index.html'))).toBe(true);
  }, 120_000);
});

describe.skipIf(!bin)(`Electron smoke${why}`, () => {
  let app: ElectronApplication;

  beforeAll(async () => {
    if (!existsSync(join(root, 'out', 'main', 'index.js'))) buildElectron();
    app = await _electron.launch({ executablePath: bin!, args: [root, '--demo'], cwd: root });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('opens the window, exposes the API through the preload, and answers over IPC', async () => {
    const page = await app.firstWindow();
    await page.waitForSelector('[data-testid=start-screen]');
    const exposed = await page.evaluate(() => Object.keys((window as unknown as { delorean: DeloreanPreload }).delorean.api));
    expect([...exposed].sort()).toEqual([...METHOD_NAMES].sort());
    const info = await page.evaluate(() => (window as unknown as { delorean: DeloreanPreload }).delorean.api.appInfo({}));
    expect(info).toMatchObject({ ok: true, result: { face: 'electron', preselectDemo: true } });
    const refused = await page.evaluate(() => (window as unknown as { delorean: DeloreanPreload }).delorean.api.maps({ rec: 42 } as never));
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
    const hasNode = await page.evaluate(() => typeof (globalThis as { require?: unknown }).require !== 'undefined' || typeof (globalThis as { process?: unknown }).process !== 'undefined');
    expect(hasNode).toBe(false);
  });
});
