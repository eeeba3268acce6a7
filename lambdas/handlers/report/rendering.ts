/*
 * The report as written: report.json (streamed, an element per line for the per-file lists), report.md (what
 * a person reads first) and failed-items.json (the retry map's item list).
 */
import type { OutputFormat } from '../../core/model/options';
import { printable } from '../../core/model/errors';
import type { ObjectStore } from '../../io/object-store';
import type { ConvertItem, ReduceResult, RunContext } from '../../shared/payloads';
import type { DatasetSchema } from '../../lake/dataset-schema';
import type { InventorySources } from '../../lake/inventory-update';
import { writeText } from '../../lake/inventory-io';
import type { DatasetReport, PartitionValues } from '../../lake/run-datasets';
import type { ItemAccount, ItemError, OutputCollision } from './accounting';
import type { PlanReport } from './planned';

/**
 * A list of the report that may hold an element per key (a million): iterated, each time anew, when it is
 * written, never held as an array.
 */
export interface ReportList<T> extends Iterable<T> {
  readonly length: number;
}

/** A {@link ReportList} of `length` elements that `elements` gives, each time it is called. */
export function reportList<T>(length: number, elements: () => Iterator<T>): ReportList<T> {
  return { length, [Symbol.iterator]: elements };
}

/**
 * A {@link ReportList} whose elements may come asynchronously (merged with the plan's passed keys, which are
 * streamed from S3): iterated each time anew when report.json is written.
 */
export interface AsyncReportList<T> extends AsyncIterable<T> {
  readonly length: number;
}

/** An {@link AsyncReportList} of `length` elements that `elements` gives, each time it is called. */
export function asyncReportList<T>(
  length: number,
  elements: () => AsyncIterable<T> | Iterable<T>,
): AsyncReportList<T> {
  return {
    length,
    async *[Symbol.asyncIterator]() {
      yield* elements();
    },
  };
}

/** Unit prices of the cost estimate, USD. */
export interface Prices {
  stateTransition: number;
  lambdaGbSecond: number;
  lambdaRequest: number;
  s3Write: number;
  s3Read: number;
}

/** The run report (report.json), its per-key lists lazy. */
export interface RunReport {
  runId: string;
  status: 'SUCCEEDED' | 'FAILED';
  generatedAt: string;
  input: { bucket: string; prefix: string };
  /** `total` is the sum of the others: every key is a file (converted, skipped, failed) or not CSV. */
  items: { total: number; converted: number; skipped: number; failed: number; ignored: number };
  /** What the plan decided (absent for a run without one): the keys it passed over are in `items` too. */
  plan?: PlanReport;
  rows: number;
  rejectedRows: number;
  bytesIn: number;
  bytesOut: Partial<Record<OutputFormat, number>>;
  durationMs: number;
  drift: { folder: string; differences: string[] }[];
  /** Input keys that map to the same output key (e.g. `a.csv` and `a.csv.gz`): only one output survives. */
  collisions: OutputCollision[];
  /**
   * What the run did, priced: transitions of the executions that ran (a key the plan passed over starts
   * none), Lambda invocations and GB-seconds (converters and planner), S3 requests (reads: GET, HEAD;
   * writes: PUT, LIST) of the converters by outcome, of the maps, and the planner's and this reduction's as
   * counted.
   */
  cost: {
    stateTransitions: number;
    lambdaRequests: number;
    lambdaGbSeconds: number;
    s3Requests: number;
    s3Reads: number;
    s3Writes: number;
    usd: number;
    prices: Prices;
  };
  failures: ReportList<{ key: string; errors: ItemError[] }>;
  /** The failed items as the Map gave them to their children (for the retry map). */
  failedItems: ReportList<ConvertItem>;
  files: AsyncReportList<ItemAccount>;
  /** Files with rejected rows (not written to report.json: report.md lists them). */
  rejectedFiles: Iterable<ItemAccount>;
  ignoredKeys: AsyncReportList<string>;
  /** Per dataset: its schema version, what evolved in this execution, files converted again and why. */
  datasets: readonly DatasetReport[];
  /** The catalog after this reduction: database, tables written, and datasets that could not be registered. */
  catalog?: CatalogReport;
  /**
   * Outputs written with an older schema of their dataset, to convert again (the retry map's items, after
   * the failed ones; not in report.json: `datasets[].reconverted` says which and why).
   */
  staleItems: readonly ConvertItem[];
  /** Partition values of the files of this run, per dataset (for the catalog; not in report.json). */
  partitions: ReadonlyMap<string, PartitionValues>;
  /** The stored schema of each dataset of the run (for the catalog; not in report.json). */
  schemas: ReadonlyMap<string, DatasetSchema>;
  /** A run with a plan: what its inventory is made of (not in report.json). */
  inventory?: InventorySources;
}

/** What the reducer did to the catalog. */
export interface CatalogReport {
  readonly database: string;
  /** Where the definitions went: Glue, or `_catalog/` of a local run. */
  readonly target: 'glue' | 'local';
  readonly tables: readonly string[];
  readonly errors: readonly { readonly dataset: string; readonly message: string }[];
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

/** The elements of two iterables, one after the other. */
function* concat<T>(a: Iterable<T>, b: Iterable<T>): Generator<T> {
  yield* a;
  yield* b;
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

/** The report as a person reads it (report.md). */
export function renderReport(report: RunReport): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const lines = [
    `# csv2lake run ${report.runId}: ${report.status}`,
    '',
    `Input: s3://${report.input.bucket}/${report.input.prefix} — generated ${report.generatedAt}`,
    '',
    '| files | converted | skipped (unchanged) | failed | not CSV | rows | rejected rows | in | out |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${report.items.total} | ${report.items.converted} | ${report.items.skipped} | ${report.items.failed} | ${report.items.ignored} | ${report.rows} | ${report.rejectedRows} | ${mb(report.bytesIn)} | ${Object.entries(
      report.bytesOut,
    )
      .map(([f, n]) => `${f} ${mb(n)}`)
      .join(', ')} |`,
    '',
    ...(report.plan
      ? [
          `Planned ${report.plan.planned} of ${report.plan.listed} listed keys; ${report.plan.unchanged} unchanged and ` +
            `${report.plan.ignored} not CSV were accounted without starting a conversion.`,
          '',
        ]
      : []),
    `Estimated AWS cost: $${report.cost.usd.toFixed(4)} (${report.cost.stateTransitions} state transitions, ${report.cost.lambdaRequests} Lambda invocations, ${report.cost.lambdaGbSeconds} Lambda GB-s, ${report.cost.s3Requests} S3 requests).`,
  ];
  if (report.failures.length > 0) {
    lines.push(
      '',
      '## Failed files',
      '',
      'Fix or remove them, then Redrive the execution in the Step Functions console (only these run again).',
      '',
    );
    for (const f of first(report.failures, 200)) {
      lines.push(
        `- ${code(f.key)}: ${printable(f.errors.map((e) => `${e.format} ${e.type}: ${e.message}`).join('; '))}`,
      );
    }
    if (report.failures.length > 200)
      lines.push(`- … and ${report.failures.length - 200} more in report.json`);
  }
  if (report.drift.length > 0) {
    lines.push('', '## Schema drift', '');
    for (const d of report.drift)
      for (const line of d.differences.slice(0, 50)) lines.push(`- ${d.folder || '(top level)'}: ${line}`);
  }
  if (report.collisions.length > 0) {
    lines.push(
      '',
      '## Output collisions',
      '',
      'These input files map to the same output object; only the last one written is there. Rename one of them.',
      '',
    );
    for (const c of report.collisions.slice(0, 50))
      lines.push(`- ${code(c.outputKey)} ← ${c.inputKeys.map(code).join(', ')}`);
  }
  let heading = false;
  for (const f of first(report.rejectedFiles, 200)) {
    if (!heading) lines.push('', '## Files with rejected rows', '');
    heading = true;
    lines.push(`- ${code(f.key)}: ${f.rejectedRows} rows (in its rejects file under \`_rejects/\`)`);
  }
  lines.push(...renderDatasets(report));
  return lines.join('\n') + '\n';
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
      `| ${code(d.dataset)} | ${version} | ${d.columns.map((c) => `${c.name} ${c.type}`).join(', ')} | ${printable(evolved) || '—'} | ${d.reconverted.length} |`,
    );
  }
  for (const d of report.datasets) {
    if (d.reconverted.length === 0) continue;
    lines.push('', `Converted again in ${code(d.dataset)} (its outputs must all hold one schema):`, '');
    for (const r of d.reconverted.slice(0, 50)) lines.push(`- ${code(r.key)}: ${printable(r.reason)}`);
    if (d.reconverted.length > 50) lines.push(`- … and ${d.reconverted.length - 50} more in report.json`);
  }
  return lines;
}

/** The JSON text of an array, one element per line, piece by piece. */
async function* arrayJson(
  elements: AsyncIterable<unknown> | Iterable<unknown>,
  indent = '',
): AsyncGenerator<string> {
  let i = 0;
  for await (const element of elements)
    yield `${i++ === 0 ? '[' : ','}\n${indent}  ${JSON.stringify(element)}`;
  yield i === 0 ? '[]' : `\n${indent}]`;
}

/** The fields of report.json, in order; the lists are written an element per line. */
const REPORT_FIELDS = [
  'runId',
  'status',
  'generatedAt',
  'input',
  'items',
  'plan',
  'rows',
  'rejectedRows',
  'bytesIn',
  'bytesOut',
  'durationMs',
  'drift',
  'collisions',
  'datasets',
  'catalog',
  'cost',
  'failures',
  'failedItems',
  'files',
  'ignoredKeys',
] as const satisfies readonly (keyof RunReport)[];
const LISTS: ReadonlySet<string> = new Set(['files', 'failures', 'failedItems', 'ignoredKeys']);

/**
 * The JSON text of the report, piece by piece: the per-key lists element by element, one per line
 * (`    {…}` between a `  "name": [` line and a `  ]` line), which {@link earlierReportLines} reads back.
 */
export async function* reportJson(report: RunReport): AsyncGenerator<string> {
  let i = 0;
  for (const name of REPORT_FIELDS) {
    const field = report[name];
    // An optional field that is absent (the catalog of a run without one) is left out, as JSON.stringify does.
    if (field === undefined) continue;
    yield `${i++ === 0 ? '{' : ','}\n  ${JSON.stringify(name)}: `;
    if (LISTS.has(name)) yield* arrayJson(field as AsyncIterable<unknown> | Iterable<unknown>, '  ');
    else yield JSON.stringify(field);
  }
  yield '\n}\n';
}

/** Writes report.json, report.md and (when items failed) failed-items.json; returns the small summary. */
export async function writeRunReport(
  store: ObjectStore,
  run: RunContext,
  report: RunReport,
): Promise<ReduceResult> {
  const base = `_runs/${run.runId}/`;
  await writeText(store, run.outputBucket, `${base}report.json`, reportJson(report));
  await store.put(run.outputBucket, `${base}report.md`, renderReport(report), {
    contentType: 'text/markdown',
  });
  let failedItemsKey: string | undefined;
  if (report.failedItems.length + report.staleItems.length > 0) {
    failedItemsKey = `${base}failed-items.json`;
    // A JSON array: the retry map's ItemReader reads it. Stale outputs go round with the failed files.
    await writeText(
      store,
      run.outputBucket,
      failedItemsKey,
      arrayJson(concat(report.failedItems, report.staleItems)),
    );
  }
  return {
    runId: run.runId,
    status: report.status,
    items: { ...report.items },
    rejectedRows: report.rejectedRows,
    staleOutputs: report.staleItems.length,
    reportKey: `${base}report.json`,
    ...(failedItemsKey ? { failedItemsKey } : {}),
  };
}

/** What one line of an earlier report.json holds, for {@link earlierReportLines}. */
export type EarlierReportLine =
  | { readonly list: 'files' | 'failures' | 'failedItems' | 'ignoredKeys'; readonly text: string }
  | { readonly field: string };

/**
 * The elements of an earlier report.json's lists, as text, one at a time as its body streams (memory: a
 * line and a chunk), and the names of its other fields. Relies on the layout {@link reportJson} writes.
 */
export async function* earlierReportLines(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<EarlierReportLine> {
  const decoder = new TextDecoder();
  let rest = '';
  let list: string | undefined;
  const lineOf = (line: string): EarlierReportLine | undefined => {
    if (list !== undefined) {
      if (line.startsWith('    ')) {
        const text = line.endsWith(',') ? line.slice(4, -1) : line.slice(4);
        return { list: list as 'files', text };
      }
      if (line.startsWith('  ]')) list = undefined;
      return undefined;
    }
    const field = /^ {2}"([A-Za-z]+)": (.*)$/.exec(line);
    if (!field) return undefined;
    if (field[2] === '[' && LISTS.has(field[1]!)) list = field[1];
    return { field: field[1]! };
  };
  for await (const chunk of body) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const parsed = lineOf(line);
      if (parsed) yield parsed;
    }
  }
  const last = lineOf(rest + decoder.decode());
  if (last) yield last;
}
