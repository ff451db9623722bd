/**
 * Real recordings of the repository's C test programs (native-recorder/tests/programs/*.c),
 * made with the real recorder through RecordingSession, for the e2e tests. Each program's
 * comment documents its exact memory history, which is what the tests check against.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../main/api/paths.js';
import { RecordingSession, type RecordOptions } from '../../main/recorder/session.js';
import { ensureNodeBuild } from './builds.js';

export function programPath(name: string): string {
  const p = join(packageRoot(), 'native-recorder', 'build', 'programs', name);
  if (!existsSync(p)) throw new Error(`test program ${name} is not built (${p}); run \`make -C native-recorder\``);
  return p;
}

export function demoPath(): string {
  const p = join(packageRoot(), 'native-recorder', 'build', 'demo');
  if (!existsSync(p)) throw new Error(`the demo is not built (${p}); run \`make -C native-recorder\``);
  return p;
}

/** Records `program args` to a fresh directory (or opts.out) and returns its path once the program ended. */
export async function record(program: string, args: string[], opts: Partial<RecordOptions> = {}): Promise<string> {
  await ensureNodeBuild();
  const out = opts.out ?? join(mkdtempSync(join(tmpdir(), 'delorean-e2e-')), 'rec.dlr');
  const session = await RecordingSession.start({ program, args, syscalls: ['write'], terminal: { kind: 'pty', cols: 100, rows: 30 }, ...opts, out });
  const summary = await session.done;
  if (summary.checkpoints === 0) throw new Error(`recording ${program} produced no checkpoints`);
  return out;
}
