/**
 * Crash safety and live reading with the writer in another process (writer-child.ts): SIGKILL
 * at random moments leaves a recording whose every committed checkpoint reads back exactly,
 * and a read-only reader follows a recording while it is written.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INDEX_FILE } from './format.js';
import { openRecording, type Reader } from './reader.js';
import { type SyntheticOptions } from './synthetic.js';
import { tempDir, verifySynthetic } from './test-support.js';
import { RecordingError } from './types.js';
import { prng } from '../testing/prng.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line (seen or coming) that satisfies `pred`. */
  waitFor(pred: (line: string) => boolean): Promise<string>;
  readonly exited: Promise<void>;
}

function spawnWriter(dir: string, opts: object, mode: 'run' | 'live'): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'writer-child.ts'), dir, JSON.stringify(opts), mode], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let buf = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.pred(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return {
    proc,
    lines,
    exited,
    waitFor: (pred) => {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then(() => setTimeout(() => reject(new Error(`writer child exited (stderr: ${stderr})`)), 50));
      });
    },
  };
}

const committed = (c: Child): number => c.lines.filter((l) => l.startsWith('C ')).reduce((m, l) => Math.max(m, Number(l.slice(2))), 0);

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('crash safety', () => {
  it('recovers every committed checkpoint after kill -9 at random moments', async () => {
    const rand = prng(20260101);
    for (let trial = 0; trial < 8; trial++) {
      const t = tempDir();
      cleanups.push(t.cleanup);
      const dir = join(t.dir, 'rec.dlr');
      const opts: SyntheticOptions & { segmentBytes: number; indexSegmentCheckpoints: number } = {
        checkpoints: 400,
        heapPages: 24,
        wordsPerCheckpoint: 1 + Math.floor(rand() * 20),
        seed: trial + 1,
        threads: 1 + (trial % 2),
        zeroEvery: 25,
        outputEvery: 3,
        segmentBytes: 256 * 1024, // several segments, so rollover is killed too
        indexSegmentCheckpoints: [7, 16, 64][trial % 3]!, // index runs sealed (and killed while sealing) too
      };
      const child = spawnWriter(dir, opts, 'run');
      const target = trial === 0 ? 0 : Math.floor(rand() * 300);
      if (target > 0) await child.waitFor((l) => l.startsWith('C ') && Number(l.slice(2)) >= target);
      await new Promise((r) => setTimeout(r, rand() * 15));
      child.proc.kill('SIGKILL');
      await child.exited;
      const reported = committed(child);

      let r: Reader;
      try {
        r = (await openRecording(dir, { readOnly: true })) as Reader;
      } catch (e) {
        // Killed before the Hello was committed: nothing was promised.
        expect(reported).toBe(0);
        expect(e).toBeInstanceOf(RecordingError);
        continue;
      }
      expect(r.checkpointCount).toBeGreaterThanOrEqual(reported);
      expect(r.checkpointCount).toBeLessThanOrEqual(opts.checkpoints);
      expect(verifySynthetic(r, opts)).toBeNull();
      for (const chunk of r.terminalOutput()) expect(new TextDecoder().decode(chunk.data)).toBe(`step ${chunk.checkpoint}\n`);
      const n = r.checkpointCount;
      r.close();

      // A writable open repairs (cuts the torn tail, writes a snapshot); the result is stable.
      (await openRecording(dir)).close();
      expect(existsSync(join(dir, INDEX_FILE))).toBe(true);
      const again = (await openRecording(dir, { readOnly: true })) as Reader;
      expect(again.snapshotUsed).toBe(true);
      expect(again.tailDamage).toBeNull();
      expect(again.checkpointCount).toBe(n);
      expect(verifySynthetic(again, opts, 7)).toBeNull();
      expect([again.residentRuns, again.rebuiltRuns]).toEqual([0, 0]); // the repair wrote every run's block
      again.close();
    }
  });
});

describe('live reading', () => {
  it('a read-only reader in another process sees committed checkpoints and grows with refresh()', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'live.dlr');
    const opts = { checkpoints: 60, heapPages: 16, wordsPerCheckpoint: 4, seed: 9, batch: 20, outputEvery: 5, indexSegmentCheckpoints: 8 };
    const child = spawnWriter(dir, opts, 'live');
    cleanups.push(() => child.proc.kill('SIGKILL'));
    await child.waitFor((l) => l === 'READY 20');
    const r = (await openRecording(dir, { readOnly: true })) as Reader;
    expect(r.snapshotUsed).toBe(true); // written at each seal
    expect(r.checkpointCount).toBe(20);
    expect(r.exit).toBeNull();
    expect(verifySynthetic(r, opts)).toBeNull();
    // A writable open while the writer lives must not touch anything.
    const before = readdirSync(dir).sort();
    (await openRecording(dir)).close();
    expect(readdirSync(dir).sort()).toEqual(before);

    child.proc.stdin!.write('more\n');
    await child.waitFor((l) => l === 'READY 40');
    expect(r.checkpointCount).toBe(20);
    r.refresh();
    expect(r.checkpointCount).toBe(40);
    expect(r.residentRuns).toBe(0); // the writer's blocks replace what the reader sealed
    expect(r.columns(0, 40).count).toBe(40);
    expect(r.summary()[0]!.sum[0]).toBe(Array.from(r.columns(0, 40).dirtyPages).reduce((s, v) => s + v, 0));
    expect(verifySynthetic(r, opts)).toBeNull();
    expect(r.terminalOutput(39).length).toBe(8);

    child.proc.stdin!.write('more\nclose\n');
    await child.waitFor((l) => l === 'CLOSED');
    await child.exited;
    r.refresh();
    expect(r.checkpointCount).toBe(60);
    expect(verifySynthetic(r, opts)).toBeNull();
    expect(r.stats.storedBytes).toBe(readdirSync(dir).reduce((s, n) => s + statSync(join(dir, n)).size, 0));
    r.close();
    const fresh = (await openRecording(dir, { readOnly: true })) as Reader;
    expect(fresh.snapshotUsed).toBe(true);
    expect(fresh.checkpointCount).toBe(60);
    fresh.close();
  });
});
