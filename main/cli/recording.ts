/** Opening a recording for a CLI command: the API's opening (main/api/recordings.ts), with the usage error for a missing argument. */
import { openReadOnly } from '../api/recordings.js';
import type { RecordingReader } from '../store/types.js';
import { CliError } from './io.js';

export async function openForCli(path: string | undefined, command: string): Promise<RecordingReader> {
  if (!path) throw new CliError(`${command}: missing recording (usage: delorean ${command} REC ...)`, 2);
  return openReadOnly(path);
}
