/**
 * Input generators for the fuzz suites (fuzz.test.ts, bench/reliability.ts): argv for every
 * `delorean` command, and predicates from the grammar (shared/predicate) plus mutations.
 * Deterministic for a given random source, so a failing case replays from its seed.
 */

export interface ArgvPools {
  recording: string;
  notRecording: string;
  emptyDir: string;
  missing: string;
  outDir: string;
}

type Rnd = () => number;
const pick = <T>(r: Rnd, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Each command's own options (from main/cli/commands/*.ts), so generated argv often gets past parsing. */
const OPTIONS: Record<string, readonly string[]> = {
  info: ['--json'],
  read: ['--at', '--len', '--type', '--json'],
  maps: ['--at', '--json'],
  regs: ['--at', '--thread', '--json'],
  diff: ['--limit', '--json'],
  changes: ['--len', '--from', '--to', '--limit', '--json'],
  bisect: ['--from', '--to', '--json'],
  find: ['--all', '--limit', '--from', '--to', '--json'],
  core: ['--at', '--out', '-o', '--json'],
  gdbserver: ['--port', '--at'],
  serve: ['--port'],
  open: [],
  record: ['--out', '-o', '--syscalls', '--interval', '--break', '--backend', '--max-checkpoints', '--on-recorder-exit', '--cwd', '--attach', '--json'],
};

const NUMBERS = ['0', '1', '2', '3', '7', '29', '30', '31', '32', '-1', '-0', '+1', '1.5', '1e3', '0x10', '0x', '0xffffffffffffffff', '18446744073709551616', '99999999999999999999999999', 'NaN', 'Infinity', ' 1', '1 ', '０'];
const WORDS = [
  'counter', 'squares', 'main', 'nope', 'counter+8', 'counter-8', 'counter+0x1000000000', '*counter', '&counter', 'libc.so.6!environ', 'nolib!x', '!', 'x!', '$rip', 'rip',
  'u8', 'u64', 'u128', 'cstr', 'f64', 'ptr', 'bytes', 'write', 'all', 'read,write', 'write,,', 'nosuchcall', '1ms', '0ms', '250us', '2s', '1h', '-1ms', 'kill', 'detach', 'auto', 'hash', 'uffd-wp', 'magic',
];
const NASTY = ['', ' ', '-', '--', '---', '-x', '--x', '--at=', '--at=1', '--json=true', '-h', '--help', 'é', '☃', '\t', '\n', '%s%n%x', '$(touch pwned)', '`touch pwned`', '; touch pwned', '../../../../etc/passwd', '/dev/null', '/proc/self/mem', '/', '.', 'A'.repeat(5000)];

function value(r: Rnd, p: ArgvPools): string {
  switch (Math.floor(r() * 5)) {
    case 0:
      return pick(r, NUMBERS);
    case 1:
      return pick(r, WORDS);
    case 2:
      return pick(r, NASTY);
    case 3:
      return pick(r, [p.recording, p.recording, p.notRecording, p.emptyDir, p.missing, `${p.outDir}/x.core`, `${p.outDir}/new.dlr`]);
    default:
      return fuzzPredicate(r);
  }
}

/** A random argv for `command` (mostly its own options and plausible values, some garbage). */
export function fuzzArgv(command: string, p: ArgvPools, r: Rnd): string[] {
  const argv: string[] = command ? [command] : [];
  const opts = OPTIONS[command] ?? [];
  if (r() < 0.8) argv.push(r() < 0.8 ? p.recording : value(r, p));
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.45 && opts.length) {
      const o = pick(r, opts);
      argv.push(o);
      if (o !== '--json' && o !== '--all' && r() < 0.9) argv.push(value(r, p));
    } else if (x < 0.8) {
      argv.push(value(r, p));
    } else {
      argv.push(pick(r, NASTY));
    }
  }
  if (command === 'record') {
    // Never attach to a real process, never record anything but a short program.
    for (let i = 0; i < argv.length; i++) if (argv[i] === '--attach' && /^\d+$/.test(argv[i + 1] ?? '')) argv[i + 1] = '999999999';
    if (r() < 0.5) argv.push('--', pick(r, ['true', '/bin/true', './missing-program', '/dev/null', '/etc', '', p.notRecording]), ...(r() < 0.3 ? [pick(r, NASTY)] : []));
  }
  if (command === 'open') {
    // On a machine with Electron a valid `open` would start the app: keep it invalid there.
    for (let i = 1; i < argv.length; i++) if (argv[i] === p.recording) argv[i] = p.missing;
  }
  return argv;
}

const ATOMS = ['0', '1', '3', '29', '-1', '0x7fffffffffffffff', '18446744073709551615', '18446744073709551616', '1.5', '1e300', '0.0', '"abc"', '""', '"\\x00\\n"', 'counter', 'squares', 'main', 'nope', 'libc.so.6!environ', 'x!y', '$rip', '$rax', '$rsp', '$2.rax', '$tid:1.rip', '$nosuch'];
const FUNCS = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'f32', 'f64', 'ptr', 'cstr'];
const BINOPS = ['+', '-', '*', '/', '%', '<<', '>>', '&', '|', '^', '&&', '||', '==', '!=', '<', '<=', '>', '>='];
const UNOPS = ['-', '+', '~', '!'];

function expr(r: Rnd, depth: number): string {
  const x = r();
  if (depth <= 0 || x < 0.25) return pick(r, ATOMS);
  if (x < 0.35) return `${pick(r, UNOPS)}${expr(r, depth - 1)}`;
  if (x < 0.4) return `&${pick(r, ['counter', 'squares', 'main', 'nope'])}`;
  if (x < 0.55) return `${pick(r, FUNCS)}(${expr(r, depth - 1)})`;
  if (x < 0.6) return `bytes(${expr(r, depth - 1)}, ${pick(r, ['0', '1', '8', '4096', '100000000', '-1'])})`;
  if (x < 0.7) return `(${expr(r, depth - 1)})`;
  return `${expr(r, depth - 1)} ${pick(r, BINOPS)} ${expr(r, depth - 1)}`;
}

/** A predicate from the grammar; a third of them mutated (characters inserted, dropped, replaced). */
export function fuzzPredicate(r: Rnd): string {
  let s = expr(r, 1 + Math.floor(r() * 5));
  if (r() < 0.35) {
    const chars = '()+-*/%&|^!~<>=,"$.\\x0123456789abcu \t';
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const at = Math.floor(r() * (s.length + 1));
      const m = r();
      if (m < 0.4) s = s.slice(0, at) + chars[Math.floor(r() * chars.length)] + s.slice(at);
      else if (m < 0.7) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at + 1);
    }
  }
  return s;
}
