/**
 * The recorded program's process, as the program sees it: its stdin when DeLorean's is a pipe
 * or a file, its descriptors, session, process group and terminal, its parent; and an attached
 * program, which a stopped recording always leaves running. Each runs the real `delorean record`.
 */
import { spawn, type StdioNull, type StdioPipe } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { PROGRAMS, ROOT, tempDir, type RecordSummaryJson } from '../testing/cli.js';
import { intAt, procState, programPid, recorderOf, startRecording, terminalText, waitForCheckpoints, waitGone } from '../reliability/support.js';

const BEHAVE = join(ROOT, 'native-recorder/build/behave');
const tmp = tempDir();
afterAll(() => tmp.cleanup());
let runs = 0;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with the given stdin (bytes, a file descriptor, or nothing) and extra descriptors from 3 on. */
function runWith(command: string, args: string[], stdin: Buffer | number | null, extra: number[] = [], timeoutMs = 30_000): Promise<Ran> {
  return new Promise((ok, fail) => {
    const first: StdioPipe | StdioNull | number = typeof stdin === 'number' ? stdin : stdin === null ? 'ignore' : 'pipe';
    const child = spawn(command, args, { cwd: ROOT, stdio: [first, 'pipe', 'pipe', ...extra] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (stdin instanceof Buffer) child.stdin!.end(stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

/** `delorean record --json [flags] -- program args`: the summary, the recording's terminal text, the echo. */
async function record(
  program: string,
  args: string[],
  opts: { stdin?: Buffer | number | null; extra?: number[]; flags?: string[]; check?: (r: RecordingReader) => void } = {},
): Promise<{ summary: RecordSummaryJson; terminal: string; echo: string }> {
  const out = join(tmp.path, `rec-${runs++}.dlr`);
  const r = await runWith(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', out, '--json', ...(opts.flags ?? []), '--', program, ...args], opts.stdin ?? null, opts.extra);
  expect(r.code, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout) as RecordSummaryJson;
  const rec = await openRecording(out);
  try {
    opts.check?.(rec);
    return { summary, terminal: terminalText(rec), echo: r.stderr };
  } finally {
    rec.close();
  }
}

describe('stdin that is not a terminal', () => {
  it('a pipe reaches the program byte for byte, and its end with it', async () => {
    // Bytes a terminal's line discipline would eat or change: ^C, ^D, ^Z, CR, DEL, and a line far past 4 KiB.
    const input = Buffer.concat([Buffer.from('one\r\n\x03\x04\x1a\x7f\n'), randomBytes(100_000), Buffer.alloc(10_000, 'x')]);
    const copy = join(tmp.path, 'copy');
    const { summary } = await record('/bin/dd', [`of=${copy}`, 'status=none'], { stdin: input });
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(copy).equals(input)).toBe(true);
  });

  it('the program output is still recorded and echoed', async () => {
    const { summary, terminal, echo } = await record('/bin/cat', [], { stdin: Buffer.from('hi\nthere\n') });
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    expect(terminal).toBe('hi\r\nthere\r\n');
    expect(echo).toContain('hi\r\nthere\r\n');
  });

  it('a file, /dev/null and no stdin at all end the program instead of hanging', async () => {
    const file = join(tmp.path, 'input');
    writeFileSync(file, 'from a file\n');
    const fd = openSync(file, 'r');
    try {
      expect((await record('/bin/cat', [], { stdin: fd })).terminal).toBe('from a file\r\n');
    } finally {
      closeSync(fd);
    }
    const devNull = openSync('/dev/null', 'r');
    try {
      expect((await record('/bin/cat', [], { stdin: devNull })).summary.exit).toEqual({ kind: 'exited', code: 0 });
    } finally {
      closeSync(devNull);
    }
    expect((await record('/bin/cat', [], { stdin: null })).summary.exit).toEqual({ kind: 'exited', code: 0 });
  });
});

describe('the process the program runs in, as a shell would start it', () => {
  for (const name of ['setsid', 'foreground', 'fds']) {
    it(`${name}: behaves as it does unrecorded`, async () => {
      const plain = await runWith(join(BEHAVE, name), [], null);
      expect(plain.stdout).toContain('EXIT-SUCCESS');
      const { summary, terminal } = await record(join(BEHAVE, name), [], { flags: ['--syscalls', 'all'] });
      expect(terminal).toContain('EXIT-SUCCESS');
      expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    });
  }

  it('gets exactly the descriptors it gets unrecorded', async () => {
    const fds = (text: string): string[] => text.split(/\s+/).filter((w) => /^\d+$/.test(w));
    const plain = await runWith('/bin/ls', ['/proc/self/fd'], null);
    const { terminal } = await record('/bin/ls', ['/proc/self/fd']);
    expect(fds(terminal)).toEqual(fds(plain.stdout));
  });

  it("signals to its parent do not reach the recorder, and the recording goes on to the program's end", async () => {
    const { summary, terminal } = await record(join(BEHAVE, 'parent_signals'), ['USR1', 'USR2', 'TERM', 'HUP', 'INT', 'QUIT'], { flags: ['--syscalls', 'all'] });
    expect(terminal).toContain('sent SIGQUIT to the parent');
    expect(terminal).toContain('EXIT-SUCCESS');
    expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
    expect(summary.checkpoints).toBeGreaterThan(10);
  });

  it('when its terminal goes away with a killed recorder (policy detach), it gets the hangup, as from a shell', async () => {
    const out = join(tmp.path, 'hangup.dlr');
    const live = startRecording(out, ['--on-recorder-exit', 'detach', '--syscalls', 'write'], join(PROGRAMS, 'blocker'), ['100000', '20']);
    const pid = await programPid(out);
    await waitForCheckpoints(out, 3);
    process.kill(recorderOf(live.cli.pid!)!, 'SIGKILL');
    expect(await live.closed).toBe(0);
    await waitGone(pid, 5000);
  });

  it('its exit status is still the one reported', async () => {
    const { summary } = await record('/bin/sh', ['-c', 'exit 7']);
    expect(summary.exit).toEqual({ kind: 'exited', code: 7 });
    const killed = await record('/bin/sh', ['-c', 'kill -SEGV $$']);
    expect(killed.summary.exit).toEqual({ kind: 'signaled', signal: 11 });
  });
});

describe('stopping an attached recording', () => {
  it('refuses --on-recorder-exit kill with --attach, saying why', async () => {
    const r = await runWith(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--on-recorder-exit', 'kill', '--attach', String(process.pid)], null);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('an attached program is always left running');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to delorean detaches the program and leaves it running, untraced`, async () => {
      const prog = spawn(join(PROGRAMS, 'blocker'), ['100000', '20'], { stdio: 'ignore' });
      try {
        const out = join(tmp.path, `attach-${signal}.dlr`);
        const cli = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', out, '--json', '--syscalls', 'write', '--attach', String(prog.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const closed = new Promise<number | null>((ok) => cli.on('close', (code) => ok(code)));
        await waitForCheckpoints(out, 3);
        cli.kill(signal);
        expect(await closed, stderr).toBe(0);
        expect((JSON.parse(stdout) as RecordSummaryJson).exit).toEqual({ kind: 'detached' });
        const st = procState(prog.pid!);
        expect(st?.state).toMatch(/[RS]/);
        expect(st?.tracerPid).toBe(0);
      } finally {
        prog.kill('SIGKILL');
        await waitGone(prog.pid!);
      }
    });
  }
});

describe("the recorder's messages", () => {
  it('a warning and an error are each printed once', async () => {
    // More than the 1 MiB kept between two checkpoints: the children print it, no trigger in between.
    const { summary, echo } = await record('/bin/sh', ['-c', 'yes | head -c 2500000']);
    expect(summary.warnings.filter((w) => w.includes('printed more than'))).toHaveLength(1);
    expect(echo.split('printed more than').length - 1).toBe(1);
    const garbage = join(tmp.path, 'garbage');
    writeFileSync(garbage, '\x00\x01 not a program');
    chmodSync(garbage, 0o755);
    const r = await runWith(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', join(tmp.path, 'garbage.dlr'), '--', garbage], null);
    expect(r.code).toBe(1);
    expect(r.stderr.split('Exec format error').length - 1).toBe(1);
  });
});

describe('an exec chain', () => {
  it('a shim (bash, env, bash, env, the program) keeps uffd-wp tracking in every image, without a warning', async () => {
    // As pyenv, nvm and rbenv shims do; an interval checkpoint often lands while an exec is under way.
    const inner = join(tmp.path, 'inner-shim');
    const outer = join(tmp.path, 'outer-shim');
    writeFileSync(inner, `#!/bin/bash\nexec /usr/bin/env ${join(PROGRAMS, 'counter')} "$@"\n`);
    writeFileSync(outer, `#!/bin/bash\nexec /usr/bin/env ${inner} "$@"\n`);
    chmodSync(inner, 0o755);
    chmodSync(outer, 0o755);
    for (let round = 0; round < 3; round++) {
      const { summary, echo } = await record(outer, ['3000'], {
        flags: ['--interval', '250us'],
        check: (r) => {
          const last = r.checkpointCount - 1;
          expect(r.programAt(last)).toBe(join(PROGRAMS, 'counter'));
          expect(intAt(r, last, 'counter')).toBe(2999n);
        },
      });
      expect(summary.exit).toEqual({ kind: 'exited', code: 0 });
      expect(summary.backend).toBe('uffd-wp');
      expect(summary.warnings).toEqual([]);
      expect(echo).not.toContain('warning');
    }
  });
});
