import { SFNClient } from '@aws-sdk/client-sfn';
import { redriveRun, runStatus, startRun } from '../ops/operations';
import { awsFlagOptions } from './aws-flags';
import { type CliCommand, parseFlags, UsageError } from './command';

const STATE_MACHINE_ENV = 'CSV2LAKE_STATE_MACHINE_ARN';
const OUTPUT_BUCKET_ENV = 'CSV2LAKE_OUTPUT_BUCKET';

/** Parses a command's arguments with --region and --profile (applied as the SDK reads them). */
function parse(
  args: readonly string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const parsed = parseFlags(
    args,
    { ...options, region: { type: 'string' }, profile: { type: 'string' } },
    true,
  );
  awsFlagOptions(parsed.values as { region?: string; profile?: string });
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

const REGION_PROFILE_USAGE = `  --region <region>                  the AWS region, default $AWS_REGION (or the profile's)
  --profile <name>                   a named profile of ~/.aws/config and ~/.aws/credentials, default
                                     $AWS_PROFILE`;

/** `csv2lake start`: starts a run on AWS. */
export const start: CliCommand = {
  summary: 'start a run of the deployed state machine (AWS)',
  usage: `Usage: csv2lake start [--state-machine-arn ARN] [--bucket B] [--prefix P] [--name N] [options]

Starts an execution of the deployed state machine; without --bucket/--prefix it runs on the configured
defaults (--prefix narrows the run; output keys stay those of the configured prefix). The state machine ARN
comes from --state-machine-arn or $${STATE_MACHINE_ENV} (the stack output StateMachineArn).

Options:
${REGION_PROFILE_USAGE}
  --json                             print {name, executionArn} as JSON`,
  async run(args) {
    const { values } = parse(args, {
      'state-machine-arn': { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
    });
    const arn = (values['state-machine-arn'] as string | undefined) ?? process.env[STATE_MACHINE_ENV];
    if (!arn) throw new UsageError(`give --state-machine-arn or set ${STATE_MACHINE_ENV}`);
    const input = {
      ...(values.bucket ? { bucket: values.bucket as string } : {}),
      ...(values.prefix !== undefined ? { prefix: values.prefix as string } : {}),
    };
    const started = await startRun(new SFNClient({}), arn, input, values.name as string | undefined);
    process.stdout.write(
      values.json ? `${JSON.stringify(started)}\n` : `Started ${started.name}\n  ${started.executionArn}\n`,
    );
    return 0;
  },
};

/** `csv2lake status`: progress of a run on AWS. */
export const status: CliCommand = {
  summary: 'show a run’s status, its map runs’ item counts and its report (AWS)',
  usage: `Usage: csv2lake status <executionArn> [--output-bucket B] [options]

Shows an execution's status, its map runs' item counts and its report's location (the output bucket from
--output-bucket or $${OUTPUT_BUCKET_ENV}). Exit code 1 when it FAILED, TIMED_OUT or was ABORTED.

Options:
${REGION_PROFILE_USAGE}
  --json                             print the status as one JSON object`,
  async run(args) {
    const { values, positionals } = parse(args, {
      'output-bucket': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('give one execution ARN');
    const s = await runStatus(
      new SFNClient({}),
      positionals[0]!,
      (values['output-bucket'] as string | undefined) ?? process.env[OUTPUT_BUCKET_ENV],
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
    } else {
      const lines = [`${s.name}: ${s.status}${s.redriveCount ? ` (redriven ${s.redriveCount}×)` : ''}`];
      if (s.error) lines.push(`  ${s.error}: ${s.cause ?? ''}`);
      for (const m of s.mapRuns) {
        lines.push(
          `  map run ${m.mapRunArn.split('/').pop()}: ${m.status} ` +
            Object.entries(m.items)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
        );
      }
      if (s.report) lines.push(`  report: ${s.report}`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return s.status === 'FAILED' || s.status === 'TIMED_OUT' || s.status === 'ABORTED' ? 1 : 0;
  },
};

/** `csv2lake redrive <executionArn>`: redrives a failed run on AWS. */
export const redrive: CliCommand = {
  summary: 'redrive a failed run: only its failed files run again, then the report (AWS)',
  usage: `Usage: csv2lake redrive <executionArn> [options]

Redrives a FAILED, TIMED_OUT or ABORTED execution (within 14 days): Step Functions re-runs only the map's
failed children, then the report is written over the whole run.

Options:
${REGION_PROFILE_USAGE}`,
  async run(args) {
    const { positionals } = parse(args, {});
    if (positionals.length !== 1 || !positionals[0]!.startsWith('arn:'))
      throw new UsageError('give the execution ARN of a failed run');
    const date = await redriveRun(new SFNClient({}), positionals[0]!);
    process.stdout.write(`Redriven at ${date?.toISOString() ?? 'now'}: ${positionals[0]}\n`);
    return 0;
  },
};
