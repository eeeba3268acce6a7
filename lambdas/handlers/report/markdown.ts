/*
 * report.md: what a person reads first. Written for the run it describes (its input as the user named it,
 * the redrive that fits where it ran), sizes and durations in human units, and bounded whatever the number
 * of files, columns or datasets: lists are capped with a count of the rest, which report.json holds.
 */
import { printable } from '../../core/model/errors';
import type { DatasetColumnTypes } from './file-schemas';
import { awsOrigin, type RedriveHint } from './origin';
import type { RunReport } from './report-types';
import { formatBytes, formatDuration } from '../../shared/units';

/** Failed files, and files with rejected rows, listed; the rest are counted. */
const MAX_FAILURES = 200;
/** Entries of the other per-file lists (rejects, collisions, converted again). */
const MAX_LISTED = 50;
/** Datasets whose column types are listed, and columns per dataset. */
const MAX_TYPED_DATASETS = 50;
const MAX_TYPED_COLUMNS = 100;

/**
 * A key as Markdown code: on one line whatever it holds (see printable), in a backtick fence longer than
 * any run of backticks in it.
 */
function code(key: string): string {
  const text = printable(key);
  const fence = '`'.repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return `${fence}${text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text}${fence}`;
}

/** Text for a Markdown table cell: one line, no column separator. */
function cell(text: string): string {
  return printable(text).replace(/\|/g, '\\|');
}

/** The first `n` elements of an iterable. */
function* first<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}

/** `1 file`, `3 files`. */
function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** What to do about failed files, where the run ran. */
function redriveLines(runId: string, hint: RedriveHint): string[] {
  if (hint.kind === 'local')
    return [
      'Fix or remove them, then redrive the run (only these files run again, with the options the run was',
      'started with):',
      '',
      '```sh',
      hint.command,
      '```',
    ];
  return [
    `Fix or remove them, then redrive the execution (only these files run again): in the Step Functions console,`,
    `open execution ${code(runId)} and choose **Redrive**, or run`,
    '',
    '```sh',
    `aws stepfunctions redrive-execution --execution-arn ${hint.executionArn ?? `'<the ARN of execution ${runId}>'`}`,
    '```',
  ];
}

/** The report as a person reads it (report.md). */
export function renderReport(report: RunReport): string {
  const origin = report.origin ?? awsOrigin(report.input);
  const rejects = report.rejectedRows > 0;
  const out = Object.entries(report.bytesOut)
    .map(([f, n]) => `${f} ${formatBytes(n)}`)
    .join(', ');
  const lines = [
    `# csv2lake run ${report.runId}: ${report.status}`,
    '',
    `Input: ${code(origin.input)}${origin.endpoint ? ` at ${code(origin.endpoint)}` : ''} — generated ${report.generatedAt}`,
    '',
    `| files | converted | skipped (unchanged) | failed | not CSV | rows |${rejects ? ' rejected rows |' : ''} in | out | converter time |`,
    `|---|---|---|---|---|---|${rejects ? '---|' : ''}---|---|---|`,
    `| ${report.items.total} | ${report.items.converted} | ${report.items.skipped} | ${report.items.failed} | ` +
      `${report.items.ignored} | ${report.rows} |${rejects ? ` ${report.rejectedRows} |` : ''} ` +
      `${formatBytes(report.bytesIn)} | ${out || '—'} | ${formatDuration(report.durationMs)} |`,
    '',
    ...(report.plan
      ? [
          `Planned ${report.plan.planned} of ${report.plan.listed} listed keys; ${report.plan.unchanged} unchanged and ` +
            `${report.plan.ignored} not CSV were accounted without starting a conversion.`,
          '',
        ]
      : []),
    `${origin.redrive.kind === 'local' ? 'On AWS, this run would cost about' : 'Estimated AWS cost:'} ` +
      `$${report.cost.usd.toFixed(4)} (${report.cost.stateTransitions} state transitions, ${report.cost.lambdaRequests} ` +
      `Lambda invocations, ${report.cost.lambdaGbSeconds} Lambda GB-s, ${report.cost.s3Requests} S3 requests).`,
  ];
  if (report.failures.length > 0) {
    lines.push('', '## Failed files', '', ...redriveLines(report.runId, origin.redrive), '');
    for (const f of first(report.failures, MAX_FAILURES)) {
      lines.push(
        `- ${code(f.key)}: ${printable(f.errors.map((e) => `${e.format} ${e.type}: ${e.message}`).join('; '))}`,
      );
    }
    if (report.failures.length > MAX_FAILURES)
      lines.push(`- … and ${report.failures.length - MAX_FAILURES} more in report.json`);
  }
  if (report.collisions.length > 0) {
    lines.push(
      '',
      '## Output collisions',
      '',
      'These input files map to the same output object; only the last one written is there. Rename one of them.',
      '',
    );
    for (const c of report.collisions.slice(0, MAX_LISTED))
      lines.push(`- ${code(c.outputKey)} ← ${c.inputKeys.map(code).join(', ')}`);
  }
  if (rejects) {
    let listed = 0;
    for (const f of first(report.rejectedFiles, MAX_FAILURES)) {
      if (listed++ === 0) lines.push('', '## Files with rejected rows', '');
      lines.push(`- ${code(f.key)}: ${f.rejectedRows} rows (in its rejects file under \`_rejects/\`)`);
    }
  }
  lines.push(...renderColumnTypes(report.columnTypes), ...renderDatasets(report));
  return lines.join('\n') + '\n';
}

/** Up to three keys, and how many more. */
function someKeys(use: { files: number; keys: readonly string[] }): string {
  const more = use.files - use.keys.length;
  return `${use.keys.map(code).join(', ')}${more > 0 ? `, … ${more} more` : ''}`;
}

/**
 * The column types section: per dataset, the type most of its files converted in this run give each column,
 * and the files that give another type or lack the column (a few named, the rest counted).
 */
function renderColumnTypes(datasets: readonly DatasetColumnTypes[]): string[] {
  if (datasets.length === 0) return [];
  const lines = [
    '',
    '## Column types',
    '',
    'Per dataset, the type most of its files converted in this run give each column; files that differ are',
    'named (every file’s columns are in report.json).',
  ];
  for (const d of datasets.slice(0, MAX_TYPED_DATASETS)) {
    const differs = d.missing.size > 0 || d.columns.some((c) => c.otherTypes.length > 0);
    lines.push(
      '',
      `### ${d.dataset ? code(d.dataset) : '(top level)'}: ${plural(d.files, 'file')}, ${plural(d.columns.length, 'column')}`,
      '',
      differs ? '| column | type | files that differ |' : '| column | type |',
      differs ? '|---|---|---|' : '|---|---|',
    );
    for (const c of d.columns.slice(0, MAX_TYPED_COLUMNS)) {
      const other = [
        ...c.otherTypes.map((t) => `${cell(t.type)} in ${plural(t.files, 'file')} (${someKeys(t)})`),
        ...(d.missing.has(c.name)
          ? [`missing in ${plural(d.missing.get(c.name)!.files, 'file')} (${someKeys(d.missing.get(c.name)!)})`]
          : []),
      ];
      lines.push(
        `| ${cell(c.name)} | ${cell(c.type)} |${differs ? ` ${other.join('; ').replace(/\|/g, '\\|')} |` : ''}`,
      );
    }
    if (d.columns.length > MAX_TYPED_COLUMNS)
      lines.push('', `… and ${d.columns.length - MAX_TYPED_COLUMNS} more columns in report.json.`);
  }
  if (datasets.length > MAX_TYPED_DATASETS)
    lines.push('', `… and ${datasets.length - MAX_TYPED_DATASETS} more datasets in report.json.`);
  return lines;
}

/** The datasets section of report.md: one table per dataset, what evolved, what was converted again. */
function renderDatasets(report: RunReport): string[] {
  if (report.datasets.length === 0 && !report.catalog) return [];
  const lines = ['', '## Datasets', ''];
  if (report.catalog) {
    const where =
      report.catalog.target === 'glue'
        ? `Glue database \`${report.catalog.database}\``
        : `\`_catalog/${report.catalog.database}/\` (the Glue table definitions a deployment would register)`;
    lines.push(
      `Tables in ${where}: ${report.catalog.tables.map((t) => `\`${t}\``).join(', ') || 'none'}.`,
      '',
    );
    for (const e of report.catalog.errors)
      lines.push(`- not registered: ${code(e.dataset)}: ${printable(e.message)}`);
    if (report.catalog.errors.length > 0) lines.push('');
  }
  lines.push(
    '| dataset | schema version | columns | evolved in this run | converted again |',
    '|---|---|---|---|---|',
  );
  for (const d of report.datasets) {
    const evolved = d.evolved
      .map((c) => (c.from ? `${c.column}: ${c.from} → ${c.to}` : `${c.column} added (${c.to})`))
      .join('; ');
    const version = d.versionAtStart === d.version ? `${d.version}` : `${d.versionAtStart} → ${d.version}`;
    lines.push(
      `| ${code(d.dataset)} | ${version} | ${d.columns.length} | ${cell(evolved) || '—'} | ${d.reconverted.length} |`,
    );
  }
  for (const d of report.datasets) {
    if (d.reconverted.length === 0) continue;
    lines.push('', `Converted again in ${code(d.dataset)} (its outputs must all hold one schema):`, '');
    for (const r of d.reconverted.slice(0, MAX_LISTED)) lines.push(`- ${code(r.key)}: ${printable(r.reason)}`);
    if (d.reconverted.length > MAX_LISTED)
      lines.push(`- … and ${d.reconverted.length - MAX_LISTED} more in report.json`);
  }
  return lines;
}
