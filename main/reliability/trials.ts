/**
 * One fault trial against a real recording (used by faults.test.ts and the long suite in
 * bench/reliability.ts): start `delorean record` on a program with a known history, wait for
 * some committed checkpoints, kill -9 the recorder or DeLorean, then check the program's fate
 * and the recording. See faults.test.ts for what must hold.
 */
import { join } from 'node:path';
import { openRecording } from '../store/reader.js';
import { PROGRAMS } from '../testing/cli.js';
import { checkHistory, readAllPages, type HistoryName } from './histories.js';
import { procState, programPid, recorderOf, sleep, startRecording, waitForCheckpoints, waitGone } from './support.js';

/** Runs PROGRAM ARGS with SIGHUP ignored (sh sets it, exec keeps it): it survives its terminal closing. */
export const hupImmune = (program: string, args: string[]): [string, string[]] => ['/bin/sh', ['-c', 'trap "" HUP; exec "$0" "$@"', program, ...args]];

export interface FaultTrial {
  victim: 'recorder' | 'delorean';
  policy: 'kill' | 'detach';
  history: HistoryName;
  args: string[];
  flags: string[];
  /** Committed checkpoints to wait for before the kill. */
  after: number;
  /** Extra milliseconds before the kill, so it can land in the middle of anything. */
  jitterMs: number;
  immune: boolean;
}

export interface FaultOutcome {
  committedBeforeKill: number;
  checkpoints: number;
  verified: number;
  pagesRead: number;
  programFate: 'gone' | 'ran untraced' | 'passively traced, then ended';
}

/**
 * One fault trial, end to end (shared with the long suite in bench/reliability.ts). Throws
 * with a description when anything is wrong.
 */
export async function faultTrial(dir: string, name: string, t: FaultTrial): Promise<FaultOutcome> {
  const out = join(dir, `${name}.dlr`);
  const [program, args] = t.immune ? hupImmune(join(PROGRAMS, t.history), t.args) : [join(PROGRAMS, t.history), t.args];
  const rec = startRecording(out, ['--on-recorder-exit', t.policy, ...t.flags], program, args);
  let pid = 0;
  try {
    pid = await programPid(out);
    const committedBeforeKill = await waitForCheckpoints(out, t.after);
    await sleep(t.jitterMs);
    const recorder = recorderOf(rec.cli.pid!);
    if (!recorder) throw new Error(`no recorder under DeLorean (pid ${rec.cli.pid}): ${rec.stderr()}`);
    process.kill(t.victim === 'recorder' ? recorder : rec.cli.pid!, 'SIGKILL');
    const code = await rec.closed;
    if (t.victim === 'recorder') {
      // DeLorean keeps what was recorded and says what happened.
      if (code !== 0) throw new Error(`delorean record exited ${code} after the recorder was killed: ${rec.stderr()}`);
      if (!/recorder ended early/.test(rec.stderr())) throw new Error(`no warning about the recorder: ${rec.stderr()}`);
    }

    // The program: never left stopped or traced.
    let fate: FaultOutcome['programFate'] = 'gone';
    if (t.policy === 'kill') {
      await waitGone(pid, 10_000);
    } else {
      let sawPassive = false;
      for (let i = 0; ; i++) {
        // The recorder first: read after the program, it could have detached and exited in
        // between, and a tracer seen while it was alive would look like a stranger.
        const recorderAlive = procState(recorder) !== null && procState(recorder)!.state !== 'Z';
        const st = procState(pid);
        if (!st || st.state === 'Z') break;
        if (st.tracerPid !== 0 && !(st.tracerPid === recorder && recorderAlive)) throw new Error(`program ${pid} traced by ${st.tracerPid} after the fault`);
        if (st.tracerPid === recorder) sawPassive = true;
        else fate = 'ran untraced';
        // A ptrace-stop of the passive recorder lasts microseconds; a stop that stays is a hang.
        if (/[tT]/.test(st.state)) {
          await sleep(300);
          const again = procState(pid);
          if (again && /[tT]/.test(again.state) && again.tracerPid === 0) throw new Error(`program ${pid} left stopped (${again.state}) and untraced`);
          if (again && /[tT]/.test(again.state) && !(procState(recorder)?.state ?? 'Z').match(/[RSD]/)) throw new Error(`program ${pid} left stopped (${again.state}) by a dead recorder`);
        }
        if (i > 600) throw new Error(`program ${pid} still running 30 s after the fault (state ${st.state}, tracer ${st.tracerPid})`);
        await sleep(50);
      }
      if (sawPassive) fate = 'passively traced, then ended';
    }
    await waitGone(recorder, 10_000);

    // The recording: everything committed before the kill, consistent with the history.
    const r = await openRecording(out, { readOnly: true });
    try {
      if (r.checkpointCount < committedBeforeKill) throw new Error(`${r.checkpointCount} checkpoints after the kill, ${committedBeforeKill} committed before it`);
      const pages = t.history === 'churn' ? Number(t.args[0]) : 64;
      const verified = checkHistory(r, t.history, pages);
      const pagesRead = readAllPages(r, r.checkpointCount - 1);
      return { committedBeforeKill, checkpoints: r.checkpointCount, verified, pagesRead, programFate: fate };
    } finally {
      r.close();
    }
  } finally {
    if (rec.cli.exitCode === null && rec.cli.signalCode === null) rec.cli.kill('SIGKILL');
    if (pid && procState(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
