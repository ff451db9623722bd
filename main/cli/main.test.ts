/** The dispatcher: version, help and unknown commands, in process (the commands have their own suites). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../api/paths.js';
import { cliInProcess } from '../testing/cli.js';

const cli = (...argv: string[]): ReturnType<typeof cliInProcess> => cliInProcess(argv);

const version = (JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string }).version;

describe('delorean', () => {
  it('prints its version for --version and -V', async () => {
    for (const flag of ['--version', '-V']) expect(await cli(flag)).toEqual({ code: 0, stdout: `delorean ${version}\n`, stderr: '' });
  });

  it('lists every command for help, --help and -h, on stdout', async () => {
    for (const flag of ['help', '--help', '-h']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      for (const c of ['record', 'info', 'read', 'maps', 'regs', 'diff', 'changes', 'bisect', 'find', 'core', 'gdbserver', 'serve', 'open']) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
      expect(r.stdout).toContain('--version');
    }
  });

  it('refuses an unknown command or option with the usage on stderr (exit 2)', async () => {
    for (const argv of [['frobnicate'], ['--frobnicate'], []]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^delorean: (unknown command|no command given)/);
      expect(r.stderr).toContain('Usage: delorean COMMAND');
    }
  });
});
