/** `delorean info REC [--json]`: what a recording holds. */
import { formatReduction, storageReduction } from '../../../shared/api/format.js';
import type { RecordingReader } from '../../store/types.js';
import { parseCommandArgs } from '../args.js';
import { refuseLost } from '../../api/errors.js';
import type { CliIo } from '../io.js';
import { openForCli } from '../recording.js';
import { fileChange } from '../../store/identity.js';

export function recordingInfo(r: RecordingReader) {
  const n = r.checkpointCount;
  const { triggers, maxThreads: threads, durationNs } = r.overview;
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
    programChanged: r.meta.programFile ? fileChange(r.meta.program, r.meta.programFile) : null,
    losses: r.lossReport().map((message, i) => ({ ...r.losses[i]!, message })),
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
        ...(info.programChanged ? [`warning     the program's file is not the one recorded: ${info.programChanged}; its symbols are not used`] : []),
        ...info.losses.map((l) => `damaged     ${l.message}`),
        '',
      ].join('\n'),
    );
    refuseLost(r, null);
    return 0;
  } finally {
    r.close();
  }
}
