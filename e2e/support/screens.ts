/**
 * Screenshots of the main screens, saved under e2e/artifacts/ (gitignored) for a human to look
 * at when the UI changes, and small helpers to wait on the renderer's stable data-testids.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { packageRoot } from '../../main/api/paths.js';

export const ARTIFACTS = join(packageRoot(), 'e2e', 'artifacts');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The selected checkpoint, as the checkpoint bar shows it. */
export async function selectedCheckpoint(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-testid=selected-checkpoint]', 'data-k'));
}

/** Waits until the checkpoint bar shows checkpoint k. */
export async function waitForSelected(page: Page, k: number): Promise<void> {
  await page.waitForSelector(`[data-testid=selected-checkpoint][data-k="${k}"]`);
}

/** Types into a Monaco editor inside `container` (replacing its text). */
export async function typeInMonaco(page: Page, container: string, text: string): Promise<void> {
  // Nothing may cover the text: a suggestion list that opened late (symbol completion asks the
  // service), or the hover of an error squiggle the pointer was left over.
  await page.keyboard.press('Escape');
  await page.mouse.move(0, 0);
  await page.waitForSelector('.suggest-widget.visible', { state: 'detached' }).catch(() => undefined);
  await page.click(`${container} .monaco-editor .view-lines`);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
  await page.keyboard.press('Escape'); // close the suggestion widget, if any
}

/** Opens a recording by path from the start screen (the logo leads there). */
export async function openFromStart(page: Page, rec: string): Promise<void> {
  await page.click('[data-testid=home]');
  await page.fill('[data-testid=open-path]', rec);
  await page.click('[data-testid=open-button]');
  await page.waitForSelector(`[data-testid=recording-info] .program[title="${rec}"]`);
}
