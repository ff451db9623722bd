/**
 * The recorder re-reads /proc/PID/maps only when the map may have changed (a noted memory
 * call, a registration, or [stack] grown into the gap below it): these recordings check that
 * memory that appears without a map-changing call between checkpoints (stack growth), or with
 * mprotect alone, is captured at the very checkpoint it appeared (stackgrow.c states the
 * history).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../store/reader.js';
import type { RecordingReader } from '../store/types.js';
import { recordProgram, tempDir } from '../testing/cli.js';

const tmp = tempDir(true);
afterAll(() => tmp.cleanup());

function lineAt(r: RecordingReader, k: number): string {
  const c = r.checkpoint(k);
  return Buffer.from(r.readMemory(k, c.args[1]!, Number(c.args[2]!))).toString();
}

describe('memory maps that change between checkpoints', () => {
  for (const backend of ['uffd-wp', 'hash']) {
    it(`captures stack growth by faults and mprotect'd memory at once (${backend})`, async () => {
      const S = 6;
      const rec = await recordProgram(tmp.path, 'stackgrow', [String(S)], ['--syscalls', 'write', '--backend', backend]);
      expect(rec.exit).toEqual({ kind: 'exited', code: 0 });
      const r = await openRecording(rec.dir);
      try {
        const writes = Array.from({ length: r.checkpointCount }, (_, k) => k).filter((k) => r.checkpoint(k).trigger === 'syscall' && r.checkpoint(k).detail === 1n);
        const lines = writes.map((k) => [k, lineAt(r, k)] as const);
        let steps = 0;
        for (const [k, line] of lines) {
          const m = /^step=(\d+) deep=(0x[0-9a-f]+)/.exec(line);
          if (!m) continue;
          const s = Number(m[1]);
          const deep = BigInt(m[2]!);
          const want = (s * 16 + (s + 1) * 16) & 0xff;
          const bytes = r.readMemory(k, deep, 4096);
          expect(bytes.every((b) => b === want), `step ${s}: the deepest frame at checkpoint ${k}`).toBe(true);
          steps++;
        }
        expect(steps).toBe(S);
        const none = lines.find(([, l]) => l.startsWith('none'))!;
        const rw = lines.find(([, l]) => l.startsWith('rw'))!;
        const region = BigInt(/addr=(0x[0-9a-f]+)/.exec(rw[1])![1]!);
        expect(() => r.readMemory(none[0], region, 1)).toThrow(/not mapped/);
        for (let p = 0; p < 4; p++) expect(r.pageAt(rw[0], region + BigInt(p * 4096)).every((b) => b === 0x40 + p), `page ${p}`).toBe(true);
        expect(r.mapsAt(rw[0]).some((m) => m.start === region && m.perms.startsWith('rw'))).toBe(true);
      } finally {
        r.close();
      }
    });
  }
});
