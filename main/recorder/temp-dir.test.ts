/**
 * What `delorean record` leaves in the temp directory: nothing. Its recorder socket lives in a
 * private directory there only until the recorder has connected, so even a kill -9 of
 * DeLorean leaves none behind; a TMPDIR that does not exist is a clear error.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForCheckpoints } from '../reliability/support.js';
import { delorean, PROGRAMS, ROOT, tempDir, until } from '../testing/cli.js';

const tmp = tempDir();
const TMPDIR = mkdtempSync(join(tmpdir(), 'delorean-tmpdir-'));
afterAll(() => {
  tmp.cleanup();
  rmSync(TMPDIR, { recursive: true, force: true });
});

describe('the temp directory', () => {
  it('is left empty by a recording, even one whose DeLorean is killed with SIGKILL', async () => {
    const out = join(tmp.path, 'killed.dlr');
    const cli = spawn(process.execPath, [join(ROOT, 'bin/delorean.js'), 'record', '--out', out, '--syscalls', 'write', '--', join(PROGRAMS, 'blocker'), '600', '20'], {
      stdio: 'ignore',
      env: { ...process.env, TMPDIR },
    });
    const closed = new Promise((ok) => cli.on('close', ok));
    await waitForCheckpoints(out, 5);
    await until('the socket directory to go once the recorder is connected', () => readdirSync(TMPDIR).length === 0);
    cli.kill('SIGKILL');
    await closed;
    expect(readdirSync(TMPDIR)).toEqual([]);
  });

  it('that does not exist is named in a clear error (exit 1)', async () => {
    const r = await delorean(['record', '--out', join(tmp.path, 'never.dlr'), '--', join(PROGRAMS, 'counter'), '3'], { env: { TMPDIR: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^delorean: cannot make a directory for the recorder's socket in the temp directory \/nonexistent \(set TMPDIR to one that exists\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
