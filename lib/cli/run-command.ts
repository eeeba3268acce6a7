import { MIN_RANGE_BYTES } from '../../lambdas/ranges/range-plan';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { printable } from '../../lambdas/core/model/errors';
import { formatBytes } from '../../lambdas/shared/units';
import { AWS_FLAGS, AWS_FLAGS_USAGE, awsFlagOptions } from './aws-flags';
import { type CliCommand, parseFlags, UsageError } from './command';
import { CSV_FLAGS, CSV_FLAGS_USAGE, csvFlagOptions } from './csv-flags';

// The handlers log in Lambda's JSON format and emit EMF metrics; on a terminal, the runner reports instead.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * Files as the progress line shows them. A split file's range items add shares of it (1/8 each for 8
 * ranges): a share shows as a tenth ("2.5/3 files"); whole numbers as they are (the shares' float sums
 * rounded back).
 */
function filesText(files: number): string {
  const whole = Math.round(files);
  return Math.abs(files - whole) < 1e-6 ? String(whole) : files.toFixed(1);
}

/** One progress line: files done/failed/total, rows, input read per second, elapsed, ETA. */
export function progressText(
  p: { total: number; done: number; failed: number; rows: number; bytes: number; startedAt: number },
  now = Date.now(),
): string {
  const elapsed = Math.max(now - p.startedAt, 1) / 1000;
  const rate = p.done / elapsed;
  const eta = p.done > 0 ? `${Math.ceil(Math.max(0, p.total - p.done) / rate)} s` : '?';
  return (
    `${filesText(p.done)}/${filesText(p.total)} files, ${filesText(p.failed)} failed, ` +
    `${p.rows.toLocaleString('en-US')} rows, ` +
    `${formatBytes(p.bytes / elapsed)}/s, ${elapsed.toFixed(1)} s elapsed, ETA ${eta}`
  );
}

/** Prints progress: a live bar on a terminal (redrawn at most every 100 ms), a plain line every 2 s otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  let last = 0;
  return (p: {
    total: number;
    done: number;
    failed: number;
    rows: number;
    bytes: number;
    startedAt: number;
  }) => {
    const now = Date.now();
    const finished = Math.abs(p.done - p.total) < 1e-6;
    if (now - last < (stream.isTTY ? 100 : 2000) && !finished) return;
    last = now;
    const text = progressText(p, now);
    if (stream.isTTY) {
      const width = 24;
      const filled = Math.round((p.total ? p.done / p.total : 0) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      if (finished) stream.write('\n');
    } else {
      stream.write(`${text}\n`);
    }
  };
}

/** The lines `run` and `redrive` print when the run ends (without --json). */
export function summaryTable(r: {
  runId: string;
  status: string;
  items: Record<string, number>;
  rejectedRows: number;
  reportPath: string;
  /** The exact command that redrives this run (the runner gives it whenever the run did not succeed). */
  redrive?: string;
  error?: { name: string; message: string };
}): string {
  return [
    `Run ${r.runId}: ${r.status}`,
    `  files    total ${r.items.total}, converted ${r.items.converted}, skipped (unchanged) ${r.items.skipped}, failed ${r.items.failed}`,
    ...(r.rejectedRows > 0
      ? [`  rows     ${r.rejectedRows} rejected (their lines are in the files under _rejects/ of the output)`]
      : []),
    ...(r.error ? [`  error    ${printable(`${r.error.name}: ${r.error.message}`)}`] : []),
    `  report   ${r.reportPath} (and report.md beside it)`,
    ...(r.redrive ? [`  redrive  ${r.redrive}`] : []),
  ].join('\n');
}

const RUN_USAGE = `Usage: csv2lake run --input <dir | s3://bucket/prefix> --output <dir | s3://bucket/prefix> [options]

Runs the csv2lake state machine locally — the definition \`cdk synth\` produces — over a folder or an
S3-compatible endpoint: lists the input, converts every CSV to Parquet and Avro, writes the run report under
<output>/_runs/<run id>/. Exit code 1 when files failed; then \`csv2lake redrive <run id> --output …\`,
which reads the files with the same options.

Options:
  -i, --input <dir | s3://bucket/prefix>    the CSV files (required)
  -o, --output <dir | s3://bucket/prefix>   where the outputs, rejects and run reports go (required)
${AWS_FLAGS_USAGE}
  --concurrency N                    files converted at once, default 16
  --range-bytes N                    a file larger than N bytes (uncompressed) is converted in byte ranges on
                                     the converter threads and joined into one output, default 1073741824 (1 GiB)
  --format parquet|avro|both         default both
  --schema <file | s3://bucket/key>  a schema file pinning column types: {"columns": {...}} for every
                                     dataset, or {"datasets": {"<dataset>": {"columns": {...}}}}
  --pattern <pattern>                how keys below the input map to datasets and partitions, default
                                     '{dataset}/**/{file}' (a top-level folder is a dataset); e.g.
                                     '{dataset}/{dt}/{file}' makes dt a Hive partition column
${CSV_FLAGS_USAGE}
  --json                             print one JSON summary on stdout`;

/** Exit codes of a run stopped by a signal, as a shell reports a process it killed: 128 + the signal's number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * An AbortSignal that SIGINT (Ctrl-C) and SIGTERM abort, so that a run stops cleanly: its conversions are
 * stopped, their temporary files removed, the report written and the run recorded ABORTED. A second signal
 * exits at once (the next run sweeps what is left).
 */
function stopOnSignals(): { signal: AbortSignal; exitCode: () => number | undefined; dispose(): void } {
  const controller = new AbortController();
  let received: string | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (received) process.exit(SIGNAL_EXIT[received]);
    received = name;
    process.stderr.write(`\ncsv2lake: ${name}: stopping the run (again to quit at once)\n`);
    controller.abort(name);
  };
  for (const name of Object.keys(SIGNAL_EXIT)) process.on(name, onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received ? SIGNAL_EXIT[received] : undefined),
    dispose: () => {
      for (const name of Object.keys(SIGNAL_EXIT)) process.off(name, onSignal);
    },
  };
}

/** The exit code of a run or redrive: 0 succeeded, 1 failed, 130/143 stopped by SIGINT/SIGTERM. */
function exitCodeOf(status: string, stop: { exitCode: () => number | undefined }): number {
  if (status === 'SUCCEEDED') return 0;
  return (status === 'ABORTED' ? stop.exitCode() : undefined) ?? 1;
}

/** `csv2lake run`. */
export const run: CliCommand = {
  summary: 'run the whole workflow locally over a folder or an S3-compatible endpoint',
  usage: RUN_USAGE,
  async run(args) {
    const parsed = parseFlags(args, {
      input: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      ...AWS_FLAGS,
      concurrency: { type: 'string' },
      'range-bytes': { type: 'string' },
      format: { type: 'string' },
      schema: { type: 'string' },
      pattern: { type: 'string' },
      ...CSV_FLAGS,
      json: { type: 'boolean' },
    });
    const v = parsed.values;
    if (!v.input || !v.output)
      throw new UsageError(`--input and --output are required. Run 'csv2lake run --help'`);
    const format = v.format ?? 'both';
    if (!['parquet', 'avro', 'both'].includes(format))
      throw new UsageError(`--format must be parquet, avro or both`);
    const formats: OutputFormat[] = format === 'both' ? ['parquet', 'avro'] : [format as OutputFormat];
    // `!== undefined`: an empty value (`--range-bytes=`) is bad usage, not the default.
    const concurrency = v.concurrency !== undefined ? Number(v.concurrency) : undefined;
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0))
      throw new UsageError('--concurrency must be a whole number > 0');
    const rangeBytes = v['range-bytes'] !== undefined ? Number(v['range-bytes']) : undefined;
    if (rangeBytes !== undefined && !(Number.isSafeInteger(rangeBytes) && rangeBytes >= MIN_RANGE_BYTES))
      throw new UsageError(`--range-bytes must be a whole number >= ${MIN_RANGE_BYTES}`);
    const { csv, nullTokens } = csvFlagOptions(v);
    const { endpoint } = awsFlagOptions(v);
    if (v.schema && !v.schema.startsWith('s3://') && !existsSync(v.schema))
      throw new UsageError(
        `--schema ${v.schema}: no such file (give a local schema file or s3://bucket/key)`,
      );
    const { LocalRunner, parseLocation } = await import('../local/runner');
    const stop = stopOnSignals();
    const result = await LocalRunner.run({
      signal: stop.signal,
      csv,
      ...(nullTokens ? { nullTokens } : {}),
      input: parseLocation(v.input),
      output: parseLocation(v.output),
      formats,
      ...(endpoint ? { endpoint } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(rangeBytes ? { rangeBytes } : {}),
      // A local schema file is read by the converters wherever they run: its absolute path.
      ...(v.schema ? { schemaLocation: v.schema.startsWith('s3://') ? v.schema : resolve(v.schema) } : {}),
      ...(v.pattern ? { datasetPattern: v.pattern } : {}),
      ...(v.json ? {} : { onProgress: progressPrinter() }),
    }).finally(() => stop.dispose());
    process.stdout.write((v.json ? JSON.stringify(result) : summaryTable(result)) + '\n');
    return exitCodeOf(result.status, stop);
  },
};

/** The `<run id> --output … [--endpoint-url URL] [--region R] [--profile P] [--json]` of the commands about one local run. */
function parseRunRef(args: readonly string[], command: string) {
  const parsed = parseFlags(
    args,
    { output: { type: 'string', short: 'o' }, ...AWS_FLAGS, json: { type: 'boolean' } },
    true,
  );
  const [runId] = parsed.positionals;
  if (!runId || !parsed.values.output)
    throw new UsageError(`give the run id and --output of the run. Run 'csv2lake ${command} --help'`);
  const { endpoint } = awsFlagOptions(parsed.values);
  return { runId, endpoint, parsed: parsed as typeof parsed & { values: { output: string } } };
}

/** `csv2lake redrive <run id> --output …` for local runs. */
export const localRedrive: CliCommand = {
  summary: 'redrive a failed run: only its failed files run again, then the report',
  usage: `Usage: csv2lake redrive <run id> --output <dir | s3://bucket/prefix> [options]
       csv2lake redrive <executionArn> [--region R] [--profile P]     (a run on AWS)

Runs a failed or interrupted run again from where it stopped: only its failed files are converted again
(with the CSV options, schema and dataset pattern the run was started with), then the report is written
anew. Exit code 0 when the run then succeeds, 1 when files still fail.

Options:
  -o, --output <dir | s3://bucket/prefix>   the run's output (required for a local run)
${AWS_FLAGS_USAGE}
  --json                             print one JSON summary on stdout`,
  async run(args) {
    const { runId, endpoint, parsed } = parseRunRef(args, 'redrive');
    const { LocalRunner, parseLocation } = await import('../local/runner');
    const stop = stopOnSignals();
    const result = await LocalRunner.redrive(runId, parseLocation(parsed.values.output), {
      signal: stop.signal,
      ...(endpoint ? { endpoint } : {}),
      ...(parsed.values.json ? {} : { onProgress: progressPrinter() }),
    }).finally(() => stop.dispose());
    process.stdout.write((parsed.values.json ? JSON.stringify(result) : summaryTable(result)) + '\n');
    return exitCodeOf(result.status, stop);
  },
};

/**
 * `csv2lake status <run id> --output …` for local runs: what its record says, a RUNNING run whose process
 * died shown as ABORTED (and redrivable).
 */
export const localStatus: CliCommand = {
  summary: 'show a local run’s status: RUNNING, SUCCEEDED, FAILED or ABORTED (stopped, or its process died)',
  usage: `Usage: csv2lake status <run id> --output <dir | s3://bucket/prefix> [options]
       csv2lake status <executionArn> [--output-bucket B] [--region R] [--profile P]   (a run on AWS)

Shows a local run's status from its record: RUNNING, SUCCEEDED, FAILED, or ABORTED (stopped, or its process
died, e.g. kill -9: then it can be redriven), its error, the redrive command and the report's path. Exit
code 0 when it succeeded or is running, 1 otherwise.

Options:
  -o, --output <dir | s3://bucket/prefix>   the run's output (required)
${AWS_FLAGS_USAGE}
  --json                             print the status as one JSON object`,
  async run(args) {
    const { runId, endpoint, parsed } = parseRunRef(args, 'status');
    const { LocalRunner, parseLocation } = await import('../local/runner');
    const s = await LocalRunner.status(runId, parseLocation(parsed.values.output), {
      ...(endpoint ? { endpoint } : {}),
    });
    if (parsed.values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else
      process.stdout.write(
        [
          `${s.runId}: ${s.status}${s.died ? ` (${s.died})` : ''}`,
          ...(s.error ? [`  error    ${s.error.name}: ${s.error.message}`] : []),
          ...(s.resumeAt
            ? [
                `  redrive  ${s.redrive ?? `csv2lake redrive ${s.runId} --output ${parsed.values.output}`} (resumes at ${s.resumeAt})`,
              ]
            : []),
          `  report   ${s.reportPath}`,
        ].join('\n') + '\n',
      );
    return s.status === 'SUCCEEDED' || s.status === 'RUNNING' ? 0 : 1;
  },
};
