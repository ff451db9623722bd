// Debug aid: prints the messages of a raw wire stream (recorder --wire-file FILE).
// Usage: npx tsx shared/protocol/dump.ts FILE [--pages]
import { readFileSync } from 'node:fs';
import { BACKEND_NAMES, MessageType, TRIGGER_NAMES, WireDecoder, type WireMessage } from './wire.js';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

function describe(m: WireMessage, showPages: boolean): string {
  switch (m.type) {
    case MessageType.Hello:
      return `HELLO pid=${m.pid} backend=${BACKEND_NAMES[m.backend]} flags=${m.flags} exe=${m.exe} cwd=${m.cwd} argv=${JSON.stringify(m.argv)}`;
    case MessageType.Maps:
      return `MAPS ${m.text.split('\n').filter(Boolean).length} lines`;
    case MessageType.CheckpointBegin:
      return `BEGIN #${m.seq} t=${m.timeNs} trigger=${TRIGGER_NAMES[m.trigger]} tid=${m.tid} detail=${hex(m.detail)} args=${m.args.map(hex).join(',')}`;
    case MessageType.Pages:
      return `PAGES ${m.addrs.length}` + (showPages ? ` ${m.addrs.map(hex).join(' ')}` : '');
    case MessageType.Regs: {
      const dv = new DataView(m.gp.buffer, m.gp.byteOffset, m.gp.byteLength);
      const rip = m.gp.length >= 136 ? hex(dv.getBigUint64(128, true)) : '?';
      return `REGS tid=${m.tid} gp=${m.gp.length} fp=${m.fp.length} rip=${rip}`;
    }
    case MessageType.CheckpointEnd:
      return `END #${m.seq} pages=${m.pageCount} threads=${m.threadCount}`;
    case MessageType.Exit:
      return `EXIT kind=${m.kind} code=${m.code}`;
    case MessageType.Error:
      return `${m.fatal ? 'ERROR' : 'WARNING'} errno=${m.errno} ${m.message}`;
    case MessageType.Exec:
      return `EXEC ${m.exe}`;
    case MessageType.Output:
      return `OUTPUT ${m.data.length} bytes ${JSON.stringify(Buffer.from(m.data).toString('latin1').slice(0, 60))}`;
    case MessageType.ZeroRanges:
      return `ZERO ${m.ranges.map(([s, e]) => `${hex(s)}-${hex(e)}`).join(' ')}`;
    default:
      return `CONTROL type=${m.type}`;
  }
}

const file = process.argv[2];
if (!file) {
  console.error('usage: dump.ts FILE [--pages]');
  process.exit(2);
}
const d = new WireDecoder();
d.push(readFileSync(file));
for (let m = d.next(); m; m = d.next()) console.log(describe(m, process.argv.includes('--pages')));
if (d.pending) console.log(`TRUNCATED: ${d.pending} bytes left over`);
