/**
 * The ELF reader against binutils on real binaries (a freshly compiled program with a full
 * .symtab, /bin/ls and libc with only .dynsym, and the recorder's test programs when built),
 * then malformed input: truncations, garbage and mutations must give ElfError, nothing else.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, ElfError, parseElf, readElfFile } from './elf.js';

let dir: string;
let compiled: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'delorean-elf-'));
  writeFileSync(
    join(dir, 'prog.c'),
    'int counter; static int hidden = 3; const char *names[4];\nint twice(int x) { return 2 * x + hidden; }\nint main(void) { counter = twice(counter); return 0; }\n',
  );
  compiled = join(dir, 'prog');
  execFileSync('gcc', ['-g', '-O0', '-o', compiled, join(dir, 'prog.c')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** readelf's view: defined FUNC/OBJECT/IFUNC symbols of both tables as "name@hexvalue". */
function readelfSymbols(path: string): Set<string> {
  const out = new Set<string>();
  for (const line of execFileSync('readelf', ['-sW', path], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+(FUNC|OBJECT|IFUNC)\s+\w+\s+\w+\s+(\w+)\s+(\S+)/.exec(line);
    if (!m || m[3] === 'UND' || m[3] === 'ABS' || m[3] === 'COM') continue;
    out.add(`${m[4]!.replace(/@.*$/, '')}@${BigInt('0x' + m[1])}`);
  }
  return out;
}

function readelfType(path: string): string {
  const m = /Type:\s+(\w+)/.exec(execFileSync('readelf', ['-hW', path], { encoding: 'utf8' }));
  return m![1]!;
}

function readelfSections(path: string): string[] {
  const names: string[] = [];
  for (const line of execFileSync('readelf', ['-SW', path], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*\[\s*\d+\]\s+(\S*)\s+[A-Z_]+\s/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

function realBinaries(): string[] {
  const list = [compiled, '/bin/ls', '/lib/x86_64-linux-gnu/libc.so.6'];
  const programs = 'native-recorder/build/programs';
  if (existsSync(programs)) {
    for (const f of readdirSync(programs)) if (!f.includes('.')) list.push(join(programs, f));
  }
  return list.filter((p) => existsSync(p));
}

describe('ELF reader on real binaries', () => {
  it('agrees with readelf on symbols, type and sections', () => {
    for (const path of realBinaries()) {
      const elf = readElfFile(path);
      const mine = new Set(elf.symbols.map((s) => `${s.name}@${s.value}`));
      expect(mine, path).toEqual(readelfSymbols(path));
      expect(elf.kind, path).toBe(readelfType(path) === 'EXEC' ? 'exec' : 'dyn');
      expect(elf.sections.map((s) => s.name).slice(1), path).toEqual(readelfSections(path).slice(1));
      expect(elf.loads.length, path).toBeGreaterThan(0);
    }
  });

  it('reads a compiled program: functions, objects, locals, sizes, PIE base', () => {
    const elf = readElfFile(compiled);
    const nm = execFileSync('nm', ['-S', '--defined-only', compiled], { encoding: 'utf8' });
    const find = (name: string) => elf.symbols.find((s) => s.name === name)!;
    for (const [name, type] of [
      ['counter', 'object'],
      ['hidden', 'object'],
      ['names', 'object'],
      ['twice', 'func'],
      ['main', 'func'],
    ] as const) {
      const s = find(name);
      expect(s.type).toBe(type);
      const line = nm.split('\n').find((l) => l.endsWith(` ${name}`))!;
      const [value, size] = line.split(' ');
      expect(s.value).toBe(BigInt('0x' + value));
      expect(s.size).toBe(BigInt('0x' + size));
    }
    expect(find('hidden').bind).toBe('local');
    expect(find('counter').bind).toBe('global');
    expect(find('names').size).toBe(32n);
    expect(elf.kind).toBe('dyn');
    expect(elf.minLoadVaddr).toBe(0n);
  });

  it('reads a non-PIE executable as ET_EXEC with its link address', () => {
    const exe = join(dir, 'prog-nopie');
    execFileSync('gcc', ['-no-pie', '-O0', '-o', exe, join(dir, 'prog.c')]);
    const elf = readElfFile(exe);
    expect(elf.kind).toBe('exec');
    expect(elf.minLoadVaddr).toBe(0x400000n);
    expect(new Set(elf.symbols.map((s) => `${s.name}@${s.value}`))).toEqual(readelfSymbols(exe));
  });
});

describe('ELF reader on malformed input', () => {
  const expectElfErrorOrFile = (bytes: Uint8Array, name: string): void => {
    try {
      parseElf(bufferSource(name, bytes));
    } catch (e) {
      expect(e, `${name}: ${String(e)}`).toBeInstanceOf(ElfError);
      expect((e as Error).message.startsWith(`${name}: `)).toBe(true);
    }
  };

  it('names the problem for non-ELF and unsupported files', () => {
    expect(() => parseElf(bufferSource('empty', new Uint8Array(0)))).toThrow('empty: not an ELF file (too short)');
    expect(() => parseElf(bufferSource('text', new TextEncoder().encode('#!/bin/sh\n'.repeat(10))))).toThrow('text: not an ELF file (bad magic)');
    const hdr = new Uint8Array(64);
    hdr.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
    expect(() => parseElf(bufferSource('elf32', hdr))).toThrow('only 64-bit ELF');
    hdr[4] = 2;
    hdr[5] = 2;
    expect(() => parseElf(bufferSource('be', hdr))).toThrow('only little-endian');
    expect(() => parseElf(bufferSource('short', hdr.subarray(0, 20)))).toThrow('short: truncated ELF header');
    expect(() => readElfFile(join(dir, 'missing'))).toThrow(/missing: cannot open/);
  });

  it('gives ElfError for every truncation of a real binary', () => {
    const bytes = readFileSync(compiled);
    const cuts = new Set<number>([0, 1, 4, 63, 64, 65, 100, 1000, bytes.length - 1, bytes.length - 64]);
    for (let i = 0; i < 200; i++) cuts.add(Math.floor((bytes.length * i) / 200));
    let errors = 0;
    for (const n of cuts) {
      try {
        parseElf(bufferSource(`cut${n}`, bytes.subarray(0, n)));
      } catch (e) {
        expect(e).toBeInstanceOf(ElfError);
        errors++;
      }
    }
    // Section headers sit at the end of the file: almost every truncation loses them.
    expect(errors).toBeGreaterThan(cuts.size - 5);
    expect(() => parseElf(bufferSource('cut', bytes.subarray(0, bytes.length - 64)))).toThrow(/section header table .* lies outside the file/);
  });

  it('never throws anything but ElfError on garbage or mutated headers (bounded fuzz)', () => {
    const real = new Uint8Array(readFileSync(compiled));
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const garbage = Uint8Array.from({ length: rand(512) }, () => rand(256));
      if (i % 2 === 0 && garbage.length >= 6) garbage.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
      expectElfErrorOrFile(garbage, `garbage${i}`);
    }
    const view = new DataView(real.buffer);
    const shoff = Number(view.getBigUint64(40, true));
    for (let i = 0; i < 400; i++) {
      const m = real.slice();
      for (let j = 0; j < 1 + rand(4); j++) {
        // Aim at the ELF header and the section header table, where offsets and sizes live.
        const at = rand(2) ? rand(64) : shoff + rand(real.length - shoff);
        m[at] = rand(256);
      }
      expectElfErrorOrFile(m, `mutant${i}`);
    }
  });
});
