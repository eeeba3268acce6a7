import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What a CLI command module exports. */
export interface CliCommand {
  /** One line for `csv2lake --help`. */
  readonly summary: string;
  /** Full usage text for `csv2lake <command> --help`. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(args: readonly string[]): Promise<number>;
}

/** An error the CLI prints as one line (no stack trace unless --debug), then exits with `exitCode`. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a command's arguments; a flag it does not know, or a missing value, is bad usage (exit 2). */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
