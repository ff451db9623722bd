/**
 * The one translation of what the engine, store and recorder throw into the contract's
 * errors (ApiError with a code). The service sends them over IPC and the bridge; the CLI
 * prints their message and exits by their code (cli/main.ts). Anything not recognised here
 * is a bug, and each face reports it as one.
 */
import { join } from 'node:path';
import { ApiError } from '../../shared/api/contract.js';
import { PredicateSyntaxError } from '../../shared/predicate/parser.js';
import { EngineError } from '../engine/engine.js';
import { SymbolError } from '../engine/symbols.js';
import { RecordError } from '../recorder/session.js';
import { LOG_FILE } from '../store/format.js';
import { RecordingError, UnmappedError, type RecordingReader } from '../store/types.js';

/** What still reads when a file of this name is damaged: the words that follow "the recording is damaged: ...". */
function stillReads(file: string, message: string): string {
  if (/blobs-\d+\.seg$/.test(file)) return 'memory and registers stored in that part cannot be read; the checkpoint list, the memory maps and everything stored elsewhere still read';
  if (/\/log$/.test(file)) return /record/.test(message) ? 'what that record holds cannot be read; the other checkpoints still read' : 'nothing of the recording reads without its log';
  return 'what it holds cannot be read; the rest of the recording may still read';
}

/** A RecordingError (the store names the file and what is wrong with it) as the error a user sees. */
export function damaged(e: RecordingError): ApiError {
  return new ApiError(`the recording is damaged: ${e.message} (${stillReads(e.path, e.message)})`, 'damaged');
}

/** What a recording that lost checkpoints lost and what still reads, in words; null when it lost nothing. */
export function lostCheckpoints(reader: RecordingReader): string | null {
  const lost = reader.lostCheckpoints;
  if (!lost) return null;
  const n = reader.checkpointCount;
  return `the recording is damaged: ${join(reader.path, LOG_FILE)} at byte ${lost.offset}: ${lost.reason}; the checkpoints recorded after it are lost (${n === 0 ? 'none still reads' : `checkpoints 0..${n - 1} still read`})`;
}

/**
 * Refuses a query that needs checkpoints up to `upTo` (null: through the end of the recording)
 * when the recording lost checkpoints there: its answer could differ from the recording's.
 */
export function refuseLost(reader: RecordingReader, upTo: number | null): void {
  if (upTo !== null && upTo < reader.checkpointCount) return;
  const lost = lostCheckpoints(reader);
  if (lost) throw new ApiError(lost, 'damaged');
}

/** The contract's error for what the engine, store and recorder throw; null for anything else (a bug). */
export function knownError(e: unknown): ApiError | null {
  if (e instanceof ApiError) return e;
  if (e instanceof PredicateSyntaxError) return new ApiError(e.message, 'parse-error', e.position);
  if (e instanceof UnmappedError) return new ApiError(e.message, 'unmapped');
  if (e instanceof SymbolError) return new ApiError(e.message, 'not-found');
  if (e instanceof RecordingError) return isDamage(e) ? damaged(e) : new ApiError(e.message, 'failed');
  if (e instanceof EngineError || e instanceof RecordError) return new ApiError(e.message, 'failed');
  if (e instanceof Error && e.name === 'AbortError') return new ApiError('search cancelled', 'cancelled');
  return null;
}

/** Every error as the contract's: known ones by their code, anything else as 'failed' with its message. */
export function toApiError(e: unknown): ApiError {
  return knownError(e) ?? new ApiError(e instanceof Error ? e.message : String(e), 'failed');
}

/**
 * A RecordingError about bytes on disk (a file cut, changed or missing), as opposed to one
 * about how the recording was asked for (not a recording, closed, being created).
 */
function isDamage(e: RecordingError): boolean {
  return !/not a recording \(|no log file|the recording is closed|cannot create|holds no metadata yet|directory exists|EACCES|EPERM/.test(e.message);
}
