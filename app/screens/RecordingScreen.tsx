/**
 * A recording in progress: the program's terminal (typing reaches the program through its
 * pty), the timeline growing live, the recorder's rate and storage, and the controls:
 * checkpoint now, pause/resume, stop. When the program ends, a summary and "Inspect".
 */
import { useMemo } from 'react';
import { PtyTerminal, type TerminalStream } from '../components/PtyTerminal.js';
import { Timeline } from '../components/timeline/Timeline.js';
import { api } from '../lib/api.js';
import { formatBytes, formatCount, formatExit, formatRate } from '../lib/format.js';
import { formatReduction } from '../../shared/api/format.js';
import { useApp } from '../stores/app-store.js';
import { useSession } from '../stores/session-store.js';
import { useViewer } from '../stores/viewer-store.js';

export function RecordingScreen({ sessionId, out }: { sessionId: string; out: string }): React.JSX.Element {
  const progress = useSession((s) => s.progress);
  const ended = useSession((s) => s.ended);
  const paused = useSession((s) => s.paused);
  const control = useSession((s) => s.control);
  const inspect = useApp((s) => s.inspectSession);
  const goStart = useApp((s) => s.goStart);
  const running = ended === null;
  // The recording as last re-read may be ahead of the last progress event.
  const seen = useViewer((s) => (s.summary?.path === out ? s.count : 0));
  const checkpoints = Math.max(progress?.checkpoints ?? 0, seen);

  return (
    <div className="recording" data-testid="recording-screen">
      <div className="recording-bar">
        <span className={running ? (paused ? 'status paused' : 'status live') : 'status done'} data-testid="recording-status">
          {running ? (paused ? '❚❚ paused' : '● recording') : '■ ended'}
        </span>
        <span className="path" title={out}>
          {out}
        </span>
        <span className="stat" data-testid="recording-checkpoints" data-count={checkpoints}>
          <b>{formatCount(checkpoints)}</b> checkpoints
        </span>
        {running && (
          <span className="stat">
            <b>{formatRate(progress?.rate ?? 0)}</b>
          </span>
        )}
        <span className="stat">
          <b>{formatBytes(progress?.storedBytes ?? 0)}</b> stored
          {progress && progress.rawBytes > 0 && <span className="dim"> of {formatBytes(progress.rawBytes)}</span>}
        </span>
        <span className="spacer" />
        {running ? (
          <>
            <button onClick={() => void control('checkpoint')} data-testid="ctl-checkpoint" title="Take a checkpoint now">
              ◉ Checkpoint now
            </button>
            {paused ? (
              <button onClick={() => void control('resume')} data-testid="ctl-resume">
                ▶ Resume
              </button>
            ) : (
              <button onClick={() => void control('pause')} data-testid="ctl-pause">
                ❚❚ Pause
              </button>
            )}
            <button className="danger" onClick={() => void control('stop')} data-testid="ctl-stop" title="Stop recording (kills the program)">
              ■ Stop
            </button>
          </>
        ) : (
          <>
            <button onClick={goStart}>Back</button>
            <button className="primary" onClick={() => void inspect()} data-testid="inspect-recording" disabled={!ended.summary}>
              Inspect recording
            </button>
          </>
        )}
      </div>
      {ended && (
        <div className={ended.error ? 'ended error' : 'ended'} data-testid="recording-ended">
          {ended.error
            ? `Recording failed: ${ended.error}`
            : ended.summary &&
              `Program ${formatExit(ended.summary.exit)}. ${formatCount(ended.summary.checkpoints)} checkpoints, ${formatBytes(ended.summary.storedBytes)} stored for ${formatBytes(ended.summary.rawBytes)} of pages (${ended.summary.rawBytes > 0 ? formatReduction(ended.summary.reduction) : 'nothing stored'}).`}
        </div>
      )}
      <Timeline height={112} />
      <LiveTerminal sessionId={sessionId} interactive={running} />
    </div>
  );
}

function LiveTerminal({ sessionId, interactive }: { sessionId: string; interactive: boolean }): React.JSX.Element {
  // A new stream for each session, so the terminal starts over with the new session's output.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stream = useMemo<TerminalStream>(() => ({ initial: () => useSession.getState().output(), subscribe: (cb) => useSession.getState().onOutput(cb) }), [sessionId]);
  return (
    <PtyTerminal
      key={sessionId}
      stream={stream}
      onInput={(data) => void api().sessionInput({ sessionId, data }).catch(() => undefined)}
      onResize={(cols, rows) => void api().sessionResize({ sessionId, cols, rows }).catch(() => undefined)}
      interactive={interactive}
      focused={interactive}
      className="live-terminal"
      testId="live-terminal"
    />
  );
}
