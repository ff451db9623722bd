/**
 * Security of recordings and of recording:
 *  - a recording is a 0700 directory of 0600 files (memory images hold secrets), checked on a
 *    real recording, every file, while it is written and after, even under umask 000; a core
 *    file made from it is 0600 too;
 *  - `delorean record --attach PID` refuses, with a message naming the process, where the
 *    kernel does not let the user trace it (uid 65534 attaching to a root process), and
 *    leaves that process untouched; the same user's own process can be recorded;
 *  - nothing named in a recording is ever executed: the CLI reads the program's ELF file (and
 *    runs binutils' addr2line / gdb ON it, never it), so a recording whose program was
 *    replaced by a script, in a directory named with shell syntax, and with argv full of shell
 *    syntax, runs nothing through any query command; and a hand-made recording that names a
 *    FIFO, devices and a directory as its program and mapped files makes no command block on
 *    them or fail with an internal error.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ExitKind, MessageType, WireDecoder } from '../../shared/protocol/wire.js';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anon, page, RecordingBuilder } from '../engine/fixtures.js';
import { delorean, deloreanJson, PROGRAMS, RECORDER, ROOT, run, tempDir, type RecordSummaryJson } from '../testing/cli.js';
import { procState, sleep, waitForCheckpoints } from './support.js';

const tmp = tempDir(true);
afterAll(() => tmp.cleanup());
const NOBODY = { uid: 65534, gid: 65534 };

function modes(dir: string): { dir: number; files: Array<[string, number]> } {
  return { dir: statSync(dir).mode & 0o777, files: readdirSync(dir).map((n) => [n, statSync(join(dir, n)).mode & 0o777] as [string, number]) };
}

describe('recording files are private', () => {
  it('keeps every file 0600 in a 0700 directory, during and after recording, even with umask 000', async () => {
    const out = join(tmp.path, 'private.dlr');
    const script = `umask 000; exec "${process.execPath}" "${join(ROOT, 'bin/delorean.js')}" record --out "${out}" --syscalls write --interval 2ms -- "${join(PROGRAMS, 'blocker')}" 6 60`;
    const cli = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    const closed = new Promise<number | null>((ok) => cli.on('close', ok));
    await waitForCheckpoints(out, 5);
    const during = modes(out);
    expect(during.dir).toBe(0o700);
    expect(during.files.length).toBeGreaterThanOrEqual(2);
    for (const [name, mode] of during.files) expect(mode, `${name} while recording`).toBe(0o600);
    expect(await closed).toBe(0);
    const after = modes(out);
    expect(after.dir).toBe(0o700);
    expect(after.files.map(([n]) => n)).toContain('log');
    for (const [name, mode] of after.files) expect(mode, `${name} after recording`).toBe(0o600);

    // A core file of a checkpoint is a memory image as well.
    const core = join(tmp.path, 'private.core');
    const res = await run('/bin/sh', ['-c', `umask 000; exec "${process.execPath}" "${join(ROOT, 'bin/delorean.js')}" core "${out}" --at 3 -o "${core}"`]);
    expect(res.code, res.stderr).toBe(0);
    expect(statSync(core).mode & 0o777).toBe(0o600);
  });
});

describe('attaching', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  // The recorder runs as uid 65534 from copies in the world-readable temp dir: the checkout
  // may sit where that user cannot go (CI clones into a 0700 directory). The permission
  // check under test is the kernel's and the recorder's; the CLI only passes its words on.
  function copyForNobody(name: string, from: string): string {
    const to = join(tmp.path, name);
    if (!existsSync(to)) {
      copyFileSync(from, to);
      chmodSync(to, 0o755);
    }
    return to;
  }

  it('refuses, naming the process, when the kernel does not let this user trace it', async () => {
    const recorder = copyForNobody('delorean-recorder', RECORDER);
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' }); // root's
    children.push(victim);
    await sleep(100);
    const wire = join(tmp.path, 'refused.wire');
    const res = await run(recorder, ['--wire-file', wire, '--attach', String(victim.pid)], { asUser: NOBODY, cwd: tmp.path });
    expect(res.code).toBe(4); // not permitted to trace
    expect(res.stderr).toMatch(new RegExp(`not permitted to trace (process )?${victim.pid}`));
    const st = procState(victim.pid!);
    expect(st?.tracerPid).toBe(0);
    expect(st?.state).toBe('S');
  });

  it("records the same user's own process (the refusal above is the kernel's, not ours)", async () => {
    const recorder = copyForNobody('delorean-recorder', RECORDER);
    const spin = copyForNobody('spin', join(PROGRAMS, 'spin'));
    const own = spawn('setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', spin, '3000'], { stdio: 'ignore' });
    children.push(own);
    await sleep(200);
    const spinPid = own.pid!; // setpriv execs spin in place
    const wire = join(tmp.path, 'own.wire');
    const res = await run(recorder, ['--wire-file', wire, '--attach', String(spinPid), '--interval', '10ms', '--max-checkpoints', '4'], { asUser: NOBODY, cwd: tmp.path });
    expect(res.code, res.stderr).toBe(0);
    const messages = WireDecoder.decodeAll(new Uint8Array(readFileSync(wire)));
    expect(messages.filter((m) => m.type === MessageType.CheckpointEnd).length).toBe(4);
    expect(messages.find((m) => m.type === MessageType.Exit)).toMatchObject({ kind: ExitKind.Detached });
    await sleep(100);
    expect(procState(spinPid)?.tracerPid).toBe(0); // let go
  });

  it('names a process that does not exist', async () => {
    const res = await delorean(['record', '--out', join(tmp.path, 'none.dlr'), '--attach', '999999999']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no process 999999999/);
  });
});

describe('nothing in a recording is executed', () => {
  it('runs nothing named in it through any query command', async () => {
    const marker = join(tmp.path, 'EXECUTED');
    // A program directory and arguments full of shell syntax: run through a shell, they would create files.
    const hostile = join(tmp.path, 'x;touch EXECUTED-1;$(touch EXECUTED-2)`touch EXECUTED-3`');
    mkdirSync(hostile);
    const program = join(hostile, 'counter');
    copyFileSync(join(PROGRAMS, 'counter'), program);
    chmodSync(program, 0o755);
    const out = join(tmp.path, 'hostile.dlr');
    const rec = await deloreanJson<RecordSummaryJson>(['record', '--out', out, '--syscalls', 'write', '--', program, '4', `$(touch ${marker}-4)`, `;touch ${marker}-5`], { cwd: tmp.path });
    expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
    // The program named in the recording is now a script that would leave a mark.
    writeFileSync(program, `#!/bin/sh\ntouch ${marker}-program\n`);
    chmodSync(program, 0o755);
    // A PATH where every name from the recording is such a script too.
    const bin = join(tmp.path, 'bin');
    mkdirSync(bin);
    for (const name of ['counter', 'sh', 'addr2line-not-this', 'x']) {
      writeFileSync(join(bin, name), `#!/bin/sh\ntouch ${marker}-path-${name}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const core = join(tmp.path, 'hostile.core');
    for (const args of [
      ['info', out],
      ['info', out, '--json'],
      ['read', out, '--at', '2', 'counter'],
      ['read', out, '--at', '2', '0x1000', '--len', '16'],
      ['maps', out, '--at', '2'],
      ['regs', out, '--at', '2'],
      ['diff', out, '0', '3'],
      ['changes', out, 'counter'],
      ['bisect', out, 'counter >= 2'],
      ['find', out, 'counter == 3', '--all'],
      ['core', out, '--at', '3', '-o', core],
    ]) {
      const res = await delorean(args, { env, cwd: tmp.path });
      expect([0, 1, 2], `${args.join(' ')}: ${res.stderr}`).toContain(res.code); // 2: symbols are gone with the ELF file
      expect(res.stderr).not.toMatch(/internal error/);
    }
    // The browser mode serves it for a moment as well.
    const served = await delorean(['serve', out], { env, cwd: tmp.path, timeoutMs: 1500 });
    expect(served.stdout).toMatch(/serving/);
    const marks = readdirSync(tmp.path).filter((n) => n.startsWith('EXECUTED'));
    expect(marks).toEqual([]);
  });
});

describe('a recording naming things that are not files', () => {
  it('blocks on nothing: a FIFO, devices and a directory as the program and its mappings', async () => {
    const fifo = join(tmp.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const dir = join(tmp.path, 'not-files.dlr');
    const paths = [fifo, '/dev/zero', '/dev/urandom', '/', '/proc/self/mem', '/dev/tty'];
    const maps = [anon(0x10000n, 0x11000n), ...paths.map((p, i) => ({ start: 0x100000n * BigInt(i + 1), end: 0x100000n * BigInt(i + 1) + 0x1000n, perms: 'r-xp', offset: 0n, dev: '00:05', inode: 77 + i, path: p }))];
    const b = await RecordingBuilder.create(dir, { program: fifo, maps });
    b.checkpoint({ maps, pages: [[0x10000n, page({ 0: 5n })]] });
    b.checkpoint({ pages: [[0x10000n, page({ 0: 6n })]] });
    b.close();
    for (const args of [
      ['info', dir],
      ['maps', dir, '--at', '1'],
      ['read', dir, '--at', '1', '0x10000', '--len', '8'],
      ['read', dir, '--at', '1', 'main'],
      ['changes', dir, '0x10000'],
      ['find', dir, 'u32(0x10000) == 6'],
      ['core', dir, '--at', '1', '-o', join(tmp.path, 'not-files.core')],
    ]) {
      const res = await delorean(args, { timeoutMs: 15_000 });
      expect(res.signal, `${args[0]} blocked`).toBeNull();
      expect([0, 1, 2], `${args.join(' ')}: ${res.stderr}`).toContain(res.code);
      expect(res.stderr).not.toMatch(/internal error/);
    }
    const read = await delorean(['read', dir, '--at', '1', '0x10000', '--len', '4', '--json']);
    expect(JSON.parse(read.stdout).hex).toBe('06000000');
  });
});
