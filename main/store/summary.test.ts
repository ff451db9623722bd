/**
 * The summary pyramid is built as checkpoints commit (recording-index.ts): a
 * reader following a live recording must get the same pyramid, level by level, as a fresh
 * open of the finished recording, however its asks interleave with the writer's commits.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRecording } from './reader.js';
import { SyntheticProgram } from './synthetic.js';
import { tempDir } from './test-support.js';
import { RecordingWriter } from './writer.js';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe('summary pyramid', () => {
  it('caught up on a live reader equals the one of a fresh open', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const d = join(t.dir, 'rec.dlr');
    const prog = new SyntheticProgram({ checkpoints: 300, heapPages: 32, seed: 3 });
    const w = await RecordingWriter.create(d);
    w.ingest(prog.hello());
    let live: Awaited<ReturnType<typeof openRecording>> | null = null;
    for (let k = 0; k < 300; k++) {
      for (const m of prog.checkpoint(k)) w.ingest(m);
      if (k === 0) live = await openRecording(d, { readOnly: true });
      // Ask at uneven moments: some refreshes add one checkpoint, some many, some none.
      if (k % 37 === 5 || k === 6 || k === 64) {
        live!.refresh();
        live!.summary();
        live!.summary();
      }
    }
    w.close();
    live!.refresh();
    const fresh = await openRecording(d, { readOnly: true });
    expect(live!.checkpointCount).toBe(300);
    expect(live!.summary()).toEqual(fresh.summary());
    expect(fresh.summary().map((l) => l.bucket)).toEqual([64, 128, 256, 512]);
    live!.close();
    fresh.close();
  });
});
