/**
 * Facts about the recorded process at a checkpoint that both gdb faces (core files and the
 * remote stub) hand to gdb: the auxiliary vector, the order of threads, which mappings hold
 * memory worth showing.
 *
 * The auxiliary vector is not recorded as such, but the kernel leaves it on the initial stack
 * (above argc, argv and envp, below the strings) and nothing moves it: it is found by scanning
 * the main stack mapping from its top for the run the kernel always writes in this order,
 * AT_PHDR (3), AT_PHENT (4) = 56, AT_PHNUM (5), then walking back to the vector's start (the
 * entry before it is envp's NULL terminator or a stack pointer, never a small type) and on to
 * AT_NULL. The highest match wins: copies further down would be in frames. This works for
 * launched and attached recordings alike. gdb needs it to relocate a PIE executable
 * (AT_ENTRY) and to find the dynamic linker (AT_BASE) and the vDSO (AT_SYSINFO_EHDR).
 *
 * The shared library list is the dynamic linker's, read from memory the way a debugger does:
 * the executable's program headers (AT_PHDR) give its load bias and PT_DYNAMIC, whose
 * DT_DEBUG entry points at r_debug, whose r_map heads the link_map chain (l_addr, l_name,
 * l_ld, l_next).
 */
import type { MapEntry, ThreadRegisters } from '../../shared/model/recording.js';
import type { RecordingReader } from '../store/types.js';
import { UnmappedError } from '../store/types.js';

export const PAGE_SIZE = 4096;

const AT_NULL = 0n;
const AT_PHDR = 3n;
const AT_PHENT = 4n;
const AT_PHNUM = 5n;
const ELF64_PHDR_SIZE = 56n;
const MAX_AUXV_TYPE = 64n; // every AT_* the kernel writes is below this
const MAX_AUXV_ENTRIES = 64;

/** Kernel-only mappings gdb must not be shown (no data behind them, or not readable at all). */
const SPECIAL = new Set(['[vvar]', '[vvar_vclock]', '[vsyscall]']);

/** Mappings whose bytes a debugger can read: readable and not kernel-special. */
export function dumpableMaps(maps: readonly MapEntry[]): MapEntry[] {
  return maps.filter((m) => m.perms[0] === 'r' && !SPECIAL.has(m.path));
}

/**
 * Threads at k, the one that triggered the checkpoint first (as the kernel puts the thread
 * that dumped first: gdb selects it), then the main thread, then the rest by tid.
 */
export function orderedThreads(reader: RecordingReader, k: number): ThreadRegisters[] {
  const first = reader.checkpoint(k).tid;
  const pid = reader.meta.pid;
  const rank = (t: ThreadRegisters): number => (t.tid === first ? 0 : t.tid === pid ? 1 : 2);
  return [...reader.registersAt(k)].sort((a, b) => rank(a) - rank(b) || a.tid - b.tid);
}

/** The signal that stopped the process at k (a 'signal' checkpoint), else 0. */
export function signalAt(reader: RecordingReader, k: number): number {
  const c = reader.checkpoint(k);
  return c.trigger === 'signal' ? Number(c.detail) : 0;
}

/** The auxiliary vector at k as the kernel's NT_AUXV / qXfer:auxv hold it (pairs of u64, AT_NULL last), or null. */
export function findAuxv(reader: RecordingReader, k: number): Uint8Array | null {
  const stack = reader.mapsAt(k).find((m) => m.path === '[stack]');
  if (!stack) return null;
  // Scan windows growing down from the top of the stack: the vector is usually in the top page
  // or two, under the argument and environment strings.
  for (let size = 64n * 1024n; ; size *= 4n) {
    const start = stack.end - size > stack.start ? stack.end - size : stack.start;
    const bytes = readReadable(reader, k, start, stack.end);
    const found = scanAuxv(bytes);
    if (found) return found;
    if (start === stack.start) return null;
  }
}

/** Bytes [start, end) at k, with pages that cannot be read left zero. */
function readReadable(reader: RecordingReader, k: number, start: bigint, end: bigint): Uint8Array {
  const out = new Uint8Array(Number(end - start));
  for (let a = start; a < end; a += BigInt(PAGE_SIZE)) {
    try {
      out.set(reader.pageAt(k, a), Number(a - start));
    } catch (e) {
      if (!(e instanceof UnmappedError)) throw e;
    }
  }
  return out;
}

function scanAuxv(bytes: Uint8Array): Uint8Array | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number): bigint => v.getBigUint64(i * 8, true);
  const words = Math.floor(bytes.length / 8);
  for (let i = words - 6; i >= 0; i--) {
    if (word(i) !== AT_PHDR || word(i + 2) !== AT_PHENT || word(i + 3) !== ELF64_PHDR_SIZE || word(i + 4) !== AT_PHNUM) continue;
    let first = i;
    while (first >= 2 && word(first - 2) !== AT_NULL && word(first - 2) < MAX_AUXV_TYPE && i - first < MAX_AUXV_ENTRIES * 2) first -= 2;
    let end = i;
    while (end + 1 < words && word(end) !== AT_NULL && end - first < MAX_AUXV_ENTRIES * 2) end += 2;
    if (end + 1 >= words || word(end) !== AT_NULL) continue;
    return bytes.slice(first * 8, (end + 2) * 8);
  }
  return null;
}

const PT_DYNAMIC = 2;
const PT_PHDR = 6;
const DT_NULL = 0n;
const DT_DEBUG = 21n;
const MAX_LIBRARIES = 4096;
const MAX_NAME = 4096;

export interface LinkMapEntry {
  readonly name: string;
  readonly lm: bigint; // the link_map's address
  readonly lAddr: bigint; // load bias
  readonly lLd: bigint; // address of its dynamic section
}

export interface LinkMap {
  readonly mainLm: bigint;
  /** The entries after the executable's, in the dynamic linker's order (named ones only). */
  readonly libraries: readonly LinkMapEntry[];
}

/** The dynamic linker's list of loaded objects at k, or null (static executable, not yet set up). */
export function linkMapAt(reader: RecordingReader, k: number): LinkMap | null {
  const auxv = findAuxv(reader, k);
  const phdr = auxv && auxvValue(auxv, AT_PHDR);
  const phnum = auxv && auxvValue(auxv, AT_PHNUM);
  if (!phdr || !phnum || phnum > 256n) return null;
  const u64 = (addr: bigint): bigint | null => {
    const b = tryRead(reader, k, addr, 8);
    return b && new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
  const headers = tryRead(reader, k, phdr, Number(phnum) * Number(ELF64_PHDR_SIZE));
  if (!headers) return null;
  const hv = new DataView(headers.buffer, headers.byteOffset, headers.byteLength);
  let bias: bigint | null = null;
  let dynamic: bigint | null = null;
  for (let i = 0; i < Number(phnum); i++) {
    const type = hv.getUint32(i * 56, true);
    const vaddr = hv.getBigUint64(i * 56 + 16, true);
    if (type === PT_PHDR) bias = phdr - vaddr;
    if (type === PT_DYNAMIC) dynamic = vaddr;
  }
  if (bias === null || dynamic === null) return null;
  let rDebug: bigint | null = null;
  for (let d = bias + dynamic, i = 0; i < 1024; i++, d += 16n) {
    const tag = u64(d);
    if (tag === null || tag === DT_NULL) break;
    if (tag === DT_DEBUG) rDebug = u64(d + 8n);
  }
  const mainLm = rDebug ? u64(rDebug + 8n) : null;
  if (!mainLm) return null;
  const libraries: LinkMapEntry[] = [];
  for (let lm = u64(mainLm + 24n), n = 0; lm && n < MAX_LIBRARIES; lm = u64(lm + 24n), n++) {
    const lAddr = u64(lm);
    const namePtr = u64(lm + 8n);
    const lLd = u64(lm + 16n);
    if (lAddr === null || namePtr === null || lLd === null) break;
    const name = namePtr ? readCString(reader, k, namePtr) : '';
    if (name) libraries.push({ name, lm, lAddr, lLd });
  }
  return { mainLm, libraries };
}

function tryRead(reader: RecordingReader, k: number, addr: bigint, len: number): Uint8Array | null {
  try {
    return reader.readMemory(k, addr, len);
  } catch (e) {
    if (e instanceof UnmappedError || e instanceof RangeError) return null;
    throw e;
  }
}

function readCString(reader: RecordingReader, k: number, addr: bigint): string {
  const bytes: number[] = [];
  for (let a = addr; bytes.length < MAX_NAME; ) {
    const chunk = tryRead(reader, k, a, PAGE_SIZE - Number(a % BigInt(PAGE_SIZE)));
    if (!chunk) break;
    const end = chunk.indexOf(0);
    bytes.push(...chunk.subarray(0, end < 0 ? chunk.length : end));
    if (end >= 0) break;
    a += BigInt(chunk.length);
  }
  return Buffer.from(bytes.slice(0, MAX_NAME)).toString('utf8');
}

/** One value of an auxiliary vector (AT_ENTRY = 9, AT_BASE = 7, ...), or null. */
export function auxvValue(auxv: Uint8Array, type: bigint): bigint | null {
  const v = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  for (let i = 0; i + 16 <= auxv.length; i += 16) {
    const t = v.getBigUint64(i, true);
    if (t === type) return v.getBigUint64(i + 8, true);
    if (t === AT_NULL) break;
  }
  return null;
}
