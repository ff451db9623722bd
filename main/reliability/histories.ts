/**
 * The known memory histories of the test programs used by the fault trials, as checks over a
 * recording: every committed checkpoint must read back (checkpoint record, memory map,
 * registers, the program's variables) and agree with what the program's top comment says.
 * Each check returns the number of checkpoints it verified and throws an Error naming the
 * checkpoint and value that disagree.
 */
import { join } from 'node:path';
import type { RecordingReader } from '../store/types.js';
import { PROGRAMS } from '../testing/cli.js';
import { addressOf, intAt, lineAt } from './support.js';

export type HistoryName = 'counter' | 'threads' | 'churn';

function fail(r: RecordingReader, k: number, what: string): never {
  throw new Error(`${r.path}: checkpoint ${k}: ${what}`);
}

/** Reads the structure every checkpoint has, and returns the checkpoints of `program` (after any exec into it). */
function readable(r: RecordingReader, program: string): number[] {
  const ours: number[] = [];
  for (let k = 0; k < r.checkpointCount; k++) {
    const c = r.checkpoint(k);
    if (c.index !== k) fail(r, k, `index ${c.index}`);
    if (k > 0 && c.timeNs < r.checkpoint(k - 1).timeNs) fail(r, k, 'time went backwards');
    if (r.mapsAt(k).length === 0) fail(r, k, 'empty memory map');
    const regs = r.registersAt(k);
    if (regs.length !== c.threads || regs.length === 0) fail(r, k, `${regs.length} register sets for ${c.threads} threads`);
    if (r.programAt(k) === join(PROGRAMS, program)) ours.push(k);
  }
  return ours;
}

/** Reads every page of every mapping (up to 64 MiB each) at checkpoint k: nothing committed may be unreadable. */
export function readAllPages(r: RecordingReader, k: number): number {
  let pages = 0;
  for (const m of r.mapsAt(k)) {
    if (!m.perms.startsWith('r') || m.end - m.start > 64n << 20n || m.path === '[vvar]' || m.path === '[vsyscall]' || m.path === '[vvar_vclock]') continue;
    for (let a = m.start; a < m.end; a += 4096n) {
      r.pageAt(k, a);
      pages++;
    }
  }
  return pages;
}

/** counter.c: counter only grows; at the write of "i=<i>" counter == i and squares == i*i. */
function checkCounter(r: RecordingReader): number {
  const ks = readable(r, 'counter');
  let prev = -1n;
  for (const k of ks) {
    const counter = intAt(r, k, 'counter');
    if (counter < prev) fail(r, k, `counter went back from ${prev} to ${counter}`);
    prev = counter;
    const c = r.checkpoint(k);
    if (c.trigger === 'syscall' && c.detail === 1n && c.args[0] === 1n) {
      const m = /^i=(\d+)\n$/.exec(lineAt(r, k));
      if (m) {
        const i = BigInt(m[1]!);
        if (counter !== i) fail(r, k, `line i=${i} but counter == ${counter}`);
        const squares = intAt(r, k, 'squares');
        if (squares !== i * i) fail(r, k, `squares == ${squares} at i=${i}`);
      }
    }
  }
  return ks.length;
}

/** threads.c: every slot only grows; at the write of "t=<t> v=<v>" slots[t] == v. */
function checkThreads(r: RecordingReader): number {
  const ks = readable(r, 'threads');
  const last = new Array<bigint>(8).fill(0n);
  for (const k of ks) {
    const base = addressOf(r, k, 'slots');
    const b = r.readMemory(k, base, 64);
    const dv = new DataView(b.buffer, b.byteOffset, 64);
    const slots = Array.from({ length: 8 }, (_, i) => dv.getBigUint64(i * 8, true));
    slots.forEach((v, i) => {
      if (v < last[i]!) fail(r, k, `slots[${i}] went back from ${last[i]} to ${v}`);
      last[i] = v;
    });
    const c = r.checkpoint(k);
    if (c.trigger === 'syscall' && c.detail === 1n && c.args[0] === 1n) {
      const m = /^t=(\d) v=(\d+)\n$/.exec(lineAt(r, k));
      if (m && slots[Number(m[1])] !== BigInt(m[2]!)) fail(r, k, `line ${m[0].trim()} but slots[${m[1]}] == ${slots[Number(m[1])]}`);
    }
  }
  return ks.length;
}

const M64 = (1n << 64n) - 1n;
/** churn.c's mix(s, p, w). */
export function churnMix(s: bigint, p: bigint, w: bigint): bigint {
  let x = (s << 40n) | (p << 20n) | w;
  x = (x + 0x9e3779b97f4a7c15n) & M64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M64;
  return x ^ (x >> 31n);
}

/**
 * churn.c: step only grows; sampled words of the first and last page are mix(step, p, w) or,
 * in the middle of a step, still mix(step - 1, p, w) (zero before step 1); at the write of
 * "step <s>" exactly mix(s, p, w).
 */
function checkChurn(r: RecordingReader, pages: number): number {
  const ks = readable(r, 'churn');
  let prev = 0n;
  const sample = [0n, 1n, 255n, 511n];
  for (const k of ks) {
    const step = intAt(r, k, 'step');
    if (step < prev) fail(r, k, `step went back from ${prev} to ${step}`);
    prev = step;
    const buf = intAt(r, k, 'buf');
    if (buf === 0n) continue;
    const c = r.checkpoint(k);
    const atWrite = c.trigger === 'syscall' && c.detail === 1n && c.args[0] === 1n && /^step \d+\n$/.test(lineAt(r, k));
    for (const p of [0n, BigInt(pages - 1)]) {
      const page = r.pageAt(k, buf + p * 4096n);
      const dv = new DataView(page.buffer, page.byteOffset, 4096);
      for (const w of sample) {
        const v = dv.getBigUint64(Number(w) * 8, true);
        const ok = atWrite ? v === churnMix(step, p, w) : v === churnMix(step, p, w) || (step > 1n ? v === churnMix(step - 1n, p, w) : v === 0n);
        if (!ok) fail(r, k, `page ${p} word ${w} is ${v.toString(16)} at step ${step}`);
      }
    }
  }
  return ks.length;
}

/** Checks a recording of one of the programs above; `pages` is churn's PAGES argument. */
export function checkHistory(r: RecordingReader, name: HistoryName, pages = 64): number {
  switch (name) {
    case 'counter':
      return checkCounter(r);
    case 'threads':
      return checkThreads(r);
    case 'churn':
      return checkChurn(r, pages);
  }
}
