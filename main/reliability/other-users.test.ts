/**
 * What another local user can do to DeLorean run by this one (root here), with a real second
 * user created for the test (skipped, saying why, where it cannot be):
 *  - `record --out` into a directory that user planted (empty, mode 0777), with a watcher of
 *    theirs that puts a link to one of our files in it as soon as `log` appears, or through a
 *    link they planted at the --out path: refused, nothing of ours written anywhere;
 *  - `core -o` onto their file (mode 0666) or their link to ours: refused; with --force the
 *    name is replaced by a new 0600 file of ours, and their file and our link target keep
 *    their bytes;
 *  - `gdbserver`: they cannot connect, neither to the default Unix socket nor to --port, while
 *    we can, with the real gdb.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gdb, haveGdb } from '../gdb/testing.js';
import { delorean, PROGRAMS, recordProgram, ROOT, run, tempDir } from '../testing/cli.js';
import { createLocalUser, type LocalUser } from '../testing/users.js';

const tmp = tempDir();
chmodSync(tmp.path, 0o1777); // like /tmp: everyone may create here, and remove only their own
const created = createLocalUser();
const other: LocalUser | null = typeof created === 'string' ? null : created;
if (!other) console.warn(`other-users.test.ts: skipped, ${created as string}`);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  tmp.cleanup();
  other?.remove();
});

const PRECIOUS = 'root only: nobody else may read or change this\n';
/** A file of ours (0600) another user knows the name of. */
function ourFile(name: string): string {
  const p = join(tmp.path, name);
  writeFileSync(p, PRECIOUS, { mode: 0o600 });
  return p;
}

/** A command as the other user, to completion. */
const asOther = (cmd: string, args: string[]) => run(cmd, args, { asUser: other! });

/** A shell script as the other user, running on in the background until the test ends. */
function backgroundAsOther(script: string, ...args: string[]): ChildProcess {
  const c = spawn('setpriv', [`--reuid=${other!.uid}`, `--regid=${other!.gid}`, '--clear-groups', '/bin/sh', '-c', script, 'sh', ...args], { stdio: 'ignore' });
  children.push(c);
  return c;
}

const counter = join(PROGRAMS, 'counter');

describe.skipIf(!other)('record into a path another user prepared', () => {
  it("refuses their empty 0777 directory, though their watcher links one of our files into it once 'log' appears", async () => {
    const victim = ourFile('victim-planted');
    const out = join(tmp.path, 'planted.dlr');
    expect((await asOther('mkdir', ['-m', '777', out])).code).toBe(0);
    const watcher = backgroundAsOther('while [ ! -e "$1/log" ]; do :; done; ln -s "$2" "$1/index-segments"; ln -s "$2" "$1/index"', out, victim);
    const r = await delorean(['record', '--out', out, '--syscalls', 'write', '--', counter, '5']);
    watcher.kill('SIGKILL');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('already exists');
    expect(readFileSync(victim, 'utf8')).toBe(PRECIOUS);
    expect(readdirSync(out), 'nothing of ours was written into their directory').toEqual([]);
    expect(statSync(out).uid).toBe(other!.uid);
  });

  it('refuses a link they planted at --out, to their directory or to nowhere', async () => {
    const theirs = join(tmp.path, 'their-dir');
    expect((await asOther('mkdir', ['-m', '777', theirs])).code).toBe(0);
    for (const [name, to] of [['link-to-dir.dlr', theirs], ['link-to-nowhere.dlr', join(tmp.path, 'nowhere.dlr')]] as const) {
      const out = join(tmp.path, name);
      expect((await asOther('ln', ['-s', to, out])).code).toBe(0);
      const r = await delorean(['record', '--out', out, '--syscalls', 'write', '--', counter, '3']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('already exists');
      expect(lstatSync(out).isSymbolicLink()).toBe(true);
    }
    expect(readdirSync(theirs)).toEqual([]);
    expect(existsSync(join(tmp.path, 'nowhere.dlr'))).toBe(false);
  });

  it('a new --out is ours alone from the start: their watcher, planting links all along, gets none in', async () => {
    const victim = ourFile('victim-race');
    const out = join(tmp.path, 'raced.dlr');
    const names = ['log', 'index', 'index-segments', 'writer.pid', 'blobs-000000.seg'];
    const watcher = backgroundAsOther(`while :; do for n in ${names.join(' ')}; do ln -s "$2" "$1/$n" 2>/dev/null; done; done`, out, victim);
    const r = await delorean(['record', '--out', out, '--syscalls', 'write', '--', counter, '20']);
    watcher.kill('SIGKILL');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe(PRECIOUS);
    const st = statSync(out);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o700]);
    for (const n of readdirSync(out)) expect(lstatSync(join(out, n)).isFile(), n).toBe(true);
    const info = await delorean(['info', out, '--json']);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { checkpoints: number }).checkpoints).toBeGreaterThan(20);
  });
});

describe.skipIf(!other)('core -o onto a name another user prepared', () => {
  let rec: string;
  beforeAll(async () => {
    rec = (await recordProgram(tmp.path, 'counter', ['5'], ['--syscalls', 'write'])).dir;
  });
  const isCore = (path: string): boolean => readFileSync(path).subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'));

  it('refuses their 0666 file, and with --force replaces the name by a 0600 file of ours, their file untouched', async () => {
    const theirs = join(tmp.path, 'their.core');
    const TheirBytes = 'their file: a core written here would be theirs to read\n';
    expect((await asOther('sh', ['-c', 'umask 000; printf "%s" "$1" > "$2"; ln "$2" "$2.kept"', 'sh', TheirBytes, theirs])).code).toBe(0);
    const refused = await delorean(['core', rec, '--at', '3', '-o', theirs]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`${theirs} already exists (nothing was written); --force replaces it`);
    expect(readFileSync(theirs, 'utf8')).toBe(TheirBytes);

    const forced = await delorean(['core', rec, '--at', '3', '-o', theirs, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const st = statSync(theirs);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    expect(isCore(theirs)).toBe(true);
    expect(readFileSync(`${theirs}.kept`, 'utf8'), 'their file (another name of it) was not written').toBe(TheirBytes);
    expect(readdirSync(tmp.path).filter((n) => n.includes('.tmp')), 'no temporary file left').toEqual([]);
  });

  it('never writes through their link to our file', async () => {
    const victim = ourFile('victim-core');
    const link = join(tmp.path, 'link.core');
    expect((await asOther('ln', ['-s', victim, link])).code).toBe(0);
    const refused = await delorean(['core', rec, '--at', '2', '-o', link]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('already exists');
    const forced = await delorean(['core', rec, '--at', '2', '-o', link, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe(PRECIOUS);
    expect(lstatSync(link).isFile()).toBe(true);
    expect(isCore(link)).toBe(true);
  });
});

describe.skipIf(!other)('gdbserver admits its user only', () => {
  let rec: string;
  beforeAll(async () => {
    expect(await haveGdb(), 'install gdb').toBe(true);
    rec = (await recordProgram(tmp.path, 'counter', ['5'], ['--syscalls', 'write'])).dir;
  });

  /** Starts `delorean gdbserver REC ARGS`; resolves with the address it printed. */
  async function gdbserver(args: string[]): Promise<{ address: string; stop: () => Promise<number | null> }> {
    const child = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'gdbserver', rec, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const exited = new Promise<number | null>((ok) => child.on('close', ok));
    let out = '';
    const address = await new Promise<string>((ok, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Listening on (\S+) \(this user only\)/.exec(out);
        if (m) ok(m[1]!);
      });
      child.on('close', () => fail(new Error(`gdbserver exited: ${out}`)));
    });
    return { address, stop: () => (child.kill('SIGINT'), exited) };
  }

  /**
   * As the other user: connect, send one packet (qC) and report what came back, in one line:
   * `refused CODE` (no connection), `closed DATA` (connected, the server hung up) or `reply DATA`.
   */
  async function probeAsOther(address: string): Promise<string> {
    const target = address.startsWith('/') ? `{ path: ${JSON.stringify(address)} }` : `{ host: '127.0.0.1', port: ${Number(address.split(':')[1])} }`;
    const script = `
      const s = require('node:net').connect(${target});
      let got = '';
      s.on('connect', () => s.write('$qC#b4'));
      s.on('data', (d) => { got += d; if (got.includes('#')) { console.log('reply ' + got); process.exit(0); } });
      s.on('error', (e) => { console.log('refused ' + e.code); process.exit(0); });
      s.on('close', () => { console.log('closed ' + got); process.exit(0); });
      setTimeout(() => { console.log('silent ' + got); process.exit(0); }, 5000);`;
    const r = await asOther(process.execPath, ['-e', script]);
    return r.stdout.trim();
  }

  it('a Unix socket in a 0700 directory: they cannot connect, our gdb can', async () => {
    const s = await gdbserver([]);
    try {
      expect(s.address.startsWith('/')).toBe(true);
      expect(statSync(s.address).mode & 0o777).toBe(0o600);
      expect(statSync(join(s.address, '..')).mode & 0o777).toBe(0o700);
      expect(await probeAsOther(s.address)).toBe('refused EACCES');
      const r = await gdb([`target remote ${s.address}`, 'print counter'], counter);
      expect(r.output).toMatch(/\$1 = 0/);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('--port: 127.0.0.1 only, and a connection of theirs is dropped unanswered; ours is served', async () => {
    const s = await gdbserver(['--port', '0']);
    try {
      expect(s.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await probeAsOther(s.address)).toMatch(/^(closed|refused ECONNRESET)$/); // hung up on, never answered
      const r = await gdb([`target remote ${s.address}`, 'print counter'], counter);
      expect(r.output).toMatch(/\$1 = 0/);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
