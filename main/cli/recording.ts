/** Opening a recording for a CLI command, with the errors a user needs to see. */
import { existsSync, statSync } from 'node:fs';
import { openRecording } from '../store/reader.js';
import { RecordingError, type RecordingReader } from '../store/types.js';
import { CliError, type CliIo } from './io.js';

/** Opens a recording read-only; with `io`, says on stderr what the recording lost to damage, if anything. */
export async function openForCli(path: string | undefined, command: string, io?: CliIo): Promise<RecordingReader> {
  if (!path) throw new CliError(`${command}: missing recording (usage: delorean ${command} REC ...)`, 2);
  if (!existsSync(path)) throw new CliError(`no such recording: ${path}`);
  if (!statSync(path).isDirectory()) throw new CliError(`not a recording (expected a .dlr directory): ${path}`);
  try {
    const r = await openRecording(path, { readOnly: true });
    for (const line of io ? r.lossReport() : []) io!.stderr(`delorean: warning: ${path} is damaged: ${line}\n`);
    return r;
  } catch (e) {
    if (e instanceof RecordingError) throw new CliError(e.message);
    throw e;
  }
}
