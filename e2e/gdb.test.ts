/**
 * "Open in gdb", in Chromium over the bridge, with the real gdb: select a checkpoint of a real
 * recording of counter.c, open gdb there, type into its terminal, and read the value the
 * recording holds at that checkpoint (computed here from the store, independently of the gdb
 * server). Two checkpoints give two tabs; closing a tab ends its gdb. Without gdb, the tab
 * says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../shared/api/contract.js';
import { resolveLocation } from '../main/api/locations.js';
import { Engine } from '../main/engine/engine.js';
import { haveGdb } from '../main/gdb/testing.js';
import { openRecording } from '../main/store/reader.js';
import type { RecordingReader } from '../main/store/types.js';
import { startApp, type TestApp } from './support/app.js';
import { chromiumMissing } from './support/browser.js';
import { programPath, record } from './support/recordings.js';
import { screenshot, waitForSelected } from './support/screens.js';

const skip = chromiumMissing();

function u64At(r: RecordingReader, k: number, expr: string): bigint {
  const { address } = resolveLocation(new Engine(r), expr, k);
  const b = r.readMemory(k, address, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

async function goToCheckpoint(app: TestApp, k: number): Promise<void> {
  await app.page.click('[data-testid=checkpoint-info]');
  await app.page.keyboard.press('Home');
  for (let i = 0; i < k; i++) await app.page.keyboard.press('ArrowRight');
  await waitForSelected(app.page, k);
}

/** Waits until a row of the gdb terminal opened at checkpoint k contains `text`. */
async function waitForRow(app: TestApp, k: number, text: string): Promise<void> {
  await app.page.waitForFunction(
    ([k, text]) => [...document.querySelectorAll(`[data-testid=gdb-view][data-k="${k}"] .xterm-rows > div`)].some((r) => r.textContent?.includes(text)),
    [String(k), text] as const,
  );
}

describe.skipIf(skip)('Open in gdb', () => {
  let app: TestApp;
  let rec: string;
  let reader: RecordingReader;
  const events: AnyEvent[] = [];

  beforeAll(async () => {
    expect(await haveGdb(), 'this test runs the real gdb: install it (apt-get install gdb)').toBe(true);
    rec = await record(programPath('counter'), ['20']);
    reader = await openRecording(rec, { readOnly: true });
    app = await startApp({ initialRecording: rec });
    app.service.on((e) => events.push(e));
    await app.page.waitForSelector('[data-testid=viewer-screen]');
  });
  afterAll(async () => {
    reader?.close();
    await app?.close();
  });

  it('opens gdb at the selected checkpoint; print shows what the recording holds there', async () => {
    const page = app.page;
    const k = 13;
    const want = u64At(reader, k, 'counter');
    await goToCheckpoint(app, k);
    await page.click('[data-testid=open-gdb]');
    await page.waitForSelector(`[data-testid=gdb-tab][data-k="${k}"][data-status=running]`);
    await waitForRow(app, k, 'Remote debugging using /');
    await waitForRow(app, k, '(gdb)');
    await page.click(`[data-testid=gdb-view][data-k="${k}"] [data-testid=gdb-terminal]`);
    await page.keyboard.type('print counter');
    await page.keyboard.press('Enter');
    await waitForRow(app, k, `$1 = ${want}`);
    // Typing in gdb is not viewer navigation: "p" did not pin, the arrows of gdb's line editor did not step.
    await page.keyboard.press('ArrowLeft');
    expect(await page.textContent('[data-testid=pin]')).toBe('Pin');
    expect(await page.getAttribute('[data-testid=selected-checkpoint]', 'data-k')).toBe(String(k));
    await page.keyboard.type('bt');
    await page.keyboard.press('Enter');
    await waitForRow(app, k, 'in main (argc=2');
    await screenshot(page, 'viewer-gdb');

    // Dragging the dock's top edge up makes the terminal taller, and gdb learns its new height.
    const rowsNow = (): Promise<number> => page.$$eval(`[data-testid=gdb-view][data-k="${k}"] .xterm-rows > div`, (rows) => rows.length);
    const before = await rowsNow();
    const edge = (await page.locator('.gdb-resize').boundingBox())!;
    await page.mouse.move(edge.x + 200, edge.y + 2);
    await page.mouse.down();
    await page.mouse.move(edge.x + 200, edge.y - 150, { steps: 5 });
    await page.mouse.up();
    // Two frames: the terminal has been refitted to the last layout (resize observers run before paint).
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const after = await rowsNow();
    expect(after).toBeGreaterThan(before);
    await page.click(`[data-testid=gdb-view][data-k="${k}"] [data-testid=gdb-terminal]`);
    await page.keyboard.type('show height');
    await page.keyboard.press('Enter');
    await waitForRow(app, k, `Number of lines gdb thinks are in a page is ${after}.`);
  });

  it('a second checkpoint gets its own tab; closing a tab ends its gdb', async () => {
    const page = app.page;
    const k = 4;
    const want = u64At(reader, k, 'counter');
    await goToCheckpoint(app, k);
    await page.click('[data-testid=open-gdb]');
    await page.waitForSelector(`[data-testid=gdb-tab][data-k="${k}"][data-status=running]`);
    await waitForRow(app, k, '(gdb)');
    await page.click(`[data-testid=gdb-view][data-k="${k}"] [data-testid=gdb-terminal]`);
    await page.keyboard.type('print counter');
    await page.keyboard.press('Enter');
    await waitForRow(app, k, `$1 = ${want}`);
    expect(await page.$$eval('[data-testid=gdb-tab]', (tabs) => tabs.map((t) => t.getAttribute('data-k')))).toEqual(['13', '4']);

    // Back to the first tab: its terminal is as it was.
    await page.click('[data-testid=gdb-tab][data-k="13"] [role=tab]');
    expect(await page.isVisible('[data-testid=gdb-view][data-k="13"] [data-testid=gdb-terminal]')).toBe(true);
    expect(await page.isVisible('[data-testid=gdb-view][data-k="4"] [data-testid=gdb-terminal]')).toBe(false);
    await waitForRow(app, 13, `$1 = ${u64At(reader, 13, 'counter')}`);

    // gdb quits by itself: the tab says so, and opens gdb again at the same checkpoint.
    await page.click('[data-testid=gdb-tab][data-k="4"] [role=tab]');
    await page.click(`[data-testid=gdb-view][data-k="4"] [data-testid=gdb-terminal]`);
    await page.keyboard.type('quit');
    await page.keyboard.press('Enter');
    await waitForRow(app, 4, '(y or n)');
    await page.keyboard.type('y');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=gdb-tab][data-k="4"][data-status=exited]');
    expect(await page.textContent('[data-testid=gdb-view][data-k="4"] [data-testid=gdb-exited]')).toContain('gdb exited.');
    await screenshot(page, 'viewer-gdb-exited');
    await page.click('[data-testid=gdb-view][data-k="4"] [data-testid=gdb-exited] button >> text=Open again');
    await page.waitForSelector('[data-testid=gdb-tab][data-k="4"][data-status=running]');
    await waitForRow(app, 4, '(gdb)');

    const exits = (): number => events.filter((e) => e.event === 'onGdbExit').length;
    expect(exits()).toBe(1);
    await page.click('[data-testid=gdb-tab][data-k="4"] [data-testid=gdb-tab-close]');
    await page.click('[data-testid=gdb-tab][data-k="13"] [data-testid=gdb-tab-close]');
    await page.waitForSelector('[data-testid=gdb-dock]', { state: 'detached' });
    await expect.poll(exits, { timeout: 30_000 }).toBe(3);
    expect(app.browser.errors).toEqual([]);
  });

  it('the viewer follows gdb to the checkpoint continue, reverse-continue or monitor goto takes it to', async () => {
    const page = app.page;
    const moves = (): number[] => events.flatMap((e) => (e.event === 'onGdbCheckpoint' ? [e.payload.k] : []));
    /** Runs a gdb command that moves it; returns where the service says it went. */
    const move = async (command: string): Promise<number> => {
      const before = moves().length;
      await page.keyboard.type(command);
      await page.keyboard.press('Enter');
      await expect.poll(() => moves().length, { timeout: 30_000 }).toBeGreaterThan(before);
      return moves().at(-1)!;
    };
    await goToCheckpoint(app, 13);
    await page.click('[data-testid=open-gdb]');
    await page.waitForSelector('[data-testid=gdb-tab][data-k="13"][data-status=running]');
    await waitForRow(app, 13, '(gdb)');
    await page.click('[data-testid=gdb-view] [data-testid=gdb-terminal]');
    expect(await move('monitor goto 6')).toBe(6);
    await waitForSelected(page, 6);
    await page.waitForSelector('[data-testid=gdb-tab][data-k="6"]');
    await page.keyboard.type('watch counter');
    await page.keyboard.press('Enter');
    const forward = await move('continue');
    expect(forward).toBeGreaterThan(6);
    await waitForSelected(page, forward);
    const back = await move('reverse-continue');
    expect(back).toBeLessThan(forward);
    await waitForSelected(page, back);
    // gdb itself says the checkpoint the viewer shows.
    await page.keyboard.type('monitor info');
    await page.keyboard.press('Enter');
    await waitForRow(app, back, `checkpoint ${back} of 0..22`);
    expect(await page.getAttribute('[data-testid=gdb-tab]', 'data-k')).toBe(String(back));
    await page.click('[data-testid=gdb-tab-close]');
    await page.waitForSelector('[data-testid=gdb-dock]', { state: 'detached' });
  });
});

describe.skipIf(skip)('Open in gdb without gdb', () => {
  let app: TestApp;

  beforeAll(async () => {
    const rec = await record(programPath('counter'), ['3']);
    app = await startApp({ initialRecording: rec, gdb: 'no-such-gdb', viewport: { width: 1280, height: 800 } });
    await app.page.waitForSelector('[data-testid=viewer-screen]');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('says so in the tab', async () => {
    const page = app.page;
    await waitForSelected(page, 5);
    await page.click('[data-testid=open-gdb]');
    await page.waitForSelector('[data-testid=gdb-tab][data-status=failed]');
    expect(await page.textContent('[data-testid=gdb-error]')).toContain('gdb is not installed (no "no-such-gdb" on PATH). Install it (e.g. apt-get install gdb)');
    await screenshot(page, 'viewer-gdb-missing');
  });
});
