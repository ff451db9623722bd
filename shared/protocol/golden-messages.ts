/**
 * The fixed message sequence behind golden.bin. native-recorder/tests/unit/wire_golden.c builds the
 * same sequence with the C encoder; both must produce golden.bin byte for byte.
 */
import { Backend, MessageType, Trigger, WIRE_VERSION, type WireMessage } from './wire.js';

const page = (f: (i: number) => number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => f(i) & 0xff);

export const GOLDEN_MESSAGES: WireMessage[] = [
  {
    type: MessageType.Hello,
    version: WIRE_VERSION,
    pageSize: 4096,
    pid: 4242,
    backend: Backend.UffdWp,
    flags: 1,
    exe: '/usr/bin/prog',
    cwd: '/home/u',
    argv: ['prog', '-x', 'é'],
  },
  { type: MessageType.Maps, text: '00400000-00401000 r-xp 00000000 08:01 1234 /usr/bin/prog\n' },
  {
    type: MessageType.CheckpointBegin,
    seq: 7n,
    timeNs: 123456789012345n,
    trigger: Trigger.Syscall,
    tid: 4243,
    detail: 1n,
    args: [1n, 0x7ffd0000n, 14n, 0n, 0n, 0xffffffffffffffffn],
  },
  { type: MessageType.Output, data: Uint8Array.from([...'i=6\r\n'].map((c) => c.charCodeAt(0)).concat([0x1b, 0x5b, 0x6d, 0xff])) },
  { type: MessageType.ZeroRanges, ranges: [[0x10000n, 0x20000n]] },
  {
    type: MessageType.Pages,
    addrs: [0x7f0000001000n, 0x7f0000003000n],
    data: new Uint8Array([...page((i) => i), ...page((i) => i * 7 + 3)]),
    pageSize: 4096,
  },
  { type: MessageType.Regs, tid: 4243, gp: Uint8Array.from({ length: 216 }, (_, i) => i), fp: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) },
  { type: MessageType.CheckpointEnd, seq: 7n, pageCount: 2, threadCount: 1 },
  { type: MessageType.Error, errno: 1, fatal: false, message: 'uffd: EPERM' },
  { type: MessageType.Exec, exe: '/bin/true' },
  { type: MessageType.Exit, kind: 1, code: 11 },
  { type: MessageType.RequestCheckpoint },
  { type: MessageType.Stop, action: 1 },
];
