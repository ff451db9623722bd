/**
 * The viewer's layout at the two window sizes users have (1280x800, 1920x1080): nothing a
 * panel says is cut off. The memory view shows all four typed columns with every value whole,
 * the Maps tab every mapping's whole range, permissions and path, and panel headers wrap
 * rather than clip. Screenshots go to e2e/artifacts/layout-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startApp, type TestApp } from './support/app.js';
import { chromiumMissing } from './support/browser.js';
import { programPath, record } from './support/recordings.js';
import { screenshot } from './support/screens.js';

const skip = chromiumMissing();

/** Elements matching `selector` whose content is wider than they are, or that stick out of `within`. */
async function clipped(page: Page, selector: string, within: string): Promise<string[]> {
  return page.$$eval(
    selector,
    (els, within) =>
      els.flatMap((e) => {
        const box = e.closest(within)!.getBoundingClientRect();
        const r = e.getBoundingClientRect();
        const cut = e.scrollWidth > e.clientWidth + 1 || r.right > box.right + 0.5 || r.left < box.left - 0.5;
        return cut ? [`${e.className}: ${e.textContent}`] : [];
      }),
    within,
  );
}

describe.skipIf(skip)('layout', () => {
  let rec: string;
  beforeAll(async () => {
    rec = await record(programPath('guard'), []);
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 1920, height: 1080 },
  ]) {
    describe(`at ${viewport.width}x${viewport.height}`, () => {
      let app: TestApp;
      beforeAll(async () => {
        app = await startApp({ initialRecording: rec, viewport });
        await app.page.waitForSelector('[data-testid=memory-grid] [data-addr]');
      });
      afterAll(async () => {
        await app?.close();
      });

      it('shows all four typed columns of the memory view, every value whole', async () => {
        const page = app.page;
        const rows = await page.$$eval('[data-testid=memory-grid] .hex-row .typed', (els) => els.map((e) => e.children.length));
        expect(rows.length).toBeGreaterThan(0);
        for (const n of rows) expect(n).toBe(4);
        expect(await clipped(page, '[data-testid=memory-grid] .val', '[data-testid=memory-grid]')).toEqual([]);
        await page.selectOption('[data-testid=memory-typed]', 'i64');
        expect(await clipped(page, '[data-testid=memory-grid] .val', '[data-testid=memory-grid]')).toEqual([]);
        await page.selectOption('[data-testid=memory-typed]', 'i32');
      });

      it('shows every mapping whole in the Maps tab', async () => {
        const page = app.page;
        await page.click('[data-testid=tab-maps]');
        await page.waitForSelector('[data-testid=map]');
        const maps = await app.service.maps({ rec, k: 0 });
        const perms = await page.$$eval('[data-testid=map] .perms', (els) => els.map((e) => e.textContent));
        expect(perms).toEqual((await app.service.maps({ rec, k: 34 })).map((m) => m.perms));
        expect(maps.length).toBeGreaterThan(5);
        for (const part of ['.map-start', '.map-end', '.perms', '.size', '.path']) expect(await clipped(page, `[data-testid=map] ${part}`, '[data-testid=maps-view]')).toEqual([]);
        const paths = await page.$$eval('[data-testid=map] .path', (els) => els.map((e) => e.textContent));
        expect(paths).toContain(programPath('guard'));
        await screenshot(page, `layout-maps-${viewport.width}`);
        await page.click('[data-testid=tab-registers]');
      });

      it('cuts no panel header', async () => {
        expect(await clipped(app.page, '.panel-head > *', '.panel')).toEqual([]);
        await screenshot(app.page, `layout-viewer-${viewport.width}`);
      });
    });
  }
});
