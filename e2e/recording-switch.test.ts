/**
 * Everything the app knows about one recording goes when another is shown: opening a second
 * recording after searching, selecting, pinning and listing changes in a first one, or starting
 * a new recording from the UI, shows nothing of the first (no memory address, no search result,
 * no change list, no timeline markers, no pin). And nothing unreadable is shown as a value.
 * Real recordings of counter (23 checkpoints) and guard (35 checkpoints), see viewer.test.ts;
 * guard's is saved under a path with a '|' in it (the timeline's requests once split on it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './support/app.js';
import { chromiumMissing } from './support/browser.js';
import { programPath, record } from './support/recordings.js';
import { openFromStart, screenshot, typeInMonaco, waitForSelected } from './support/screens.js';

const skip = chromiumMissing();

/** The recording-scoped state the viewer shows, as its stable handles expose it. */
async function viewerState(app: TestApp): Promise<{ results: string | null; changes: string | null; pin: string | null; addrs: string[]; predicate: string }> {
  const page = app.page;
  return {
    results: await page.getAttribute('[data-testid=timeline-canvas]', 'data-results'),
    changes: await page.getAttribute('[data-testid=timeline-canvas]', 'data-changes'),
    pin: await page.textContent('[data-testid=pin]'),
    addrs: await page.$$eval('[data-testid=memory-grid] [data-addr]', (els) => els.map((e) => e.getAttribute('data-addr') ?? '')),
    predicate: await page.$eval('[data-testid=predicate-editor] .view-lines', (e) => (e.textContent ?? '').replace(/\u00a0/g, ' ').trim()),
  };
}

describe.skipIf(skip)('switching recordings', () => {
  let app: TestApp;
  let counterRec: string;
  let guardRec: string;
  let counterAddr: bigint;
  const dir = mkdtempSync(join(tmpdir(), 'delorean-a|b-'));

  beforeAll(async () => {
    [counterRec, guardRec] = await Promise.all([record(programPath('counter'), ['20']), record(programPath('guard'), [], { out: join(dir, 'guard|1.dlr') })]);
    app = await startApp({ initialRecording: counterRec });
    await app.page.waitForSelector('[data-testid=viewer-screen]');
    counterAddr = BigInt((await app.service.resolve({ rec: counterRec, k: 0, expr: 'counter' })).addr);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** In counter: go to `counter`, list its changes, find, pin, select #5. */
  async function useCounter(): Promise<void> {
    const page = app.page;
    await waitForSelected(page, 22);
    await page.fill('[data-testid=memory-goto]', 'counter');
    await page.click('[data-testid=memory-goto-button]');
    await page.waitForSelector('[data-testid=inspect-u64] .v >> text="19"');
    await page.click('[data-testid=when-changed]');
    await page.waitForSelector('[data-testid=change-item]');
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&counter) % 5 == 0 && u64(&counter) > 0');
    await page.click('[data-testid=search-find]');
    await page.waitForSelector('[data-testid=search-result] >> text=3 matches');
    await page.click('[data-testid=search-result-item][data-checkpoint="11"]');
    await waitForSelected(page, 11);
    await page.click('[data-testid=pin]');
    const before = await viewerState(app);
    expect(Number(before.results)).toBe(3);
    expect(Number(before.changes)).toBeGreaterThan(0);
    expect(before.pin).toBe('Unpin');
    expect(before.addrs).toContain(counterAddr.toString(16));
  }

  it('opening another recording shows nothing of the first', async () => {
    const page = app.page;
    await useCounter();
    await openFromStart(page, guardRec);
    await waitForSelected(page, 34); // guard's last checkpoint, its exit
    await page.waitForSelector('[data-testid=timeline-canvas][data-painted-view="0-35"]'); // its timeline, despite the '|'
    await page.waitForSelector('[data-testid=memory-grid] [data-addr]');
    const after = await viewerState(app);
    expect(after.results).toBe('0');
    expect(after.changes).toBe('0');
    expect(after.pin).toBe('Pin');
    expect(after.predicate).toBe('');
    expect(after.addrs).not.toContain(counterAddr.toString(16));
    // It looks at guard's own data instead, which is readable.
    expect(await page.textContent('[data-testid=memory-grid]')).not.toContain('??');
    expect(await page.$('[data-testid=search-result]')).toBeNull();
    expect(await page.$('[data-testid=changes-panel]')).toBeNull();
    expect(await page.textContent('[data-testid=memory-inspector]')).toContain('Click a byte');
    expect(await page.inputValue('[data-testid=memory-goto]')).toBe('');
    await screenshot(page, 'switch-second-recording');
    expect(app.browser.errors).toEqual([]);
  });

  it('starting a new recording shows nothing of the one viewed before', async () => {
    const page = app.page;
    await openFromStart(page, counterRec);
    await useCounter();
    await page.click('[data-testid=home]');
    await page.fill('[data-testid=rec-program]', programPath('counter'));
    await page.fill('[data-testid=rec-args]', '5');
    await page.click('[data-testid=rec-start]');
    await page.waitForSelector('[data-testid=recording-ended]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=timeline-canvas][data-count="8"]');
    expect(await page.getAttribute('[data-testid=timeline-canvas]', 'data-results')).toBe('0');
    expect(await page.getAttribute('[data-testid=timeline-canvas]', 'data-changes')).toBe('0');
    await page.click('[data-testid=inspect-recording]');
    await page.waitForSelector('[data-testid=viewer-screen]');
    await waitForSelected(page, 7);
    await page.waitForSelector('[data-testid=memory-grid] [data-addr]');
    const after = await viewerState(app);
    expect(after.results).toBe('0');
    expect(after.changes).toBe('0');
    expect(after.pin).toBe('Pin');
    expect(after.addrs).not.toContain(counterAddr.toString(16));
    expect(await page.$('[data-testid=search-result]')).toBeNull();
    // Back to the start screen (not only by the logo): the form remembers what was recorded.
    await page.click('[data-testid=back]');
    await page.waitForSelector('[data-testid=start-screen]');
    expect(await page.inputValue('[data-testid=rec-program]')).toBe(programPath('counter'));
    expect(await page.inputValue('[data-testid=rec-args]')).toBe('5');
    await page.reload(); // it opens the service's initial recording again
    await page.waitForSelector('[data-testid=viewer-screen]');
    await page.click('[data-testid=back]');
    expect(await page.inputValue('[data-testid=rec-program]')).toBe(programPath('counter'));
    await page.click('[data-testid=recent-item]');
    await page.waitForSelector('[data-testid=viewer-screen]');
    expect(app.browser.errors).toEqual([]);
  });

  it('never shows bytes it cannot read as a value', async () => {
    const page = app.page;
    await page.fill('[data-testid=memory-goto]', '0x1000'); // below every mapping
    await page.click('[data-testid=memory-goto-button]');
    await page.waitForSelector('[data-testid=memory-inspector] >> text=0x000000001000 · 1 byte');
    const values = await page.$$eval('[data-testid=memory-inspector] .kv .v', (els) => els.map((e) => e.textContent ?? ''));
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(v).not.toMatch(/\d/);
    const typed = await page.$$eval('[data-testid=memory-grid] .val', (els) => els.map((e) => e.textContent ?? ''));
    for (const v of typed) expect(v).not.toMatch(/\d/);
  });
});
