/** `delorean regs REC --at K [--thread TID] [--json]`: every thread's registers at a checkpoint. */
import { GP_NAMES, type DecodedRegisters } from '../../engine/registers.js';
import { hex, parseCommandArgs, parseIndex } from '../args.js';
import { CliError, type CliIo } from '../io.js';
import { runQuery } from '../query.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function threadJson(t: DecodedRegisters): Record<string, unknown> {
  const out: Record<string, unknown> = { tid: t.tid };
  for (const name of GP_NAMES) out[name] = hex(t.gp[name]);
  if (t.fp) {
    out.mxcsr = hex(t.fp.mxcsr);
    out.fcw = hex(t.fp.fcw);
    t.fp.xmm.forEach((x, i) => (out[`xmm${i}`] = toHex(x)));
    t.fp.ymm?.forEach((y, i) => (out[`ymm${i}`] = toHex(y)));
    t.fp.st.forEach((s, i) => (out[`st${i}`] = s.value));
  }
  return out;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('regs', argv, { at: { type: 'string' }, thread: { type: 'string' }, json: { type: 'boolean' } });
  const at = parseIndex(values.at, '--at');
  if (positionals[0] !== undefined && at === undefined) throw new CliError('regs: --at K is required', 2);
  const tid = parseIndex(values.thread, '--thread');
  return runQuery('regs', io, positionals[0], { expr: null, upTo: at ?? null }, async ({ engine }) => {
    const threads = engine.registers(at!, tid);
    if (values.json) {
      io.stdout(JSON.stringify({ checkpoint: at, threads: threads.map(threadJson) }) + '\n');
      return 0;
    }
    for (const t of threads) {
      io.stdout(`thread ${t.tid}\n`);
      const names = GP_NAMES.filter((n) => !['ds', 'es', 'fs', 'gs', 'cs', 'ss'].includes(n));
      for (let i = 0; i < names.length; i += 3) {
        io.stdout('  ' + names.slice(i, i + 3).map((n) => `${n.padEnd(8)} ${t.gp[n].toString(16).padStart(16, '0')}`).join('   ') + '\n');
      }
      if (t.fp) io.stdout(`  mxcsr    ${t.fp.mxcsr.toString(16)}   xmm0 ${toHex(t.fp.xmm[0]!)}\n`);
    }
    return 0;
  });
}
