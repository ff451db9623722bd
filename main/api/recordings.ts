/** Opening a recording read-only for a face (CLI, IPC, bridge), with the errors a user needs to see. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../../shared/api/contract.js';
import { HEADER_SIZE, LOG_FILE, SEGMENT_RE } from '../store/format.js';
import { openRecording } from '../store/reader.js';
import { RecordingError, type RecordingReader } from '../store/types.js';
import { toApiError } from './errors.js';

/** Opens the recording at `path` read-only; throws ApiError (not-found, damaged, failed). */
export async function openReadOnly(path: string, open: (path: string) => Promise<RecordingReader> = (p) => openRecording(p, { readOnly: true })): Promise<RecordingReader> {
  if (!existsSync(path)) throw new ApiError(`no such recording: ${path}`, 'not-found');
  if (!statSync(path).isDirectory()) throw new ApiError(`not a recording (expected a .dlr directory): ${path}`, 'not-found');
  if (!existsSync(join(path, LOG_FILE)) && readdirSync(path).some((n) => SEGMENT_RE.test(n))) {
    throw new ApiError(`the recording is damaged: ${join(path, LOG_FILE)} is missing (nothing of the recording reads without its log)`, 'damaged');
  }
  try {
    return await open(path);
  } catch (e) {
    // No metadata is a recording the recorder has not spoken to yet, unless pages were stored: they come after it.
    if (e instanceof RecordingError && /holds no metadata yet/.test(e.message) && readdirSync(path).some((n) => SEGMENT_RE.test(n) && statSync(join(path, n)).size > HEADER_SIZE)) {
      throw new ApiError(`the recording is damaged: ${join(path, LOG_FILE)} lost its records (blob segments hold pages the log no longer lists); nothing of the recording reads without them`, 'damaged');
    }
    throw toApiError(e);
  }
}
