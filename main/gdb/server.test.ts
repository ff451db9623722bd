/**
 * The gdb remote-protocol server over real recordings, driven by the real gdb in batch mode
 * (`target remote`), and by a raw socket for what gdb never sends (garbage, bad checksums,
 * writes). Expected values come from the store through the engine, and the checkpoints where
 * a watched variable changes from Engine.changes, an independent path from the server's own
 * version-list search.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { decodeGp } from '../engine/registers.js';
import { openRecording } from '../store/reader.js';
import { PROGRAMS, recordProgram, ROOT, tempDir } from '../testing/cli.js';
import { encodePacket } from './rsp.js';
import { startGdbServer, type GdbServer } from './server.js';
import { gdb, haveGdb, printed, valueAt } from './testing.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface Served {
  engine: Engine;
  server: GdbServer;
  program: string;
}
const open: Served[] = [];
afterAll(async () => {
  for (const s of open) {
    await s.server.close();
    s.engine.close();
    s.engine.reader.close();
  }
});

async function serve(name: string, args: string[], at = 0): Promise<Served> {
  const dir = (await recordProgram(tmp.path, name, args, ['--syscalls', 'write'])).dir;
  const engine = new Engine(await openRecording(dir));
  const server = await startGdbServer(engine.reader, { at });
  const s = { engine, server, program: join(PROGRAMS, name) };
  open.push(s);
  return s;
}

const session = (s: Served, commands: string[]) => gdb([`target remote ${s.server.address}`, ...commands], s.program);

/** The checkpoint named by `monitor info` output lines, in order. */
const where = (output: string): number[] => [...output.matchAll(/^checkpoint (\d+) of 0\.\.\d+/gm)].map((m) => Number(m[1]));

/** Checkpoints where the bytes of a symbol change, by the engine. */
async function changePoints(engine: Engine, symbol: string, len: number): Promise<number[]> {
  return (await engine.changes(symbol, len)).changes.map((c) => c.checkpoint);
}

beforeAll(async () => {
  expect(await haveGdb(), 'these tests run the real gdb: install it (apt-get install gdb)').toBe(true);
});

describe('counter.c through target remote', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve('counter', ['20']);
  });

  it('goto, watch, continue and reverse-continue stop where the store says counter changed', async () => {
    const changes = await changePoints(s.engine, 'counter', 8);
    const forward = changes.find((c) => c > 10)!; // the first change after 10, with the new value
    const backward = changes.filter((c) => c <= forward).pop()! - 1; // just before the last change, with the old value
    const r = await session(s, ['print counter', 'monitor goto 10', 'print counter', 'watch counter', 'continue', 'print counter', 'monitor info', 'bt', 'reverse-continue', 'print counter', 'monitor info']);
    const v = (k: number): string => valueAt(s.engine, 'u64(&counter)', k);
    expect(printed(r.output), r.output).toEqual([v(0), v(10), v(forward), v(backward)]);
    expect(where(r.output)).toEqual([10, forward, backward]);
    expect(r.output).toContain(`Hardware watchpoint 1: counter\n\nOld value = ${v(10)}\nNew value = ${v(forward)}`);
    expect(r.output).toContain(`Hardware watchpoint 1: counter\n\nOld value = ${v(forward)}\nNew value = ${v(backward)}`);
    expect(r.output).toMatch(/#0 .*write.*\n#1 .* in line_write .*\n#2 .* in main \(argc=2/);
  });

  it('every change is a stop in both directions, up to the ends of history', async () => {
    const last = s.engine.checkpointCount - 1;
    const changes = await changePoints(s.engine, 'squares', 8); // squares changes at 2, 3, 4, ...
    const v = (k: number): string => valueAt(s.engine, 'u64(&squares)', k);
    const back = changes.filter((c) => c <= 5).reverse().map((c) => c - 1); // 4, 3, 2, 1
    const forth = changes.filter((c) => c <= 3); // 2, 3
    const commands = ['monitor goto 5', 'watch squares'];
    for (let i = 0; i <= back.length; i++) commands.push('reverse-continue', 'monitor info', 'print squares');
    for (let i = 0; i < forth.length; i++) commands.push('continue', 'monitor info', 'print squares');
    commands.push('delete', 'monitor goto ' + last, 'stepi', 'monitor info');
    const r = await session(s, commands);
    expect(where(r.output)).toEqual([5, ...back, 0, ...forth, last, last]);
    expect(printed(r.output)).toEqual([...back, 0, ...forth].map(v));
    expect(r.output.match(/No more reverse-execution history\./g)?.length).toBe(2); // at 0, and stepping past the end
    expect(r.output).not.toContain(`Old value = ${v(3)}\nNew value = ${v(3)}`);
  });

  it('stepi and reverse-stepi move one checkpoint; registers are the recorded ones', async () => {
    const r = await session(s, ['monitor goto 6', 'maintenance flush register-cache', 'stepi', 'monitor info', 'print/x $pc', 'print/x $rsp', 'reverse-stepi', 'reverse-stepi', 'monitor info', 'print counter']);
    expect(where(r.output)).toEqual([6, 7, 5]);
    const gp = decodeGp(s.engine.reader.registersAt(7)[0]!.gp);
    expect(printed(r.output).slice(0, 2)).toEqual([`0x${gp.rip.toString(16)}`, `0x${gp.rsp.toString(16)}`]);
    expect(printed(r.output)[2]).toBe(valueAt(s.engine, 'u64(&counter)', 5));
  });

  it('a breakpoint stops at the next checkpoint whose pc is its address', async () => {
    const r = await session(s, ['monitor goto 3', 'maintenance flush register-cache', 'break *$pc', 'continue', 'monitor info', 'reverse-continue', 'monitor info']);
    expect(where(r.output)).toEqual([3, 4, 3]);
    expect(r.output).toMatch(/Breakpoint 1, .*write/);
  });

  it('rwatch is refused (reads are not recorded), writes to history are refused', async () => {
    const r = await session(s, ['monitor goto 4', 'set var counter = 5', 'print counter', 'rwatch counter', 'continue']);
    expect(r.output).toMatch(/Cannot access memory|Could not write|Remote failure/i);
    expect(printed(r.output)).toEqual([valueAt(s.engine, 'u64(&counter)', 4)]);
    expect(r.output).toMatch(/Could not insert hardware watchpoint 1/);
  });
});

describe('threads.c through target remote', () => {
  it('a watch hit stops in the thread that triggered the checkpoint; info threads lists every thread there', async () => {
    const s = await serve('threads', ['4', '5']);
    const changes = await changePoints(s.engine, '&slots + 8', 8); // slots[1]
    const most = Math.max(...changes.map((c) => s.engine.reader.registersAt(c).length));
    const hit = changes.find((c) => s.engine.reader.registersAt(c).length === most)!; // a change point is >= 1
    expect(most).toBeGreaterThan(1);
    const r = await session(s, ['monitor goto ' + (hit - 1), 'watch slots[1]', 'continue', 'monitor info', 'info threads', 'print slots[1]']);
    expect(where(r.output)).toEqual([hit - 1, hit]);
    const tids = s.engine.reader.registersAt(hit).map((t) => t.tid);
    expect([...r.output.matchAll(/^[* ] +\d+ +Thread (\d+) /gm)].map((m) => Number(m[1])).sort()).toEqual(tids.sort());
    expect(r.output).toMatch(new RegExp(`^\\* +\\d+ +Thread ${s.engine.reader.checkpoint(hit).tid} `, 'm'));
    expect(printed(r.output)).toEqual([valueAt(s.engine, 'u64(&slots + 8)', hit)]);
  });
});

describe('guard.c through target remote', () => {
  it('watching the guard from the start stops at the overrun', async () => {
    const s = await serve('guard', []);
    const bad = (await s.engine.bisect('u32(&store + 64) != 0xdeadbeef')).checkpoint!;
    const r = await session(s, ['print/x store.inv.guard', 'watch store.inv.guard', 'continue', 'monitor info', 'print iteration', 'print store.inv.guard', 'print list_head->next->next->value']);
    expect(where(r.output)).toEqual([bad]);
    expect(printed(r.output)).toEqual(['0xdeadbeef', '16', '48', valueAt(s.engine, 'i32(ptr(ptr(ptr(&list_head) + 8) + 8))', bad)]);
  });
});

// ---------------------------------------------------------------------------------------------
// The wire, without gdb

class RawClient {
  private data = '';
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.data += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => this.waiters.splice(0).forEach((w) => w()));
  }

  /** To a server's address: a Unix socket's path, or 127.0.0.1:PORT. */
  static connect(address: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const [host, port] = address.split(':');
      const socket = address.startsWith('/') ? connect(address, () => resolve(new RawClient(socket))) : connect(Number(port), host!, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until the received bytes match, then consumes them up to the end of the match. */
  async expect(re: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const m = re.exec(this.data);
      if (m) {
        this.data = this.data.slice(m.index + m[0].length);
        return m;
      }
      if (this.socket.destroyed) throw new Error(`connection closed; received ${JSON.stringify(this.data)}, waiting for ${re}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /**
   * Waits until the server has let go of this (closed) client: it notices a vanished client
   * a moment after the client itself does, and turns newcomers away until then.
   */
  async released(address: string): Promise<void> {
    for (;;) {
      const probe = await RawClient.connect(address);
      try {
        expect(await probe.request('D')).toBe('OK');
        await probe.closed;
        return;
      } catch {
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  /** Sends a packet (ack mode) and returns the reply's payload. */
  async request(payload: string): Promise<string> {
    this.send(encodePacket(payload));
    const m = await this.expect(/\+?\$([^#]*)#[0-9a-f]{2}/);
    this.send('+');
    return m[1]!;
  }
}

describe('the wire', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve('counter', ['5']);
  });

  it('garbage, bad checksums and malformed packets get errors; the server lives on', async () => {
    const c = await RawClient.connect(s.server.address);
    c.send(Buffer.from([0x00, 0xff, 0x7d, 0x2a, 0x23, 0x41, 0x0a])); // noise between packets is skipped
    expect(await c.request('qC')).toMatch(/^QC[0-9a-f]+$/);
    c.send('$g#00'); // wrong checksum
    await c.expect(/^-/);
    c.send('$qC#z!'); // checksum not hex
    await c.expect(/^-/);
    for (const bad of ['mzz,4', 'm1234', 'm,', 'p', 'pzz', 'Hgzz', 'Z2,nothex,8', 'vCont;x', 'c1234', 'qRcmd,zz', 'qXfer:features:read:target.xml:zz']) {
      expect(await c.request(bad), bad).toBe('E01');
    }
    expect(await c.request('m0,8')).toBe('E14'); // unmapped
    for (const write of ['M1000,1:00', 'P10=0000000000000000', 'G00', 'X1000,0:']) expect(await c.request(write), write).toBe('E01');
    expect(await c.request('qNoSuchThing')).toBe('');
    expect(await c.request('\u0001\u0002')).toBe('');
    const monitor = await c.request('qRcmd,' + Buffer.from('frobnicate').toString('hex'));
    expect(Buffer.from(monitor.slice(1), 'hex').toString()).toContain("unknown monitor command 'frobnicate'");
    await c.expect(/^\+?\$E01#[0-9a-f]{2}/);

    // A second client while one is connected is turned away.
    const second = await RawClient.connect(s.server.address);
    await second.closed;

    // An endless packet drops the client, not the server.
    c.send('$' + 'a'.repeat(0x20001));
    await c.closed;
    await c.released(s.server.address);

    const r = await session(s, ['print counter', 'monitor info']);
    expect(printed(r.output)).toEqual([valueAt(s.engine, 'u64(&counter)', 0)]);
    expect(where(r.output)).toEqual([0]);
  });

  it('Ctrl-C stops a running continue where it is', async () => {
    const c = await RawClient.connect(s.server.address);
    expect(await c.request('Z0,1234,1')).toBe('OK'); // never hit: the continue would scan to the end
    c.send(Buffer.concat([encodePacket('c'), Buffer.from([0x03])]));
    expect((await c.expect(/\+?\$(T[0-9a-f]{2})[^#]*#[0-9a-f]{2}/))[1]).toBe('T02');
    c.send('+');
    const info = await c.request('qRcmd,' + Buffer.from('info').toString('hex'));
    expect(Buffer.from(info.slice(1), 'hex').toString()).toMatch(/^checkpoint 1 of /);
    await c.expect(/^\+?\$OK#[0-9a-f]{2}/);
    expect(await c.request('D')).toBe('OK');
    await c.closed;
  });

  it('no-ack mode, target description, auxv and the executable', async () => {
    const c = await RawClient.connect(s.server.address);
    expect(await c.request('qSupported:multiprocess+;swbreak+')).toContain('ReverseContinue+');
    expect(await c.request('QStartNoAckMode')).toBe('OK');
    c.send(encodePacket('qXfer:features:read:target.xml:0,ffff'));
    const xml = (await c.expect(/^\$l([^#]*)#[0-9a-f]{2}/))[1]!;
    expect(xml).toContain('<architecture>i386:x86-64</architecture>');
    c.send(encodePacket('qXfer:exec-file:read::0,ffff'));
    expect((await c.expect(/^\$l([^#]*)#[0-9a-f]{2}/))[1]).toBe(s.program);
    c.send(encodePacket('qXfer:auxv:read::0,10'));
    expect((await c.expect(/^\$(.)[^#]*#[0-9a-f]{2}/))[1]).toBe('m'); // more than 16 bytes to come
    c.send(encodePacket('D'));
    await c.expect(/^\$OK#[0-9a-f]{2}/);
    await c.closed;
  });
});

describe('delorean gdbserver', () => {
  it('serves until interrupted and prints the gdb command line', async () => {
    const dir = (await recordProgram(tmp.path, 'counter', ['5'], ['--syscalls', 'write'])).dir;
    const child = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'gdbserver', dir, '--at', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Listening on (\S+) \(this user only\)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`gdbserver exited: ${out}`)));
    });
    expect(address).toMatch(/\/delorean-gdb-\w+\/gdb\.sock$/);
    expect(out).toContain(`gdb -ex 'target remote ${address}' ${join(PROGRAMS, 'counter')}`);
    const r = await gdb([`target remote ${address}`, 'monitor info', 'bt'], join(PROGRAMS, 'counter'));
    expect(where(r.output)).toEqual([3]);
    expect(r.output).toMatch(/in main \(argc=2/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(dirname(address)), 'the socket directory is removed').toBe(false);
  });
});
