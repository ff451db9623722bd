/** Opening a recording for a CLI command: the API's opening (main/api/recordings.ts), with the usage error for a missing argument. */
import { openReadOnly } from '../api/recordings.js';
import type { RecordingReader } from '../store/types.js';
import { CliError, type CliIo } from './io.js';

/** Opens a recording read-only; with `io`, says on stderr what the recording lost to damage, if anything. */
export async function openForCli(path: string | undefined, command: string, io?: CliIo): Promise<RecordingReader> {
  if (!path) throw new CliError(`${command}: missing recording (usage: delorean ${command} REC ...)`, 2);
  const r = await openReadOnly(path);
  for (const line of io ? r.lossReport() : []) io!.stderr(`delorean: warning: ${path} is damaged: ${line}\n`);
  return r;
}
