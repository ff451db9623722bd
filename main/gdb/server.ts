/**
 * `startGdbServer(reader, { at })`: a GDB remote-protocol server over one recording, for
 * `gdb -ex 'target remote ADDRESS' PROGRAM` (the CLI's `gdbserver` and the app's "Open in gdb").
 *
 * Only the user who runs it may connect: the protocol has no authentication and a client reads
 * every byte of recorded memory. By default it listens on a Unix socket (mode 0600) in a new
 * directory of mode 0700 under the temp directory, which the kernel lets no other user reach;
 * `target remote /path/to/socket` connects to it. With `port` it listens on TCP 127.0.0.1
 * instead and admits a connection only when the kernel's socket table (/proc/net/tcp) says
 * the client's socket belongs to this user (an identd-style peer-credential check).
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
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordingReader } from '../store/types.js';
import { encodePacket, PacketDecoder } from './rsp.js';
import { GdbSession } from './session.js';
import { checkpointOutOfRange } from '../../shared/api/format.js';

export interface GdbServerOptions {
  /** Listen on this TCP port of 127.0.0.1 (0: a free one) instead of a private Unix socket. */
  readonly port?: number;
  /** The checkpoint each client starts at (default 0). */
  readonly at?: number;
  /** Connection events and unexpected errors, one line each. */
  readonly log?: (line: string) => void;
  /** Told each time the client's session moves to another checkpoint. */
  readonly onMove?: (k: number) => void;
}

export interface GdbServer {
  /** What gdb's `target remote` takes: the Unix socket's path, or 127.0.0.1:PORT. */
  readonly address: string;
  /** The TCP port, when listening on TCP. */
  readonly port: number | null;
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
  const tcp = opts.port !== undefined;
  const server: Server = createServer((socket) => {
    const from = tcp ? `${socket.remoteAddress}:${socket.remotePort}` : 'the socket';
    if (tcp && !ownPeer(socket)) {
      log(`refused a client from ${from}: it is not this user's (uid ${process.getuid?.()})`);
      socket.destroy();
      return;
    }
    if (client) {
      log(`refused a second client from ${from} (one at a time)`);
      socket.destroy();
      return;
    }
    client = socket;
    log(`client connected from ${from}`);
    const release = (): void => {
      if (client === socket) client = null;
    };
    socket.on('end', release);
    socket.on('close', () => {
      release();
      log('client disconnected');
    });
    serve(socket, sessionOrRefusal(reader, at, log, opts.onMove), log, release);
  });
  let dir: string | null = null;
  try {
    if (!tcp) dir = mkdtempSync(join(tmpdir(), 'delorean-gdb-')); // 0700
  } catch (e) {
    throw new GdbServerError(`cannot make a directory for the socket in the temp directory ${tmpdir()}: ${(e as Error).message}`);
  }
  const path = dir ? join(dir, 'gdb.sock') : null;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new GdbServerError(e.code === 'EADDRINUSE' ? `port ${opts.port} is already in use` : `cannot listen on ${path ?? `127.0.0.1:${opts.port}`}: ${e.message}`)),
      );
      if (path) server.listen(path, () => resolve());
      else server.listen(opts.port, '127.0.0.1', () => resolve());
    });
    if (path) chmodSync(path, 0o600);
  } catch (e) {
    server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  server.on('error', (e) => log(`server error: ${e.message}`)); // after listening: keep serving
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : null;
  return {
    address: path ?? `127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        client?.destroy();
        server.close(() => {
          if (dir) rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/**
 * Whether a loopback TCP client is this user's: the kernel lists every socket with the uid that
 * made it, so the client's end (local address = our peer, remote = us) names its owner.
 */
function ownPeer(socket: Socket): boolean {
  const uid = process.getuid?.();
  const { remoteAddress, remotePort, localPort } = socket;
  if (uid === undefined || remotePort === undefined || localPort === undefined || remoteAddress !== '127.0.0.1') return false;
  const hexPort = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');
  const client = `0100007F:${hexPort(remotePort)}`;
  const server = `0100007F:${hexPort(localPort)}`;
  let table: string;
  try {
    table = readFileSync('/proc/self/net/tcp', 'latin1');
  } catch {
    return false;
  }
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/); // sl local remote st tx:rx tr:when retrnsmt uid ...
    if (f[1] === client && f[2] === server) return Number(f[7]) === uid;
  }
  return false;
}

type Answerer = Pick<GdbSession, 'handle' | 'interrupt'>;

/**
 * A session at `at`, or, when the recording cannot give that checkpoint (a damaged file), one
 * that answers every packet with an error: the client learns it at once, the server lives on.
 */
function sessionOrRefusal(reader: RecordingReader, at: number, log: (line: string) => void, onMove?: (k: number) => void): Answerer {
  try {
    return new GdbSession(reader, at, log, onMove);
  } catch (e) {
    const why = `cannot serve checkpoint ${at}: ${e instanceof Error ? e.message : String(e)}`;
    log(why);
    const reply = encodePacket(`E.${why.replace(/[$#}*]/g, ' ')}`); // gdb shows an E.text reply's text
    return { interrupt: () => {}, handle: async () => ({ packets: [reply] }) };
  }
}

function serve(socket: Socket, session: Answerer, log: (line: string) => void, release: () => void): void {
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
