/**
 * Which screen the app shows, and what it knows about its host. The screens:
 *
 *              open (path, recent, `delorean open REC`)
 *     Start ───────────────────────────────────────────► Viewer(rec)
 *      │  ▲                                                │  ▲
 *      │  └──────────────────── back ──────────────────────┘  │ inspect
 *      │ start recording                                      │ (once ended)
 *      └──────────────────────────► Recording(sessionId, out) ┘
 *
 * A recording being made is also viewable live: the Recording screen shows its timeline
 * through the viewer store while it grows.
 */
import { create } from 'zustand';
import type { AppInfo, RecentRecording, StartRecordingParams } from '../../shared/api/contract.js';
import { api } from '../lib/api.js';
import { useSession } from './session-store.js';
import { useViewer } from './viewer-store.js';

export type Screen = { readonly kind: 'start' } | { readonly kind: 'recording'; readonly sessionId: string; readonly out: string } | { readonly kind: 'viewer'; readonly rec: string };

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

interface AppState {
  readonly info: AppInfo | null;
  readonly recent: readonly RecentRecording[];
  readonly screen: Screen;
  /** A failure to show the user (dismissable banner). */
  readonly error: string | null;
  /** Something slow is happening ("Opening ..."). */
  readonly busy: string | null;
  init(): Promise<void>;
  refreshRecent(): Promise<void>;
  openRecording(path: string): Promise<void>;
  startRecording(params: StartRecordingParams): Promise<void>;
  inspectSession(): Promise<void>;
  goStart(): void;
  showError(message: string): void;
  dismissError(): void;
}

export const useApp = create<AppState>()((set, get) => ({
  info: null,
  recent: [],
  screen: { kind: 'start' },
  error: null,
  busy: null,

  async init() {
    try {
      const info = await api().appInfo({});
      set({ info });
      await get().refreshRecent();
      if (info.initialRecording) await get().openRecording(info.initialRecording);
    } catch (e) {
      get().showError(`Cannot reach DeLorean: ${(e as Error).message}`);
    }
  },

  async refreshRecent() {
    set({ recent: await api().listRecent({}) });
  },

  async openRecording(path) {
    performance.mark('delorean-open');
    set({ busy: `Opening ${path}`, error: null });
    try {
      const summary = await api().openRecording({ path });
      useViewer.getState().load(summary);
      set({ screen: { kind: 'viewer', rec: summary.rec } });
      void get().refreshRecent();
    } catch (e) {
      get().showError((e as Error).message);
    } finally {
      set({ busy: null });
    }
  },

  async startRecording(params) {
    set({ busy: `Starting ${params.program}`, error: null });
    try {
      const started = await api().startRecording(params);
      useViewer.getState().reset();
      useSession.getState().begin(started.sessionId, started.out);
      set({ screen: { kind: 'recording', sessionId: started.sessionId, out: started.out } });
    } catch (e) {
      get().showError((e as Error).message);
    } finally {
      set({ busy: null });
    }
  },

  async inspectSession() {
    const out = useSession.getState().out;
    if (out) await get().openRecording(out);
  },

  goStart() {
    set({ screen: { kind: 'start' } });
    void get().refreshRecent();
  },

  showError(message) {
    set({ error: message });
  },

  dismissError() {
    set({ error: null });
  },
}));
