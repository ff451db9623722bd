/**
 * Every native module the main process and its workers can load is N-API: the desktop app runs
 * them in Electron's Node, whose ABI (NODE_MODULE_VERSION) is not the one `npm install` built
 * against, and only N-API's entry point (napi_register_module_v1) is ABI-stable. The modules
 * are found as Node would: the packages of package.json's dependencies and, recursively, theirs,
 * plus the project's own addon (native-codec).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeCodecPath } from './store/native.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The package folders reachable from `from`'s dependencies, found as require() finds them. */
function dependencyTree(from: string, seen = new Set<string>()): Set<string> {
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    // Node's lookup: node_modules/NAME in this folder, then in each one above it.
    let dir: string | null = null;
    for (let at = from; dir === null; at = dirname(at)) {
      if (existsSync(join(at, 'node_modules', name, 'package.json'))) dir = join(at, 'node_modules', name);
      else if (dirname(at) === at) break;
    }
    if (dir === null) {
      if (pkg.optionalDependencies?.[name] !== undefined) continue; // not installed on this platform
      throw new Error(`${name}, a dependency of ${relative(ROOT, from) || 'the project'}, is not installed`);
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    dependencyTree(dir, seen);
  }
  return seen;
}

function nodeFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') nodeFiles(p, out);
    else if (e.isFile() && e.name.endsWith('.node')) out.push(p);
  }
  return out;
}

/**
 * The names a 64-bit little-endian ELF file defines in its dynamic symbol table (.dynsym), or
 * null when the file is not such an ELF (another platform's binary, which cannot load here).
 */
export function dynamicSymbols(file: string): Set<string> | null {
  const b = readFileSync(file);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return null;
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const section = (i: number): { type: number; offset: number; size: number; link: number } => {
    const at = shoff + i * shentsize;
    return { type: b.readUInt32LE(at + 4), offset: Number(b.readBigUInt64LE(at + 24)), size: Number(b.readBigUInt64LE(at + 32)), link: b.readUInt32LE(at + 40) };
  };
  const names = new Set<string>();
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== 11) continue; // SHT_DYNSYM
    const strtab = section(s.link);
    for (let at = s.offset; at + 24 <= s.offset + s.size; at += 24) {
      if (b.readUInt16LE(at + 6) === 0) continue; // SHN_UNDEF: imported, not defined
      const start = strtab.offset + b.readUInt32LE(at);
      names.add(b.toString('latin1', start, b.indexOf(0, start)));
    }
  }
  return names;
}

describe('native modules', () => {
  it('reads the symbols an ELF file defines, and tells other files apart', () => {
    const codec = dynamicSymbols(nativeCodecPath());
    expect(codec?.has('napi_register_module_v1')).toBe(true);
    expect(codec?.has('napi_create_double')).toBe(false); // imported from the host, not defined
    expect(dynamicSymbols(join(ROOT, 'package.json'))).toBeNull();
  });

  it('every .node file the main process can reach has the N-API entry point', () => {
    const files = [nativeCodecPath()];
    for (const dir of dependencyTree(ROOT)) files.push(...nodeFiles(dir));
    const checked: string[] = [];
    const notNapi: string[] = [];
    for (const f of files) {
      if (!statSync(f).isFile()) continue;
      const symbols = dynamicSymbols(f);
      if (symbols === null) continue;
      checked.push(relative(ROOT, f));
      if (!symbols.has('napi_register_module_v1')) notNapi.push(relative(ROOT, f));
    }
    expect(checked).toContain('native-codec/build/delorean-codec.node');
    expect(notNapi, `not N-API, so they will not load in Electron: ${notNapi.join(', ')}`).toEqual([]);
  });
});
