/**
 * The service over a real store: a synthetic recording written by the real writer
 * (main/store/synthetic.ts: u64 counter at 0x555555570000 and $rax both equal the checkpoint
 * index), called through `invoke` as the faces call it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes, maskHas } from '../../shared/api/bytes.js';
import { ApiError, type AnyEvent } from '../../shared/api/contract.js';
import { TRIGGER_NAMES } from '../../shared/protocol/wire.js';
import { SYN, writeSyntheticRecording } from '../store/synthetic.js';
import { DeloreanService } from './service.js';

const N = 3000;
let dir: string;
let rec: string;
let service: DeloreanService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'delorean-service-'));
  rec = join(dir, 'syn.dlr');
  await writeSyntheticRecording(rec, { checkpoints: N, heapPages: 16, wordsPerCheckpoint: 2, outputEvery: 100 });
  service = new DeloreanService({ face: 'bridge', configDir: join(dir, 'config'), recordingsDir: join(dir, 'recordings') });
}, 120_000);

afterAll(async () => {
  await service.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('DeloreanService', () => {
  it('opens a recording, summarises it and remembers it as recent', async () => {
    const s = await service.openRecording({ path: rec });
    expect(s.rec).toBe(rec);
    expect(s.checkpointCount).toBe(N);
    expect(s.meta.program).toBe('/synthetic/prog');
    expect(s.stats.reduction).toBeCloseTo(1 - s.stats.storedBytes / s.stats.rawBytes, 12); // the fraction saved, as the CLI's info says it
    expect(s.stats.reduction).toBeGreaterThan(0.5);
    const again = new DeloreanService({ face: 'bridge', configDir: join(dir, 'config') });
    expect((await again.listRecent()).map((r) => r.path)).toEqual([rec]);
  });

  it('says clearly why something is not a recording', async () => {
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'hello');
    mkdirSync(join(dir, 'empty.dlr'));
    expect(await service.invoke('openRecording', { path: join(dir, 'missing.dlr') })).toEqual({ ok: false, error: { code: 'not-found', message: `no such recording: ${join(dir, 'missing.dlr')}` } });
    expect(await service.invoke('openRecording', { path: file })).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringContaining('not a recording') } });
    expect(await service.invoke('openRecording', { path: join(dir, 'empty.dlr') })).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('not a DeLorean recording') } });
  });

  it('slices the timeline from the summary pyramid', async () => {
    const t = await service.timeline({ rec, from: 0, to: N, buckets: 100 });
    expect(t.count).toBe(N);
    expect(t.maxDirty).toHaveLength(100);
    const zoomed = await service.timeline({ rec, from: 10, to: 20, buckets: 10 });
    const each = await Promise.all(Array.from({ length: 10 }, (_, i) => service.checkpoint({ rec, k: 10 + i })));
    expect(zoomed.maxDirty).toEqual(each.map((c) => c.dirtyPages));
    expect(t.sumDirty.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('slices buckets not aligned to the pyramid: exact under a cell a bucket, else cut at cells', async () => {
    const all = await Promise.all(Array.from({ length: N }, (_, k) => service.checkpoint({ rec, k })));
    for (const [from, to, buckets] of [[0, N, 7], [37, 2901, 5], [1000, N + 50, 3], [37, 2901, 100], [5, 700, 33]] as const) {
      const t = await service.timeline({ rec, from, to, buckets });
      const step = (to - from) / buckets;
      // Buckets wider than a pyramid cell (SUMMARY_BUCKET, 64) start and end at its multiples.
      const edge = (k: number): number => (step > 64 && k < N ? k - (k % 64) : k);
      for (let i = 0; i < buckets; i++) {
        const a = edge(Math.floor(from + i * step));
        const cps = all.slice(a, edge(Math.min(N, Math.max(a + 1, Math.floor(from + (i + 1) * step)))));
        expect(t.checkpoints[i]).toBe(cps.length);
        expect(t.sumDirty[i]).toBe(cps.reduce((s, c) => s + c.dirtyPages, 0));
        expect(t.maxDirty[i]).toBe(Math.max(...cps.map((c) => c.dirtyPages)));
        expect(t.triggers[i]).toBe(cps.reduce((m, c) => m | (1 << TRIGGER_NAMES.indexOf(c.trigger)), 0));
      }
    }
  });

  it('reads memory with readable and changed masks, across an unmapped boundary', async () => {
    const counter = await service.readMemory({ rec, k: 1234, addr: '0x' + SYN.data.toString(16), len: 8 });
    expect(new DataView(hexToBytes(counter.bytes).buffer).getBigUint64(0, true)).toBe(1234n);
    expect(counter.comparedTo).toBe(1233);
    expect(maskHas(hexToBytes(counter.changed), 0)).toBe(true);
    const edge = await service.readMemory({ rec, k: 5, addr: '0x' + (SYN.data + 4088n).toString(16), len: 16 });
    const readable = hexToBytes(edge.readable);
    expect([0, 7, 8, 15].map((i) => maskHas(readable, i))).toEqual([true, true, false, false]);
    const pinned = await service.readMemory({ rec, k: 20, addr: '0x' + SYN.data.toString(16), len: 8, compareTo: 20 });
    expect(hexToBytes(pinned.changed).every((b) => b === 0)).toBe(true);
  });

  it('describes checkpoints and decodes registers, marking what changed', async () => {
    const c = await service.checkpoint({ rec, k: 7 });
    expect(c).toMatchObject({ index: 7, trigger: expect.any(String), description: expect.any(String) });
    const [t] = await service.registers({ rec, k: 7 });
    expect(t!.registers.find((r) => r.name === 'rax')).toEqual({ name: 'rax', value: '0x7', changed: true });
    expect(t!.registers[0]!.name).toBe('rip');
    const [same] = await service.registers({ rec, k: 7, compareTo: 7 }); // against a chosen checkpoint
    expect(same!.registers.some((r) => r.changed)).toBe(false);
  });

  it('bisects and finds through invoke, as the faces call it', async () => {
    expect(await service.invoke('bisect', { rec, searchId: 'b1', predicate: `u64(${SYN.data}) >= 1234` })).toEqual({ ok: true, result: { searchId: 'b1', checkpoint: 1234, probes: expect.any(Number) } });
    expect(await service.invoke('find', { rec, searchId: 'f1', predicate: '$rax % 1000 == 0' })).toMatchObject({ ok: true, result: { matches: [0, 1000, 2000], failures: [], condition: true, truncated: false } });
  });

  it('finds no match where evaluation fails, and says why', async () => {
    const failures = [{ checkpoint: 0, error: 'u32(0x0): address 0x0 is not mapped at checkpoint 0' }];
    expect(await service.find({ rec, searchId: 'f2', predicate: 'u32(0) == 1' })).toMatchObject({ matches: [], failures, condition: true });
    expect(await service.find({ rec, searchId: 'f3', predicate: 'u32(0)' })).toMatchObject({ matches: [], failures, condition: false });
  });

  it('cancels a running search', async () => {
    const events: AnyEvent[] = [];
    const off = service.on((e) => events.push(e));
    const running = service.invoke('find', { rec, searchId: 'slow', predicate: '$rax == 99999999' });
    expect(await service.cancelSearch({ searchId: 'slow' })).toEqual({ cancelled: true });
    expect(await running).toEqual({ ok: false, error: { code: 'cancelled', message: 'search cancelled' } });
    expect(await service.cancelSearch({ searchId: 'slow' })).toEqual({ cancelled: false });
    // A cancelled search reports nothing more, and no other search reported anything.
    const progress = (): AnyEvent[] => events.filter((e) => e.event === 'onSearchProgress');
    const seen = progress().length;
    await new Promise((r) => setTimeout(r, 100));
    off();
    expect(progress()).toHaveLength(seen);
    expect(progress().filter((e) => e.event === 'onSearchProgress' && e.payload.searchId !== 'slow')).toEqual([]);
  });

  it('reports predicate errors with their position', async () => {
    expect(await service.invoke('bisect', { rec, searchId: 'p1', predicate: 'u64(0x10 +' })).toMatchObject({ ok: false, error: { code: 'parse-error', position: 10 } });
    expect(await service.invoke('resolve', { rec, k: 0, expr: 'u64(' })).toMatchObject({ ok: false, error: { code: 'parse-error' } });
  });

  it('returns the terminal output up to a checkpoint', async () => {
    const early = await service.terminal({ rec, k: 0 });
    const late = await service.terminal({ rec, k: N - 1 });
    expect(late.totalBytes).toBeGreaterThan(early.totalBytes);
    expect(late.text.length).toBeGreaterThan(0);
  });

  it('refuses a program that cannot run, before anything starts', async () => {
    const r = await service.invoke('startRecording', { program: join(dir, 'no-such-program'), args: [], cols: 80, rows: 24 });
    expect(r).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('cannot run') } });
    expect(await service.invoke('sessionControl', { sessionId: 'nope', action: 'stop' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('keeps its errors as ApiErrors for in-process callers too', async () => {
    await expect(service.maps({ rec: '/not/open', k: 0 })).rejects.toBeInstanceOf(ApiError);
  });
});
