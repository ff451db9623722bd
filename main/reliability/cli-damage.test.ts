/**
 * Damaged recordings through the real CLI: a real recording of `counter` (made by
 * bin/delorean.js record, with its terminal output), each of its files cut, flipped and
 * removed in turn, and the query commands run on it through bin/delorean.js (four a damage,
 * in turn, so each command meets several). Each answers
 * exactly as on the undamaged recording, or exits 1 saying what is damaged
 * (main/reliability/cli-damage.ts; bench/reliability.ts runs every damage of the list).
 * The service (IPC and the bridge) gives the same errors, with the code 'damaged'.
 */
import { copyFileSync, mkdirSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeloreanService } from '../api/service.js';
import { delorean, recordProgram, tempDir } from '../testing/cli.js';
import { COUNTER_QUERIES, damageThroughCli } from './cli-damage.js';

const tmp = tempDir();
let rec = '';

beforeAll(async () => {
  rec = (await recordProgram(tmp.path, 'counter', ['30'], ['--syscalls', 'write'])).dir;
});
afterAll(() => tmp.cleanup());

describe('query commands on a damaged recording', () => {
  it('answer as on the undamaged recording, or exit 1 naming the damage', async () => {
    const work = join(tmp.path, 'damaged.dlr');
    mkdirSync(work, { mode: 0o700 });
    const stats = await damageThroughCli(rec, work, COUNTER_QUERIES, { all: false, perCase: 4 });
    if (process.env.DELOREAN_TRIAL_LOG) console.log(JSON.stringify({ ...stats, failures: stats.failures.length }));
    expect(stats.failures).toEqual([]);
    expect(stats.cases).toBeGreaterThanOrEqual(12); // four files, three damages each
    expect(stats.queries).toBe(stats.cases * 4);
    expect(stats.refused).toBeGreaterThan(0); // damage is noticed...
    expect(stats.same).toBeGreaterThan(0); // ...and what it spares still answers
  }, 300_000);
});

describe('the same damage through the API', () => {
  it('gives IPC and the bridge the error the CLI prints, with the damaged code', async () => {
    const work = join(tmp.path, 'api.dlr');
    mkdirSync(work, { mode: 0o700 });
    for (const n of readdirSync(rec)) copyFileSync(join(rec, n), join(work, n));
    const blobs = readdirSync(work).find((n) => n.startsWith('blobs-'))!;
    truncateSync(join(work, blobs), Math.floor(statSync(join(work, blobs)).size / 2));
    const service = new DeloreanService({ face: 'bridge', configDir: join(tmp.path, 'config') });
    try {
      const summary = await service.openRecording({ path: work });
      const addr = (await service.resolve({ rec: summary.rec, k: 20, expr: 'counter' })).addr;
      const cli = await delorean(['read', work, '--at', '20', addr, '--len', '8']);
      expect(cli.code).toBe(1);
      const api = await service.invoke('readMemory', { rec: summary.rec, k: 20, addr, len: 8 });
      expect(api).toEqual({ ok: false, error: { code: 'damaged', message: cli.stderr.replace(/^delorean: read: /, '').trimEnd() } });
      expect(cli.stderr).toMatch(/the recording is damaged: .*blobs-\d+\.seg: .*still read/);
    } finally {
      await service.dispose();
    }
  });

  it('says what a cut log lost, and refuses searches through it on every face', async () => {
    const work = join(tmp.path, 'cut.dlr');
    mkdirSync(work, { mode: 0o700 });
    for (const n of readdirSync(rec)) copyFileSync(join(rec, n), join(work, n));
    truncateSync(join(work, 'log'), Math.floor(statSync(join(work, 'log')).size / 2));
    const service = new DeloreanService({ face: 'bridge', configDir: join(tmp.path, 'config') });
    try {
      const summary = await service.openRecording({ path: work });
      expect(summary.damage).toHaveLength(1);
      const damage = summary.damage[0]!;
      expect(damage).toMatch(/^the recording is damaged: .*log at byte \d+: .*the checkpoints recorded after it are lost \(checkpoints 0\.\.\d+ still read\)$/);
      const cli = await delorean(['find', work, 'u64(counter) == 3']);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toBe(`delorean: find: ${damage}\n`);
      const api = await service.invoke('find', { rec: summary.rec, searchId: 's1', predicate: 'u64(counter) == 3' });
      expect(api).toEqual({ ok: false, error: { code: 'damaged', message: damage } });
      // What still reads, reads: the checkpoints before the cut.
      const last = summary.checkpointCount - 1;
      expect((await delorean(['maps', work, '--at', String(last)])).code).toBe(0);
      expect((await delorean(['find', work, 'u64(counter) == 3', '--to', String(last)])).code).toBe(0);
    } finally {
      await service.dispose();
    }
  });
});
