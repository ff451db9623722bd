/**
 * What belongs to the recording shown. Every store that holds something about one recording
 * (the memory view's address and selection, searches, the change list, the chosen stack frame,
 * gdb tabs) registers its reset here; the viewer store calls them all whenever the recording it
 * shows changes (opened, replaced, or cleared for a new recording). The viewer's views are keyed
 * by the viewer store's `scope` too, so what they fetched or had typed goes with it: nothing of
 * one recording is ever shown over another.
 */

const resets: Array<() => void> = [];

/** Registers a store's reset, run on every recording change. */
export function onRecordingChange(reset: () => void): void {
  resets.push(reset);
}

/** The recording shown changed: everything tied to the previous one goes. */
export function recordingChanged(): void {
  for (const reset of resets) reset();
}
