/**
 * An ELF64 core file (ET_CORE, x86-64) of the recorded process as it was at one checkpoint, so
 * that `gdb PROGRAM FILE` shows it like a crash dump: globals, locals, backtraces, threads.
 *
 * Layout, as the Linux kernel writes one (fs/binfmt_elf.c):
 *
 *   ELF header | program headers: PT_NOTE, then one PT_LOAD per readable mapping | notes
 *   | (page aligned) each mapping's bytes in turn
 *
 * Notes, first thread first (the one that triggered the checkpoint; gdb selects it):
 *   CORE  NT_PRSTATUS    per thread: elf_prstatus with pr_pid = tid and pr_reg = the recorded
 *                        user_regs_struct (on x86-64 elf_gregset_t is exactly its 27 u64, same order)
 *   CORE  NT_PRPSINFO    once, after the first thread's status: name and arguments
 *   CORE  NT_AUXV        once: found on the initial stack (process.ts); omitted if not found
 *   CORE  NT_FILE        once: the file mappings (start, end, offset in pages, path)
 *   CORE  NT_FPREGSET    per thread: the 512-byte FXSAVE region of the XSAVE area
 *   LINUX NT_X86_XSTATE  per thread: the whole XSAVE area (gdb reads XCR0 from its bytes 464..471)
 *
 * gdb 13 assumes Intel's XSAVE layout (AVX-512 state up to byte 2688) and wants the area to be
 * exactly as long as XCR0 implies, else it warns and ignores it. AMD CPUs lay AVX-512 out more
 * tightly (2432 bytes on Zen 4), so when the area is too small for Intel's layout the note's
 * XCR0 keeps only x87, SSE and AVX, whose offsets every CPU shares (gdb then shows ymm, just
 * not zmm/k), and the area is cut to the length XCR0 implies.
 *
 * Every readable mapping (but [vvar] and [vsyscall]) is dumped in full, file-backed text too,
 * so the core stands alone. Pages the store cannot give (never captured) are zero. The body is
 * streamed page by page with positioned writes: zero pages are skipped and the file is
 * truncated to its full length at the end, so it is sparse and memory use stays flat however
 * big the process was. More than 65534 program headers use the PN_XNUM escape (the real count
 * in section header 0's sh_info), as the kernel does.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { MapEntry, ThreadRegisters } from '../../shared/model/recording.js';
import { USER_REGS_SIZE } from '../engine/registers.js';
import { UnmappedError, type RecordingReader } from '../store/types.js';
import { dumpableMaps, findAuxv, orderedThreads, PAGE_SIZE, signalAt } from './process.js';
import { checkpointOutOfRange } from '../../shared/api/format.js';

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;
const ET_CORE = 4;
const EM_X86_64 = 62;
const NT_PRSTATUS = 1;
const NT_FPREGSET = 2;
const NT_PRPSINFO = 3;
const NT_AUXV = 6;
const NT_FILE = 0x46494c45;
const NT_X86_XSTATE = 0x202;
const PRSTATUS_SIZE = 336; // struct elf_prstatus on x86-64
const PRSTATUS_REG_OFFSET = 112;
const PRPSINFO_SIZE = 136;
const FXSAVE_SIZE = 512;
const WRITE_BATCH = 256; // pages per write

export class CoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoreError';
  }
}

/** The output file exists and was left alone (see CoreOptions.replace). */
export class CoreExistsError extends CoreError {}

export interface CoreSummary {
  readonly path: string;
  readonly checkpoint: number;
  /** The file's length (it is sparse: zero pages take no disk). */
  readonly size: number;
  /** Bytes actually written (headers, notes and non-zero pages). */
  readonly written: number;
  readonly segments: number;
  readonly threads: number;
  readonly auxv: boolean;
  readonly ms: number;
}

export interface CoreOptions {
  /** Called after each batch of pages: bytes of mappings done, out of total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Replace a file already at `path` (by rename: whatever was there is never written). */
  readonly replace?: boolean;
}

/**
 * Writes the core file of checkpoint k to `path`: a new file of mode 0600 (a memory image holds
 * the program's secrets, like a recording), never through a symbolic link, never into an
 * existing file. An existing one is refused unless `replace`; then the core is written to a
 * new temporary file in the same directory and renamed over it, so it is replaced atomically.
 */
export async function writeCore(reader: RecordingReader, k: number, path: string, opts: CoreOptions = {}): Promise<CoreSummary> {
  const t0 = performance.now();
  if (!Number.isInteger(k) || k < 0 || k >= reader.checkpointCount) {
    throw new CoreError(checkpointOutOfRange(k, reader.checkpointCount));
  }
  const maps = reader.mapsAt(k);
  const segments = dumpableMaps(maps);
  const threads = orderedThreads(reader, k);
  if (threads.length === 0) throw new CoreError(`checkpoint ${k} has no thread registers`);
  const auxv = findAuxv(reader, k);
  const notes = buildNotes(reader, k, threads, maps, auxv);

  const phnum = segments.length + 1;
  const extended = phnum >= PN_XNUM;
  const phoff = EHDR_SIZE;
  const shoff = extended ? phoff + phnum * PHDR_SIZE : 0;
  const notesOffset = phoff + phnum * PHDR_SIZE + (extended ? SHDR_SIZE : 0);
  const dataOffset = alignUp(notesOffset + notes.length, PAGE_SIZE);

  const head = Buffer.alloc(notesOffset);
  head.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* little-endian */, 1 /* EV_CURRENT */], 0);
  head.writeUInt16LE(ET_CORE, 16);
  head.writeUInt16LE(EM_X86_64, 18);
  head.writeUInt32LE(1, 20);
  head.writeBigUInt64LE(BigInt(phoff), 32);
  head.writeBigUInt64LE(BigInt(shoff), 40);
  head.writeUInt16LE(EHDR_SIZE, 52);
  head.writeUInt16LE(PHDR_SIZE, 54);
  head.writeUInt16LE(extended ? PN_XNUM : phnum, 56);
  head.writeUInt16LE(extended ? SHDR_SIZE : 0, 58);
  head.writeUInt16LE(extended ? 1 : 0, 60);
  if (extended) head.writeUInt32LE(phnum, shoff + 44); // section 0: sh_info = real phnum

  const phdr = (i: number, type: number, flags: number, offset: number, vaddr: bigint, filesz: bigint, align: number): void => {
    const o = phoff + i * PHDR_SIZE;
    head.writeUInt32LE(type, o);
    head.writeUInt32LE(flags, o + 4);
    head.writeBigUInt64LE(BigInt(offset), o + 8);
    head.writeBigUInt64LE(vaddr, o + 16);
    head.writeBigUInt64LE(filesz, o + 32);
    head.writeBigUInt64LE(filesz, o + 40); // memsz
    head.writeBigUInt64LE(BigInt(align), o + 48);
  };
  phdr(0, PT_NOTE, 0, notesOffset, 0n, BigInt(notes.length), 4);
  let offset = dataOffset;
  segments.forEach((m, i) => {
    phdr(i + 1, PT_LOAD, permFlags(m.perms), offset, m.start, m.end - m.start, PAGE_SIZE);
    offset += Number(m.end - m.start);
  });
  const size = offset;

  const target = opts.replace ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`) : path;
  if (opts.replace && (await lstat(path).catch(() => null))?.isDirectory()) throw new CoreError(`${path} is a directory`);
  let file;
  try {
    file = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CoreExistsError(`${path} already exists (nothing was written)`);
    throw e;
  }
  let written = 0;
  let complete = false;
  try {
    await file.write(head, 0, head.length, 0);
    await file.write(notes, 0, notes.length, notesOffset);
    written += head.length + notes.length;
    const total = size - dataOffset;
    let pos = dataOffset;
    // A run of consecutive non-zero pages, written at once.
    const run = Buffer.alloc(WRITE_BATCH * PAGE_SIZE); // reused: each write is awaited
    let runStart = pos;
    let runLen = 0;
    const flush = async (): Promise<void> => {
      if (runLen > 0) await file.write(run, 0, runLen, runStart);
      written += runLen;
      runLen = 0;
    };
    const zero = Buffer.alloc(PAGE_SIZE);
    for (const m of segments) {
      for (let a = m.start; a < m.end; a += BigInt(PAGE_SIZE), pos += PAGE_SIZE) {
        const page = pageOrNull(reader, k, a);
        if (!page || zero.equals(page)) {
          await flush();
          continue;
        }
        if (runLen === 0) runStart = pos;
        run.set(page, runLen);
        runLen += PAGE_SIZE;
        if (runLen === run.length) {
          await flush();
          opts.onProgress?.(pos + PAGE_SIZE - dataOffset, total);
        }
      }
    }
    await flush();
    await file.truncate(size);
    if (opts.replace) await file.sync();
    complete = true;
  } finally {
    await file.close();
    if (!complete && opts.replace) await unlink(target).catch(() => undefined);
  }
  if (opts.replace) {
    try {
      await rename(target, path);
    } catch (e) {
      await unlink(target).catch(() => undefined);
      throw e;
    }
  }
  return { path, checkpoint: k, size, written, segments: segments.length, threads: threads.length, auxv: auxv !== null, ms: performance.now() - t0 };
}

function pageOrNull(reader: RecordingReader, k: number, addr: bigint): Uint8Array | null {
  try {
    return reader.pageAt(k, addr);
  } catch (e) {
    if (e instanceof UnmappedError) return null;
    throw e;
  }
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function permFlags(perms: string): number {
  return (perms[0] === 'r' ? 4 : 0) | (perms[1] === 'w' ? 2 : 0) | (perms[2] === 'x' ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Notes

function note(name: string, type: number, desc: Uint8Array): Buffer {
  const nameBytes = Buffer.from(name + '\0', 'latin1');
  const out = Buffer.alloc(12 + alignUp(nameBytes.length, 4) + alignUp(desc.length, 4));
  out.writeUInt32LE(nameBytes.length, 0);
  out.writeUInt32LE(desc.length, 4);
  out.writeUInt32LE(type, 8);
  nameBytes.copy(out, 12);
  out.set(desc, 12 + alignUp(nameBytes.length, 4));
  return out;
}

function buildNotes(reader: RecordingReader, k: number, threads: readonly ThreadRegisters[], maps: readonly MapEntry[], auxv: Uint8Array | null): Buffer {
  const signal = signalAt(reader, k);
  const parts: Buffer[] = [];
  threads.forEach((t, i) => {
    if (t.gp.length !== USER_REGS_SIZE) throw new CoreError(`thread ${t.tid} at checkpoint ${k}: ${t.gp.length} bytes of registers, expected an x86-64 user_regs_struct (${USER_REGS_SIZE})`);
    parts.push(note('CORE', NT_PRSTATUS, prstatus(t, i === 0 ? signal : 0)));
    if (i === 0) {
      parts.push(note('CORE', NT_PRPSINFO, prpsinfo(reader, k)));
      if (auxv) parts.push(note('CORE', NT_AUXV, auxv));
      parts.push(note('CORE', NT_FILE, fileNote(maps)));
    }
    if (t.fp.length >= FXSAVE_SIZE) {
      parts.push(note('CORE', NT_FPREGSET, t.fp.subarray(0, FXSAVE_SIZE)));
      if (t.fp.length > FXSAVE_SIZE) parts.push(note('LINUX', NT_X86_XSTATE, xstateForGdb(t.fp)));
    }
  });
  return Buffer.concat(parts);
}

/**
 * struct elf_prstatus: pr_info (signo, code, errno), pr_cursig, pr_sigpend/hold, pids, times,
 * pr_reg, pr_fpvalid. Parent, group, session and times are not recorded: zero.
 */
function prstatus(t: ThreadRegisters, signal: number): Buffer {
  const b = Buffer.alloc(PRSTATUS_SIZE);
  b.writeInt32LE(signal, 0); // pr_info.si_signo
  b.writeInt16LE(signal, 12); // pr_cursig
  b.writeInt32LE(t.tid, 32); // pr_pid
  b.set(t.gp, PRSTATUS_REG_OFFSET);
  b.writeInt32LE(t.fp.length >= FXSAVE_SIZE ? 1 : 0, PRSTATUS_REG_OFFSET + USER_REGS_SIZE); // pr_fpvalid
  return b;
}

/** struct elf_prpsinfo: state, flags, ids, pr_fname[16], pr_psargs[80]. */
function prpsinfo(reader: RecordingReader, k: number): Buffer {
  const b = Buffer.alloc(PRPSINFO_SIZE);
  const program = reader.programAt(k);
  const args = program === reader.meta.program ? reader.meta.argv.join(' ') : program;
  b.write('S', 1, 'latin1'); // pr_sname: sleeping (stopped by the recorder)
  b.writeInt32LE(reader.meta.pid, 24);
  Buffer.from(basename(program), 'utf8').subarray(0, 15).copy(b, 40);
  Buffer.from(args, 'utf8').subarray(0, 79).copy(b, 56);
  return b;
}

const XCR0_OFFSET = 464; // in the FXSAVE region's software-available bytes, as ptrace leaves it
const XSTATE_BV_OFFSET = 512;
const XCR0_X87_SSE = 0x3n;
const XCR0_X87_SSE_AVX = 0x7n;
const XCR0_GDB13 = 0x2ffn; // x87, SSE, AVX, MPX, AVX-512, PKRU: what gdb 13's layout table covers

/** The area gdb 13 expects for an XCR0 (its X86_XSTATE_SIZE: Intel's standard-format layout). */
function intelXsaveSize(xcr0: bigint): number {
  if (xcr0 & 0x200n) return 2696; // PKRU
  if (xcr0 & 0xe0n) return 2688; // AVX-512
  if (xcr0 & 0x18n) return 1088; // MPX
  if (xcr0 & 0x4n) return 832; // AVX
  return 576;
}

/**
 * The XSAVE area as gdb 13 takes it: XCR0 (and XSTATE_BV) limited to the components it knows,
 * and to x87/SSE/AVX when the area is too small for Intel's layout of the rest; the area cut
 * to exactly the size that XCR0 implies (gdb warns about any other size).
 */
function xstateForGdb(fp: Uint8Array): Uint8Array {
  if (fp.length < XSTATE_BV_OFFSET + 8) return fp;
  const xcr0 = new DataView(fp.buffer, fp.byteOffset, fp.byteLength).getBigUint64(XCR0_OFFSET, true);
  let known = xcr0 & XCR0_GDB13;
  if (intelXsaveSize(known) > fp.length) known &= XCR0_X87_SSE_AVX;
  if (intelXsaveSize(known) > fp.length) known &= XCR0_X87_SSE;
  const out = fp.slice(0, intelXsaveSize(known));
  const w = new DataView(out.buffer);
  w.setBigUint64(XCR0_OFFSET, known, true);
  w.setBigUint64(XSTATE_BV_OFFSET, w.getBigUint64(XSTATE_BV_OFFSET, true) & known, true);
  return out;
}

/** NT_FILE: count, page size, then (start, end, offset in pages) per file mapping, then the paths. */
function fileNote(maps: readonly MapEntry[]): Buffer {
  const files = maps.filter((m) => m.path.startsWith('/'));
  const head = Buffer.alloc(16 + files.length * 24);
  head.writeBigUInt64LE(BigInt(files.length), 0);
  head.writeBigUInt64LE(BigInt(PAGE_SIZE), 8);
  files.forEach((m, i) => {
    head.writeBigUInt64LE(m.start, 16 + i * 24);
    head.writeBigUInt64LE(m.end, 24 + i * 24);
    head.writeBigUInt64LE(m.offset / BigInt(PAGE_SIZE), 32 + i * 24);
  });
  return Buffer.concat([head, ...files.map((m) => Buffer.from(m.path + '\0', 'utf8'))]);
}
