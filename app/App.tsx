/**
 * The app shell: a title bar (where we are, how to go back) and the current screen (see the
 * screen diagram in stores/app-store.ts), plus the error banner.
 */
import { useState } from 'react';
import { HelpOverlay } from './components/HelpOverlay.js';
import { useApp, assertNever } from './stores/app-store.js';
import { useViewer } from './stores/viewer-store.js';
import { RecordingScreen } from './screens/RecordingScreen.js';
import { StartScreen } from './screens/StartScreen.js';
import { ViewerScreen } from './screens/ViewerScreen.js';
import { formatBytes, formatCount, formatExit } from './lib/format.js';
import { formatReduction } from '../shared/api/format.js';

function Screen(): React.JSX.Element {
  const screen = useApp((s) => s.screen);
  // A view of one recording never outlives it: a new scope mounts fresh views.
  const scope = useViewer((s) => s.scope);
  switch (screen.kind) {
    case 'start':
      return <StartScreen />;
    case 'recording':
      return <RecordingScreen key={screen.sessionId} sessionId={screen.sessionId} out={screen.out} />;
    case 'viewer':
      return <ViewerScreen key={scope} />;
    default:
      return assertNever(screen);
  }
}

/** A clock face with a flux bolt: time travel, in 16 pixels. */
function Logo(): React.JSX.Element {
  return (
    <svg className="logo" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M9 3.5 5.5 8.8h2.6L7 12.5l3.5-5.3H7.9z" fill="currentColor" />
    </svg>
  );
}

function TitleBar({ onHelp }: { onHelp: () => void }): React.JSX.Element {
  const screen = useApp((s) => s.screen);
  const goStart = useApp((s) => s.goStart);
  const busy = useApp((s) => s.busy);
  const summary = useViewer((s) => s.summary);
  return (
    <header className="titlebar">
      <button className="brand" onClick={goStart} title="Start screen" data-testid="home">
        <Logo /> DeLorean
      </button>
      {screen.kind === 'viewer' && (
        <button className="back" onClick={goStart} title="Back to the start screen: recent recordings, a new recording" data-testid="back">
          ← Recordings
        </button>
      )}
      {screen.kind === 'viewer' && summary && (
        <div className="rec-info" data-testid="recording-info">
          <span className="program" title={summary.path}>
            {summary.meta.program.split('/').at(-1)}
          </span>
          {summary.meta.argv.length > 1 && <span className="dim">{summary.meta.argv.slice(1).join(' ')}</span>}
          <span className="sep">·</span>
          <span>{formatCount(summary.checkpointCount)} checkpoints</span>
          <span className="sep">·</span>
          <span>{formatExit(summary.exit)}</span>
          <span className="sep">·</span>
          <span className="dim">
            {formatBytes(summary.stats.storedBytes)} stored
            {summary.stats.rawBytes > 0 ? ` (${formatReduction(summary.stats.reduction)})` : ''} · {summary.meta.backend}
          </span>
        </div>
      )}
      {screen.kind === 'recording' && <div className="rec-info">Recording</div>}
      <span className="spacer" />
      {busy && <span className="busy">{busy}…</span>}
      <button className="help-button" onClick={onHelp} title="Keyboard shortcuts (? or F1)" data-testid="help-button">
        ?
      </button>
    </header>
  );
}

export function App(): React.JSX.Element {
  const error = useApp((s) => s.error);
  const dismiss = useApp((s) => s.dismissError);
  const [help, setHelp] = useState(false);
  return (
    <div className="app">
      <TitleBar onHelp={() => setHelp(!help)} />
      <HelpOverlay open={help} onToggle={setHelp} />
      {error && (
        <div className="error-banner" role="alert" data-testid="error-banner">
          <span>{error}</span>
          <button onClick={dismiss}>Dismiss</button>
        </div>
      )}
      <main className="screen">
        <Screen />
      </main>
    </div>
  );
}
