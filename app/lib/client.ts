/**
 * The renderer's typed API client. A Transport carries calls and events (Electron preload or the
 * WebSocket bridge: see transport.ts); createClient turns it into a DeloreanApi, one method per
 * entry of the contract, whose failures are ApiErrors (code and position intact).
 */
import { ApiError, METHOD_NAMES, type AnyEvent, type DeloreanApi, type DeloreanEvents, type EventName, type MethodName, type Outcome } from '../../shared/api/contract.js';

export interface Transport {
  readonly kind: 'electron' | 'bridge';
  invoke(method: MethodName, params: unknown): Promise<Outcome<unknown>>;
  subscribe(listener: (e: AnyEvent) => void): () => void;
}

export interface Client extends DeloreanApi {
  readonly transport: Transport['kind'];
  on<E extends EventName>(event: E, cb: (payload: DeloreanEvents[E]) => void): () => void;
}

export function createClient(transport: Transport): Client {
  const api: Record<string, (params: unknown) => Promise<unknown>> = {};
  for (const m of METHOD_NAMES) {
    api[m] = async (params: unknown) => {
      const outcome = await transport.invoke(m, params);
      if (!outcome.ok) throw ApiError.fromJSON(outcome.error);
      return outcome.result;
    };
  }
  const on = <E extends EventName>(event: E, cb: (payload: DeloreanEvents[E]) => void): (() => void) =>
    transport.subscribe((e) => {
      if (e.event === event) cb(e.payload as DeloreanEvents[E]);
    });
  return Object.assign(api as unknown as DeloreanApi, { transport: transport.kind, on });
}
