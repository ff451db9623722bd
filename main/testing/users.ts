/**
 * A second local user for the tests of what another user on the machine can do: created for the
 * test (useradd, no home, no login shell) and removed afterwards. Needs root; where it cannot be
 * made the reason is returned, for the test to skip with it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface LocalUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  remove(): void;
}

export function createLocalUser(): LocalUser | string {
  if (process.getuid?.() !== 0) return 'not root: cannot create a second local user';
  const name = `dlr-other-${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  } catch (e) {
    return `useradd failed: ${(e as Error).message}`;
  }
  const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid: id('-u'),
    gid: id('-g'),
    remove: () => execFileSync('userdel', [name], { stdio: 'pipe' }),
  };
}
