/**
 * Recording from the UI, in Chromium over the bridge, with the real recorder: the bundled demo
 * (its terminal output appears live, the timeline grows, then it can be inspected), and an
 * interactive program (/bin/cat) to show that typing reaches the program and that checkpoint
 * now, pause and resume work while it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './support/app.js';
import { chromiumMissing } from './support/browser.js';
import { demoPath } from './support/recordings.js';
import { screenshot } from './support/screens.js';

const skip = chromiumMissing();

describe.skipIf(skip)('recording from the UI', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ preselectDemo: true });
    await app.page.waitForSelector('[data-testid=start-screen]');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('records the demo, showing its output and the timeline live, then inspects it', async () => {
    const page = app.page;
    expect(await page.inputValue('[data-testid=rec-program]')).toBe(demoPath());
    await screenshot(page, 'start');
    await page.click('[data-testid=rec-start]');
    await page.waitForSelector('[data-testid=recording-screen]');
    await page.waitForSelector('[data-testid=live-terminal] >> text=corner shop opens; the guard reads 0xC0FFEE11');
    await page.waitForSelector('[data-testid=live-terminal] >> text=step 10:');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=timeline-canvas]')?.getAttribute('data-count')) > 0);
    await screenshot(page, 'recording-live');
    await page.waitForSelector('[data-testid=recording-ended]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=recording-ended]')).toContain('exited with status 0');
    await page.waitForSelector('[data-testid=live-terminal] >> text=memory was corrupted');
    const checkpoints = Number(await page.getAttribute('[data-testid=recording-checkpoints]', 'data-count'));
    expect(checkpoints).toBeGreaterThan(40); // one per write(2), and the start and the end
    await screenshot(page, 'recording-ended');

    await page.click('[data-testid=inspect-recording]');
    await page.waitForSelector('[data-testid=viewer-screen]');
    await page.waitForSelector(`[data-testid=timeline-canvas][data-count="${checkpoints}"]`);
    // The demo's bug: the guard after shop.recent[8] is overwritten; bisect finds the first time.
    await page.click('[data-testid=predicate-editor] .monaco-editor .view-lines');
    await page.keyboard.type('u32(shop + 64) != 0xc0ffee11');
    await page.keyboard.press('Escape');
    await page.click('[data-testid=search-bisect]');
    await page.waitForSelector('[data-testid=search-result-item]');
    const k = Number(await page.getAttribute('[data-testid=search-result-item]', 'data-checkpoint'));
    const rec = (await app.service.listRecent())[0]!.path;
    const guardAt = async (at: number): Promise<string> => {
      const addr = (await app.service.resolve({ rec, k: at, expr: 'shop + 64' })).addr;
      return (await app.service.readMemory({ rec, k: at, addr, len: 4 })).bytes;
    };
    expect(await guardAt(k - 1)).toBe('11eeffc0');
    expect(await guardAt(k)).not.toBe('11eeffc0');
    // That checkpoint is the write(2) of step 8's line: the output so far ends with step 7.
    await page.waitForSelector('[data-testid=source-location] >> text=demo.c:50'); // printf in deliver(), called from libc's write
    await page.click('[data-testid=tab-stack]');
    await page.waitForSelector('[data-testid=stack-frame] .fn >> text=deliver');
    await screenshot(page, 'viewer-demo');
    expect(app.browser.errors).toEqual([]);
  });

  it('sends typing to the program; checkpoint now, pause and resume work while it runs', async () => {
    const page = app.page;
    await page.click('[data-testid=home]');
    await page.waitForSelector('[data-testid=start-screen]');
    await page.waitForSelector('[data-testid=recent-item] >> text=demo');
    await screenshot(page, 'start-recent');
    await page.fill('[data-testid=rec-program]', '/bin/cat');
    await page.fill('[data-testid=rec-syscalls]', 'read');
    await page.click('[data-testid=rec-start]');
    await page.waitForSelector('[data-testid=recording-status] >> text=recording');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=recording-checkpoints]')?.getAttribute('data-count')) > 0);
    const before = Number(await page.getAttribute('[data-testid=recording-checkpoints]', 'data-count'));

    await page.click('[data-testid=ctl-checkpoint]');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=recording-checkpoints]')?.getAttribute('data-count')) > n, before);
    await page.click('[data-testid=ctl-pause]');
    await page.waitForSelector('[data-testid=recording-status] >> text=paused');
    await page.click('[data-testid=ctl-resume]');
    await page.waitForSelector('[data-testid=recording-status] >> text=recording');

    await page.click('[data-testid=live-terminal]');
    await page.keyboard.type('hello delorean');
    await page.keyboard.press('Enter');
    // The pty echoes the line, then cat writes it back: two rows.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=live-terminal] .xterm-rows > div')].filter((r) => r.textContent?.includes('hello delorean')).length >= 2);
    await page.keyboard.press('Control+D');
    await page.waitForSelector('[data-testid=recording-ended] >> text=exited with status 0', { timeout: 60_000 });

    await page.click('[data-testid=inspect-recording]');
    await page.waitForSelector('[data-testid=viewer-screen]');
    const rec = (await app.service.listRecent())[0]!.path;
    const summary = await app.service.openRecording({ path: rec });
    const triggers = await Promise.all(Array.from({ length: summary.checkpointCount }, (_, k) => app.service.checkpoint({ rec, k }).then((c) => c.trigger)));
    expect(triggers).toContain('request');
    expect(triggers.at(-1)).toBe('exit');
    expect(app.browser.errors).toEqual([]);
  });
});
