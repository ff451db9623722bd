/**
 * The app as the e2e tests see it: the real service and WebSocket bridge in this process, the
 * real renderer build in Chromium, on a private config directory (so recent recordings of
 * the user are never touched). One call starts all of it; `close` undoes all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DeloreanService, type ServiceOptions } from '../../main/api/service.js';
import { startBridge, type Bridge } from '../../main/bridge/server.js';
import { launchBrowser, type Browser } from './browser.js';
import { ensureNodeBuild, ensureWebBuild } from './builds.js';

export interface TestApp {
  readonly service: DeloreanService;
  readonly bridge: Bridge;
  readonly browser: Browser;
  readonly page: Page;
  readonly dir: string;
  close(): Promise<void>;
}

export async function startApp(opts: Partial<ServiceOptions> & { viewport?: { width: number; height: number } } = {}): Promise<TestApp> {
  await ensureWebBuild();
  await ensureNodeBuild(); // recordings made from the UI start the compiled ingest worker
  const dir = mkdtempSync(join(tmpdir(), 'delorean-app-'));
  const service = new DeloreanService({ face: 'bridge', configDir: join(dir, 'config'), recordingsDir: join(dir, 'recordings'), ...opts });
  const bridge = await startBridge({ endpoint: service });
  const browser = await launchBrowser(opts.viewport);
  await browser.page.goto(bridge.url);
  return {
    service,
    bridge,
    browser,
    page: browser.page,
    dir,
    close: async () => {
      await browser.close();
      await bridge.close();
      await service.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
