/** A checkpoint's trigger in words, the same in the app and the CLI: "write(1, 0x5581..., 5)", "breakpoint main", "exit(0)". */
import { basename } from 'node:path';
import { toHex64 } from '../../shared/api/bytes.js';
import { symbolWithOffset } from '../../shared/api/format.js';
import type { Engine } from '../engine/engine.js';
import { syscallName } from './syscalls.js';

const SIGNALS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

export function describeCheckpoint(engine: Engine, k: number): string {
  const c = engine.reader.checkpoint(k);
  switch (c.trigger) {
    case 'start':
      return `start of ${basename(engine.reader.programAt(k))}`;
    case 'syscall': {
      const arg = (v: bigint): string => (v < 0x10000n ? v.toString() : toHex64(v));
      return `${syscallName(Number(c.detail))}(${c.args.slice(0, 3).map(arg).join(', ')})`;
    }
    case 'interval':
      return 'interval';
    case 'breakpoint': {
      let where: string = toHex64(c.detail);
      try {
        const s = engine.symbolAt(c.detail, k);
        if (s) where = symbolWithOffset(s.name, s.offset);
      } catch {
        // Symbols unavailable (binary gone): the address will do.
      }
      return `breakpoint ${where}`;
    }
    case 'request':
      return 'checkpoint requested';
    case 'exit':
      return `exit(${BigInt.asIntN(32, c.detail)})`;
    case 'signal': {
      const sig = Number(c.detail);
      return `fatal signal ${sig}${SIGNALS[sig] ? ` (${SIGNALS[sig]})` : ''}`;
    }
    case 'exec':
      return `exec ${basename(engine.reader.programAt(k))}`;
  }
}
