/**
 * The app shell: a title bar (where we are, how to go back) and the current screen (see the
 * screen diagram in stores/app-store.ts), plus the error banner.
 */
import { useApp, assertNever } from './stores/app-store.js';
import { useViewer } from './stores/viewer-store.js';
import { RecordingScreen } from './screens/RecordingScreen.js';
import { StartScreen } from './screens/StartScreen.js';
import { ViewerScreen } from './screens/ViewerScreen.js';
import { formatBytes, formatCount, formatExit } from './lib/format.js';
import { formatReduction } from '../shared/api/format.js';

function Screen(): React.JSX.Element {
  const screen = useApp((s) => s.screen);
  switch (screen.kind) {
    case 'start':
      return <StartScreen />;
    case 'recording':
      return <RecordingScreen sessionId={screen.sessionId} out={screen.out} />;
    case 'viewer':
      return <ViewerScreen />;
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

function TitleBar(): React.JSX.Element {
  const screen = useApp((s) => s.screen);
  const goStart = useApp((s) => s.goStart);
  const busy = useApp((s) => s.busy);
  const summary = useViewer((s) => s.summary);
  return (
    <header className="titlebar">
      <button className="brand" onClick={goStart} title="Start screen" data-testid="home">
        <Logo /> DeLorean
      </button>
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
    </header>
  );
}

export function App(): React.JSX.Element {
  const error = useApp((s) => s.error);
  const dismiss = useApp((s) => s.dismissError);
  return (
    <div className="app">
      <TitleBar />
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
