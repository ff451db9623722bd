/**
 * Argument helpers shared by the commands: node's util.parseArgs with our error style, and
 * the parsers for the values every command takes.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkpointOutOfRange } from '../../shared/api/format.js';
import { CliError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with usage errors turned into CliError(…, 2) that mention the command. */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${command}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}`, 2);
  }
}

/** A non-negative integer option ("--at 12"); `what` names it in the error. */
export function parseIndex(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${what} must be a non-negative integer, got '${value}'`, 2);
  return Number(value);
}

/** A checkpoint index that must exist in a recording of `count` checkpoints. */
export function checkCheckpoint(k: number, count: number): number {
  if (k >= count) throw new CliError(checkpointOutOfRange(k, count));
  return k;
}

export const hex = (v: bigint | number): string => '0x' + v.toString(16);
