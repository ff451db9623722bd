/**
 * Plain, immutable shapes describing a recording. Used by the store, the engine, the CLI and
 * the renderer (so: no Node, no DOM here). 64-bit quantities that cross a JSON boundary are
 * decimal or 0x strings; inside the engine they are bigint.
 */
import type { BackendName, TriggerName } from '../protocol/wire.js';

export interface RecordingMeta {
  readonly formatVersion: number;
  readonly program: string; // the executable as the recorder saw it (absolute path)
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly pid: number;
  readonly backend: BackendName;
  readonly attached: boolean;
  readonly pageSize: number;
  readonly startedAt: string; // ISO time the recording began
  /** The executable's file as it was recorded (absent when it could not be read, or in older recordings). */
  readonly programFile?: FileIdentity;
}

/** What identifies a file's content: symbols, types and lines read from another content would be wrong. */
export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

export interface ExitInfo {
  readonly kind: 'exited' | 'signaled' | 'detached';
  readonly code?: number; // exit status when exited
  readonly signal?: number; // signal number when signaled
}

export interface CheckpointInfo {
  readonly index: number; // 0-based; equals the recorder's sequence number
  readonly timeNs: bigint; // CLOCK_MONOTONIC of the stop
  readonly trigger: TriggerName;
  readonly tid: number; // the thread that triggered it
  readonly detail: bigint; // syscall number, breakpoint address, signal or exit code
  readonly args: readonly bigint[]; // syscall arguments (zeros otherwise)
  readonly dirtyPages: number; // pages captured at this checkpoint
  readonly threads: number;
  readonly mapsVersion: number; // index into the recording's list of distinct memory maps
}

export interface MapEntry {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string; // "rw-p"
  readonly offset: bigint;
  readonly dev: string;
  readonly inode: number;
  readonly path: string; // "" for anonymous
}

export interface ThreadRegisters {
  readonly tid: number;
  readonly gp: Uint8Array; // raw user_regs_struct (x86-64: 27 u64)
  readonly fp: Uint8Array; // raw XSAVE area (legacy FXSAVE region first)
}

export interface RecordingStats {
  readonly rawBytes: number; // page bytes received from the recorder
  readonly storedBytes: number; // every byte on disk: blobs, log, index
  readonly pagesReceived: number;
  readonly zeroPages: number;
  readonly dedupHits: number;
  readonly deltaBlobs: number;
  readonly fullBlobs: number;
}

/** Parses the text of /proc/PID/maps. Paths may contain spaces; "(deleted)" stays in the path. */
export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+) ([rwxsp-]{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (!m) throw new Error(`malformed maps line: ${JSON.stringify(line)}`);
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3]!,
      offset: BigInt('0x' + m[4]),
      dev: m[5]!,
      inode: Number(m[6]),
      path: m[7] ?? '',
    });
  }
  return out;
}
