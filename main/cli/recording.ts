/** Opening a recording for a CLI command, with the errors a user needs to see. */
import { existsSync, statSync } from 'node:fs';
import { openRecording } from '../store/reader.js';
import { RecordingError, type RecordingReader } from '../store/types.js';
import { CliError } from './io.js';

export async function openForCli(path: string | undefined, command: string): Promise<RecordingReader> {
  if (!path) throw new CliError(`${command}: missing recording (usage: delorean ${command} REC ...)`, 2);
  if (!existsSync(path)) throw new CliError(`no such recording: ${path}`);
  if (!statSync(path).isDirectory()) throw new CliError(`not a recording (expected a .dlr directory): ${path}`);
  try {
    return await openRecording(path, { readOnly: true });
  } catch (e) {
    if (e instanceof RecordingError) throw new CliError(e.message);
    throw e;
  }
}
