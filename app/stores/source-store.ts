/**
 * The source view's state: which stack frame the user chose (for one checkpoint: stepping
 * elsewhere goes back to the default, the innermost frame with source) and the location the
 * source view last loaded, which the stack list shows.
 */
import { create } from 'zustand';
import type { SourceLocation } from '../../shared/api/contract.js';
import { onRecordingChange } from './recording-scope.js';

interface SourceState {
  readonly choice: { readonly k: number; readonly frame: number } | null;
  readonly location: SourceLocation | null;
  chooseFrame(k: number, frame: number): void;
  setLocation(location: SourceLocation | null): void;
}

export const useSource = create<SourceState>()((set) => ({
  choice: null,
  location: null,
  chooseFrame: (k, frame) => set({ choice: { k, frame } }),
  setLocation: (location) => set({ location }),
}));

onRecordingChange(() => useSource.setState({ choice: null, location: null }));

/** The frame to ask for at checkpoint k: the user's choice there, else the default. */
export function frameFor(choice: SourceState['choice'], k: number): number | undefined {
  return choice && choice.k === k ? choice.frame : undefined;
}
