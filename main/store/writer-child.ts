/**
 * Test fixture: a writer in its own process, for the crash and live-reader tests
 * (crash.test.ts). Run as `node --import tsx writer-child.ts DIR OPTIONS_JSON MODE`.
 *
 *   MODE "run":  writes opts.checkpoints synthetic checkpoints, printing "C <n>" on stdout after
 *                each commit (n = checkpoints committed), flushing every 10; never closes, so the
 *                parent can kill -9 it at any moment.
 *   MODE "live": writes checkpoints in batches of opts.batch, printing "READY <n>" after each
 *                batch and waiting for a line on stdin: "more" writes the next batch, "close"
 *                closes the writer and prints "CLOSED".
 * stdout to a pipe is synchronous on Linux, so a printed count is committed.
 */
import { createInterface } from 'node:readline';
import { SyntheticProgram, type SyntheticOptions } from './synthetic.js';
import { RecordingWriter } from './writer.js';

const [dir, optsJson, mode] = process.argv.slice(2);
if (!dir || !optsJson || !mode) throw new Error('usage: writer-child.ts DIR OPTIONS_JSON run|live');
const opts = JSON.parse(optsJson) as SyntheticOptions & { batch?: number; segmentBytes?: number; indexSegmentCheckpoints?: number };
const w = await RecordingWriter.create(dir, { segmentBytes: opts.segmentBytes, indexSegmentCheckpoints: opts.indexSegmentCheckpoints });
const prog = new SyntheticProgram(opts);
w.ingest(prog.hello());
let k = 0;

function step(): void {
  for (const m of prog.checkpoint(k)) w.ingest(m);
  const o = prog.output(k);
  if (o) w.appendOutput(o);
  k++;
}

if (mode === 'run') {
  while (k < opts.checkpoints) {
    step();
    process.stdout.write(`C ${w.checkpointCount}\n`);
    if (k % 10 === 0) w.flush();
  }
  process.stdout.write('DONE\n');
  await new Promise(() => undefined); // wait to be killed
} else {
  const batch = opts.batch ?? 10;
  const run = (): void => {
    for (let i = 0; i < batch && k < opts.checkpoints; i++) step();
    w.flush();
    process.stdout.write(`READY ${w.checkpointCount}\n`);
  };
  run();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'more') run();
    if (line === 'close') {
      w.close();
      process.stdout.write('CLOSED\n');
      process.exit(0);
    }
  }
}
