/**
 * The DWARF reader and the expression lowering against gdb's own answers, on ledger.c (every
 * shape of global) built by gcc and clang (when installed) at -O0 and -O2, DWARF 4 and 5, PIE
 * and not: for every global and every member and element reachable from it without following
 * a pointer, `whatis`, `print &x` and `print sizeof(x)` agree, and `ptype/o` agrees on the
 * layout of every struct. Then the values: a recording's typed reads at a checkpoint against
 * gdb's `print` on a core file of that checkpoint.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePredicate } from '../../../shared/predicate/parser.js';
import { writeCore } from '../../gdb/core.js';
import { openRecording } from '../../store/reader.js';
import { delorean, deloreanJson, ROOT, tempDir } from '../../testing/cli.js';
import { readElfFile } from '../elf.js';
import { Engine, PredicateNameError } from '../engine.js';
import { DEBUG_SECTIONS, DebugInfo, DwarfError, loadSections, sizeOf, stripType, typeName, type StructType, type Type } from './dwarf.js';
import { prng } from '../../testing/prng.js';
import { gdbAddress, gdbAnswers, gdbLayout, gdbValue, haveTool } from './gdb-oracle.js';
import { lowerExpression } from './lower.js';
import { fileScope, foldAddress, lvalues } from './dwarf.test-support.js';

const SOURCE = join(ROOT, 'main/engine/dwarf/testdata/ledger.c');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface Variant {
  readonly cc: string;
  readonly flags: readonly string[];
}
const VARIANTS: Variant[] = [
  { cc: 'gcc', flags: ['-O0', '-g'] },
  { cc: 'gcc', flags: ['-O2', '-gdwarf-4', '-no-pie'] },
  { cc: 'gcc', flags: ['-O2', '-gdwarf-5'] },
  { cc: 'clang', flags: ['-O0', '-gdwarf-4'] },
  { cc: 'clang', flags: ['-O2', '-gdwarf-5', '-no-pie'] },
];

function build(v: Variant, source = SOURCE): string {
  const out = join(tmp.path, `${v.cc}${v.flags.join('')}`.replace(/[^\w-]/g, '_'));
  execFileSync(v.cc, [...v.flags, '-w', '-o', out, source]);
  return out;
}

function structTypes(t: Type, out: Set<Type>): void {
  const s = stripType(t);
  if ((s.kind === 'struct' || s.kind === 'union') && !out.has(s)) {
    out.add(s);
    for (const m of s.members) structTypes(m.type, out);
  } else if (s.kind === 'array') structTypes(s.element, out);
}

const clang = haveTool('clang');
const gdb = haveTool('gdb');
if (!clang) console.warn('dwarf.test: clang is not installed: the clang variants are skipped (apt-get install clang)');

describe.skipIf(!gdb)('every global of ledger.c, as gdb sees it', () => {
  for (const v of VARIANTS) {
    it.skipIf(v.cc === 'clang' && !clang)(`${v.cc} ${v.flags.join(' ')}`, () => {
      const prog = build(v);
      const info = DebugInfo.open(prog, readElfFile(prog))!;
      const scope = fileScope(prog, info);
      const names = [...info.variableNames()].sort();
      expect(names).toEqual(expect.arrayContaining(['ledger', 'table', 'message', 'head', 'numbers', 'wide_numbers']));
      const exprs: string[] = [];
      for (const n of names) lvalues(n, info.variable(n)!.type, exprs);
      const answers = gdbAnswers(prog, exprs.flatMap((x) => [`whatis ${x}`, `print &(${x})`, `print sizeof(${x})`]));
      const mine = exprs.map((x) => {
        const l = lowerExpression(parsePredicate(x), scope, x);
        const t = l.top.type!;
        return { x, type: typeName(t), address: '0x' + foldAddress(l.top.addr!).toString(16), size: sizeOf(t) };
      });
      const theirs = exprs.map((x, i) => ({
        x,
        type: gdbValue(answers[3 * i]!),
        address: '0x' + gdbAddress(answers[3 * i + 1]!).toString(16),
        size: Number(gdbValue(answers[3 * i + 2]!)),
      }));
      expect(mine).toEqual(theirs);
      expect(exprs.length).toBeGreaterThan(60);

      // Struct layouts, bitfields included: ptype/o's offsets, bit offsets and sizes.
      const structs = new Set<Type>();
      for (const n of names) structTypes(info.variable(n)!.type, structs);
      const named = ([...structs] as StructType[]).filter((s) => s.kind === 'struct' && s.name !== null);
      expect(named.map((s) => s.name)).toEqual(expect.arrayContaining(['ledger', 'flags', 'table']));
      const layouts = gdbAnswers(prog, named.map((s) => `ptype/o struct ${s.name}`));
      named.forEach((s, i) => {
        const ours = s.members.map((m) => {
          const bit = m.bitOffset ?? m.offset * 8;
          return { offset: s.kind === 'union' ? 0 : Math.floor(bit / 8), bit: bit % 8, size: sizeOf(m.type) };
        });
        expect({ struct: s.name, members: ours }).toEqual({ struct: s.name, members: gdbLayout(layouts[i]!) });
      });
    });
  }
});

describe.skipIf(!gdb)('values at a checkpoint: typed reads against gdb on a core file', () => {
  const SCALARS = [
    'ledger.guard', 'ledger.small', 'ledger.slots[6]', 'ledger.step', 'ledger.flags.ready', 'ledger.flags.level', 'ledger.flags.delta',
    'ledger.flags.wide', '(int)ledger.color', '(int)ledger.mode', 'ledger.value.i', 'ledger.anon_a', 'ledger.point.y', 'ledger.ok', 'ledger.counter',
    'ledger.big', 'ledger.negative', 'table.count', 'table.rows[index_var].id', 'table.rows[3].tags[0]', 'table.grid[1][2]',
    'head->next->next->sku', 'ledger.head->next->sku', '*numbers', 'numbers[index_var + 1]', 'wide_numbers[1]', 'bytes_seen[2]',
    '(*head).next->label[5]', 'sizeof(struct row)', '(unsigned char)ledger.guard', '(short)-1', 'ledger.slots[ledger.flags.level]',
  ];
  for (const v of [VARIANTS[0]!, VARIANTS[4]!]) {
    it.skipIf(v.cc === 'clang' && !clang)(`${v.cc} ${v.flags.join(' ')}`, async () => {
      const prog = build(v);
      const rec = join(tmp.path, `${v.cc}.dlr`);
      await deloreanJson(['record', '--syscalls', 'write', '-o', rec, '--', prog]);
      const reader = await openRecording(rec);
      const engine = new Engine(reader);
      try {
        const k = reader.checkpointCount - 10; // within the loop: step 40 or so
        const core = join(tmp.path, `${v.cc}.core`);
        await writeCore(reader, k, core);
        const answers = gdbAnswers(prog, SCALARS.map((x) => `print +(${x})`), core);
        const ours = SCALARS.map((x) => {
          const r = engine.evaluate(x, k);
          return { x, value: r.ok && r.value.kind === 'int' ? r.value.value.toString() : r.ok ? 'not an int' : r.reason };
        });
        expect(ours).toEqual(SCALARS.map((x, i) => ({ x, value: gdbValue(answers[i]!) })));

        // Floats and strings, and whole structs, through read's JSON.
        const [weight, title, label] = gdbAnswers(prog, ['print table.rows[3].weight', 'print ledger.title', 'print head->next->label'], core).map(gdbValue);
        expect(engine.readTyped('table.rows[3].weight', k)!.value).toBe(Number(weight));
        expect(engine.readTyped('ledger.title', k)!.text).toBe(title!.replace(/^\(.*?\) /, ''));
        expect(engine.readTyped('head->next->label', k)!.value).toBe('item-2');
        expect(label).toMatch(/^"item-2(\\000)*"|"item-2", '\\000' <repeats \d+ times>/);
        const whole = engine.readTyped('ledger', k)!;
        expect(whole).toMatchObject({ type: 'struct ledger', size: 144, value: { name: 'books', slots: [0, 1, 4, 9, 16, 25, 36, 49], flags: { ready: 1, level: 5, delta: -3, wide: 0xabcde12345 }, anon_a: 77, point: { x: 3, y: 4 }, big: '18364758544493064720', negative: -5, ok: true } });
        expect(whole.text).toMatch(/^\{\n {2}name = "books",\n {2}small = 200 '\\310',\n {2}slots = \{0, 1, 4, 9, 16, 25, 36, 49\},/);
        expect(whole.text).toMatch(/callback = 0x[0-9a-f]+ <on_step>/);
        expect(engine.readTyped('&ledger.slots[2]', k)).toMatchObject({ address: null, type: 'int *', size: 8 });
      } finally {
        engine.close();
        reader.close();
      }
    });
  }
});

describe.skipIf(!gdb)('errors point at the position', () => {
  it('names the struct and its members, a -> on a non-pointer, a missing type', async () => {
    const prog = build(VARIANTS[0]!);
    const rec = join(tmp.path, 'errors.dlr');
    await deloreanJson(['record', '--syscalls', 'write', '-o', rec, '--', prog]);
    const reader = await openRecording(rec);
    const engine = new Engine(reader);
    try {
      const fails = (src: string): PredicateNameError => {
        try {
          engine.prepare(src, [1]);
        } catch (e) {
          if (e instanceof PredicateNameError) return e;
          throw e;
        }
        throw new Error(`${src} prepared`);
      };
      const a = fails('ledger.gaurd != 0');
      expect(a.message).toMatch(/^struct ledger has no member 'gaurd' \(members: name, small, slots, guard, flags, .*anon_a, anon_f, point.*\) at 7$/);
      expect([a.position, a.end]).toEqual([7, 12]);
      const b = fails('1 + ledger->step');
      expect(b.message).toBe("'->' needs a pointer, but 'ledger' is struct ledger (use '.') at 10");
      expect(b.position).toBe(10);
      expect(fails('table.rows[1].nope').message).toMatch(/^struct row has no member 'nope' \(members: id, weight, tags\) at 14$/);
      expect(fails('head->next->nope').message).toMatch(/^struct item has no member 'nope' \(members: sku, label, next\) at 12$/);
      expect(fails('*hidden').message).toBe("'hidden' is int, not a pointer at 0");
      expect(fails('(struct nosuch *)head').message).toBe("unknown type 'struct nosuch' at 1");
      expect(fails('hidden[2]').message).toBe("cannot index 'hidden': it is int, not an array or a pointer at 0");
      expect(fails('&ledger.flags.level').message).toBe("cannot take the address of the bitfield 'ledger.flags.level' at 0");
      expect(fails('ledger.step.x').message).toMatch(/^'ledger.step' is int, not a struct or union: it has no member 'x' at 12$/);
      // A name no symbol table or debug info knows stays an unknown symbol.
      expect(fails('nosuch.field == 1').message).toMatch(/^unknown symbol 'nosuch.field'/);
      // Without debug info, names are ELF symbols as before, and a member needs types it lacks.
      const stripped = join(tmp.path, 'stripped');
      execFileSync('objcopy', ['--strip-debug', prog, stripped]);
      const rec2 = join(tmp.path, 'stripped.dlr');
      await deloreanJson(['record', '--syscalls', 'write', '-o', rec2, '--', stripped]);
      const r2 = await openRecording(rec2);
      const e2 = new Engine(r2);
      try {
        const k = r2.checkpointCount - 1;
        const ledger = e2.resolveAddress('ledger', k);
        expect(e2.evaluate('u32(ledger + 52)', k)).toMatchObject({ ok: true, value: { value: 0x0badf00dn } });
        expect(e2.resolveAddress('&ledger', k)).toBe(ledger);
        expect(() => e2.prepare('(struct ledger *)&ledger', [k])).toThrow("unknown type 'struct ledger' (the program has no debug info: build it with -g) at 1");
        expect(() => e2.prepare('sizeof(struct ledger)', [k])).toThrow(/no debug info/);
      } finally {
        e2.close();
        r2.close();
      }
    } finally {
      engine.close();
      reader.close();
    }
  });
});

describe('the CLI with names (ledger.c, gcc -O0)', () => {
  it('reads by type, lists changes by the type size, finds and bisects by name', async () => {
    const prog = build(VARIANTS[0]!);
    const rec = join(tmp.path, 'cli.dlr');
    await deloreanJson(['record', '--syscalls', 'write', '-o', rec, '--', prog]);
    const guardBad = await deloreanJson<{ checkpoint: number }>(['find', rec, 'ledger.guard != 0xdeadbeef']);
    expect(guardBad.checkpoint).toBeGreaterThan(0);
    // The same search with a typed read, and bisect on a monotone condition over another global.
    expect(await deloreanJson(['find', rec, 'u32(&ledger + 52) != 0xdeadbeef'])).toMatchObject({ checkpoint: guardBad.checkpoint });
    const hundred = await deloreanJson<{ checkpoint: number }>(['bisect', rec, 'table.count >= 100']);
    expect(await deloreanJson(['find', rec, 'table.count >= 100'])).toMatchObject({ checkpoint: hundred.checkpoint });
    expect(await deloreanJson(['read', rec, '--at', String(hundred.checkpoint), 'table.count'])).toMatchObject({ type: 'int', size: 4, value: 102 });
    // A pointer chain and a computed index, re-read at each checkpoint.
    expect(await deloreanJson(['find', rec, 'head->next->next->sku == 1003 && table.rows[index_var].id == 102 && ledger.step == 7'])).toMatchObject({ checkpoint: expect.any(Number) });

    const k = guardBad.checkpoint;
    const guard = await deloreanJson<{ address: string }>(['read', rec, '--at', String(k - 1), 'ledger.guard']);
    expect(guard).toMatchObject({ expression: 'ledger.guard', type: 'uint32_t', size: 4, value: 0xdeadbeef });
    expect(await deloreanJson(['read', rec, '--at', String(k), 'ledger.guard'])).toMatchObject({ value: 0x0badf00d });
    expect(await deloreanJson(['read', rec, '--at', String(k), 'ledger.big'])).toMatchObject({ type: 'uint64_t', value: '18364758544493064720' });
    const changes = await deloreanJson<{ address: string; len: number; changes: Array<{ checkpoint: number; old: string; new: string }> }>(['changes', rec, 'ledger.guard']);
    expect(changes).toMatchObject({ address: guard.address, len: 4, changes: [{ checkpoint: k, old: 'efbeadde', new: '0df0ad0b' }] });
    expect(await deloreanJson(['changes', rec, 'ledger', '--to', '3'])).toMatchObject({ address: expect.any(String), len: 144 });
    const text = await delorean(['read', rec, '--at', String(k), 'ledger.flags']);
    expect(text.stdout).toBe('{\n  ready = 1,\n  level = 5,\n  delta = -3,\n  wide = 737893491525\n}\n');
    // The old forms still work: an ELF symbol's bytes with --len, a typed read of an lvalue.
    expect((await delorean(['read', rec, '--at', String(k), 'ledger', '--len', '5'])).stdout).toMatch(/^[0-9a-f]{12} {2}62 6f 6f 6b 73 +books\n$/);
    expect(await deloreanJson(['read', rec, '--at', String(k), 'ledger.slots[3]', '--type', 'u32'])).toMatchObject({ value: 9 });

    const bad = await delorean(['find', rec, 'ledger.gaurd != 1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("ledger.gaurd != 1\n       ^^^^^\nstruct ledger has no member 'gaurd' (members: name, small, slots, guard,");
  });
});

describe('damaged debug info', () => {
  it('gives a DwarfError or a consistent answer, never anything else', () => {
    const prog = build({ cc: 'gcc', flags: ['-O0', '-g'] });
    const sections = loadSections(prog, readElfFile(prog), DEBUG_SECTIONS);
    const get = (m: Map<string, Uint8Array>, n: string): Uint8Array => m.get(n) ?? new Uint8Array(0);
    const random = prng(15);
    let errors = 0;
    for (let trial = 0; trial < 300; trial++) {
      const m = new Map([...sections].map(([n, b]) => [n, Uint8Array.from(b)]));
      const target = trial % 3 === 0 ? '.debug_abbrev' : '.debug_info';
      const bytes = m.get(target)!;
      if (trial % 5 === 0) m.set(target, bytes.subarray(0, Math.floor(random() * bytes.length)));
      else for (let i = 0; i < 1 + (trial % 7); i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        const info = new DebugInfo('damaged', get(m, '.debug_info'), get(m, '.debug_abbrev'), get(m, '.debug_str'), get(m, '.debug_line_str'), get(m, '.debug_str_offsets'), get(m, '.debug_addr'));
        for (const n of info.variableNames()) {
          const v = info.variable(n);
          if (!v) continue;
          const walk: string[] = [];
          lvalues(n, v.type, walk);
          expect(typeof typeName(v.type)).toBe('string');
          expect(sizeOf(v.type)).toBeGreaterThanOrEqual(0);
        }
      } catch (e) {
        if (!(e instanceof DwarfError)) throw new Error(`trial ${trial} (${target}): ${(e as Error).stack}`, { cause: e });
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(10);
  });
});
