#!/usr/bin/env node
/* The csv2lake command line: finds the command module and prints errors as one line. */
import '../lib/cli/node-compat';
import type { CliCommand } from '../lib/cli/command';
import { version } from '../package.json';
import { printable } from '../lambdas/core/model/errors';

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  convert: () => import('../lib/cli/convert-command'),
  demo: () => import('../lib/cli/demo-command'),
  start: async () => ({ command: (await import('../lib/cli/aws-commands')).start }),
  status: async () => ({
    command: statusRouter(await import('../lib/cli/aws-commands'), await import('../lib/cli/run-command')),
  }),
  run: async () => ({ command: (await import('../lib/cli/run-command')).run }),
  schema: () => import('../lib/cli/schema-command'),
  redrive: async () => ({
    command: redriveRouter(await import('../lib/cli/aws-commands'), await import('../lib/cli/run-command')),
  }),
};

/** `redrive` takes an execution ARN (AWS) or a local run id. */
function redriveRouter(aws: { redrive: CliCommand }, local: { localRedrive: CliCommand }): CliCommand {
  return {
    summary: 'redrive a failed run (local run id, or an execution ARN on AWS)',
    usage: `${local.localRedrive.usage}`,
    run: (args) => (args[0]?.startsWith('arn:') ? aws.redrive.run(args) : local.localRedrive.run(args)),
  };
}

/** `status` takes an execution ARN (AWS) or a local run id. */
function statusRouter(aws: { status: CliCommand }, local: { localStatus: CliCommand }): CliCommand {
  return {
    summary: 'show a run’s status (local run id, or an execution ARN on AWS)',
    usage: `${local.localStatus.usage}`,
    run: (args) => (args[0]?.startsWith('arn:') ? aws.status.run(args) : local.localStatus.run(args)),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error
    ? `${error.name === 'Error' ? 'error' : error.name}: ${error.message}`
    : String(error);
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const lines = ['Usage: csv2lake <command> [options]', '       csv2lake --version', '', 'Commands:'];
    for (const [key, load] of Object.entries(COMMANDS))
      lines.push(`  ${key.padEnd(10)} ${(await load()).command.summary}`);
    lines.push('', 'Run `csv2lake <command> --help` for its options.');
    process.stdout.write(lines.join('\n') + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`csv2lake ${version} (Node.js ${process.versions.node})\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`csv2lake: unknown command '${name}'. Run 'csv2lake --help' for the list.\n`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  return command.run(rest);
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2).filter((a) => a !== '--debug')).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line, whatever the message quotes from the data or the file names: no CR to overprint it, no ESC.
    process.stderr.write(`csv2lake: ${printable(describeError(error).replace(/\s*\n\s*/g, ' '))}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
    process.exitCode =
      typeof (error as { exitCode?: unknown }).exitCode === 'number'
        ? (error as { exitCode: number }).exitCode
        : 1;
  },
);
