/** `delorean info REC [--json]`: what a recording holds. */
import { formatReduction, storageReduction } from '../../../shared/api/format.js';
import type { RecordingReader } from '../../store/types.js';
import { parseCommandArgs } from '../args.js';
import { refuseLost } from '../../api/errors.js';
import type { CliIo } from '../io.js';
import { openForCli } from '../recording.js';

export function recordingInfo(r: RecordingReader) {
  const n = r.checkpointCount;
  const first = n > 0 ? r.checkpoint(0) : null;
  const last = n > 0 ? r.checkpoint(n - 1) : null;
  let threads = 0;
  for (let k = 0; k < n; k++) threads = Math.max(threads, r.checkpoint(k).threads);
  const durationNs = first && last ? last.timeNs - first.timeNs : 0n;
  const triggers: Record<string, number> = {};
  for (let k = 0; k < n; k++) {
    const t = r.checkpoint(k).trigger;
    triggers[t] = (triggers[t] ?? 0) + 1;
  }
  return {
    path: r.path,
    program: r.meta.program,
    arguments: r.meta.argv,
    cwd: r.meta.cwd,
    pid: r.meta.pid,
    backend: r.meta.backend,
    attached: r.meta.attached,
    startedAt: r.meta.startedAt,
    checkpoints: n,
    triggers,
    durationMs: Number(durationNs) / 1e6,
    threads,
    exit: r.exit,
    rawBytes: r.stats.rawBytes,
    storedBytes: r.stats.storedBytes,
    reduction: storageReduction(r.stats.rawBytes, r.stats.storedBytes),
    pagesReceived: r.stats.pagesReceived,
    zeroPages: r.stats.zeroPages,
    dedupHits: r.stats.dedupHits,
    deltaBlobs: r.stats.deltaBlobs,
    fullBlobs: r.stats.fullBlobs,
  };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('info', argv, { json: { type: 'boolean' } });
  const r = await openForCli(positionals[0], 'info');
  try {
    const info = recordingInfo(r);
    if (values.json) {
      io.stdout(JSON.stringify(info) + '\n');
      refuseLost(r, null); // what still reads is above; the exit code and stderr say it is not all
      return 0;
    }
    const exit = !info.exit ? 'no exit recorded (still running, or recording cut short)' : info.exit.kind === 'exited' ? `exited with status ${info.exit.code}` : info.exit.kind === 'signaled' ? `killed by signal ${info.exit.signal}` : 'detached';
    io.stdout(
      [
        `recording   ${info.path}`,
        `program     ${info.program} ${JSON.stringify(info.arguments.slice(1)).slice(1, -1)}`,
        `cwd         ${info.cwd}`,
        `backend     ${info.backend}${info.attached ? ' (attached)' : ''}`,
        `checkpoints ${info.checkpoints} over ${info.durationMs.toFixed(1)} ms (${Object.entries(info.triggers).map(([t, c]) => `${c} ${t}`).join(', ')})`,
        `threads     ${info.threads}`,
        `exit        ${exit}`,
        `storage     ${info.rawBytes} bytes of pages received, ${info.storedBytes} bytes on disk (${formatReduction(info.reduction, 2)})`,
        '',
      ].join('\n'),
    );
    refuseLost(r, null);
    return 0;
  } finally {
    r.close();
  }
}
