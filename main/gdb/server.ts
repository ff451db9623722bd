/**
 * `startGdbServer(reader, { port, at })`: a GDB remote-protocol server on 127.0.0.1 over one
 * recording, for `gdb -ex 'target remote 127.0.0.1:PORT' PROGRAM` (the CLI's `gdbserver` and
 * the app's "Open in gdb").
 *
 * One client at a time: a second connection is closed at once. A client has left when it
 * detaches or kills (D, k: gdb always does one before closing, so a quick reconnect is not
 * turned away while the old socket winds down), ends its side or is gone; the next one starts
 * afresh at `at`. Each connection gets a wire decoder (rsp.ts) and a session
 * (session.ts); packets are answered strictly in order (a continue may take a while and
 * yields to the event loop, so a Ctrl-C byte is seen while it runs and interrupts it). Acks:
 * '+' for every good packet and '-' for a bad checksum until gdb asks for QStartNoAckMode; a
 * '-' from gdb resends the last reply. An oversized packet or a socket error drops the client,
 * never the server. The server does not own the reader: close() leaves it open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { RecordingReader } from '../store/types.js';
import { PacketDecoder } from './rsp.js';
import { GdbSession } from './session.js';
import { checkpointOutOfRange } from '../../shared/api/format.js';

export interface GdbServerOptions {
  /** TCP port on 127.0.0.1; 0 or omitted: a free one. */
  readonly port?: number;
  /** The checkpoint each client starts at (default 0). */
  readonly at?: number;
  /** Connection events and unexpected errors, one line each. */
  readonly log?: (line: string) => void;
}

export interface GdbServer {
  readonly port: number;
  /** Stops listening and drops the client, if any. */
  close(): Promise<void>;
}

export class GdbServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GdbServerError';
  }
}

export async function startGdbServer(reader: RecordingReader, opts: GdbServerOptions = {}): Promise<GdbServer> {
  const at = opts.at ?? 0;
  const log = opts.log ?? (() => {});
  if (reader.checkpointCount === 0) throw new GdbServerError('the recording has no checkpoints');
  if (!Number.isInteger(at) || at < 0 || at >= reader.checkpointCount) {
    throw new GdbServerError(checkpointOutOfRange(at, reader.checkpointCount));
  }
  let client: Socket | null = null;
  const server: Server = createServer((socket) => {
    if (client) {
      log(`refused a second client from ${socket.remoteAddress}:${socket.remotePort} (one at a time)`);
      socket.destroy();
      return;
    }
    client = socket;
    log(`client connected from ${socket.remoteAddress}:${socket.remotePort}`);
    const release = (): void => {
      if (client === socket) client = null;
    };
    socket.on('end', release);
    socket.on('close', () => {
      release();
      log('client disconnected');
    });
    serve(socket, new GdbSession(reader, at, log), log, release);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new GdbServerError(`port ${opts.port} is already in use`) : e),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', (e) => log(`server error: ${e.message}`)); // after listening: keep serving
  const address = server.address();
  if (address === null || typeof address === 'string') throw new GdbServerError('the server has no TCP address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        client?.destroy();
        server.close(() => resolve());
      }),
  };
}

function serve(socket: Socket, session: GdbSession, log: (line: string) => void, release: () => void): void {
  const decoder = new PacketDecoder();
  let ack = true;
  let lastReply: Buffer[] = [];
  let queue = Promise.resolve();
  const send = (packets: Buffer[]): void => {
    if (!socket.destroyed) for (const p of packets) socket.write(p);
  };
  socket.on('error', (e) => log(`client error: ${e.message}`));
  socket.on('data', (chunk: Buffer) => {
    for (const ev of decoder.feed(chunk)) {
      switch (ev.kind) {
        case 'interrupt':
          session.interrupt();
          break;
        case 'nack':
          if (ack) send(lastReply);
          break;
        case 'ack':
          break;
        case 'bad-checksum':
          if (ack) socket.write('-');
          break;
        case 'too-long':
          log('client sent a packet longer than the packet size; disconnecting');
          socket.destroy();
          return;
        case 'packet':
          if (ack) socket.write('+');
          queue = queue.then(async () => {
            if (socket.destroyed) return;
            const reply = await session.handle(ev.payload);
            lastReply = reply.packets;
            send(reply.packets);
            if (reply.after === 'no-ack') ack = false;
            if (reply.after === 'close') {
              release();
              socket.end();
            }
          }).catch((e: unknown) => {
            log(`internal error: ${e instanceof Error ? e.message : String(e)}`);
            socket.destroy();
          });
          break;
      }
    }
  });
}
