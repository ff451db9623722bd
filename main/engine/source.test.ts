import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROGRAMS } from '../testing/cli.js';
import { SourceResolver } from './source.js';

/** File-relative address of a symbol, from nm. */
function symbol(file: string, name: string): bigint {
  const line = execFileSync('nm', [file], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`no ${name} in ${file}`);
  return BigInt('0x' + line.split(' ')[0]);
}

describe('source lines', () => {
  const resolver = new SourceResolver();
  afterAll(() => resolver.close());

  it('names the right file for code from a header (DWARF 5 file numbering), answering batches in order', async () => {
    const file = join(PROGRAMS, 'counter');
    const [lineWrite, main] = await resolver.lookup(file, [symbol(file, 'line_write'), symbol(file, 'main')]);
    expect(lineWrite?.file).toMatch(/tests\/programs\/out\.h$/);
    expect(lineWrite?.function).toBe('line_write');
    expect(main?.file).toMatch(/tests\/programs\/counter\.c$/);
    expect(main?.line).toBeGreaterThan(10);
    const [again] = await resolver.lookup(file, [symbol(file, 'main') + 4n]);
    expect(again?.file).toMatch(/counter\.c$/);
  });
});
