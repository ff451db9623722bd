/**
 * A writer with deferWrites (ingest worker, synthetic recordings): checkpoints reach the files
 * at flush(), blobs before the log records that refer to them, and read back exactly; the
 * stored-bytes accounting counts what is pending.
 */
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openRecording } from './reader.js';
import { SyntheticProgram } from './synthetic.js';
import { tempDir, verifySynthetic } from './test-support.js';
import { RecordingWriter } from './writer.js';

describe('deferred writes', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  it('makes checkpoints visible at flush, in order, and reads them back exactly', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const opts = { checkpoints: 90, heapPages: 16, wordsPerCheckpoint: 4, outputEvery: 7, seed: 8 };
    const w = await RecordingWriter.create(d, { deferWrites: true, segmentBytes: 20_000 });
    const prog = new SyntheticProgram(opts);
    w.ingest(prog.hello());
    for (let k = 0; k < 30; k++) {
      for (const m of prog.checkpoint(k)) w.ingest(m);
      const o = prog.output(k);
      if (o) w.appendOutput(o);
    }
    expect(w.checkpointCount).toBe(0); // committed, not yet written: what a reader would see
    const logBefore = statSync(join(d, 'log')).size;
    w.flush();
    expect(w.checkpointCount).toBe(30);
    expect(statSync(join(d, 'log')).size).toBeGreaterThan(logBefore);
    const r = await openRecording(d, { readOnly: true });
    expect(r.checkpointCount).toBe(30);
    for (let k = 30; k < opts.checkpoints; k++) {
      for (const m of prog.checkpoint(k)) w.ingest(m);
      const o = prog.output(k);
      if (o) w.appendOutput(o);
    }
    r.refresh();
    expect(r.checkpointCount).toBe(30); // not written yet
    const stats = w.stats;
    w.close();
    r.refresh();
    expect(r.checkpointCount).toBe(opts.checkpoints);
    expect(verifySynthetic(r, opts)).toBeNull();
    expect(r.terminalOutput().length).toBe(Math.ceil(opts.checkpoints / 7));
    // What the writer counted as stored (pending blobs included) is what is on disk, index aside.
    expect(stats.storedBytes).toBeLessThanOrEqual(r.stats.storedBytes);
    expect(stats.storedBytes).toBeGreaterThan(r.stats.storedBytes * 0.5);
    r.close();
  });

  it('flushes without blocking: written at once, durable when the promise settles', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = join(t.dir, 'r.dlr');
    const opts = { checkpoints: 40, heapPages: 8, wordsPerCheckpoint: 3, seed: 2 };
    const w = await RecordingWriter.create(d, { deferWrites: true, segmentBytes: 8_000 });
    const prog = new SyntheticProgram(opts);
    w.ingest(prog.hello());
    for (let k = 0; k < 20; k++) for (const m of prog.checkpoint(k)) w.ingest(m);
    const pending = w.flushAsync();
    expect(w.checkpointCount).toBe(20); // written before the fsyncs
    for (let k = 20; k < 40; k++) for (const m of prog.checkpoint(k)) w.ingest(m); // ingest goes on
    await pending;
    await w.flushAsync();
    w.close();
    const r = await openRecording(d, { readOnly: true });
    expect(verifySynthetic(r, opts)).toBeNull();
    r.close();
  });
});
