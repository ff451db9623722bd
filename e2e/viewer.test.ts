/**
 * The viewer over real recordings, in Chromium over the bridge: keyboard stepping, scrubbing
 * the timeline, reading a known value in the memory view, bisect and find from the search
 * panel, and "when did this change?". The programs' histories are documented in
 * native-recorder/tests/programs/*.c; recorded with --syscalls write, checkpoint 0 is the
 * start and checkpoint i >= 1 is the i-th write(2):
 *   counter 20: counter == i - 1 at checkpoints 1..20, then "done" (21) and the exit (22);
 *   guard:      store.inv.guard (store + 64) is 0xdeadbeef until iteration 16's write,
 *               checkpoint 17, and 48 from there on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../shared/api/bytes.js';
import { startApp, type TestApp } from './support/app.js';
import { chromiumMissing } from './support/browser.js';
import { programPath, record } from './support/recordings.js';
import { screenshot, selectedCheckpoint, typeInMonaco, waitForSelected } from './support/screens.js';

const skip = chromiumMissing();

/** Steps to checkpoint k with the keyboard (Home, then Right k times). */
async function goToCheckpoint(app: TestApp, k: number): Promise<void> {
  await app.page.click('[data-testid=checkpoint-info]');
  await app.page.keyboard.press('Home');
  for (let i = 0; i < k; i++) await app.page.keyboard.press('ArrowRight');
  await waitForSelected(app.page, k);
}

/** Goes to checkpoint 8 and selects counter (a u64, 7 there) through the memory view's go-to box. */
async function selectCounterAt8(app: TestApp): Promise<void> {
  await goToCheckpoint(app, 8);
  await app.page.fill('[data-testid=memory-goto]', 'counter');
  await app.page.click('[data-testid=memory-goto-button]');
  await app.page.waitForSelector('[data-testid=inspect-u64] .v >> text="7"');
}

/** Resolves a symbol expression the way the memory view's "go to" does. */
async function addressOf(app: TestApp, rec: string, expr: string): Promise<bigint> {
  const r = await app.service.resolve({ rec, k: 0, expr });
  return BigInt(r.addr);
}

describe.skipIf(skip)('viewer: counter', () => {
  let app: TestApp;
  let rec: string;

  beforeAll(async () => {
    rec = await record(programPath('counter'), ['20']);
    app = await startApp({ initialRecording: rec });
    await app.page.waitForSelector('[data-testid=viewer-screen]');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('opens on the last checkpoint, the exit', async () => {
    await waitForSelected(app.page, 22);
    await app.page.waitForSelector('[data-testid=checkpoint-info] .trigger-exit');
    expect(await app.page.textContent('[data-testid=recording-info]')).toContain('23 checkpoints');
    expect(await app.page.getAttribute('[data-testid=timeline-canvas]', 'data-count')).toBe('23');
  });

  it('steps through checkpoints with the keyboard', async () => {
    const page = app.page;
    await page.click('[data-testid=checkpoint-info]');
    await page.keyboard.press('Home');
    await waitForSelected(page, 0);
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await waitForSelected(page, 3);
    await page.keyboard.press('ArrowLeft');
    await waitForSelected(page, 2);
    await page.keyboard.press('End');
    await waitForSelected(page, 22);
    await page.keyboard.press('PageUp'); // a tenth of the visible 23 checkpoints, rounded: 2
    await waitForSelected(page, 20);
    await page.keyboard.press('PageDown');
    await waitForSelected(page, 22);
    await page.keyboard.press('ArrowRight'); // stays at the end
    expect(await selectedCheckpoint(page)).toBe(22);
  });

  it('scrubs: dragging across the timeline selects the checkpoint under the pointer', async () => {
    const page = app.page;
    const box = (await page.locator('[data-testid=timeline-canvas]').boundingBox())!;
    const xOf = (k: number): number => box.x + ((k + 0.5) / 23) * box.width;
    const y = box.y + 50;
    await page.mouse.move(xOf(4), y);
    await page.mouse.down();
    await waitForSelected(page, 4);
    await page.mouse.move(xOf(7), y, { steps: 4 });
    await page.mouse.move(xOf(9), y, { steps: 4 });
    await waitForSelected(page, 9);
    await page.mouse.up();
    await page.mouse.move(xOf(15), y); // moving without the button does not select
    expect(await selectedCheckpoint(page)).toBe(9);
  });

  it('reads counter at a checkpoint in the memory view, with the bytes that changed highlighted', async () => {
    const page = app.page;
    await selectCounterAt8(app); // its 8 bytes; at checkpoint 8 it is 7 (and squares 49)
    const counter = await addressOf(app, rec, 'counter');
    const squares = await addressOf(app, rec, 'squares');
    expect(await page.getAttribute(`[data-addr="${squares.toString(16)}"]`, 'class')).toContain('changed');
    expect(await page.textContent(`[data-addr="${squares.toString(16)}"]`)).toBe('31'); // 49
    expect(await page.getAttribute(`[data-addr="${(squares + 7n).toString(16)}"]`, 'class')).not.toContain('changed');
    expect(await page.getAttribute(`[data-addr="${counter.toString(16)}"]`, 'class')).toContain('selected');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[data-testid=inspect-u64] .v >> text="8"');
    await screenshot(page, 'viewer-memory');
  });

  it('keeps the changed-byte highlight on selected bytes', async () => {
    const page = app.page;
    await selectCounterAt8(app);
    const counter = await addressOf(app, rec, 'counter');
    const byte = `[data-addr="${counter.toString(16)}"]`;
    expect((await page.getAttribute(byte, 'class'))!.split(' ')).toEqual(expect.arrayContaining(['selected', 'changed']));
    expect(await page.$eval(byte, (e) => getComputedStyle(e).color)).toBe('rgb(255, 225, 160)'); // the change's colour
  });

  it('steps to the markers of the change list with next/previous marker and [ ]', async () => {
    const page = app.page;
    await page.click('[data-testid=when-changed]'); // counter, selected above
    await page.waitForSelector('[data-testid=change-item]');
    const changes = await page.$$eval('[data-testid=change-item]', (els) => els.map((e) => Number(e.getAttribute('data-checkpoint'))));
    expect(changes.length).toBeGreaterThan(2);
    await page.click('[data-testid=checkpoint-info]');
    await page.keyboard.press('Home');
    await waitForSelected(page, 0);
    await page.click('[data-testid=next-marker]');
    await waitForSelected(page, changes[0]!);
    await page.keyboard.press(']');
    await waitForSelected(page, changes[1]!);
    await page.keyboard.press('[');
    await waitForSelected(page, changes[0]!);
  });

  it('keeps the hover label on the checkpoint under the pointer when the wheel zooms or pans', async () => {
    const page = app.page;
    const canvas = '[data-testid=timeline-canvas]';
    const box = (await page.locator(canvas).boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + 40);
    await page.waitForSelector(`${canvas}[data-hover="5"]`); // (0.25 * 23) rounded down
    await page.mouse.wheel(0, -600); // zoom in around the pointer
    await page.waitForFunction((c) => document.querySelector(c)?.getAttribute('data-view') !== '0-23', canvas);
    await page.mouse.wheel(400, 0); // pan right, the pointer still
    await page.waitForFunction((c) => Number(document.querySelector(c)?.getAttribute('data-hover')) > 5, canvas);
    const [from, to] = (await page.getAttribute(canvas, 'data-view'))!.split('-').map(Number);
    const hover = Number(await page.getAttribute(canvas, 'data-hover'));
    expect(hover).toBeGreaterThanOrEqual(from!);
    expect(hover).toBeLessThan(to!);
    await page.mouse.move(box.x + 5, box.y + box.height + 40); // leave
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await page.waitForSelector(`${canvas}[data-view="0-23"]`);
  });

  it('lists the shortcuts on ? and F1', async () => {
    const page = app.page;
    await page.click('[data-testid=checkpoint-info]');
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid=help] >> text=previous / next marker');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=help]', { state: 'detached' });
    await page.fill('[data-testid=memory-goto]', 'a?b'); // typing a ? is typing
    expect(await page.$('[data-testid=help]')).toBeNull();
    await page.keyboard.press('F1'); // F1 works anywhere
    await page.waitForSelector('[data-testid=help]');
    await screenshot(page, 'viewer-help');
    await page.mouse.click(5, 300); // outside it
    await page.waitForSelector('[data-testid=help]', { state: 'detached' });
    await page.fill('[data-testid=memory-goto]', '');
  });

  it('diffs memory against a pinned checkpoint', async () => {
    const page = app.page;
    await goToCheckpoint(app, 3);
    await page.click('[data-testid=pin]');
    await goToCheckpoint(app, 3);
    await page.keyboard.press('End');
    await waitForSelected(page, 22);
    await page.waitForSelector('.memory-compare >> text=changed since pinned #3');
    // Registers compare with the pinned checkpoint too, and say so.
    await page.click('[data-testid=tab-registers]');
    await page.waitForSelector('[data-testid=registers-compare] >> text=changed since pinned #3');
    const [vsPinned] = await app.service.registers({ rec, k: 22, compareTo: 3 });
    await page.waitForFunction((want) => [...document.querySelectorAll('[data-testid=registers-view] .reg.changed .k')].map((e) => e.textContent).join() === want, vsPinned!.registers.filter((r) => r.changed).map((r) => r.name).join());
    await page.click('[data-testid=pin]'); // pin 22 instead
    await page.click('[data-testid=pin]'); // and unpin
    await page.waitForSelector('.memory-compare >> text=changed since #21');
    await page.waitForSelector('[data-testid=registers-compare] >> text=changed since #21');
    const [vsPrevious] = await app.service.registers({ rec, k: 22 });
    await page.waitForFunction((want) => [...document.querySelectorAll('[data-testid=registers-view] .reg.changed .k')].map((e) => e.textContent).join() === want, vsPrevious!.registers.filter((r) => r.changed).map((r) => r.name).join());
  });

  it('bisects from the search panel and lands on the first checkpoint where the predicate holds', async () => {
    const page = app.page;
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&counter) >= 7');
    await page.click('[data-testid=search-bisect]');
    await page.waitForSelector('[data-testid=search-result] >> text=first true at #8');
    await waitForSelected(page, 8);
    expect(await page.getAttribute('[data-testid=search-result-item]', 'data-checkpoint')).toBe('8');
    await screenshot(page, 'viewer-bisect');
  });

  it('finds every checkpoint where a non-monotone predicate becomes true', async () => {
    const page = app.page;
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&counter) % 5 == 0 && u64(&counter) > 0');
    await page.click('[data-testid=search-find]');
    await page.waitForSelector('[data-testid=search-result] >> text=3 matches');
    const found = await page.$$eval('[data-testid=search-result-item]', (els) => els.map((e) => Number(e.getAttribute('data-checkpoint'))));
    expect(found).toEqual([6, 11, 16]);
    await page.click('[data-testid=search-result-item][data-checkpoint="11"]');
    await waitForSelected(page, 11);
  });

  it('says why a search finds nothing where it cannot read, and drops the last result when a search fails', async () => {
    const page = app.page;
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u32(0) == 1');
    await page.click('[data-testid=search-find]');
    await page.waitForSelector('[data-testid=search-summary] >> text=0 matches');
    expect(await page.textContent('[data-testid=search-failures]')).toBe('from #0: u32(0x0): address 0x0 is not mapped at checkpoint 0');
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u32(0)');
    await page.click('[data-testid=search-find]');
    await page.waitForSelector('[data-testid=search-summary] >> text=0 changes of its value');
    expect(await page.$('[data-testid=search-result-item]')).toBeNull(); // no "1 match #0"
    await page.waitForSelector('[data-testid=search-failures] >> text=not mapped');
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&counter) == 3');
    await page.click('[data-testid=search-find]');
    await page.waitForSelector('[data-testid=search-summary] >> text=1 match');
    expect(await page.$('[data-testid=search-failures]')).toBeNull();
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&nosuch) == 3');
    await page.click('[data-testid=search-find]');
    await page.waitForSelector('[data-testid=search-error] >> text=nosuch');
    expect(await page.$('[data-testid=search-result]')).toBeNull();
  });

  it('completes symbols of the recording in the predicate editor', async () => {
    const page = app.page;
    await page.click('[data-testid=predicate-editor] .monaco-editor .view-lines');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('u64(&coun');
    await page.keyboard.press('Control+Space'); // as a user would, whether or not it popped up by itself
    // The widget lives in Monaco's overflow layer (fixedOverflowWidgets), outside the editor's node.
    await page.waitForSelector('.suggest-widget .monaco-list-row >> text=counter');
    await page.keyboard.press('Escape');
  });

  it('lists the bytes that differ from the previous checkpoint, by symbol, and shows them in memory', async () => {
    const page = app.page;
    await goToCheckpoint(app, 9);
    await page.click('[data-testid=tab-diff]');
    await page.waitForSelector('[data-testid=diff-view] >> text=#8 → #9');
    const counter = await addressOf(app, rec, 'counter');
    const counterPage = counter & ~0xfffn;
    await page.waitForSelector(`[data-testid=diff-page] >> text=page 0x${counterPage.toString(16).padStart(12, '0')}`);
    // counter 7 -> 8 and squares 49 -> 64: one byte each, named as the CLI names them.
    const range = `[data-testid=diff-range][data-addr="0x${counter.toString(16)}"]`;
    expect(await page.textContent(range)).toBe(`0x${counter.toString(16).padStart(12, '0')}+1counter`);
    const squares = await addressOf(app, rec, 'squares');
    expect(await page.textContent(`[data-testid=diff-range][data-addr="0x${squares.toString(16)}"]`)).toContain('squares');
    await page.click(range);
    await page.waitForSelector(`[data-testid=memory-inspector] >> text=0x${counter.toString(16).padStart(12, '0')} · 1 byte`);
    const cls = (await page.getAttribute(`[data-addr="${counter.toString(16)}"]`, 'class'))!.split(' ');
    expect(cls).toEqual(expect.arrayContaining(['selected', 'changed']));
    await page.click('[data-testid=tab-registers]');
  });

  it('underlines a predicate syntax error where the parser says, before anything runs', async () => {
    const page = app.page;
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&counter >= ');
    await page.waitForSelector('[data-testid=predicate-syntax-error]');
    await page.waitForSelector('[data-testid=predicate-editor] .squiggly-error');
    expect(await page.isDisabled('[data-testid=search-bisect]')).toBe(true);
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u64(&countr) > 1');
    await page.click('[data-testid=search-bisect]');
    const message = await page.textContent('[data-testid=search-error]');
    expect(message).toContain("unknown symbol 'countr'");
    expect(message).toContain("'counter'");
  });

  it('keeps a malformed predicate malformed: no bracket or quote is added to what was typed', async () => {
    const page = app.page;
    // Monaco renders on the next frame: wait for the text rather than read it once.
    const editorShows = async (text: string): Promise<void> => {
      await page.waitForFunction((want) => (document.querySelector('[data-testid=predicate-editor] .view-lines')?.textContent ?? '').replace(/\u00a0/g, ' ') === want, text);
    };
    for (const typed of ['u64(&counter >= 7', 'cstr(&counter) == "x', 'u64(&counter)) > 1']) {
      await typeInMonaco(page, '[data-testid=predicate-editor]', typed);
      await editorShows(typed);
      await page.waitForSelector('[data-testid=predicate-syntax-error]');
      expect(await page.isDisabled('[data-testid=search-bisect]')).toBe(true);
      expect(await page.isDisabled('[data-testid=search-find]')).toBe(true);
    }
    // Selecting a word and typing a bracket replaces it; it does not surround it.
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'counter');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('(');
    await editorShows('(');
  });

  it('shows registers, maps and the output as it was', async () => {
    const page = app.page;
    await goToCheckpoint(app, 5);
    await page.click('[data-testid=tab-registers]');
    // Checkpoint 5 is a write(2): orig_rax is the syscall number 1.
    await page.waitForSelector('[data-testid=registers-view] .reg:has(.k:text-is("orig_rax")) .v:text-is("0x1")');
    await page.click('[data-testid=tab-maps]');
    await page.waitForSelector('[data-testid=map] .path >> text=/counter$/');
    await page.click('[data-testid=tab-registers]');
    // Stopped in libc's write: the source view shows the first caller with line info,
    // line_write, which lives in tests/programs/out.h (the test programs' output helper).
    await page.waitForSelector('[data-testid=source-location] >> text=out.h');
    expect(app.browser.errors).toEqual([]);
  });

  it('shows at each checkpoint exactly the output printed before it', async () => {
    const page = app.page;
    // What counter 20 had printed at checkpoint k: nothing at 0 and 1 (the first write is about
    // to happen), i=0 .. i=k-2 up to the "done" write (21), and everything at the exit (22).
    const printedAt = (k: number): string[] => {
      const lines = Array.from({ length: Math.max(0, Math.min(k, 21) - 1) }, (_, i) => `i=${i}`);
      return k === 22 ? [...lines, 'done'] : lines;
    };
    await page.click('[data-testid=checkpoint-info]');
    // Each step from the one before: the first checkpoints one by one, then the end and back.
    const steps: Array<[string, number]> = [['Home', 0], ['ArrowRight', 1], ['ArrowRight', 2], ['ArrowRight', 3], ['End', 22], ['ArrowLeft', 21], ['PageUp', 19], ['ArrowLeft', 18]];
    for (const [key, k] of steps) {
      await page.keyboard.press(key);
      const lines = printedAt(k);
      const bytes = lines.reduce((n, l) => n + l.length + 2, 0); // "\r\n": the pty ends lines so
      await page.waitForSelector(`[data-testid=terminal-at][data-k="${k}"][data-bytes="${bytes}"]`);
      expect(await page.textContent('[data-testid=terminal-at-head]')).toBe(`printed before #${k} · ${bytes} bytes`);
      // The rows xterm shows: the last lines printed, then the (empty) cursor row.
      await page.waitForFunction(
        (want) => {
          const rows = [...document.querySelectorAll('[data-testid=terminal-at-text] .xterm-rows > div')].map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd());
          while (rows.length > 0 && rows.at(-1) === '') rows.pop();
          const tail = want.slice(Math.max(0, want.length - rows.length));
          return rows.length === Math.min(want.length, document.querySelectorAll('[data-testid=terminal-at-text] .xterm-rows > div').length - 1) && rows.join('\n') === tail.join('\n');
        },
        lines,
      );
    }
    await screenshot(page, 'viewer-output');
  });

  it('unwinds the stack from the libc write(2) wrapper up to main, and shows any frame with source', async () => {
    const page = app.page;
    await goToCheckpoint(app, 5);
    await page.click('[data-testid=tab-stack]');
    await page.waitForSelector('[data-testid=stack-frame] .fn >> text=main');
    const frames = await page.$$eval('[data-testid=stack-frame] .fn', (els) => els.map((e) => e.textContent ?? ''));
    expect(frames[0]).toMatch(/write/); // stopped in libc's wrapper, entering the system call
    expect(frames).toContain('line_write');
    expect(frames.indexOf('main')).toBeGreaterThan(frames.indexOf('line_write'));
    await page.waitForSelector('[data-testid=source-stopped-in] >> text=write');
    await page.click('[data-testid=stack-frame]:has(.fn:text-is("main"))');
    await page.waitForSelector('[data-testid=source-location] >> text=counter.c:31'); // line_write(&l) in the loop
    await page.click('[data-testid=tab-registers]');
  });
});

describe.skipIf(skip)('viewer: guard, "when did this change?"', () => {
  let app: TestApp;
  let rec: string;

  beforeAll(async () => {
    rec = await record(programPath('guard'), []);
    app = await startApp({ initialRecording: rec });
    await app.page.waitForSelector('[data-testid=viewer-screen]');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists every change of the selected bytes and jumps to one', async () => {
    const page = app.page;
    const guard = await addressOf(app, rec, 'store + 64');
    await goToCheckpoint(app, 2);
    await page.fill('[data-testid=memory-goto]', 'store + 64');
    await page.click('[data-testid=memory-goto-button]');
    // "Go" resolves the expression and selects one byte there (it has no symbol size).
    await page.waitForSelector(`[data-testid=memory-inspector] >> text=0x${guard.toString(16).padStart(12, '0')} · 1 byte`);
    await page.click(`[data-addr="${guard.toString(16)}"]`);
    await page.click(`[data-addr="${(guard + 3n).toString(16)}"]`, { modifiers: ['Shift'] });
    await page.waitForSelector('[data-testid=inspect-u32] .v >> text="3735928559"');
    await page.click('[data-testid=when-changed]');
    await page.waitForSelector('[data-testid=change-item]');
    const items = await page.$$eval('[data-testid=change-item]', (els) => els.map((e) => Number(e.getAttribute('data-checkpoint'))));
    expect(items).toEqual([17]);
    // As the CLI shows them: unsigned little-endian, hex in value order, and the symbol.
    expect(await page.textContent('[data-testid=change-item] .before')).toBe('3735928559 (0xdeadbeef)');
    expect(await page.textContent('[data-testid=change-item] .after')).toBe('48 (0x00000030)');
    expect(await page.textContent('[data-testid=changes-symbol]')).toMatch(/^ \(store\+(0x40|64)\)$/);
    await page.click('[data-testid=change-item]');
    await waitForSelected(page, 17);
    await page.waitForSelector('[data-testid=inspect-u32] .v >> text="48"');
    await screenshot(page, 'viewer-changes');
  });

  it('bisects to the overrun', async () => {
    const page = app.page;
    await typeInMonaco(page, '[data-testid=predicate-editor]', 'u32(store + 64) != 0xdeadbeef');
    await page.click('[data-testid=search-bisect]');
    await page.waitForSelector('[data-testid=search-result] >> text=first true at #17');
    await waitForSelected(page, 17);
    const block = await app.service.readMemory({ rec, k: 17, addr: '0x' + (await addressOf(app, rec, 'store + 64')).toString(16), len: 4 });
    expect(hexToBytes(block.bytes)).toEqual(new Uint8Array([48, 0, 0, 0]));
    expect(app.browser.errors).toEqual([]);
  });
});
