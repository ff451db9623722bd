/**
 * Programs behave under recording as they do without it (main/recorder/behave.ts): every
 * program in native-recorder/tests/behave, plainly and recorded in each trigger mode. Each
 * run must succeed (the plain one shows the program itself is right on this machine), end
 * within the bound, and leave no process stopped or traced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/cli.js';
import { behavePrograms, RECORD_MODES, runPlain, runRecorded, type BehaveResult } from './behave.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const describeResult = (r: BehaveResult): string => `${r.exit}; ${r.success ? 'EXIT-SUCCESS' : 'no EXIT-SUCCESS'}; ${r.ms} ms\n${r.output.slice(-1500)}`;

// The runs of one program are independent (each is checked against EXIT-SUCCESS): run them side by side.
for (const program of behavePrograms()) {
  describe.concurrent(program.name, () => {
    it('succeeds without recording', async () => {
      const plain = await runPlain(program, tmp.path);
      expect(plain.problems).toEqual([]);
      expect(plain.success, describeResult(plain)).toBe(true);
    });
    for (const mode of RECORD_MODES) {
      const reason = program.skip.get(mode);
      it.skipIf(reason !== undefined)(`behaves the same recorded with ${mode} triggers${reason ? ` (skipped: ${reason})` : ''}`, async () => {
        const r = await runRecorded(program, mode, tmp.path);
        expect(r.problems, describeResult(r)).toEqual([]);
        expect(r.success, describeResult(r)).toBe(true);
      });
    }
  });
}
