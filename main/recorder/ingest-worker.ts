/**
 * The ingest worker: owns the recorder's socket and the store writer, so hashing, delta
 * encoding and compression never block the main thread (IPC, UI, terminal).
 *
 * Backpressure is the socket: while ingest() runs, nothing more is read, the kernel buffer
 * fills, and the recorder blocks with the tracee stopped. Slower, never lossy.
 * Durability: the writer is flushed every 100 ms and at the end, and writes checkpoints out at
 * each flush (deferWrites): a checkpoint is on disk, visible to readers and safe from kill -9
 * of this process within 100 ms of its commit (see main/store).
 */
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeMessage, MessageType, BACKEND_NAMES, type WireMessage } from '../../shared/protocol/wire.js';
import { openRecording } from '../store/reader.js';
import { RecordingWriter } from '../store/writer.js';
import type { FromWorker, IngestWorkerData, ToWorker } from './messages.js';
import { StreamAssembler } from './stream-assembler.js';

if (!parentPort) throw new Error('ingest-worker must run in a worker thread');
const port = parentPort;
const { socketPath, out } = workerData as IngestWorkerData;
const post = (m: FromWorker): void => port.postMessage(m);

/** A store failure for the user: a full disk (or quota) is named as such, with the system's words after. */
function storeFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = err instanceof Error ? err.message : String(e);
  if (err?.code === 'ENOSPC') return `the disk is full (${msg})`;
  if (err?.code === 'EDQUOT') return `the disk quota is exceeded (${msg})`;
  return msg;
}

let writer: RecordingWriter;
try {
  // Checkpoints are written out at each flush (every 100 ms), not one by one (writer.ts).
  writer = await RecordingWriter.create(out, { deferWrites: true });
} catch (e) {
  post({ kind: 'failed', message: storeFailure(e) });
  process.exit(0);
}

const decoder = new StreamAssembler();
let socket: Socket | null = null;
let finished = false;
let failed = false;
let helloSeen = false;
// The store closes once the recorder's stream has ended AND the session saw the recorder exit
// (a recorder that never connected has no stream to wait for). The program's terminal output
// is on the stream (Output messages), attributed to checkpoints by the recorder.
let socketClosed = false;
let finishRequested = false;
let waitedForConnection = false;
function maybeFinish(): void {
  if (!finishRequested) return;
  if (socket) {
    if (socketClosed) void finish();
    return;
  }
  // A quick recorder can connect, send everything and exit before our 'connection' event ran
  // (the session's 'finish' came first): poll once more before deciding it never connected,
  // or its whole recording would be dropped as empty.
  if (!waitedForConnection) {
    waitedForConnection = true;
    setTimeout(maybeFinish, 50);
    return;
  }
  void finish();
}
let lastProgress = 0;

/** At most one progress message per 100 ms, and always a trailing one: a paused program sends no more data. */
let progressTimer: NodeJS.Timeout | null = null;
function progress(): void {
  if (progressTimer) return;
  const wait = lastProgress + 100 - Date.now();
  const send = (): void => {
    progressTimer = null;
    lastProgress = Date.now();
    post({ kind: 'progress', checkpoints: writer.checkpointCount, stats: writer.stats });
  };
  if (wait <= 0) send();
  else progressTimer = setTimeout(send, wait);
}

function fail(message: string): void {
  if (failed) return;
  failed = true;
  post({ kind: 'failed', message });
  // Dropping the connection makes the recorder stop (and handle the tracee per --on-recorder-exit).
  socket?.destroy();
}

function observe(m: WireMessage): void {
  switch (m.type) {
    case MessageType.Hello:
      post({ kind: 'hello', pid: m.pid, backend: BACKEND_NAMES[m.backend], exe: m.exe });
      break;
    case MessageType.Error:
      post(m.fatal ? { kind: 'recorder-error', message: m.message } : { kind: 'warning', message: m.message });
      break;
    case MessageType.Exit:
      post({ kind: 'exit', exitKind: m.kind, code: m.code });
      break;
  }
}

function onData(chunk: Buffer): void {
  if (failed) return;
  try {
    decoder.push(chunk);
    for (let m = decoder.next(); m; m = decoder.next()) {
      observe(m);
      if (m.type === MessageType.Hello) helloSeen = true;
      // A recorder that fails before it could start (no backend, program missing) reports it
      // before any Hello: there is nothing to store, only a reason to pass on.
      if (m.type === MessageType.Error && !helloSeen) continue;
      writer.ingest(m);
    }
  } catch (e) {
    fail(storeFailure(e));
    return;
  }
  progress();
}

/**
 * Checkpoints a reader finds on disk. After a store failure the writer's own count is not the
 * truth: checkpoints it committed in memory may never have reached the files (deferred writes
 * that hit a full disk), and only what a reader can open was kept.
 */
async function checkpointsOnDisk(): Promise<number> {
  try {
    const r = await openRecording(out, { readOnly: true });
    try {
      return r.checkpointCount;
    } finally {
      r.close();
    }
  } catch {
    return 0;
  }
}

async function finish(): Promise<void> {
  if (finished) return;
  finished = true;
  clearInterval(flushTimer);
  if (progressTimer) clearTimeout(progressTimer);
  server.close();
  await flushing; // its fsyncs must settle before close()
  try {
    if (decoder.pending && !failed) post({ kind: 'warning', message: `the recorder's stream ended inside a message (${decoder.pending} bytes dropped)` });
    writer.close();
  } catch (e) {
    if (!failed) post({ kind: 'failed', message: storeFailure(e) });
    failed = true;
  }
  const checkpoints = failed ? await checkpointsOnDisk() : writer.checkpointCount;
  post({ kind: 'done', checkpoints, stats: writer.stats });
  // The port stays open: the session ends this thread with worker.terminate(). A worker whose
  // event loop runs empty makes Node drain V8's background tasks (NodePlatform::DrainTasks),
  // and a concurrent compile job waiting there for a GC of this isolate never finishes: the
  // thread, then terminate() and the whole `delorean record`, hung (seen at a full disk, and
  // after kill -9 of the recorder, now and then). terminate() stops the loop instead.
}

// Half-open: a recorder whose stdout is a terminal ends its stream with a half-close and waits
// for the session's 'release' (its live terminal caught up) before it exits.
const server = createServer({ allowHalfOpen: true }, (s) => {
  if (socket) {
    s.destroy(); // one recorder per session
    return;
  }
  socket = s;
  // Connected: the socket's name (and its private directory) is no longer needed, and would
  // be left behind in the temp directory by a kill -9.
  rmSync(dirname(socketPath), { recursive: true, force: true });
  s.on('data', onData);
  s.on('error', () => undefined); // the recorder dying is reported by its exit status
  s.on('end', () => {
    post({ kind: 'ended' });
    socketClosed = true;
    maybeFinish();
  });
  s.on('close', () => {
    socketClosed = true;
    maybeFinish();
  });
});
server.on('error', (e) => fail(`cannot listen on ${socketPath}: ${e.message}`));
server.listen(socketPath, () => post({ kind: 'listening' }));

// The fsyncs of a flush run on libuv's threads (flushAsync): on a busy disk they took tens of
// ms, with ingest, and so the recorded program, waiting. One flush at a time.
let flushing: Promise<void> | null = null;
const flushTimer = setInterval(() => {
  if (flushing || finished) return;
  const before = writer.checkpointCount;
  flushing = writer
    .flushAsync()
    .catch((e: unknown) => fail(storeFailure(e)))
    .finally(() => (flushing = null));
  // Deferred checkpoints become visible at flush (written before its fsyncs): report them,
  // even if no data follows (paused).
  if (writer.checkpointCount !== before) progress();
}, 100);

const CONTROL = { checkpoint: MessageType.RequestCheckpoint, pause: MessageType.Pause, resume: MessageType.Resume, stop: MessageType.Stop } as const;

port.on('message', (msg: ToWorker) => {
  switch (msg.kind) {
    case 'control': {
      if (!socket || socket.destroyed) break;
      const type = CONTROL[msg.type];
      socket.write(encodeMessage(type === MessageType.Stop ? { type, action: msg.stopAction ?? 1 } : { type }));
      break;
    }
    case 'finish':
      finishRequested = true;
      maybeFinish();
      break;
    case 'release':
      socket?.destroy();
      break;
  }
});
