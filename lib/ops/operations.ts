import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

/** What `status` reports. */
export interface RunStatus {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
  readonly redriveCount: number;
  readonly mapRuns: {
    readonly mapRunArn: string;
    readonly status: string;
    readonly items: Record<string, number>;
  }[];
  /** Where the reducer writes the run report, when the output bucket is known. */
  readonly report?: string;
}

/**
 * Where the run report is: the key the reducer returned (in a finished execution's output) when the output
 * bucket is known, else the conventional `_runs/<execution name>/report.md`.
 */
function reportLocation(
  output: string | undefined,
  outputBucket: string | undefined,
  name: string | undefined,
): string | undefined {
  if (!outputBucket || !name) return undefined;
  let reportKey: string | undefined;
  try {
    const parsed = output ? (JSON.parse(output) as { reduce?: { summary?: { reportKey?: string } } }) : {};
    reportKey = parsed.reduce?.summary?.reportKey;
  } catch {
    // An output that is not JSON says nothing about the report.
  }
  return `s3://${outputBucket}/${reportKey ? reportKey.replace(/\.json$/, '.md') : `_runs/${name}/report.md`}`;
}

/** Starts a run; `bucket`/`prefix` narrow the configured input (the state machine validates them). */
export async function startRun(
  sfn: SFNClient,
  stateMachineArn: string,
  input: { bucket?: string; prefix?: string },
  name?: string,
): Promise<{ executionArn: string; name: string }> {
  const r = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) }),
  );
  return { executionArn: r.executionArn!, name: r.executionArn!.split(':').pop()! };
}

/** The execution's status, its map runs' progress, and the report location. */
export async function runStatus(
  sfn: SFNClient,
  executionArn: string,
  outputBucket?: string,
): Promise<RunStatus> {
  const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const mapRuns = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListMapRunsCommand({ executionArn, ...(nextToken ? { nextToken } : {}) }),
    );
    for (const run of page.mapRuns ?? []) {
      const d = await sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }));
      const counts = d.itemCounts ?? {};
      mapRuns.push({
        mapRunArn: run.mapRunArn!,
        status: d.status ?? 'UNKNOWN',
        items: Object.fromEntries(Object.entries(counts).filter(([, v]) => typeof v === 'number')) as Record<
          string,
          number
        >,
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const report = reportLocation(e.output, outputBucket, e.name);
  return {
    executionArn,
    name: e.name ?? executionArn.split(':').pop()!,
    status: e.status ?? 'UNKNOWN',
    ...(e.startDate ? { startDate: e.startDate } : {}),
    ...(e.stopDate ? { stopDate: e.stopDate } : {}),
    ...(e.error ? { error: e.error } : {}),
    ...(e.cause ? { cause: e.cause } : {}),
    redriveCount: e.redriveCount ?? 0,
    mapRuns,
    ...(report ? { report } : {}),
  };
}

/**
 * Redrives a FAILED, TIMED_OUT or ABORTED execution: it resumes at the states that did not finish, so the
 * retry map re-runs only its unsuccessful children, then the reducer.
 */
export async function redriveRun(sfn: SFNClient, executionArn: string): Promise<Date | undefined> {
  const r = await sfn.send(new RedriveExecutionCommand({ executionArn }));
  return r.redriveDate;
}
