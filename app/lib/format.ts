/**
 * Formatting for the views: addresses, byte sizes, durations, rates. Pure and shared by every
 * component so numbers look the same everywhere.
 */

/** "0x00005555555580a0": addresses padded to 12 hex digits (user space), 16 when larger. */
export function formatAddress(v: bigint): string {
  const h = v.toString(16);
  return '0x' + h.padStart(h.length > 12 ? 16 : 12, '0');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[u]}`;
}

/** Nanoseconds (decimal string) as "+1.234 s", "+12.5 ms", "+830 µs". */
export function formatRelativeNs(ns: string): string {
  const v = Number(ns);
  if (v >= 1e9) return `+${(v / 1e9).toFixed(3)} s`;
  if (v >= 1e6) return `+${(v / 1e6).toFixed(2)} ms`;
  if (v >= 1e3) return `+${(v / 1e3).toFixed(1)} µs`;
  return `+${v} ns`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`;
}

export function formatExit(exit: { kind: string; code?: number; signal?: number } | null): string {
  if (!exit) return 'still running';
  if (exit.kind === 'exited') return `exited with status ${exit.code ?? '?'}`;
  if (exit.kind === 'signaled') return `killed by signal ${exit.signal ?? '?'}${signalName(exit.signal)}`;
  return 'detached';
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };
function signalName(sig: number | undefined): string {
  return sig !== undefined && SIGNALS[sig] ? ` (${SIGNALS[sig]})` : '';
}

/** Splits a command line the way a shell would for simple cases: quotes and backslashes. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}
