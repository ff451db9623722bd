/**
 * Recently opened recordings, kept in a small JSON file in the user's config directory
 * ($XDG_CONFIG_HOME/delorean/recent.json, else ~/.config/delorean/recent.json). Written
 * atomically (temp file + rename); a missing or unreadable file is an empty list, never an
 * error: losing the list must not stop anyone from opening a recording.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RecentRecording } from '../../shared/api/contract.js';

export const MAX_RECENT = 20;

export function defaultConfigDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'delorean');
}

export function defaultRecordingsDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'delorean', 'recordings');
}

export class RecentList {
  private readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'recent.json');
  }

  list(): RecentRecording[] {
    try {
      const data: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      if (!Array.isArray(data)) return [];
      return data.filter(isRecent).filter((r) => existsSync(r.path));
    } catch {
      return [];
    }
  }

  /** Moves (or adds) a recording to the top of the list. */
  touch(entry: Omit<RecentRecording, 'openedAt'>): void {
    const now: RecentRecording = { ...entry, openedAt: new Date().toISOString() };
    const next = [now, ...this.list().filter((r) => r.path !== entry.path)].slice(0, MAX_RECENT);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // A read-only home directory: the list just does not persist.
    }
  }
}

function isRecent(v: unknown): v is RecentRecording {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.path === 'string' && typeof r.program === 'string' && typeof r.checkpoints === 'number' && typeof r.openedAt === 'string';
}
