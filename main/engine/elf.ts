/**
 * A small ELF64 little-endian reader: just what symbolisation needs.
 *
 * It reads the file header, the program headers (PT_LOAD segments, to find a shared object's
 * lowest virtual address), the section headers, and the symbol tables (.symtab and .dynsym),
 * keeping defined functions and objects. Everything is read through a `ByteSource` with
 * positional reads, so a 100 MB binary with debug info costs only its symbol tables, and tests
 * can feed bytes directly.
 *
 * Malformed input is expected (truncated files, garbage, files that are not ELF at all): every
 * offset and size taken from the file is bounds-checked before use and failures throw ElfError,
 * which names the file and what was wrong. Nothing here throws anything else for bad input.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export class ElfError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ElfError';
  }
}

/** Positional reads over a file or a buffer. `read` returns exactly `length` bytes or throws. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

export type ElfKind = 'exec' | 'dyn' | 'rel' | 'core' | 'other';
export type ElfSymbolType = 'func' | 'object' | 'ifunc';
export type ElfSymbolBind = 'local' | 'global' | 'weak' | 'other';

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint; // virtual address in the file's own address space
  readonly size: bigint;
  readonly type: ElfSymbolType;
  readonly bind: ElfSymbolBind;
  readonly table: 'symtab' | 'dynsym';
  /** Index of the section it is defined in. */
  readonly section: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly entsize: bigint;
}

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

export interface ElfFile {
  readonly path: string;
  readonly kind: ElfKind;
  readonly machine: number;
  readonly entry: bigint;
  readonly sections: readonly ElfSection[];
  /** PT_LOAD segments, in file order. */
  readonly loads: readonly ElfSegment[];
  /** Lowest PT_LOAD vaddr rounded down to its page: the load base is mapping start minus this. */
  readonly minLoadVaddr: bigint;
  /** Defined functions and objects from .symtab and .dynsym (a name present in both appears once). */
  readonly symbols: readonly ElfSymbol[];
}

export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const SHT_DYNSYM = 11;
const SHT_NOBITS = 8;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00; // SHN_ABS, SHN_COMMON...: not addresses inside a section
const SHN_XINDEX = 0xffff;
export const EM_X86_64 = 62;

/** A ByteSource over an in-memory buffer. */
export function bufferSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        throw new ElfError(name, `read of ${length} bytes at offset ${offset} is past the end of the file (${bytes.length} bytes)`);
      }
      return bytes.subarray(offset, offset + length);
    },
  };
}

/**
 * Reads the ELF file at `path` (opened, parsed, closed). Throws ElfError. Paths come from
 * recordings, which may be hostile: a FIFO or a device is refused without blocking on it.
 */
export function readElfFile(path: string): ElfFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ElfError(path, `cannot open: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ElfError(path, 'not a regular file');
    const size = st.size;
    const source: ByteSource = {
      name: path,
      size,
      read(offset, length) {
        if (offset < 0 || length < 0 || offset + length > size) {
          throw new ElfError(path, `read of ${length} bytes at offset ${offset} is past the end of the file (${size} bytes)`);
        }
        const buf = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, buf, done, length - done, offset + done);
          if (n === 0) throw new ElfError(path, `file shrank while reading at offset ${offset + done}`);
          done += n;
        }
        return buf;
      },
    };
    return parseElf(source);
  } finally {
    closeSync(fd);
  }
}

/** Parses an ELF64 little-endian file. Throws ElfError naming the problem. */
export function parseElf(src: ByteSource): ElfFile {
  const fail = (msg: string): never => {
    throw new ElfError(src.name, msg);
  };
  if (src.size < 64) fail(src.size >= 4 && isElfMagic(src.read(0, 4)) ? `truncated ELF header (${src.size} bytes, need 64)` : 'not an ELF file (too short)');
  const hdr = view(src.read(0, 64));
  if (!isElfMagic(src.read(0, 4))) fail('not an ELF file (bad magic)');
  if (hdr.getUint8(4) !== 2) fail(`unsupported ELF class ${hdr.getUint8(4)} (only 64-bit ELF is supported)`);
  if (hdr.getUint8(5) !== 1) fail(`unsupported ELF data encoding ${hdr.getUint8(5)} (only little-endian is supported)`);

  const etype = hdr.getUint16(16, true);
  const kind: ElfKind = etype === 2 ? 'exec' : etype === 3 ? 'dyn' : etype === 1 ? 'rel' : etype === 4 ? 'core' : 'other';
  const machine = hdr.getUint16(18, true);
  const entry = hdr.getBigUint64(24, true);
  const phoff = hdr.getBigUint64(32, true);
  const shoff = hdr.getBigUint64(40, true);
  const phentsize = hdr.getUint16(54, true);
  const phnum = hdr.getUint16(56, true);
  const shentsize = hdr.getUint16(58, true);
  let shnum = hdr.getUint16(60, true);
  let shstrndx = hdr.getUint16(62, true);

  /** Checks that [off, off+len) lies within the file and returns it as numbers. */
  const range = (off: bigint, len: bigint, what: string): [number, number] => {
    if (off < 0n || len < 0n || off + len > BigInt(src.size)) {
      fail(`${what} (offset ${off}, ${len} bytes) lies outside the file (${src.size} bytes)`);
    }
    return [Number(off), Number(len)];
  };

  // Program headers.
  const loads: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < 56) fail(`program header entry size ${phentsize} is too small (need 56)`);
    const [off, len] = range(phoff, BigInt(phentsize) * BigInt(phnum), 'program header table');
    const ph = view(src.read(off, len));
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      if (ph.getUint32(b, true) !== PT_LOAD) continue;
      loads.push({
        type: PT_LOAD,
        flags: ph.getUint32(b + 4, true),
        offset: ph.getBigUint64(b + 8, true),
        vaddr: ph.getBigUint64(b + 16, true),
        filesz: ph.getBigUint64(b + 32, true),
        memsz: ph.getBigUint64(b + 40, true),
        align: ph.getBigUint64(b + 48, true),
      });
    }
  }
  let minLoadVaddr = 0n;
  if (loads.length > 0) {
    minLoadVaddr = loads.reduce((m, s) => (s.vaddr < m ? s.vaddr : m), loads[0]!.vaddr) & ~0xfffn;
  }

  // Section headers (with the extended numbering of huge files: counts kept in section 0).
  const sections: ElfSection[] = [];
  if (shoff !== 0n) {
    if (shentsize < 64) fail(`section header entry size ${shentsize} is too small (need 64)`);
    if (shnum === 0 || shstrndx === SHN_XINDEX) {
      const [off0] = range(shoff, 64n, 'section header 0');
      const s0 = view(src.read(off0, 64));
      if (shnum === 0) {
        const n = s0.getBigUint64(32, true);
        if (n > 1_000_000n) fail(`implausible section count ${n}`);
        shnum = Number(n);
      }
      if (shstrndx === SHN_XINDEX) shstrndx = s0.getUint32(40, true);
    }
    const [off, len] = range(shoff, BigInt(shentsize) * BigInt(shnum), 'section header table');
    const sh = view(src.read(off, len));
    const raw: Array<Omit<ElfSection, 'name'> & { nameOff: number }> = [];
    for (let i = 0; i < shnum; i++) {
      const b = i * shentsize;
      raw.push({
        index: i,
        nameOff: sh.getUint32(b, true),
        type: sh.getUint32(b + 4, true),
        flags: sh.getBigUint64(b + 8, true),
        addr: sh.getBigUint64(b + 16, true),
        offset: sh.getBigUint64(b + 24, true),
        size: sh.getBigUint64(b + 32, true),
        link: sh.getUint32(b + 40, true),
        info: sh.getUint32(b + 44, true),
        entsize: sh.getBigUint64(b + 56, true),
      });
    }
    let names: Uint8Array | null = null;
    const strSec = shstrndx < raw.length ? raw[shstrndx] : undefined;
    if (strSec && strSec.type !== SHT_NOBITS) {
      const [o, l] = range(strSec.offset, strSec.size, 'section name string table');
      names = src.read(o, l);
    }
    for (const { nameOff, ...rest } of raw) sections.push({ ...rest, name: names ? cString(names, nameOff) : '' });
  }

  // Symbol tables: .symtab first (it has locals too), then .dynsym for what stripped files keep.
  const symbols: ElfSymbol[] = [];
  const seen = new Set<string>();
  for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (const sec of sections) {
      if (sec.type !== type) continue;
      const table = type === SHT_SYMTAB ? 'symtab' : 'dynsym';
      const entsize = sec.entsize === 0n ? 24n : sec.entsize;
      if (entsize < 24n) fail(`${sec.name || table}: symbol entry size ${entsize} is too small (need 24)`);
      const strtab = sections[sec.link];
      if (!strtab) fail(`${sec.name || table}: string table index ${sec.link} does not exist`);
      const [so, sl] = range(strtab!.offset, strtab!.size, `${sec.name || table} string table`);
      const strs = src.read(so, sl);
      const [o, l] = range(sec.offset, sec.size, `${sec.name || table} section`);
      const data = view(src.read(o, l));
      const count = Math.floor(l / Number(entsize));
      const es = Number(entsize);
      for (let i = 1; i < count; i++) {
        const b = i * es;
        const info = data.getUint8(b + 4);
        const stype = info & 0xf;
        const symType: ElfSymbolType | null = stype === 1 ? 'object' : stype === 2 ? 'func' : stype === 10 ? 'ifunc' : null;
        if (!symType) continue;
        const shndx = data.getUint16(b + 6, true);
        if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
        const name = cString(strs, data.getUint32(b, true));
        if (!name) continue;
        const value = data.getBigUint64(b + 8, true);
        const key = `${name}@${value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const bindCode = info >> 4;
        symbols.push({
          name,
          value,
          size: data.getBigUint64(b + 16, true),
          type: symType,
          bind: bindCode === 0 ? 'local' : bindCode === 1 ? 'global' : bindCode === 2 ? 'weak' : 'other',
          table,
          section: shndx,
        });
      }
    }
  }

  return { path: src.name, kind, machine, entry, sections, loads, minLoadVaddr, symbols };
}

function isElfMagic(b: Uint8Array): boolean {
  return b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const latin1 = new TextDecoder('latin1');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The NUL-terminated string at `off` in a string table; '' when out of bounds. */
function cString(table: Uint8Array, off: number): string {
  if (off >= table.length) return '';
  let end = off;
  while (end < table.length && table[end] !== 0) end++;
  const bytes = table.subarray(off, end);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}
