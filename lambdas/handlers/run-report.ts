/*
 * The run report: what happened to every key of a run, from the Distributed Map result files, the per-item
 * records and the run's earlier report. The parts live in ./report/: accounting (the compact per-key
 * account, with map-results, latest-records, file-figures, file-schemas, output-keys and source-evidence
 * for its parts), result-files (reading and finding the maps' results), report-types (the report's shape),
 * rendering (report.json, failed-items.json) and markdown (report.md, in units.ts's units, for the run's
 * origin.ts).
 */
import type { OutputFormat } from '../core/model/options';
import type { ObjectInfo, ObjectStore } from '../io/object-store';
import { readText } from '../io/object-text';
import type { ConvertItem, ConvertResult, MapResultLocation, RunContext } from '../shared/payloads';
import { itemRecordsFolder, runFileKey } from '../shared/run-keys';
import { layoutOf, RunDatasets } from '../lake/run-datasets';
import { type DatasetLayout, locateKey } from '../lake/layout';
import { mergeByKey } from '../lake/inventory-io';
import { isIgnoredLine, type PassedLine, type PlanSummary, type RequestCounts } from '../lake/plan-files';
import type { KeyCursor } from '../lake/inventory-io';
import { type ItemAccount, RunAccounting } from './report/accounting';
import { PassedKeys } from './report/planned';
import { awsOrigin, executionArnOfMapRun } from './report/origin';
import { earlierReportLines } from './report/rendering';
import { asyncReportList, type Prices, reportList, type RunReport } from './report/report-types';
import { manifestEntries, readManifest } from './report/result-files';

export type { ItemAccount, ItemError, OutputCollision } from './report/accounting';
export { renderReport, writeRunReport } from './report/rendering';
export type { ReportList, RunReport } from './report/report-types';
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
 * Transitions of the top level of an execution: the input checks, BuildRun, the first map, Reduce, AnyFailed
 * and the end; with a plan, `Plan` and `AnyPlanned` besides; a round of the retry maps: AnyRetryItems,
 * RetryFailed or NoRetryItems, AnyRetryJoins, RetryJoin or NoRetryJoins, ReduceAfterRetry and AnyStale.
 */
const TOP_TRANSITIONS = 10;
const PLAN_TRANSITIONS = 2;
const RETRY_ROUND_TRANSITIONS = 6;
/** After the first map of a planned run: AnySplit, then JoinFiles or NoJoins (NothingPlanned: NoJoins only). */
const JOIN_STEP_TRANSITIONS = 2;

/**
 * S3 requests of one converter invocation, by what it did (lambdas/handlers/convert-item.ts): the dataset's
 * schema (GET) and the output's HEAD always, the input's GET when it converts; its record (PUT) always, and
 * the output (a PUT, or a multipart upload for a large one) when it converts.
 */
const CONVERTER_REQUESTS = {
  converted: { reads: 3, writes: 2 },
  skipped: { reads: 2, writes: 1 },
  failed: { reads: 2, writes: 1 },
} as const;

/** S3 requests of a Distributed Map run itself: its ItemReader's GET, its ResultWriter's manifest and files. */
const MAP_REQUESTS = { reads: 1, writes: 4 } as const;

/** What a reduction writes after the report is built: report.json, report.md, failed items, metrics. */
const REPORT_WRITES = 4;

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
  /** The S3 requests this reduction has made so far (its store counts them). @default not counted */
  readonly requests?: RequestCounts;
  /** The reducer's memory, MB. @default 1024 */
  readonly reducerMemoryMb?: number;
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

/** The dataset a key is in, for report.md's column types; a key the pattern cannot place is grouped alone. */
function datasetOf(key: string, layout: DatasetLayout): string {
  try {
    return locateKey(key, layout).dataset;
  } catch {
    return '(keys the dataset pattern cannot place)';
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
  passed: PassedKeys | undefined,
): Promise<void> {
  const key = runFileKey(run.runId, 'report.json');
  if (!(await store.head(run.outputBucket, key))) return;
  // The plan's passed keys are in the earlier report too: they are the plan's again, never carried.
  const passedFiles = passed?.cursor();
  const passedIgnored = passed?.cursor();
  const isPassed = async (cursor: KeyCursor<PassedLine> | undefined, k: string, ignored: boolean) => {
    const line = cursor ? await cursor.seek(k) : undefined;
    return line !== undefined && isIgnoredLine(line) === ignored;
  };
  let files = false;
  try {
    for await (const line of earlierReportLines(await store.get(run.outputBucket, key))) {
      if ('field' in line) {
        files ||= line.field === 'files';
        continue;
      }
      if (line.list === 'files') {
        const known = leadingKey(line.text);
        if (known !== undefined && account.knows(known)) continue;
        const file = JSON.parse(line.text) as ItemAccount;
        if (await isPassed(passedFiles, file.key, false)) continue;
        account.carryFile(file);
      } else if (line.list === 'failedItems') account.carryFailedItem(JSON.parse(line.text) as ConvertItem);
      else if (line.list === 'ignoredKeys') {
        const ignored = JSON.parse(line.text) as string;
        if (!(await isPassed(passedIgnored, ignored, true))) account.carryIgnored(ignored);
      }
    }
  } finally {
    await Promise.all([passedFiles?.close(), passedIgnored?.close()]);
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
 * overwritten by every attempt, so retries and redrives are counted once), the run's earlier report (keys
 * neither of the others knows; see {@link RunAccounting.settle} for how a key is decided), and the keys the
 * plan passed over (`_runs/<runId>/plan/`: unchanged, reported skipped; not CSV, reported ignored), which
 * are streamed from the plan whenever a list needs them, never held.
 * Memory: the compact account (a few dozen bytes per key that ran), one result entry, two listing pages,
 * `RECORD_READS` records and a passed line at a time.
 */
export async function buildRunReport(
  store: ObjectStore,
  run: RunContext,
  mapResults: readonly MapResultLocation[],
  options: ReportOptions,
  now: Date,
  /** The run's plan.json (`readPlanSummary`, read once per reduction by the caller), absent without one. */
  plan: PlanSummary | undefined,
): Promise<RunReport> {
  const runFormats = Object.keys(run.outputPrefixes) as OutputFormat[];
  const account = new RunAccounting(run, runFormats);
  const passed = plan ? new PassedKeys(store, run, plan) : undefined;
  // Maps first: a record's source ETag is kept only for keys whose child failed (see SameVersion).
  let maps = 0;
  let executionArn: string | undefined;
  for (const location of mapResults) {
    const manifest = await readManifest(store, location);
    if (!manifest) continue;
    maps++;
    // The execution the report describes, for its redrive command: the Map Run's ARN names it.
    const mapRunArn = manifest.manifest.MapRunArn;
    executionArn ??= mapRunArn ? executionArnOfMapRun(mapRunArn) : undefined;
    for await (const { kind, entry } of manifestEntries(store, manifest)) account.addChild(kind, entry);
  }
  const datasets = new RunDatasets(store, run, runFormats);
  await eachListed(store, run.outputBucket, itemRecordsFolder(run.runId), RECORD_READS, async (o) => {
    const record = JSON.parse(await readText(store, run.outputBucket, o.key)) as ConvertResult;
    account.addRecord(record);
    await datasets.addRecord(record);
  });
  await carryEarlierReport(store, run, account, passed);
  account.settle();
  // The plan's unchanged keys are the run's as a key both converters skipped was: each format's output holds
  // the schema its entry names (current, unless this execution changed the dataset's: then it is stale).
  const layout = layoutOf(run);
  if (passed)
    await passed.count(account, async (entry) => {
      let dataset: string;
      try {
        dataset = locateKey(entry.k, layout).dataset;
      } catch {
        return; // never passed: a key the pattern cannot place is always planned
      }
      for (const format of runFormats)
        await datasets.addRecord({
          key: entry.k,
          format,
          status: 'skipped',
          durationMs: 0,
          outputKey: '',
          dataset,
          schemaFingerprint: entry.s,
          at: '',
        });
    });
  // A key the maps passed over as not CSV (the deployment's suffixes, which the reducer does not know) has no
  // output to be stale, and the retry map would pass over it again: listed as stale, it would loop AnyStale.
  const lake = await datasets.finish((key) => account.isIgnored(key));
  // A failed file goes round the retry map already: not twice.
  const failedKeys = new Set<string>();
  for (const item of account.failedItems()) failedKeys.add(item.key);
  const staleItems = lake.staleItems.filter((item) => !failedKeys.has(item.key));

  const converted = account.count('converted');
  const ran = { files: account.count(), ignored: account.ignored };
  const skipped = account.count('skipped') + (passed?.unchanged ?? 0);
  const failed = account.count('failed');
  const fileCount = converted + skipped + failed;
  const ignored = ran.ignored + (passed?.ignored ?? 0);
  const totals = account.totals();
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  const formats = runFormats.length;
  // What the run did: children only for the keys that ran (a passed key started nothing), each converter
  // invocation's requests by its outcome, the planner's and this reduction's own requests as counted.
  // The map results after the first (NothingPlanned's may be empty) and, with a plan, the join map's
  // (JoinFiles, or NoJoins' empty result) are the retry maps' (RetryFailed's and RetryJoin's): ONE round as
  // far as this reduction can tell, as a loop round (AnyStale) overwrites the results of the round before.
  const retryRounds = mapResults.length > (plan ? 2 : 1) ? 1 : 0;
  // A split key (issue 16) is one file (counted once above) but `count` children in ConvertFiles and one in
  // JoinFiles: `ranges` children more in all.
  const splitChildren = plan?.ranges ?? 0;
  const stateTransitions =
    TOP_TRANSITIONS +
    (plan ? PLAN_TRANSITIONS + (ran.files + ran.ignored > 0 ? JOIN_STEP_TRANSITIONS : 1) : 0) +
    retryRounds * RETRY_ROUND_TRANSITIONS +
    (ran.files + ran.ignored + splitChildren) * TRANSITIONS_PER_ITEM;
  const lambdaRequests = (ran.files + splitChildren) * formats + (plan ? 1 : 0) + 1 + retryRounds;
  const lambdaGbSeconds =
    (account.lambdaMs / 1000) * (options.lambdaMemoryMb / 1024) +
    (plan ? (plan.durationMs / 1000) * (plan.memoryMb / 1024) : 0);
  const converters = account.converterOutcomes();
  const reads =
    converters.converted * CONVERTER_REQUESTS.converted.reads +
    converters.skipped * CONVERTER_REQUESTS.skipped.reads +
    converters.failed * CONVERTER_REQUESTS.failed.reads +
    maps * MAP_REQUESTS.reads +
    (plan?.requests.reads ?? 0) +
    (options.requests?.reads ?? account.records + Math.ceil(account.records / 1000));
  const writes =
    converters.converted * CONVERTER_REQUESTS.converted.writes +
    converters.skipped * CONVERTER_REQUESTS.skipped.writes +
    converters.failed * CONVERTER_REQUESTS.failed.writes +
    maps * MAP_REQUESTS.writes +
    (plan?.requests.writes ?? 0) +
    (options.requests?.writes ?? Math.ceil(account.records / 1000)) +
    REPORT_WRITES +
    (plan ? 1 : 0);
  const usd =
    stateTransitions * prices.stateTransition +
    lambdaGbSeconds * prices.lambdaGbSecond +
    lambdaRequests * prices.lambdaRequest +
    writes * prices.s3Write +
    reads * prices.s3Read;
  const isFailed = (s: string) => s === 'failed';
  const byKey = (file: ItemAccount) => file.key;

  return {
    runId: run.runId,
    status: failed > 0 ? 'FAILED' : 'SUCCEEDED',
    generatedAt: now.toISOString(),
    input: { bucket: run.inputBucket, prefix: run.inputPrefix },
    origin: awsOrigin({ bucket: run.inputBucket, prefix: run.inputPrefix }, executionArn),
    items: { total: fileCount + ignored, converted, skipped, failed, ignored },
    ...(passed ? { plan: passed.report() } : {}),
    rows: totals.rows,
    rejectedRows: totals.rejectedRows,
    bytesIn: totals.bytesIn,
    bytesOut: totals.bytesOut,
    durationMs: totals.durationMs,
    drift: account.drift(),
    columnTypes: account.columnTypes((key) => datasetOf(key, layout)),
    collisions: account.collisions(),
    cost: {
      stateTransitions,
      lambdaRequests,
      lambdaGbSeconds: Math.round(lambdaGbSeconds * 1000) / 1000,
      s3Requests: reads + writes,
      s3Reads: reads,
      s3Writes: writes,
      usd: Math.round(usd * 1e6) / 1e6,
      prices,
    },
    failures: reportList(failed, function* () {
      for (const f of account.files(isFailed)) yield { key: f.key, errors: f.errors };
    }),
    // Retried with the version the file has then, not the one listed (see ConvertItem.current).
    failedItems: reportList(account.failedItemCount, () => account.failedItems()),
    files: asyncReportList(fileCount, () =>
      passed ? mergeByKey(byKey, account.files(), passed.files(account)) : account.files(),
    ),
    rejectedFiles: { [Symbol.iterator]: () => account.rejectedFiles() },
    ignoredKeys: asyncReportList(ignored, () =>
      passed
        ? mergeByKey((k: string) => k, account.ignoredKeys(), passed.ignoredKeys(account))
        : account.ignoredKeys(),
    ),
    datasets: lake.datasets,
    staleItems,
    partitions: lake.partitions,
    schemas: lake.schemas,
    ...(passed
      ? {
          inventory: {
            passed: () => passed.entries(account),
            proven: (version, optionsOf) => account.inventoryEntries(version, optionsOf),
          },
        }
      : {}),
  };
}
