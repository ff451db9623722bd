import type { ApiErrorCode } from '../../shared/api/contract.js';

/**
 * What a CLI command may touch of the outside world, so commands stay testable and never
 * call process.exit themselves: they return an exit code, or throw CliError.
 */
export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** stderr is a terminal: progress lines and colours are welcome. */
  readonly isTTY: boolean;
}

export const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

/** An error for the user: one line on stderr, this exit code (2 = usage, 1 = everything else). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an error of the API's kind: 2 for what the user typed wrong, 130 for Ctrl-C, else 1. */
export function exitCodeOf(code: ApiErrorCode): number {
  return code === 'invalid-params' || code === 'parse-error' || code === 'unknown-method' ? 2 : code === 'cancelled' ? 130 : 1;
}

export type CommandRun = (args: string[], io: CliIo) => Promise<number>;

/** Resolves at the first SIGINT or SIGTERM: how a long-running command (serve, gdbserver) waits to be stopped. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
