/**
 * Which file a recording's executable was: size, modification time and a SHA-256 of its bytes,
 * taken when the recording starts (from /proc/PID/exe, the file the process really runs, when
 * that is the path the recorder named). Queries compare the file on disk with it before they
 * read symbols, types or lines from it: a program rebuilt in place keeps its path and inode.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, statSync } from 'node:fs';
import type { FileIdentity } from '../../shared/model/recording.js';

const CHUNK = 1 << 20;

/** The identity of the file open at fd. */
function identityOf(fd: number): FileIdentity | null {
  const st = fstatSync(fd);
  if (!st.isFile()) return null;
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let at = 0; ; ) {
    const n = readSync(fd, buf, 0, CHUNK, at);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    at += n;
  }
  return { size: st.size, mtimeMs: st.mtimeMs, sha256: hash.digest('hex') };
}

function identityAt(path: string): FileIdentity | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    return identityOf(fd);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The executable `exe` of process `pid` as it runs now, or null when it cannot be read. */
export function identifyProgram(exe: string, pid: number): FileIdentity | null {
  let running: string | null;
  try {
    running = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    running = null;
  }
  return running === exe ? (identityAt(`/proc/${pid}/exe`) ?? identityAt(exe)) : identityAt(exe);
}

/**
 * Why the file at `path` is not the one recorded, or null when it is (same size and
 * modification time, or the same bytes).
 */
export function fileChange(path: string, recorded: FileIdentity): string | null {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    return `it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if (st.size === recorded.size && st.mtimeMs === recorded.mtimeMs) return null;
  const now = identityAt(path);
  if (!now) return 'it cannot be read';
  if (now.sha256 === recorded.sha256) return null;
  return `it changed on disk since it was recorded (${recorded.size} bytes modified ${new Date(recorded.mtimeMs).toISOString()}, now ${now.size} bytes modified ${new Date(now.mtimeMs).toISOString()}; SHA-256 ${recorded.sha256.slice(0, 12)}… then, ${now.sha256.slice(0, 12)}… now)`;
}
