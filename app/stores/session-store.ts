/**
 * The live recording session: progress as the recorder reports it, the program's terminal
 * output (kept outside React state: a terminal appends, it does not re-render), and the end.
 * While recording, the timeline is the viewer store's, refreshed from the growing recording.
 */
import { create } from 'zustand';
import type { DeloreanEvents } from '../../shared/api/contract.js';
import { api } from '../lib/api.js';
import { useViewer } from './viewer-store.js';

type Progress = DeloreanEvents['onRecordingProgress'];
type Ended = DeloreanEvents['onRecordingEnded'];

const OUTPUT_LIMIT = 4 << 20;
const LIVE_POLL_MS = 500;
let poll: ReturnType<typeof setInterval> | null = null;

interface SessionState {
  readonly sessionId: string | null;
  readonly out: string | null;
  readonly progress: Progress | null;
  readonly ended: Ended | null;
  readonly paused: boolean;
  begin(sessionId: string, out: string): void;
  control(action: 'checkpoint' | 'pause' | 'resume' | 'stop'): Promise<void>;
  /** Output so far (for a terminal that mounts late) and a tap for what follows. */
  output(): string;
  onOutput(cb: (data: string) => void): () => void;
  /** Wires the store to the API's events; call once. */
  connect(): () => void;
}

let outputChunks: string[] = [];
let outputSize = 0;
const outputTaps = new Set<(data: string) => void>();

export const useSession = create<SessionState>()((set, get) => {
  let refreshing = false;
  let refreshAgain = false;
  /** Re-reads the growing recording for the live timeline; at most one read in flight. */
  const refreshLive = async (): Promise<void> => {
    const out = get().out;
    if (!out) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    try {
      const summary = await api().openRecording({ path: out });
      if (get().out === out) useViewer.getState().refresh(summary);
    } catch {
      // Not committed yet (no checkpoint so far): the next progress event tries again.
    } finally {
      refreshing = false;
      if (refreshAgain) {
        refreshAgain = false;
        void refreshLive();
      }
    }
  };

  return {
    sessionId: null,
    out: null,
    progress: null,
    ended: null,
    paused: false,

    begin(sessionId, out) {
      outputChunks = [];
      outputSize = 0;
      set({ sessionId, out, progress: null, ended: null, paused: false });
      // Progress events are throttled at the source and can lag in quiet moments: also re-read
      // the recording on a timer, so the timeline keeps up while the program waits for input.
      if (poll) clearInterval(poll);
      poll = setInterval(() => {
        if (get().ended || get().sessionId !== sessionId) {
          clearInterval(poll!);
          poll = null;
        } else void refreshLive();
      }, LIVE_POLL_MS);
    },

    async control(action) {
      const sessionId = get().sessionId;
      if (!sessionId) return;
      await api().sessionControl({ sessionId, action });
      if (action === 'pause') set({ paused: true });
      if (action === 'resume') set({ paused: false });
    },

    output: () => outputChunks.join(''),
    onOutput(cb) {
      outputTaps.add(cb);
      return () => outputTaps.delete(cb);
    },

    connect() {
      const offs = [
        api().on('onRecordingProgress', (p) => {
          if (p.sessionId !== get().sessionId) return;
          set({ progress: p, paused: p.paused });
          if (p.checkpoints > 0) void refreshLive();
        }),
        api().on('onTerminalData', (d) => {
          if (d.sessionId !== get().sessionId) return;
          outputChunks.push(d.data);
          outputSize += d.data.length;
          while (outputSize > OUTPUT_LIMIT && outputChunks.length > 1) outputSize -= outputChunks.shift()!.length;
          for (const tap of outputTaps) tap(d.data);
        }),
        api().on('onRecordingEnded', (e) => {
          if (e.sessionId !== get().sessionId) return;
          set({ ended: e });
          void refreshLive();
        }),
      ];
      return () => offs.forEach((off) => off());
    },
  };
});
