/*
 * The report as written: report.json (streamed, an element per line for the per-file lists), report.md
 * (markdown.ts) and failed-items.json (the retry map's item list).
 */
import type { ObjectStore } from '../../io/object-store';
import type { ReduceResult, RunContext } from '../../shared/payloads';
import { runFolder } from '../../shared/run-keys';
import { writeText } from '../../lake/inventory-io';
import { renderReport, SplitFiles } from './markdown';
import { asyncReportList, type RunReport } from './report-types';

/** The elements of two iterables, one after the other. */
function* concat<T>(a: Iterable<T>, b: Iterable<T>): Generator<T> {
  yield* a;
  yield* b;
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
  'origin',
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

export { renderReport } from './markdown';

/** Writes report.json, report.md and (when items failed) failed-items.json; returns the small summary. */
export async function writeRunReport(
  store: ObjectStore,
  run: RunContext,
  report: RunReport,
): Promise<ReduceResult> {
  const base = runFolder(run.runId);
  // report.md shows the files converted in byte ranges: noted as report.json's files stream past, so that
  // the run's files (a million keys, the plan's passed ones read from S3) are iterated once, not twice.
  const split = new SplitFiles();
  const { files } = report;
  const noting = asyncReportList(files.length, async function* () {
    for await (const file of files) {
      split.add(file);
      yield file;
    }
  });
  await writeText(store, run.outputBucket, `${base}report.json`, reportJson({ ...report, files: noting }));
  await store.put(run.outputBucket, `${base}report.md`, renderReport(report, split), {
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
