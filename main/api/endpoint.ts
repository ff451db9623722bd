/**
 * What a face (Electron IPC, the WebSocket bridge) needs from the service: one entry point that
 * validates and runs a call from outside, and the event stream. Both faces depend on this
 * interface only, so they can be tested over any implementation of it.
 */
import type { AnyEvent, Outcome } from '../../shared/api/contract.js';

export interface ApiEndpoint {
  /**
   * Runs `method` with `params`, both untrusted: the method must be in the contract and the
   * params must pass its validator. Never throws: failures come back as { ok: false, error }.
   */
  invoke(method: unknown, params: unknown): Promise<Outcome<unknown>>;
  /** Every event, in order; returns the unsubscribe function. */
  on(listener: (e: AnyEvent) => void): () => void;
  /** Stops a search (a face calls this for searches whose caller went away). */
  cancelSearch(params: { searchId: string }): Promise<{ cancelled: boolean }>;
}
