/*
 * The run report: what happened to every key of a run, from the Distributed Map result files, the per-item
 * records and the run's earlier report. The parts live in ./report/: accounting (the compact per-key
 * account), result-files (reading and finding the maps' results), rendering (report.json, report.md,
 * failed-items.json).
 */
import type { OutputFormat } from '../core/convert';
import type { ObjectInfo, ObjectStore } from '../io/object-store';
import { readText } from '../io/object-text';
import type { ConvertItem, ConvertResult, MapResultLocation, RunContext } from '../shared/payloads';
import { RunDatasets } from '../lake/run-datasets';
import { type ItemAccount, RunAccounting } from './report/accounting';
import { earlierReportLines, type Prices, reportList, type RunReport } from './report/rendering';
import { manifestEntries, readManifest } from './report/result-files';

export type { ItemAccount, ItemError, OutputCollision } from './report/accounting';
export { renderReport, writeRunReport, type ReportList, type RunReport } from './report/rendering';
export {
  findRunMapResults,
  JsonArraySplitter,
  type MapResultEntry,
  parseResultFile,
  resultEntries,
} from './report/result-files';

/**
 * Unit prices for the cost estimate (us-east-1, on-demand, as published by AWS in 2026). Override them
 * through {@link ReportOptions.prices}.
 */
export const DEFAULT_PRICES: Prices = {
  /** Step Functions standard, per state transition. */
  stateTransition: 0.000025,
  /** Lambda x86_64, per GB-second. */
  lambdaGbSecond: 0.0000166667,
  /** Lambda, per request. */
  lambdaRequest: 0.0000002,
  /** S3 Standard PUT, COPY, POST, LIST, per request. */
  s3Write: 0.000005,
  /** S3 Standard GET, HEAD, per request. */
  s3Read: 0.0000004,
};

/** Transitions per child execution: Choice, Parallel, two Tasks, their branch ends, the child's end. */
const TRANSITIONS_PER_ITEM = 7;

/**
 * Records read at once. Each GET of a small record is latency (~10-20 ms on S3) rather than work, so many
 * run together; 48 stays under the S3 client's 50 sockets (lambdas/io/s3-object-store.ts), so no request
 * waits for a socket while it counts against the idle timeout.
 */
const RECORD_READS = 48;

/** What the report needs besides the store. */
export interface ReportOptions {
  /** Converter memory, MB, for the Lambda GB-seconds of the estimate. */
  readonly lambdaMemoryMb: number;
  /** @default DEFAULT_PRICES */
  readonly prices?: Partial<Prices>;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Runs `work` over every object under a prefix, `limit` at once, page by page as the listing comes (the
 * next page is asked for while this one is read): at most two pages of keys are held, whatever their number.
 */
async function eachListed(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  limit: number,
  work: (object: ObjectInfo) => Promise<void>,
): Promise<void> {
  let page = store.list(bucket, prefix, {});
  for (;;) {
    const current = await page;
    const token = current.nextToken;
    if (token) {
      page = store.list(bucket, prefix, { token });
      // Awaited on the next turn; until then a failure must not count as unhandled.
      page.catch(() => undefined);
    }
    await eachLimit(current.objects, limit, work);
    if (!token) return;
  }
}

/** The key of a `files` element of report.json, read without parsing the rest when it leads the line. */
function leadingKey(text: string): string | undefined {
  const open = '{"key":"';
  if (!text.startsWith(open)) return undefined;
  for (let i = open.length; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22 /* " */) return JSON.parse(text.slice(open.length - 1, i + 1)) as string;
  }
  return undefined;
}

/**
 * Keeps what the run's earlier report (report.json, when there is one) knew of the keys this reduction has
 * nothing on: the reducer that the execution-status rule invokes may find fewer map results than the last
 * reduce had (an aborted Map Run writes none), and a key reported once is never lost.
 * @throws Error when report.json exists but is not in the layout the reducer writes
 */
async function carryEarlierReport(
  store: ObjectStore,
  run: RunContext,
  account: RunAccounting,
): Promise<void> {
  const key = `_runs/${run.runId}/report.json`;
  if (!(await store.head(run.outputBucket, key))) return;
  let files = false;
  for await (const line of earlierReportLines(await store.get(run.outputBucket, key))) {
    if ('field' in line) {
      files ||= line.field === 'files';
      continue;
    }
    if (line.list === 'files') {
      const known = leadingKey(line.text);
      if (known !== undefined && account.knows(known)) continue;
      account.carryFile(JSON.parse(line.text) as ItemAccount);
    } else if (line.list === 'failedItems') account.carryFailedItem(JSON.parse(line.text) as ConvertItem);
    else if (line.list === 'ignoredKeys') account.carryIgnored(JSON.parse(line.text) as string);
  }
  if (!files)
    throw new Error(
      `${key}: the run's earlier report has no "files" list in the layout the reducer writes; move it aside ` +
        'and reduce again',
    );
}

/**
 * Builds the run report from, in this order: the Distributed Map result files (children that failed without
 * a record — throttled, timed out before starting, crashed — and the keys the map ignored; later maps
 * overriding earlier ones), the per-item records (`_runs/<runId>/items/`, one per key and format,
 * overwritten by every attempt, so retries and redrives are counted once), and the earlier report of the
 * run (keys neither of the others knows; see {@link RunAccounting.settle} for how a key is decided).
 * Memory: the compact account (a few dozen bytes per key), one result entry, two listing pages and
 * `RECORD_READS` records at a time.
 */
export async function buildRunReport(
  store: ObjectStore,
  run: RunContext,
  mapResults: readonly MapResultLocation[],
  options: ReportOptions,
  now: Date,
): Promise<RunReport> {
  const runFormats = Object.keys(run.outputPrefixes) as OutputFormat[];
  const account = new RunAccounting(run, runFormats);
  // Maps first: a record's source ETag is kept only for keys whose child failed (see SameVersion).
  for (const location of mapResults) {
    const manifest = await readManifest(store, location);
    if (!manifest) continue;
    for await (const { kind, entry } of manifestEntries(store, manifest)) account.addChild(kind, entry);
  }
  const datasets = new RunDatasets(store, run, runFormats);
  await eachListed(store, run.outputBucket, `_runs/${run.runId}/items/`, RECORD_READS, async (o) => {
    const record = JSON.parse(await readText(store, run.outputBucket, o.key)) as ConvertResult;
    account.addRecord(record);
    await datasets.addRecord(record);
  });
  await carryEarlierReport(store, run, account);
  account.settle();
  // A key the maps passed over as not CSV (the deployment's suffixes, which the reducer does not know) has no
  // output to be stale, and the retry map would pass over it again: listed as stale, it would loop AnyStale.
  const lake = await datasets.finish((key) => account.isIgnored(key));
  // A failed file goes round the retry map already: not twice.
  const failedKeys = new Set<string>();
  for (const item of account.failedItems()) failedKeys.add(item.key);
  const staleItems = lake.staleItems.filter((item) => !failedKeys.has(item.key));

  const converted = account.count('converted');
  const skipped = account.count('skipped');
  const failed = account.count('failed');
  const fileCount = converted + skipped + failed;
  const ignored = account.ignored;
  const totals = account.totals();
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  const formats = runFormats.length;
  const lambdaGbSeconds = (account.lambdaMs / 1000) * (options.lambdaMemoryMb / 1024);
  const stateTransitions = 10 + (fileCount + ignored) * TRANSITIONS_PER_ITEM;
  const s3Requests = fileCount * formats * 5 + account.records * 2 + Math.ceil((fileCount + ignored) / 1000);
  const usd =
    stateTransitions * prices.stateTransition +
    lambdaGbSeconds * prices.lambdaGbSecond +
    fileCount * formats * prices.lambdaRequest +
    s3Requests * prices.s3Write;
  const isFailed = (s: string) => s === 'failed';

  return {
    runId: run.runId,
    status: failed > 0 ? 'FAILED' : 'SUCCEEDED',
    generatedAt: now.toISOString(),
    input: { bucket: run.inputBucket, prefix: run.inputPrefix },
    items: { total: fileCount + ignored, converted, skipped, failed, ignored },
    rows: totals.rows,
    rejectedRows: totals.rejectedRows,
    bytesIn: totals.bytesIn,
    bytesOut: totals.bytesOut,
    durationMs: totals.durationMs,
    drift: account.drift(),
    collisions: account.collisions(),
    cost: {
      stateTransitions,
      lambdaGbSeconds: Math.round(lambdaGbSeconds * 1000) / 1000,
      s3Requests,
      usd: Math.round(usd * 1e6) / 1e6,
      prices,
    },
    failures: reportList(failed, function* () {
      for (const f of account.files(isFailed)) yield { key: f.key, errors: f.errors };
    }),
    // Retried with the version the file has then, not the one listed (see ConvertItem.current).
    failedItems: reportList(account.failedItemCount, () => account.failedItems()),
    files: reportList(fileCount, () => account.files()),
    rejectedFiles: { [Symbol.iterator]: () => account.rejectedFiles() },
    ignoredKeys: reportList(ignored, () => account.ignoredKeys()),
    datasets: lake.datasets,
    staleItems,
    partitions: lake.partitions,
    schemas: lake.schemas,
  };
}
