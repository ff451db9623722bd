/**
 * redis-server (Debian) under redis-benchmark on loopback: requests per second with the server
 * plain, recorded (through RecordingSession: recorder, ingest worker, store) and, as a
 * diagnostic, recorded by the bare recorder writing its stream to /dev/null (no ingest, no
 * store), which tells the recorder's share of the cost from the store's.
 *
 * The server runs in the foreground with persistence off (--save '' --appendonly no) and is
 * stopped with `redis-cli shutdown nosave`, so a recording ends with a clean exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { recorderPath } from '../../main/recorder/session.js';
import { debianProgram, freePort, recorderOnlyArgs, runRecorded, sleep, type RecordedRun, type Trigger } from './util.js';

export interface BenchmarkLoad {
  requests: number;
  clients: number;
  tests: string[]; // redis-benchmark -t
}

export interface Throughput {
  /** Requests per second per test, as redis-benchmark reports them. */
  rps: Record<string, number>;
  /** All requests over the time they took together (n / sum of n / rps). */
  overall: number;
}

const serverArgs = (port: number): string[] => ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];

function cli(port: number, ...args: string[]): string {
  const r = spawnSync(debianProgram('redis-cli')!, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout ?? '').trim();
}

async function waitReady(port: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('redis-server exited before it accepted connections');
    if (cli(port, 'ping') === 'PONG') return;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 30 s`);
}

/** Runs redis-benchmark against the server on `port` and parses its CSV. */
export async function benchmark(port: number, load: BenchmarkLoad): Promise<Throughput> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '--csv', '-q', '-n', String(load.requests), '-c', String(load.clients), '-P', '1', '-t', load.tests.join(',')];
  const text = await new Promise<string>((ok, fail) => {
    const c = spawn(debianProgram('redis-benchmark')!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', fail);
    c.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`redis-benchmark failed (${code}): ${err.trim()}`))));
  });
  const rps: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^"([A-Z_]+)[^"]*","([\d.]+)"/.exec(line);
    if (m) rps[m[1]!.toLowerCase()] = Number(m[2]);
  }
  for (const t of load.tests) if (!(t in rps)) throw new Error(`redis-benchmark printed no figure for ${t}: ${JSON.stringify(text.slice(0, 300))}`);
  const seconds = load.tests.reduce((s, t) => s + load.requests / rps[t]!, 0);
  return { rps, overall: (load.requests * load.tests.length) / seconds };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once('exit', () => ok());
  });
}

async function stop(port: number, child: ChildProcess | null): Promise<void> {
  cli(port, 'shutdown', 'nosave');
  if (!child) return;
  const t = setTimeout(() => child.kill('SIGTERM'), 10_000);
  await exited(child);
  clearTimeout(t);
}

export async function plain(load: BenchmarkLoad): Promise<Throughput> {
  const port = await freePort();
  const child = spawn(debianProgram('redis-server')!, serverArgs(port), { stdio: 'ignore' });
  try {
    await waitReady(port, () => child.exitCode === null);
    return await benchmark(port, load);
  } finally {
    await stop(port, child);
  }
}

/** The bare recorder, its wire stream thrown away: what tracing and copying pages cost alone. */
export async function recorderOnly(load: BenchmarkLoad, trigger: Trigger): Promise<Throughput> {
  const port = await freePort();
  const child = spawn(recorderPath(), recorderOnlyArgs(debianProgram('redis-server')!, serverArgs(port), trigger), { stdio: 'ignore' });
  try {
    await waitReady(port, () => child.exitCode === null);
    return await benchmark(port, load);
  } finally {
    await stop(port, child);
  }
}

export async function recorded(parent: string, name: string, load: BenchmarkLoad, trigger: Trigger): Promise<{ run: RecordedRun; throughput: Throughput }> {
  const port = await freePort();
  let throughput: Throughput | null = null;
  let failure: unknown = null;
  const run = await runRecorded(parent, name, {
    program: debianProgram('redis-server')!,
    args: serverArgs(port),
    trigger,
    drive: async (session) => {
      let ended = false;
      void session.done.then(
        () => (ended = true),
        () => (ended = true),
      );
      try {
        await waitReady(port, () => !ended);
        throughput = await benchmark(port, load);
      } catch (e) {
        failure = e;
      } finally {
        cli(port, 'shutdown', 'nosave');
        const t = setTimeout(() => session.stop(), 15_000);
        void session.done.finally(() => clearTimeout(t)).catch(() => undefined);
      }
    },
  });
  if (failure) throw failure;
  if (run.summary.exit?.kind !== 'exited') throw new Error(`recorded redis-server did not exit cleanly: ${JSON.stringify(run.summary.exit)} ${run.summary.warnings.join('; ')}`);
  return { run, throughput: throughput! };
}
