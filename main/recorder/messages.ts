/** Messages between a RecordingSession (main thread) and its ingest worker. */
import type { RecordingStats } from '../../shared/model/recording.js';

export interface IngestWorkerData {
  readonly socketPath: string;
  readonly out: string;
}

export type ToWorker =
  | { kind: 'control'; type: 'checkpoint' | 'pause' | 'resume' | 'stop'; stopAction?: 0 | 1 }
  | { kind: 'finish' } // the recorder is gone: close the store once its stream ends, report
  | { kind: 'release' }; // the live terminal caught up: close the connection, the recorder may exit

export type FromWorker =
  | { kind: 'listening' }
  | { kind: 'ended' } // the recorder ended its stream and waits for 'release' (its pty may still hold output)
  | { kind: 'hello'; pid: number; backend: string; exe: string }
  | { kind: 'progress'; checkpoints: number; stats: RecordingStats }
  | { kind: 'warning'; message: string }
  | { kind: 'recorder-error'; message: string } // a fatal error the recorder reported on the stream
  | { kind: 'exit'; exitKind: number; code: number }
  | { kind: 'failed'; message: string } // the worker itself failed (store error, garbage on the wire)
  | { kind: 'done'; checkpoints: number; stats: RecordingStats };
