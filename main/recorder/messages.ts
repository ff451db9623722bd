/** Messages between a RecordingSession (main thread) and its ingest worker. */
import type { RecordingStats } from '../../shared/model/recording.js';

export interface IngestWorkerData {
  readonly socketPath: string;
  readonly out: string;
}

export type ToWorker =
  | { kind: 'control'; type: 'checkpoint' | 'pause' | 'resume' | 'stop'; stopAction?: 0 | 1 }
  | { kind: 'finish' }; // the recorder is gone: close the store once its stream ends, report

export type FromWorker =
  | { kind: 'listening' }
  | { kind: 'hello'; pid: number; backend: string; exe: string }
  | { kind: 'progress'; checkpoints: number; stats: RecordingStats }
  | { kind: 'warning'; message: string }
  | { kind: 'recorder-error'; message: string } // a fatal error the recorder reported on the stream
  | { kind: 'exit'; exitKind: number; code: number }
  | { kind: 'failed'; message: string } // the worker itself failed (store error, garbage on the wire)
  | { kind: 'done'; checkpoints: number; stats: RecordingStats };
