/**
 * The renderer's one client, set once at start-up by main.tsx (after picking the transport).
 * Components and stores call `api()`; nothing else in app/ knows how calls travel.
 */
import type { Client } from './client.js';

let client: Client | null = null;

export function setClient(c: Client): void {
  client = c;
}

export function api(): Client {
  if (!client) throw new Error('the API client is not set up yet (main.tsx sets it before rendering)');
  return client;
}
