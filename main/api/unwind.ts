/**
 * Stack unwinding at a checkpoint from DWARF call-frame information (.eh_frame), the way a
 * debugger finds the callers of a thread stopped inside a library. The source view uses it:
 * a program stopped in write() inside libc has no source there, but its caller in the program
 * does.
 *
 * For each frame: find the module holding pc (relocated symbol tables of the engine), the FDE
 * covering pc in that file's .eh_frame (all FDEs parsed once per file, sorted), run the CIE's
 * and FDE's CFA program up to pc, then CFA = register + offset, the return address and saved
 * registers are read from memory at CFA + their offsets (the recording's memory at that
 * checkpoint), and the caller's rsp is the CFA. Only what x86-64 code generators emit is
 * understood; anything else (expression rules, a file without CFI, unmapped stack) ends the
 * walk, never throws: an unwinder that stops early is better than one that invents frames.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ElfFile } from '../engine/elf.js';
import type { Engine } from '../engine/engine.js';
import { UnmappedError } from '../store/types.js';

export interface UnwoundFrame {
  /** Frame 0: where the thread is stopped; others: the return address into that frame. */
  readonly pc: bigint;
  readonly cfa: bigint;
}

const RSP = 7;
const RA = 16;
/** DWARF register numbers (x86-64 psABI) of the general registers. */
const DWARF_NAMES = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'] as const;

interface Cie {
  /** 'z' augmentation: FDEs carry an augmentation data length. */
  readonly hasAugData: boolean;
  readonly codeAlign: number;
  readonly dataAlign: number;
  readonly raReg: number;
  readonly fdeEncoding: number;
  readonly signalFrame: boolean;
  readonly insns: Uint8Array;
}

interface Fde {
  readonly start: bigint; // file vaddr
  readonly end: bigint;
  readonly cie: Cie;
  readonly insns: Uint8Array;
}

interface Row {
  cfaReg: number;
  cfaOffset: bigint;
  /** Register -> offset from the CFA where its caller's value is saved. */
  saved: Map<number, bigint>;
}

class Cursor {
  pos: number;
  constructor(
    readonly b: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new RangeError('truncated CFI');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b[this.pos]! | (this.b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getUint32(0, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }
  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (!(byte & 0x80)) return result;
      if (shift > 70n) throw new RangeError('overlong LEB128');
    }
  }
  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (shift > 70n) throw new RangeError('overlong LEB128');
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return result;
  }
  cstr(): string {
    let s = '';
    for (let c = this.u8(); c !== 0; c = this.u8()) s += String.fromCharCode(c);
    return s;
  }
  /** A DW_EH_PE-encoded pointer; `fieldAddr` is this field's vaddr, for pcrel. */
  encoded(enc: number, fieldAddr: bigint): bigint {
    if (enc === 0xff) return 0n; // DW_EH_PE_omit
    let v: bigint;
    switch (enc & 0x0f) {
      case 0x00:
        v = this.u64();
        break;
      case 0x01:
        v = this.uleb();
        break;
      case 0x02:
        v = BigInt(this.u16());
        break;
      case 0x03:
        v = BigInt(this.u32());
        break;
      case 0x04:
        v = this.u64();
        break;
      case 0x09:
        v = this.sleb();
        break;
      case 0x0a:
        v = BigInt.asIntN(16, BigInt(this.u16()));
        break;
      case 0x0b:
        v = BigInt.asIntN(32, BigInt(this.u32()));
        break;
      case 0x0c:
        v = BigInt.asIntN(64, this.u64());
        break;
      default:
        throw new RangeError(`pointer encoding 0x${enc.toString(16)}`);
    }
    if ((enc & 0x70) === 0x10) v += fieldAddr;
    return BigInt.asUintN(64, v);
  }
}

/** The FDEs of one file, sorted by start address. */
class EhFrame {
  constructor(private readonly fdes: readonly Fde[]) {}

  static load(elf: ElfFile): EhFrame | null {
    const sec = elf.sections.find((s) => s.name === '.eh_frame');
    if (!sec || sec.size === 0n || sec.size > 64n << 20n) return null;
    let bytes: Uint8Array;
    try {
      const fd = openSync(elf.path, 'r');
      try {
        bytes = new Uint8Array(Number(sec.size));
        if (readSync(fd, bytes, 0, bytes.length, Number(sec.offset)) !== bytes.length) return null;
      } finally {
        closeSync(fd);
      }
    } catch {
      return null;
    }
    const cies = new Map<number, Cie | null>();
    const fdes: Fde[] = [];
    const c = new Cursor(bytes);
    try {
      while (c.pos + 4 <= bytes.length) {
        const at = c.pos;
        let len = c.u32();
        if (len === 0) break;
        if (len === 0xffffffff) len = Number(c.u64());
        const bodyStart = c.pos;
        const end = bodyStart + len;
        if (end > bytes.length) break;
        const idPos = c.pos;
        const id = c.u32();
        if (id === 0) {
          cies.set(at, parseCie(bytes, c.pos, end));
        } else {
          const ciePos = idPos - id;
          if (!cies.has(ciePos)) cies.set(ciePos, parseCieAt(bytes, ciePos));
          const cie = cies.get(ciePos);
          if (cie) {
            const fc = new Cursor(bytes.subarray(0, end), c.pos);
            const start = fc.encoded(cie.fdeEncoding, sec.addr + BigInt(fc.pos));
            const range = fc.encoded(cie.fdeEncoding & 0x0f, 0n);
            if (cie.hasAugData) fc.pos += Number(fc.uleb());
            fdes.push({ start, end: start + range, cie, insns: bytes.subarray(fc.pos, end) });
          }
        }
        c.pos = end;
      }
    } catch {
      // A malformed tail: keep what parsed.
    }
    fdes.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return new EhFrame(fdes);
  }

  find(vaddr: bigint): Fde | null {
    let lo = 0;
    let hi = this.fdes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.fdes[mid]!.start <= vaddr) lo = mid + 1;
      else hi = mid;
    }
    const f = this.fdes[lo - 1];
    return f && vaddr < f.end ? f : null;
  }
}

function parseCieAt(bytes: Uint8Array, at: number): Cie | null {
  try {
    const c = new Cursor(bytes, at);
    let len = c.u32();
    if (len === 0xffffffff) len = Number(c.u64());
    const end = c.pos + len;
    if (c.u32() !== 0) return null;
    return parseCie(bytes, c.pos, end);
  } catch {
    return null;
  }
}

/** A CIE body from just after its id. Only 'z'-style augmentations (what GCC and clang emit). */
function parseCie(bytes: Uint8Array, from: number, end: number): Cie | null {
  try {
    const c = new Cursor(bytes.subarray(0, end), from);
    const version = c.u8();
    const aug = c.cstr();
    if (version >= 4) c.pos += 2; // address size, segment selector size
    const codeAlign = Number(c.uleb());
    const dataAlign = Number(c.sleb());
    const raReg = version === 1 ? c.u8() : Number(c.uleb());
    let fdeEncoding = 0x00;
    let signalFrame = false;
    if (aug.startsWith('z')) {
      const augLen = Number(c.uleb());
      const augEnd = c.pos + augLen;
      for (const ch of aug.slice(1)) {
        if (ch === 'R') fdeEncoding = c.u8();
        else if (ch === 'P') {
          const enc = c.u8();
          c.encoded(enc & 0x7f, 0n);
        } else if (ch === 'L') c.u8();
        else if (ch === 'S') signalFrame = true;
        else break;
      }
      c.pos = augEnd;
    } else if (aug !== '') return null;
    return { hasAugData: aug.startsWith('z'), codeAlign, dataAlign, raReg, fdeEncoding, signalFrame, insns: bytes.subarray(c.pos, end) };
  } catch {
    return null;
  }
}

/** Runs the CFA program up to `target` (a file vaddr). Null when it uses rules we do not follow. */
function rowAt(fde: Fde, target: bigint): Row | null {
  const cie = fde.cie;
  const row: Row = { cfaReg: RSP, cfaOffset: 8n, saved: new Map([[RA, -8n]]) };
  let initial: Row | null = null;
  const stack: Row[] = [];
  const copy = (r: Row): Row => ({ cfaReg: r.cfaReg, cfaOffset: r.cfaOffset, saved: new Map(r.saved) });
  const run = (insns: Uint8Array, isCie: boolean): boolean => {
    const c = new Cursor(insns);
    let loc = fde.start;
    while (c.pos < insns.length) {
      const op = c.u8();
      const high = op & 0xc0;
      const low = op & 0x3f;
      if (high === 0x40) {
        loc += BigInt(low * cie.codeAlign);
        if (!isCie && loc > target) return true;
        continue;
      }
      if (high === 0x80) {
        row.saved.set(low, c.uleb() * BigInt(cie.dataAlign));
        continue;
      }
      if (high === 0xc0) {
        const r = initial?.saved.get(low);
        if (r === undefined) row.saved.delete(low);
        else row.saved.set(low, r);
        continue;
      }
      switch (op) {
        case 0x00: // nop
          break;
        case 0x01: // set_loc
          loc = c.encoded(cie.fdeEncoding, 0n);
          if (!isCie && loc > target) return true;
          break;
        case 0x02:
          loc += BigInt(c.u8() * cie.codeAlign);
          if (!isCie && loc > target) return true;
          break;
        case 0x03:
          loc += BigInt(c.u16() * cie.codeAlign);
          if (!isCie && loc > target) return true;
          break;
        case 0x04:
          loc += BigInt(c.u32() * cie.codeAlign);
          if (!isCie && loc > target) return true;
          break;
        case 0x05: // offset_extended
          row.saved.set(Number(c.uleb()), c.uleb() * BigInt(cie.dataAlign));
          break;
        case 0x06: {
          const reg = Number(c.uleb());
          const r = initial?.saved.get(reg);
          if (r === undefined) row.saved.delete(reg);
          else row.saved.set(reg, r);
          break;
        }
        case 0x07: // undefined
        case 0x08: // same_value
          row.saved.delete(Number(c.uleb()));
          break;
        case 0x09: // register: saved in another register; we only track memory slots
          c.uleb();
          c.uleb();
          return false;
        case 0x0a:
          stack.push(copy(row));
          break;
        case 0x0b: {
          const r = stack.pop();
          if (!r) return false;
          row.cfaReg = r.cfaReg;
          row.cfaOffset = r.cfaOffset;
          row.saved = r.saved;
          break;
        }
        case 0x0c:
          row.cfaReg = Number(c.uleb());
          row.cfaOffset = c.uleb();
          break;
        case 0x0d:
          row.cfaReg = Number(c.uleb());
          break;
        case 0x0e:
          row.cfaOffset = c.uleb();
          break;
        case 0x11: // offset_extended_sf
          row.saved.set(Number(c.uleb()), c.sleb() * BigInt(cie.dataAlign));
          break;
        case 0x12: // def_cfa_sf
          row.cfaReg = Number(c.uleb());
          row.cfaOffset = c.sleb() * BigInt(cie.dataAlign);
          break;
        case 0x13:
          row.cfaOffset = c.sleb() * BigInt(cie.dataAlign);
          break;
        case 0x2e: // GNU_args_size
          c.uleb();
          break;
        case 0x2f: // GNU_negative_offset_extended
          row.saved.set(Number(c.uleb()), -c.uleb() * BigInt(cie.dataAlign));
          break;
        default: // expressions (0x0f, 0x10, 0x16), val_offset (0x14, 0x15) and the rest: not followed
          return false;
      }
    }
    return true;
  };
  try {
    if (!run(cie.insns, true)) return null;
    initial = copy(row);
    if (!run(fde.insns, false)) return null;
  } catch {
    return null;
  }
  return row;
}

const cfiCache = new WeakMap<ElfFile, EhFrame | null>();

function cfiOf(elf: ElfFile): EhFrame | null {
  if (!cfiCache.has(elf)) cfiCache.set(elf, EhFrame.load(elf));
  return cfiCache.get(elf)!;
}

/**
 * The frames of thread `tid` at checkpoint k, innermost first, at most `max`. Stops where the
 * call-frame information, the memory map or the recorded stack runs out.
 */
export function unwind(engine: Engine, k: number, tid: number, max = 64): UnwoundFrame[] {
  const thread = engine.registers(k, tid)[0];
  if (!thread) return [];
  const table = engine.symbolsAt(k);
  const regs = new Map<number, bigint>();
  DWARF_NAMES.forEach((name, i) => regs.set(i, thread.gp[name]));
  const frames: UnwoundFrame[] = [];
  let pc = thread.gp.rip;
  let caller = false; // return addresses point after the call: look up pc - 1
  for (let i = 0; i < max; i++) {
    const mod = table.moduleAt(pc);
    if (!mod) break;
    const cfi = cfiOf(mod.elf);
    const fde: Fde | null = cfi?.find(pc - (caller ? 1n : 0n) - mod.base) ?? null;
    const row = fde ? rowAt(fde, pc - (caller ? 1n : 0n) - mod.base) : null;
    const base = row ? regs.get(row.cfaReg) : undefined;
    if (!row || base === undefined) {
      frames.push({ pc, cfa: 0n });
      break;
    }
    const cfa = BigInt.asUintN(64, base + row.cfaOffset);
    frames.push({ pc, cfa });
    const raAt = row.saved.get(fde!.cie.raReg);
    if (raAt === undefined) break;
    try {
      const next = new Map<number, bigint>(regs);
      for (const [reg, off] of row.saved) {
        const b = engine.reader.readMemory(k, BigInt.asUintN(64, cfa + off), 8);
        next.set(reg, new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
      }
      next.set(RSP, cfa);
      const ra = next.get(fde!.cie.raReg)!;
      if (ra === 0n || cfa <= (regs.get(RSP) ?? 0n)) break; // the outermost frame, or a loop
      regs.clear();
      for (const [r, v] of next) regs.set(r, v);
      pc = ra;
      caller = !fde!.cie.signalFrame;
    } catch (e) {
      if (e instanceof UnmappedError) break;
      throw e;
    }
  }
  return frames;
}
