/**
 * Writer and reader together, through real files: what goes in comes out (pages, zero ranges,
 * maps, registers, exec, exit, output, warnings), dedup and delta statistics, forced hash
 * collisions, snapshots versus log replay, permissions, and clear errors.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMaps } from '../../shared/model/recording.js';
import { MessageType, Trigger } from '../../shared/protocol/wire.js';
import { encodeHeader } from './files.js';
import { INDEX_FILE, INDEX_SEGMENTS_FILE, LOCK_FILE, LOG_FILE } from './format.js';
import { openRecording, type Reader } from './reader.js';
import { SYN, SyntheticProgram, writeSyntheticRecording } from './synthetic.js';
import { equalBytes, msg, page, tempDir, verifySynthetic } from './test-support.js';
import { SUMMARY_BUCKET } from './summary.js';
import { type RecordingReader, RecordingError, UnmappedError } from './types.js';
import { RecordingWriter } from './writer.js';

const MAPS = ['00400000-00402000 r-xp 00000000 08:01 12 /bin/prog', '00600000-00640000 rw-p 00000000 00:00 0 [heap]', '00700000-00701000 ---p 00000000 00:00 0', '7ff000000000-7ff000004000 rw-p 00000000 00:00 0 [stack]', ''].join('\n');
const HEAP = 0x600000n;

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'rec.dlr');
}

describe('recording round trip', () => {
  it('reads back pages, registers, maps, exec, exit, output and warnings', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d);
    w.appendOutput(new TextEncoder().encode('banner\n'));
    w.ingest(msg.hello({ flags: 1 }));
    w.appendOutput(new TextEncoder().encode('before\n'));
    const p0 = page((i) => i);
    const p1 = page((i) => i * 3);
    w.ingest(msg.maps(MAPS));
    w.ingest(msg.begin(0, Trigger.Start));
    w.ingest(msg.pages([[HEAP, p0], [HEAP + 0x1000n, p1], [0x400000n, page((i) => i ^ 0x55)]]));
    w.ingest(msg.regs(777, 1));
    w.ingest(msg.regs(778, 2));
    w.ingest(msg.end(0, 3, 2));
    w.appendOutput(new TextEncoder().encode('step 0\n'));
    const p0b = p0.slice();
    p0b[100] = 0xee;
    w.ingest(msg.begin(1, Trigger.Syscall, 1n, [1n, 2n, 3n, 4n, 5n, 0xffffffffffffffffn]));
    w.ingest(msg.pages([[HEAP, p0b]]));
    w.ingest(msg.regs(777, 3));
    w.ingest(msg.end(1, 1, 1));
    w.ingest({ type: MessageType.Error, errno: 13, fatal: false, message: 'soft-dirty: EPERM' });
    w.ingest({ type: MessageType.Exec, exe: '/bin/other' });
    w.ingest(msg.begin(2, Trigger.Exec));
    w.ingest(msg.maps(MAPS.replace('/bin/prog', '/bin/other')));
    w.ingest(msg.pages([]));
    w.ingest(msg.regs(777, 4));
    w.ingest(msg.end(2, 0, 1));
    w.appendOutput(new TextEncoder().encode('after exec\n'));
    w.ingest({ type: MessageType.Exit, kind: 1, code: 11 });
    expect(w.checkpointCount).toBe(3);
    w.close();

    const r = (await openRecording(d, { readOnly: true })) as Reader;
    expect(r.checkpointCount).toBe(3);
    expect(r.meta).toMatchObject({ formatVersion: 1, program: '/bin/prog', argv: ['prog', 'a b'], cwd: '/home/u', pid: 777, backend: 'soft-dirty', attached: true, pageSize: 4096 });
    expect(Date.parse(r.meta.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(r.exit).toEqual({ kind: 'signaled', signal: 11 });
    expect([0, 1, 2].map((k) => r.programAt(k))).toEqual(['/bin/prog', '/bin/prog', '/bin/other']);
    expect(r.checkpoint(1)).toEqual({ index: 1, timeNs: 1010n, trigger: 'syscall', tid: 777, detail: 1n, args: [1n, 2n, 3n, 4n, 5n, 0xffffffffffffffffn], dirtyPages: 1, threads: 1, mapsVersion: 0 });
    expect(r.checkpoint(2).mapsVersion).toBe(1);
    expect(r.checkpoint(2).trigger).toBe('exec');
    expect(r.mapsAt(0)).toHaveLength(4);
    expect(r.mapsAt(2)[0]!.path).toBe('/bin/other');
    expect(equalBytes(r.pageAt(0, HEAP), p0)).toBe(true);
    expect(equalBytes(r.pageAt(1, HEAP), p0b)).toBe(true);
    expect(equalBytes(r.pageAt(2, HEAP), p0b)).toBe(true);
    expect(equalBytes(r.pageAt(2, HEAP + 0x1000n), p1)).toBe(true);
    expect(equalBytes(r.pageAt(2, HEAP + 0x2000n), new Uint8Array(4096))).toBe(true); // mapped, never sent
    expect(() => r.pageAt(0, 0x700000n)).toThrow(UnmappedError); // mapped but not readable
    expect(() => r.pageAt(0, 0x900000n)).toThrow(UnmappedError);
    expect(() => r.pageAt(3, HEAP)).toThrow(RangeError);
    expect(() => r.pageAt(0, HEAP + 1n)).toThrow(RangeError);
    expect(Array.from(r.readMemory(1, HEAP + 98n, 4))).toEqual([98, 99, 0xee, 101]);
    expect(Array.from(r.readMemory(0, HEAP + 0xffen, 4))).toEqual([0xfe, 0xff, 0, 3]);
    expect(() => r.readMemory(0, HEAP + 0x3fffen, 4)).toThrow(UnmappedError);
    const regs1 = r.registersAt(0);
    expect(regs1.map((t) => t.tid)).toEqual([777, 778]);
    expect(equalBytes(regs1[1]!.gp, (msg.regs(778, 2) as { gp: Uint8Array }).gp)).toBe(true);
    expect(equalBytes(regs1[1]!.fp, (msg.regs(778, 2) as { fp: Uint8Array }).fp)).toBe(true);
    expect(r.registersAt(1)).toHaveLength(1);
    expect(Array.from(r.versionsOf(HEAP))).toEqual([0, 1]);
    expect(Array.from(r.versionsOf(HEAP + 0x1000n))).toEqual([0]);
    const text = (k?: number): string => r.terminalOutput(k).map((c) => new TextDecoder().decode(c.data)).join('');
    expect(text(0)).toBe('banner\nbefore\nstep 0\n');
    expect(text()).toBe('banner\nbefore\nstep 0\nafter exec\n');
    expect(r.terminalOutput().map((c) => c.checkpoint)).toEqual([-1, -1, 0, 2]);
    expect(r.warnings).toEqual([{ checkpoint: 1, errno: 13, fatal: false, message: 'soft-dirty: EPERM' }]);
    const cols = r.columns(0, 3);
    expect(cols.count).toBe(3);
    expect(Array.from(r.columns(1, 3).dirtyPages)).toEqual([1, 0]);
    expect(() => r.columns(2, 4)).toThrow(RangeError);
    expect(Array.from(cols.dirtyPages)).toEqual([3, 1, 0]);
    expect(Array.from(cols.trigger)).toEqual([Trigger.Start, Trigger.Syscall, Trigger.Exec]);
    expect(cols.storedBytes.every((b) => b > 0)).toBe(true);
    r.close();
    expect(() => r.pageAt(0, HEAP)).toThrow(/closed/);
  });

  it('tags Output inside a checkpoint with it, and Output after the last one with that one', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d);
    const out = (t: string): { type: typeof MessageType.Output; data: Uint8Array } => ({ type: MessageType.Output, data: new TextEncoder().encode(t) });
    w.ingest(msg.hello());
    w.ingest(msg.maps(MAPS));
    w.ingest(msg.begin(0, Trigger.Start));
    w.ingest(msg.regs(777, 1));
    w.ingest(msg.end(0, 0, 1));
    w.ingest(msg.begin(1, Trigger.Syscall, 1n));
    w.ingest(out('i=0\r\n'));
    w.ingest(msg.regs(777, 2));
    w.ingest(msg.end(1, 0, 1));
    w.ingest(msg.begin(2, Trigger.Syscall, 1n));
    w.ingest(msg.regs(777, 3));
    w.ingest(msg.end(2, 0, 1));
    w.ingest(msg.begin(3, Trigger.Exit));
    w.ingest(out('i=1\r\n'));
    w.ingest(out('done\r\n'));
    w.ingest(msg.regs(777, 4));
    w.ingest(msg.end(3, 0, 1));
    w.ingest(out('bye\r\n')); // after the last checkpoint
    w.ingest(msg.begin(4, Trigger.Request));
    w.ingest(out('cut short\r\n')); // a checkpoint that never ends: its output is kept all the same
    w.close();

    const r = await openRecording(d, { readOnly: true });
    try {
      const text = (k?: number): string => r.terminalOutput(k).map((c) => new TextDecoder().decode(c.data)).join('');
      expect(r.checkpointCount).toBe(4);
      expect(text(0)).toBe('');
      expect(text(1)).toBe('i=0\r\n');
      expect(text(2)).toBe('i=0\r\n');
      expect(text(3)).toBe('i=0\r\ni=1\r\ndone\r\nbye\r\ncut short\r\n');
      expect(r.terminalOutput().map((c) => c.checkpoint)).toEqual([1, 3, 3, 3, 3]);
      // The tail of the same text, across chunk boundaries, with the whole length.
      for (let k = 0; k < 4; k++) {
        for (const max of [0, 1, 4, 5, 6, 13, 100]) {
          const { data, totalBytes } = r.terminalTail(k, max);
          expect([new TextDecoder().decode(data), totalBytes]).toEqual([text(k).slice(Math.max(0, text(k).length - max)), text(k).length]);
        }
      }
      expect(r.checkpoint(1).trigger).toBe('syscall');
    } finally {
      r.close();
    }
  });

  it('deduplicates across addresses and across time, and zero pages cost nothing', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d);
    w.ingest(msg.hello());
    w.ingest(msg.maps(MAPS));
    const a = page((i) => i * 7);
    const b = page((i) => i * 11);
    w.ingest(msg.begin(0));
    w.ingest(msg.pages([[HEAP, a], [HEAP + 0x1000n, a], [HEAP + 0x2000n, new Uint8Array(4096)], [HEAP + 0x3000n, b]]));
    w.ingest(msg.end(0, 4, 0));
    const afterFirst = w.stats;
    expect(afterFirst).toMatchObject({ pagesReceived: 4, rawBytes: 4 * 4096, zeroPages: 1, dedupHits: 1, fullBlobs: 2, deltaBlobs: 0 });
    // Later: page 1 takes b's content (seen before, another address), page 0 is sent unchanged.
    w.ingest(msg.begin(1));
    w.ingest(msg.pages([[HEAP + 0x1000n, b], [HEAP, a], [HEAP + 0x4000n, a]]));
    w.ingest(msg.end(1, 3, 0));
    expect(w.stats).toMatchObject({ pagesReceived: 7, dedupHits: 4, fullBlobs: 2 });
    w.close();
    const r = await openRecording(d, { readOnly: true });
    expect(r.stats).toMatchObject({ pagesReceived: 7, dedupHits: 4, fullBlobs: 2, zeroPages: 1 });
    expect(equalBytes(r.pageAt(1, HEAP + 0x1000n), b)).toBe(true);
    expect(equalBytes(r.pageAt(0, HEAP + 0x1000n), a)).toBe(true);
    expect(equalBytes(r.pageAt(1, HEAP + 0x4000n), a)).toBe(true);
    // An unchanged page gets no new version.
    expect(Array.from(r.versionsOf(HEAP))).toEqual([0]);
    expect(Array.from(r.versionsOf(HEAP + 0x2000n))).toEqual([]);
    r.close();
  });

  it('never returns wrong bytes when every hash collides', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d, { hash: () => 42n });
    w.ingest(msg.hello());
    w.ingest(msg.maps(MAPS));
    const pages: Uint8Array[] = [];
    for (let k = 0; k < 6; k++) {
      w.ingest(msg.begin(k));
      const list: Array<[bigint, Uint8Array]> = [];
      for (let i = 0; i < 8; i++) {
        const p = page((j) => j * (i + 1) + k * (i % 3));
        pages[k * 8 + i] = p;
        list.push([HEAP + BigInt(i) * 0x1000n, p]);
      }
      w.ingest(msg.pages(list));
      w.ingest(msg.end(k, 8, 0));
    }
    w.close();
    const r = await openRecording(d, { readOnly: true });
    for (let k = 0; k < 6; k++) for (let i = 0; i < 8; i++) expect(equalBytes(r.pageAt(k, HEAP + BigInt(i) * 0x1000n), pages[k * 8 + i]!)).toBe(true);
    // Pages 0 of each checkpoint (i = 0) are identical across time: dedup still finds the ones it can.
    expect(r.stats.dedupHits).toBeGreaterThan(0);
    r.close();
  });

  it('honours zero ranges without per-page entries, and lists them as versions', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d);
    w.ingest(msg.hello());
    w.ingest(msg.maps(MAPS));
    const p = page((i) => i + 1);
    w.ingest(msg.begin(0));
    w.ingest(msg.pages([[HEAP, p], [HEAP + 0x1000n, p], [HEAP + 0x5000n, page((i) => i + 2)]]));
    w.ingest(msg.end(0, 3, 0));
    // Checkpoint 1 zeroes the whole heap (and far beyond it) but sends page 0 again, changed.
    const p2 = page((i) => i + 9);
    w.ingest(msg.begin(1));
    w.ingest(msg.zero([[HEAP, HEAP + 0x1000_0000_0000n]]));
    w.ingest(msg.pages([[HEAP, p2]]));
    w.ingest(msg.end(1, 1, 0));
    // Checkpoint 2 writes page 1 again with its old content (dedup), then checkpoint 3 zeroes part.
    w.ingest(msg.begin(2));
    w.ingest(msg.pages([[HEAP + 0x1000n, p]]));
    w.ingest(msg.end(2, 1, 0));
    w.ingest(msg.begin(3));
    w.ingest(msg.zero([[HEAP + 0x800n, HEAP + 0x2000n]])); // only whole pages: page 1
    w.ingest(msg.end(3, 0, 0));
    w.close();
    for (const ro of [true, false]) {
      const r = await openRecording(d, { readOnly: ro });
      const at = (k: number, i: number): Uint8Array => r.pageAt(k, HEAP + BigInt(i) * 0x1000n);
      expect(equalBytes(at(0, 1), p)).toBe(true);
      expect(equalBytes(at(1, 0), p2)).toBe(true); // sent with the zeroing checkpoint: wins
      expect(isZero(at(1, 1))).toBe(true);
      expect(isZero(at(1, 5))).toBe(true);
      expect(equalBytes(at(2, 1), p)).toBe(true);
      expect(isZero(at(3, 1))).toBe(true);
      expect(equalBytes(at(3, 0), p2)).toBe(true);
      expect(Array.from(r.versionsOf(HEAP))).toEqual([0, 1]);
      expect(Array.from(r.versionsOf(HEAP + 0x1000n))).toEqual([0, 1, 2, 3]);
      expect(Array.from(r.versionsOf(HEAP + 0x5000n))).toEqual([0, 1]);
      expect(Array.from(r.versionsOf(HEAP + 0x9000n))).toEqual([]); // never held anything
      r.close();
    }
  });

  it('bounds delta chains at K and reads back every version of a page changed 200 times', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d, { deltaChain: 8 });
    w.ingest(msg.hello());
    w.ingest(msg.maps(MAPS));
    const versions: Uint8Array[] = [];
    let cur = page((i) => (i * 31) ^ (i >> 5));
    for (let k = 0; k < 200; k++) {
      cur = cur.slice();
      const at = (k * 137) % 4096;
      cur[at] = cur[at]! ^ (1 + (k % 255)); // one byte per version: always a delta candidate
      versions.push(cur);
      w.ingest(msg.begin(k));
      w.ingest(msg.pages([[HEAP, cur]]));
      w.ingest(msg.end(k, 1, 0));
    }
    w.close();
    // Every blob header in the segment: depth (bits 3-8 of the first varint) below K.
    const seg = readFileSync(join(d, 'blobs-000000.seg'));
    let maxDepth = 0;
    for (let p = 24; p < seg.length; ) {
      let v = 0;
      let mul = 1;
      let q = p + 4;
      for (;;) {
        const b = seg[q++]!;
        v += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) break;
      }
      const kind = v % 8;
      const depth = Math.floor(v / 8) % 64;
      maxDepth = Math.max(maxDepth, depth);
      if (kind >= 3) while (seg[q++]! >= 0x80); // distance back to the base
      p = q + Math.floor(v / 512);
    }
    expect(maxDepth).toBe(7);
    const r = await openRecording(d, { readOnly: true });
    expect(r.versionsOf(HEAP)).toHaveLength(200);
    for (let k = 199; k >= 0; k -= 3) expect(equalBytes(r.pageAt(k, HEAP), versions[k]!)).toBe(true);
    expect(r.stats.deltaBlobs).toBeGreaterThan(180);
    r.close();
  });

  it('builds the summary pyramid as checkpoints commit, identical after a snapshot load', async () => {
    const d = dir();
    const n = 300;
    const prog = new SyntheticProgram({ checkpoints: n, heapPages: 32 });
    const w = await RecordingWriter.create(d);
    w.ingest(prog.hello());
    for (let k = 0; k < n; k++) for (const m of prog.checkpoint(k)) w.ingest(m);
    w.close();
    const r = await openRecording(d, { readOnly: true });
    const cols = r.columns(0, n);
    const dirty = Array.from(cols.dirtyPages);
    const levels = r.summary();
    expect(levels.map((l) => l.bucket)).toEqual([SUMMARY_BUCKET, 2 * SUMMARY_BUCKET, 4 * SUMMARY_BUCKET, 8 * SUMMARY_BUCKET]);
    expect(levels[levels.length - 1]!.sum[0]).toBe(dirty.reduce((s, v) => s + v, 0));
    for (const l of levels) {
      expect(l.min.length).toBe(Math.ceil(n / l.bucket));
      for (let j = 0; j < l.min.length; j++) {
        const slice = dirty.slice(j * l.bucket, (j + 1) * l.bucket);
        const triggers = Array.from(cols.trigger.slice(j * l.bucket, (j + 1) * l.bucket)).reduce((m, t) => m | (1 << t), 0);
        expect([l.min[j], l.max[j], l.sum[j], l.triggers[j]]).toEqual([Math.min(...slice), Math.max(...slice), slice.reduce((s, v) => s + v, 0), triggers]);
      }
    }
    r.close();
  });

  it('opens the same from the snapshot and from a full log scan', async () => {
    const d = dir();
    const opts = { checkpoints: 300, heapPages: 48, wordsPerCheckpoint: 6, zeroEvery: 40, outputEvery: 7, threads: 2, seed: 5 };
    const res = await writeSyntheticRecording(d, opts, { segmentBytes: 64 * 1024 });
    expect(readdirSync(d).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(3);
    const a = (await openRecording(d, { readOnly: true })) as Reader;
    expect(a.snapshotUsed).toBe(true);
    expect(a.stats).toEqual(res.stats);
    expect(verifySynthetic(a, opts)).toBeNull();
    unlinkSync(join(d, INDEX_FILE));
    const b = (await openRecording(d, { readOnly: true })) as Reader;
    expect(b.snapshotUsed).toBe(false);
    expect(verifySynthetic(b, opts)).toBeNull();
    for (const r of [a, b]) expect(r.checkpointCount).toBe(300);
    expect(b.columns(0, 300)).toEqual(a.columns(0, 300));
    expect(b.summary()).toEqual(a.summary());
    expect(b.terminalOutput()).toEqual(a.terminalOutput());
    for (const addr of [SYN.heap, SYN.heap + 47n * 4096n, SYN.data]) expect(Array.from(b.versionsOf(addr))).toEqual(Array.from(a.versionsOf(addr)));
    expect(b.stats.pagesReceived).toBe(a.stats.pagesReceived);
    a.close();
    b.close();
    // A writable open without a live writer rewrites the missing snapshot.
    (await openRecording(d)).close();
    const c = (await openRecording(d, { readOnly: true })) as Reader;
    expect(c.snapshotUsed).toBe(true);
    expect(verifySynthetic(c, opts, 10)).toBeNull();
    c.close();
  });

  it('keeps where the maps change, across sealed runs, a snapshot and a full log scan', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d, { indexSegmentCheckpoints: 4 });
    w.ingest(msg.hello());
    const texts = [MAPS, MAPS.replace('/bin/prog', '/bin/other'), MAPS.replace('[heap]', '[other]')];
    const versionAt = (k: number): number => (k < 5 ? 0 : k < 9 ? 1 : k < 13 ? 0 : 2); // 0 again at 9: the same text, an old version
    for (let k = 0; k < 16; k++) {
      if (k === 0 || versionAt(k) !== versionAt(k - 1)) w.ingest(msg.maps(texts[versionAt(k)]!));
      w.ingest(msg.begin(k, k === 0 ? Trigger.Start : Trigger.Syscall));
      w.ingest(msg.regs(777, k));
      w.ingest(msg.end(k, 0, 1));
    }
    w.close();
    for (const scan of [false, true]) {
      if (scan) unlinkSync(join(d, INDEX_FILE));
      const r = (await openRecording(d, { readOnly: true })) as Reader;
      expect(r.snapshotUsed).toBe(!scan);
      expect(Array.from(r.mapsVersionChanges())).toEqual([0, 5, 9, 13]);
      for (let k = 0; k < 16; k++) expect(r.mapsAt(k)).toEqual(parseMaps(texts[versionAt(k)]!).sort((a, b) => (a.start < b.start ? -1 : 1)));
      expect(Array.from(r.columns(0, 16).mapsVersion)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2]);
      r.close();
    }
  });

  it('seals the index in runs: the same answers from blocks, from a full log scan, and rebuilt from the log', async () => {
    const d = dir();
    const opts = { checkpoints: 300, heapPages: 48, wordsPerCheckpoint: 6, zeroEvery: 40, outputEvery: 7, threads: 2, seed: 11 };
    await writeSyntheticRecording(d, opts, { indexSegmentCheckpoints: 32 });
    const plain = dir();
    await writeSyntheticRecording(plain, opts); // one run, never sealed: the reference
    const ref = await openRecording(plain, { readOnly: true });
    const pages = Array.from({ length: 48 }, (_, i) => SYN.heap + BigInt(i) * 4096n).concat([SYN.data]);
    const same = (r: Reader): void => {
      expect(r.checkpointCount).toBe(300);
      expect(verifySynthetic(r, opts)).toBeNull();
      expect(r.columns(0, 300)).toEqual(ref.columns(0, 300));
      expect(r.columns(31, 97)).toEqual(ref.columns(31, 97));
      expect(r.summary()).toEqual(ref.summary());
      for (const addr of pages) {
        expect(Array.from(r.versionsOf(addr))).toEqual(Array.from(ref.versionsOf(addr)));
        // A cursor over a word follows the same changes across run boundaries.
        const changes = (x: RecordingReader): number[] => {
          const c = x.rangeCursor(addr, 8, 8);
          const out: number[] = [];
          for (let k: number | null = 0; k !== null; ) if ((k = c.nextChangeAfter(k)) !== null) out.push(k);
          return out;
        };
        expect(changes(r)).toEqual(changes(ref));
      }
    };
    const blocks = (await openRecording(d, { readOnly: true })) as Reader;
    expect(blocks.snapshotUsed).toBe(true);
    same(blocks);
    expect([blocks.residentRuns, blocks.rebuiltRuns]).toEqual([0, 0]);
    blocks.close();

    unlinkSync(join(d, INDEX_FILE)); // every run sealed again by the reader, and matched to its block
    const scanned = (await openRecording(d, { readOnly: true })) as Reader;
    expect(scanned.snapshotUsed).toBe(false);
    same(scanned);
    expect([scanned.residentRuns, scanned.rebuiltRuns]).toEqual([0, 0]);
    scanned.close();

    const segs = readFileSync(join(d, INDEX_SEGMENTS_FILE));
    const damaged = Buffer.from(segs);
    damaged[segs.length >> 1]! ^= 0x40; // inside some block
    writeFileSync(join(d, INDEX_SEGMENTS_FILE), damaged);
    (await openRecording(d)).close(); // a writable open without a snapshot: repairs, writes one
    const rebuilt = (await openRecording(d, { readOnly: true })) as Reader;
    same(rebuilt);
    expect([rebuilt.rebuiltRuns, rebuilt.residentRuns]).toEqual([1, 0]); // the damaged block, rebuilt from the log once, cached like the others
    rebuilt.close();

    unlinkSync(join(d, INDEX_SEGMENTS_FILE));
    const missing = (await openRecording(d, { readOnly: true })) as Reader;
    same(missing);
    expect(missing.rebuiltRuns).toBe(9); // every run (the 10th is the tail)
    missing.close();
    (await openRecording(d)).close(); // writes the file anew
    const repaired = (await openRecording(d, { readOnly: true })) as Reader;
    same(repaired);
    expect([repaired.snapshotUsed, repaired.residentRuns, repaired.rebuiltRuns]).toEqual([true, 0, 0]);
    repaired.close();
    ref.close();
  });

  it('rebuilds lost index blocks into its bounded cache, not into memory for good', async () => {
    const d = dir();
    const opts = { checkpoints: 400, heapPages: 8, wordsPerCheckpoint: 2, seed: 5 };
    await writeSyntheticRecording(d, opts, { indexSegmentCheckpoints: 4 }); // 99 sealed runs, more than the cache's 64
    unlinkSync(join(d, INDEX_SEGMENTS_FILE));
    const r = (await openRecording(d, { readOnly: true })) as Reader;
    for (let pass = 1; pass <= 2; pass++) {
      expect(verifySynthetic(r, opts)).toBeNull(); // every checkpoint, in order
      expect(r.residentRuns).toBe(0);
    }
    expect(r.rebuiltRuns).toBeGreaterThan(99); // runs the cache let go were rebuilt again
    r.close();
  });

  it('writes interim snapshots while recording, so an open after a crash replays only the tail', async () => {
    const d = dir();
    const opts = { checkpoints: 400, heapPages: 16, seed: 2 };
    const prog = new SyntheticProgram(opts);
    const w = await RecordingWriter.create(d, { firstSnapshotAt: 100 });
    w.ingest(prog.hello());
    for (let k = 0; k < 400; k++) {
      for (const m of prog.checkpoint(k)) w.ingest(m);
      if (k % 50 === 49) w.flush(); // snapshots at 100, 150, 225, 338
    }
    expect(existsSync(join(d, INDEX_FILE))).toBe(true);
    // Never closed (as after kill -9): the snapshot covers 338 checkpoints, the log the rest.
    const r = (await openRecording(d, { readOnly: true })) as Reader;
    expect(r.snapshotUsed).toBe(true);
    expect(r.checkpointCount).toBe(400);
    expect(verifySynthetic(r, opts, 13)).toBeNull();
    expect(r.stats.storedBytes).toBe(w.stats.storedBytes);
    r.close();
    w.close();
  });

  it('compresses the synthetic workload by more than 90%, index included', async () => {
    const d = dir();
    const res = await writeSyntheticRecording(d, { checkpoints: 500, heapPages: 64 });
    const onDisk = readdirSync(d).reduce((s, n) => s + statSync(join(d, n)).size, 0);
    expect(res.stats.storedBytes).toBe(onDisk);
    expect(res.stats.deltaBlobs).toBeGreaterThan(res.stats.fullBlobs * 10);
    expect(1 - res.stats.storedBytes / res.stats.rawBytes).toBeGreaterThan(0.9);
  });
});

describe('recording directory', () => {
  it('is 0700 with 0600 files, while written and after close', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d);
    w.ingest(msg.hello());
    const check = (): void => {
      expect(statSync(d).mode & 0o777).toBe(0o700);
      for (const n of readdirSync(d)) expect([n, statSync(join(d, n)).mode & 0o777]).toEqual([n, 0o600]);
    };
    check();
    expect(readdirSync(d)).toContain(LOCK_FILE);
    w.close();
    check();
    expect(readdirSync(d).sort()).toEqual(['blobs-000000.seg', INDEX_FILE, INDEX_SEGMENTS_FILE, LOG_FILE]);
  });

  it('makes its directory (0700 whatever the umask) and refuses any existing path: a recording, an empty directory, a link', async () => {
    const d = dir();
    const umask = process.umask(0o277);
    try {
      (await RecordingWriter.create(d)).close();
    } finally {
      process.umask(umask);
    }
    expect(statSync(d).mode & 0o777).toBe(0o700);
    await expect(RecordingWriter.create(d)).rejects.toThrow(/already exists: a recording is written to a new directory/);
    const t = tempDir();
    cleanups.push(t.cleanup);
    await expect(RecordingWriter.create(t.dir)).rejects.toThrow(/already exists/);
    expect(readdirSync(t.dir)).toEqual([]);
    const empty = join(t.dir, 'empty');
    mkdirSync(empty);
    for (const [link, to] of [['to-dir.dlr', empty], ['dangling.dlr', join(t.dir, 'nowhere')]] as const) {
      symlinkSync(to, join(t.dir, link));
      await expect(RecordingWriter.create(join(t.dir, link))).rejects.toThrow(/already exists/);
    }
    expect(readdirSync(empty)).toEqual([]);
    expect(existsSync(join(t.dir, 'nowhere'))).toBe(false);
  });

  it('gives clear errors for what is not a recording', async () => {
    const d = dir();
    await expect(openRecording(d)).rejects.toThrow(RecordingError);
    const w = await RecordingWriter.create(d);
    w.close();
    await expect(openRecording(d, { readOnly: true })).rejects.toThrow(/no metadata yet/);
    writeFileSync(join(d, LOG_FILE), 'hello world, this is not a log file');
    await expect(openRecording(d, { readOnly: true })).rejects.toThrow(/not a DeLorean recording log \(bad magic\)/);
    await expect(openRecording(join(d, LOG_FILE))).rejects.toThrow(/not a directory/);
  });

  it('refuses an unknown format version by name', async () => {
    const d = dir();
    await writeSyntheticRecording(d, { checkpoints: 2, heapPages: 8 });
    const log = readFileSync(join(d, LOG_FILE));
    const h = encodeHeader('DLR-LOG\n', log.subarray(12, 20));
    new DataView(h.buffer).setUint32(8, 99, true);
    log.set(h, 0);
    writeFileSync(join(d, LOG_FILE), log);
    await expect(openRecording(d, { readOnly: true })).rejects.toThrow(/unsupported format version 99 \(this build reads version 1\)/);
    await expect(openRecording(d, { readOnly: true })).rejects.toThrow(RecordingError);
  });

  it('rejects a message stream that breaks the protocol, naming the problem', async () => {
    const d = dir();
    const w = await RecordingWriter.create(d);
    expect(() => w.ingest(msg.begin(0))).toThrow(/before the recorder's Hello/);
    w.ingest(msg.hello());
    expect(() => w.ingest(msg.hello())).toThrow(/second Hello/);
    expect(() => w.ingest(msg.begin(3))).toThrow(/checkpoint 3 where 0 was expected/);
    expect(() => w.ingest(msg.pages([]))).toThrow(/outside a checkpoint/);
    w.ingest(msg.begin(0));
    expect(() => w.ingest(msg.begin(1))).toThrow(/inside checkpoint 0/);
    expect(() => w.ingest(msg.end(0, 5, 0))).toThrow(/announced 5 pages but sent 0/);
    w.close();
    expect(() => w.ingest(msg.hello())).toThrow(/closed/);
  });
});

function isZero(p: Uint8Array): boolean {
  return p.every((b) => b === 0);
}
