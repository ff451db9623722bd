/**
 * Renderer entry: pick the transport (Electron preload or the WebSocket bridge), set up the
 * API client, wire the stores to the API's events, and render the app.
 */
import '@xterm/xterm/css/xterm.css';
import './styles/app.css';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { setClient } from './lib/api.js';
import { createClient } from './lib/client.js';
import { pickTransport } from './lib/transport.js';
import { useApp } from './stores/app-store.js';
import { useGdb } from './stores/gdb-store.js';
import { useSearch } from './stores/search-store.js';
import { useSession } from './stores/session-store.js';

const root = createRoot(document.getElementById('root')!);
try {
  setClient(createClient(pickTransport()));
  useSession.getState().connect();
  useSearch.getState().connect();
  useGdb.getState().connect();
  root.render(<App />);
  void useApp.getState().init();
} catch (e) {
  root.render(
    <div className="fatal" role="alert">
      <h1>DeLorean cannot start</h1>
      <p>{(e as Error).message}</p>
    </div>,
  );
}
