/**
 * "When did this go bad?" answered with gdb, the way users answer it without DeLorean:
 *
 *   record   `record full` from main to exit, then a watchpoint on the guard and
 *            `reverse-continue` from the end (first with a hardware watchpoint, gdb's default,
 *            then with a software one), printing `iteration` where it stops
 *   hw       a re-run with a hardware watchpoint set at main: `continue` stops at the write
 *   plain    main to exit under gdb with nothing recorded: the baseline for record's slowdown
 *
 * The driver is a gdb Python script, so a failing command (an instruction record full cannot
 * decode, say) is reported as data instead of ending the batch. Lines starting with @@ carry
 * the results.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * gdb 13's record full cannot decode AVX/AVX-512 (VEX 0xc5 / EVEX 0x62) instructions, which
 * glibc's string functions use on this CPU; these tunables make glibc pick its SSE2 versions.
 */
export const NO_AVX_TUNABLES = 'glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX2,-AVX,-EVEX';

export type GdbMode = 'plain' | 'record' | 'hw';

export interface GdbResult {
  mode: GdbMode;
  /** gdb started to gdb exited (what a user waits for, symbol loading included). */
  wallMs: number;
  /** @@NAME value pairs the script printed. */
  marks: Record<string, string>;
  /** Errors from gdb commands, and record full's complaints. */
  errors: string[];
}

const PY = String.raw`
import gdb, time, re
def ex(c):
    try:
        return gdb.execute(c, to_string=True)
    except gdb.error as e:
        print("@@ERROR", c, "|", str(e).replace("\n", " "))
        return None
def mark(k, v):
    print("@@%s %s" % (k, v))
def ival(e):
    try:
        return int(gdb.parse_and_eval(e))
    except gdb.error:
        return None
stops = []
WATCH = (gdb.BP_WATCHPOINT, gdb.BP_HARDWARE_WATCHPOINT, gdb.BP_READ_WATCHPOINT, gdb.BP_ACCESS_WATCHPOINT)
def on_stop(ev):
    hit = isinstance(ev, gdb.BreakpointEvent) and any(b.type in WATCH for b in ev.breakpoints)
    stops.append("watchpoint" if hit else type(ev).__name__)
gdb.events.stop.connect(on_stop)
def complain(out):
    for line in (out or "").splitlines():
        if "not support" in line or "failed to record" in line:
            print("@@ERROR record |", line)
MODE = "%MODE%"
ex("set pagination off")
ex("set confirm off")
ex("set record full insn-number-max unlimited")
%ENV%
ex("break main")
t0 = time.perf_counter()
ex("run")
mark("TO_MAIN_S", time.perf_counter() - t0)
if MODE == "hw":
    ex("watch store.inv.guard")
    t1 = time.perf_counter()
    del stops[:]
    ex("continue")
    mark("ANSWER_S", time.perf_counter() - t1)
    mark("STOPPED_AT_WRITE", 1 if stops[-1:] == ["watchpoint"] else 0)
    mark("ITER", ival("iteration"))
    mark("GUARD", ival("store.inv.guard"))
else:
    if MODE == "record":
        ex("record full")
    ex("tbreak exit")
    t1 = time.perf_counter()
    out = ex("continue")
    mark("MAIN_TO_EXIT_S", time.perf_counter() - t1)
    complain(out)
    try:
        mark("STOPPED_IN", gdb.selected_frame().name())
    except gdb.error:
        mark("STOPPED_IN", "no-process")
    if MODE == "record":
        info = ex("info record") or ""
        m = re.search(r"Log contains (\d+) instructions", info)
        mark("INSNS", m.group(1) if m else "none")
        for kind in ("hw", "sw"):
            if kind == "sw":
                ex("delete")
                ex("record goto end")
                ex("set can-use-hw-watchpoints 0")
            ex("watch store.inv.guard")
            t2 = time.perf_counter()
            del stops[:]
            ex("reverse-continue")
            mark(kind.upper() + "_REVERSE_S", time.perf_counter() - t2)
            hit = stops[-1:] == ["watchpoint"]
            mark(kind.upper() + "_STOPPED_AT_WRITE", 1 if hit else 0)
            mark(kind.upper() + "_ITER", ival("iteration") if hit else None)
        ex("record stop")
ex("kill")
`;

/** Runs one gdb batch session on `program args` in `mode`; `noAvx` sets NO_AVX_TUNABLES in the inferior. */
export async function runGdb(scratch: string, mode: GdbMode, program: string, args: string[], noAvx: boolean): Promise<GdbResult> {
  const script = join(scratch, `gdb-${mode}${noAvx ? '-noavx' : ''}.py`);
  writeFileSync(script, PY.replace('%MODE%', mode).replace('%ENV%', noAvx ? `ex("set environment GLIBC_TUNABLES=${NO_AVX_TUNABLES}")` : ''));
  const t0 = performance.now();
  const text = await new Promise<string>((ok, fail) => {
    const c = spawn('gdb', ['-q', '-batch', '-nx', '-x', script, '--args', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', fail);
    c.on('close', () => ok(out));
  });
  const wallMs = performance.now() - t0;
  const marks: Record<string, string> = {};
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    // record full prints some complaints straight to the terminal, where ex() cannot see them.
    if (!line.startsWith('@@') && /Process record does not support|failed to record execution log/.test(line)) {
      const e = `record | ${line.trim()}`;
      if (!errors.includes(e)) errors.push(e);
      continue;
    }
    const m = /^@@(\w+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim();
    if (m[1] !== 'ERROR') marks[m[1]!] = v;
    else if (!errors.includes(v)) errors.push(v);
  }
  return { mode, wallMs, marks, errors };
}

export const num = (r: GdbResult, k: string): number | null => {
  const v = r.marks[k];
  if (v === undefined || v === 'None' || v === 'none') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
