/*
 * report.md: what a person reads first. Written for the run it describes (its input as the user named it,
 * the redrive that fits where it ran), sizes and durations in human units, and bounded whatever the number
 * of files, columns or datasets: lists are capped with a count of the rest, which report.json holds.
 */
import { printable } from '../../core/model/errors';
import type { PartFigures } from '../../shared/payloads';
import type { ItemAccount } from './accounting';
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
/** Files converted in byte ranges whose ranges are shown (each a table of up to MAX_PARTS rows). */
const MAX_SPLIT_FILES = 20;
/**
 * Ranges of one file listed in full: a 50 GB file at the default 1 GiB is 47. Beyond, the SLOWEST_PARTS
 * slowest (what bounds the file's wall time) and totals of the rest: a 1 TB file is ~1,000 ranges.
 */
const MAX_PARTS = 50;
const SLOWEST_PARTS = 10;

/**
 * The files of a run converted in byte ranges, as report.json's files stream past ({@link add}): the first
 * {@link MAX_SPLIT_FILES} in key order kept with their parts, the rest counted. Gathered while report.json
 * is written, so report.md needs no second pass over the run's files (a million keys, some streamed from S3).
 */
export class SplitFiles {
  readonly listed: ItemAccount[] = [];
  /** Split files beyond those listed. */
  more = 0;

  /** Notes a file of the report: kept when it was converted in ranges (its account has parts). */
  add(file: ItemAccount): void {
    if (!file.parts || file.parts.length === 0) return;
    if (this.listed.length < MAX_SPLIT_FILES) this.listed.push(file);
    else this.more++;
  }
}

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

/** `1,234` */
const count = (n: number): string => n.toLocaleString('en-US');

/** `1 file`, `3 files`. */
function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
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

/**
 * The report as a person reads it (report.md).
 * @param split the run's files converted in byte ranges, gathered as report.json was written
 *   (see writeRunReport) @default none
 */
export function renderReport(report: RunReport, split?: SplitFiles): string {
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
  if (split) lines.push(...renderSplitFiles(split));
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

/**
 * The files converted in byte ranges: each once, its ranges under it (bytes of input, rows, rejected rows
 * when the file has some, the conversion's time, the round when a round 2 ran), all of a file's ranges up to
 * {@link MAX_PARTS}, beyond that the slowest and the totals of the rest.
 */
function renderSplitFiles(split: SplitFiles): string[] {
  if (split.listed.length === 0) return [];
  const lines = [
    '',
    '## Files converted in byte ranges',
    '',
    'Each file below was cut at row boundaries into byte ranges converted at once, then joined into one output',
    'per format: it counts once above. Per range: the input bytes its rows span, its rows, and the time of its',
    'conversion (when all ranges run at once, the slowest bounds the file’s time; their sum is what they cost).',
  ];
  for (const file of split.listed) lines.push(...renderParts(file));
  if (split.more > 0) lines.push('', `… and ${plural(split.more, 'more file')} converted in ranges, in report.json.`);
  return lines;
}

/** One split file: a heading with its figures, then its ranges. */
function renderParts(file: ItemAccount): string[] {
  const parts = file.parts!; // split files only (SplitFiles)
  const rejects = file.rejectedRows > 0 || parts.some((p) => p.rejectedRows > 0);
  const again = parts.filter((p) => p.round === 2).length;
  const sum = parts.reduce((t, p) => t + p.durationMs, 0);
  const slowest = parts.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
  const lines = [
    '',
    `### ${code(file.key)}: ${plural(parts.length, 'range')}, ${count(file.rows)} rows` +
      `${rejects ? `, ${count(file.rejectedRows)} rejected` : ''}, ${formatBytes(file.bytesIn)}; ` +
      `slowest range ${formatDuration(slowest.durationMs)}, all ranges ${formatDuration(sum)}`,
    '',
  ];
  if (again > 0)
    lines.push(
      `Round 2 ran: a value in a later range widened a column past the type guessed from the head of the file,`,
      `so ${plural(again, 'range')} ${again === 1 ? 'was' : 'were'} converted again with the file’s final types (all its parts must hold one schema).`,
      '',
    );
  const shown =
    parts.length <= MAX_PARTS
      ? parts
      : [...parts].sort((a, b) => b.durationMs - a.durationMs || a.index - b.index).slice(0, SLOWEST_PARTS);
  if (shown !== parts) lines.push(`The ${SLOWEST_PARTS} slowest of its ${count(parts.length)} ranges:`, '');
  lines.push(
    `| range | bytes | rows |${rejects ? ' rejected rows |' : ''} time |${again > 0 ? ' round |' : ''}`,
    `|---|---|---|${rejects ? '---|' : ''}---|${again > 0 ? '---|' : ''}`,
  );
  for (const p of shown)
    lines.push(
      `| ${p.index} | ${formatBytes(p.bytesIn)} | ${count(p.rows)} |${rejects ? ` ${count(p.rejectedRows)} |` : ''} ` +
        `${formatDuration(p.durationMs)} |${again > 0 ? ` ${p.round} |` : ''}`,
    );
  if (shown !== parts) {
    const listed = new Set(shown);
    const rest = parts.filter((p) => !listed.has(p));
    const total = (of: (p: PartFigures) => number) => rest.reduce((t, p) => t + of(p), 0);
    const times = rest.map((p) => p.durationMs).sort((a, b) => a - b);
    lines.push(
      '',
      `The other ${count(rest.length)} ranges (each in report.json's \`files[].parts\`): ` +
        `${formatBytes(total((p) => p.bytesIn))}, ${count(total((p) => p.rows))} rows` +
        `${rejects ? `, ${count(total((p) => p.rejectedRows))} rejected` : ''}, ` +
        `${formatDuration(times[0]!)} to ${formatDuration(times[times.length - 1]!)} each ` +
        `(median ${formatDuration(times[times.length >> 1]!)}).`,
    );
  }
  return lines;
}
