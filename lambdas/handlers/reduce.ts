import { pathToFileURL } from 'node:url';
import type { OutputFormat } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import { type CatalogDataset, type CatalogWriter, syncCatalog } from '../lake/catalog';
import { GlueCatalogWriter } from '../lake/glue-catalog';
import { tableLocation } from '../lake/layout';
import { awsOrigin, type RunOrigin } from './report/origin';
import type { CatalogReport } from './report/report-types';
import { readText } from '../io/object-text';
import { s3ObjectStore } from '../io/s3-store';
import { updateInventory } from '../lake/inventory-update';
import { converterFingerprint } from '../lake/plan-fingerprint';
import { countingStore, type PlanSummary, readPlanSummary, type RequestCounts } from '../lake/plan-files';
import { converterConfig, ENV, jsonEnv, REDUCER_ENV, s3ClientConfig } from '../shared/config';
import { RUN_METRICS } from '../shared/metrics-names';
import { logger, metrics } from '../shared/observability';
import type { ReduceEvent, ReduceResult, RunContext } from '../shared/payloads';
import { MAP_RESULTS_PREFIX, runFileKey } from '../shared/run-keys';
import {
  buildRunReport,
  DEFAULT_PRICES,
  findRunMapResults,
  type RunReport,
  writeRunReport,
} from './run-report';
import { CONVERTER_VERSION } from './convert-item';
import { retryLists } from './report/retry-items';
import { writeText } from '../lake/inventory-io';

/** What the reducer needs; injected in tests and by the local runner. */
export interface ReducerDeps {
  readonly store?: ObjectStore;
  /**
   * Where the datasets' table definitions go. @default Glue (the database in CSV2LAKE_GLUE_DATABASE), or
   * none when that is not set
   */
  readonly catalog?: CatalogWriter;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  /**
   * Where the run came from, as its report says (the local runner's folder or endpoint, and its redrive
   * command). @default the run on AWS: its input bucket and prefix, redriven as a Step Functions execution
   */
  readonly origin?: (run: RunContext) => RunOrigin;
}

/** The run of an event: given by the state machine, or rebuilt from the execution-status rule's event. */
export function runOf(event: ReduceEvent, env: NodeJS.ProcessEnv): RunContext {
  if (event.run) return event.run;
  if (!event.detail) throw new Error('reduce: the event has neither "run" nor an execution status "detail"');
  const defaults = jsonEnv<Omit<RunContext, 'runId'>>(env, REDUCER_ENV.DEFAULT_RUN);
  if (!defaults?.outputBucket)
    throw new Error(
      `reduce: ${REDUCER_ENV.DEFAULT_RUN} (the run defaults, with outputBucket) is needed for execution status events`,
    );
  const input = event.detail.input ? (JSON.parse(event.detail.input) as Record<string, string>) : {};
  return {
    ...defaults,
    ...(input.bucket ? { inputBucket: input.bucket } : {}),
    ...(input.prefix !== undefined ? { inputPrefix: input.prefix } : {}),
    ...(input.outputBucket ? { outputBucket: input.outputBucket } : {}),
    runId: event.detail.name,
  };
}

/** The run metrics the reducer emits (namespace from POWERTOOLS_METRICS_NAMESPACE, service dimension). */
export type RunMetrics = Record<
  | typeof RUN_METRICS.filesConverted
  | typeof RUN_METRICS.filesSkipped
  | typeof RUN_METRICS.filesFailed
  | typeof RUN_METRICS.rowsConverted
  | typeof RUN_METRICS.rejectedRows
  | typeof RUN_METRICS.bytesIn,
  number
>;

/**
 * Emits what the run added since its previous final reduce (recorded in `_runs/<runId>/metrics.json`),
 * never less than zero. A run is reduced finally more than once only when it is redriven or a reduce is
 * retried (and the failure rule after a failed retry map): emitting the totals each time would count its
 * files two or three times in a daily Sum. With deltas, the Sum over a run's emissions is its final count
 * (for FilesFailed: the most files that were still failing at the end of an attempt of the execution).
 */
export async function emitRunMetrics(store: ObjectStore, run: RunContext, totals: RunMetrics): Promise<void> {
  const key = runFileKey(run.runId, 'metrics.json');
  let before: Partial<RunMetrics> = {};
  if (await store.head(run.outputBucket, key))
    before = JSON.parse(await readText(store, run.outputBucket, key)) as Partial<RunMetrics>;
  const emitted: Partial<RunMetrics> = {};
  for (const [name, total] of Object.entries(totals) as [keyof RunMetrics, number][])
    emitted[name] = Math.max(total, before[name] ?? 0);
  // Recorded first: when the record cannot be written (the attempt fails and is retried), nothing is
  // emitted, and the retry emits the same deltas once.
  await store.put(run.outputBucket, key, JSON.stringify(emitted), { contentType: 'application/json' });
  for (const [name, total] of Object.entries(totals) as [keyof RunMetrics, number][])
    metrics.addMetric(
      name,
      name === RUN_METRICS.bytesIn ? 'Bytes' : 'Count',
      Math.max(0, total - (before[name] ?? 0)),
    );
}

/**
 * Whether a reduction is the execution's last, after which nothing converts again: the run's counts are
 * emitted then only, so that FilesFailed counts the files still failed after the retry map, never those it
 * fixed. `Reduce` is the last when no file failed (the `AnyFailed` Choice then skips `RetryFailed`);
 * `ReduceAfterRetry` always; the execution-status rule's reducer always (the run stopped before its
 * last reduce, or that reduce failed).
 */
export function isFinalReduction(
  event: ReduceEvent,
  report: Pick<RunReport, 'items' | 'staleItems'>,
  rangesToConvert = 0,
): boolean {
  if (event.detail) return true;
  // Ranges handed back go round the retry maps (AnyStale loops): the keys they fail now are not failed yet.
  if (rangesToConvert > 0) return false;
  // Stale outputs go round the retry map like failed files: then this is not the last reduction.
  if (event.final === 'ifNoneFailed') return report.items.failed === 0 && report.staleItems.length === 0;
  return event.final ?? true;
}

/**
 * Builds the reducer handler: aggregates the run's map results, records and earlier report into report.json
 * / report.md under `_runs/<runId>/`, emits the run's metrics at its last reduction and returns a small
 * summary. Invoked by the state machine after each map, and by the rule on a FAILED, TIMED_OUT or ABORTED
 * execution so that such a run still gets a report.
 */
export function createReduceHandler(deps: ReducerDeps = {}): (event: ReduceEvent) => Promise<ReduceResult> {
  const env = deps.env ?? process.env;
  // Read once per container; a malformed value fails loudly when the function starts, naming the variable.
  const prices = { ...DEFAULT_PRICES, ...jsonEnv<Partial<typeof DEFAULT_PRICES>>(env, REDUCER_ENV.PRICES) };
  const lambdaMemoryMb = Number(env[REDUCER_ENV.CONVERTER_MEMORY_MB] ?? 1769);
  if (!(lambdaMemoryMb > 0))
    throw new Error(`${REDUCER_ENV.CONVERTER_MEMORY_MB} must be a positive number of MB`);
  const clientConfig = s3ClientConfig(env);
  // The converters' options (the construct sets them on the reducer too): the inventory records the options
  // hash a run's outputs were written with only while it is still the one the plan compared with.
  const converterOptions = converterConfig({ ...env, [ENV.FORMAT]: 'parquet' });
  const database = env[REDUCER_ENV.GLUE_DATABASE];
  const catalog =
    deps.catalog || database
      ? {
          database: database || DEFAULT_LOCAL_DATABASE,
          writer: deps.catalog ?? new GlueCatalogWriter(),
          target: deps.catalog ? ('local' as const) : ('glue' as const),
        }
      : undefined;
  let base = deps.store;
  return async (event) => {
    base ??= s3ObjectStore(clientConfig);
    // This reduction's own requests, for the report's cost estimate.
    const requests: RequestCounts = { reads: 0, writes: 0 };
    const store = countingStore(base, requests);
    const run = runOf(event, env);
    logger.appendKeys({ runId: run.runId });
    try {
      // The rule's event names no Map output: the run's result files are looked for where the ResultWriter
      // puts them (a Map Run that was aborted may have written none; the earlier report keeps its keys).
      const mapResults =
        event.mapResults ??
        (event.detail
          ? await findRunMapResults(
              store,
              run.outputBucket,
              MAP_RESULTS_PREFIX,
              run.runId,
              event.detail.startDate !== undefined ? new Date(event.detail.startDate) : undefined,
            )
          : []);
      const plan = await readPlanSummary(store, run);
      const report = await buildRunReport(
        store,
        run,
        mapResults,
        { lambdaMemoryMb, prices, requests },
        (deps.now ?? (() => new Date()))(),
        plan,
      );
      if (event.detail && event.detail.status !== 'SUCCEEDED') report.status = 'FAILED';
      // The rule's event is EventBridge's whole event: its detail names the execution (no Map Run may have).
      const executionArn = event.detail?.executionArn;
      if (deps.origin) report.origin = deps.origin(run);
      else if (typeof executionArn === 'string') report.origin = awsOrigin(report.input, executionArn);
      if (catalog) report.catalog = await registerDatasets(catalog, store, run, report);
      // The retry maps' lists: range items with the failed ones, join items apart (report/retry-items.ts),
      // a stale split key cut as the run's plan cut keys (its rangeBytes; a run without a plan: the config's).
      const retry = retryLists(
        report.failedItems,
        report.staleItems,
        plan?.rangeBytes ?? converterOptions.rangeBytes,
      );
      report.failedItems = retry.failedItems;
      report.staleItems = retry.staleItems;
      const written = await writeRunReport(store, run, report);
      const retryJoinsKey = runFileKey(run.runId, 'retry-joins.json');
      if (retry.joins.length > 0)
        await writeText(store, run.outputBucket, retryJoinsKey, [JSON.stringify(retry.joins)]);
      const result: ReduceResult = {
        ...written,
        staleOutputs: retry.staleKeys,
        rangesToConvert: retry.ranges,
        retryJoins: retry.joins.length,
        ...(retry.joins.length > 0 ? { retryJoinsKey } : {}),
      };
      const final = isFinalReduction(event, report, retry.ranges);
      // Once per execution, at its last reduction (a Reduce the retry map follows would only be rewritten).
      const inventory =
        report.inventory && final
          ? await updateInventory(
              store,
              run,
              report.inventory,
              await currentFingerprint(store, plan, converterOptions),
              (deps.now ?? (() => new Date()))(),
            )
          : undefined;
      if (final)
        await emitRunMetrics(store, run, {
          [RUN_METRICS.filesConverted]: report.items.converted,
          [RUN_METRICS.filesSkipped]: report.items.skipped,
          [RUN_METRICS.filesFailed]: report.items.failed,
          [RUN_METRICS.rowsConverted]: report.rows,
          [RUN_METRICS.rejectedRows]: report.rejectedRows,
          [RUN_METRICS.bytesIn]: report.bytesIn,
        });
      logger.info('run report written', {
        ...result,
        final,
        mapResults: mapResults.length,
        ...(inventory ? { inventory } : {}),
      });
      return result;
    } finally {
      // Only a reduction that added metrics publishes: Powertools warns on stderr about an empty flush,
      // which a Reduce the retry map follows (it emits nothing) would print on every run.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.removeKeys(['runId']);
    }
  };
}

/**
 * The converters' fingerprint now, when it is the one the run's plan compared with (else undefined: the
 * run's conversions are not recorded in the inventory, and their keys are planned at the next run).
 */
async function currentFingerprint(
  store: ObjectStore,
  plan: PlanSummary | undefined,
  config: ReturnType<typeof converterConfig>,
) {
  if (!plan) return undefined;
  const now = await converterFingerprint(store, config, CONVERTER_VERSION).catch(() => undefined);
  return now?.id === plan.fingerprint ? now : undefined;
}

/** The database name of a local run's `_catalog/` when the template names none. */
export const DEFAULT_LOCAL_DATABASE = 'csv2lake';

/**
 * Puts each dataset of the run into the catalog (its tables, and the partitions its files were written to)
 * from the dataset's stored schema. A dataset that cannot be registered is an error in the report, never a
 * failed reduction: the data is converted, and the next run registers it once the cause is fixed.
 */
async function registerDatasets(
  catalog: { readonly database: string; readonly writer: CatalogWriter; readonly target: 'glue' | 'local' },
  store: ObjectStore,
  run: RunContext,
  report: RunReport,
): Promise<CatalogReport> {
  const formats = Object.keys(run.outputPrefixes) as OutputFormat[];
  const datasets: CatalogDataset[] = [];
  for (const d of report.datasets) {
    const schema = report.schemas.get(d.dataset);
    if (!schema) continue;
    const locations: Partial<Record<OutputFormat, string>> = {};
    for (const format of formats) {
      const key = tableLocation(run.outputPrefixes[format]!, d.dataset);
      const local = store.localFile?.(run.outputBucket, key);
      locations[format] = local
        ? `${pathToFileURL(local).href.replace(/\/?$/, '/')}`
        : `s3://${run.outputBucket}/${key}`;
    }
    datasets.push({
      schema,
      formats,
      locations,
      partitions: (report.partitions.get(d.dataset) ?? []).map((values) => ({ values })),
    });
  }
  const sync = await syncCatalog(catalog.writer, catalog.database, datasets);
  return { database: catalog.database, target: catalog.target, tables: sync.tables, errors: sync.errors };
}

/** The reducer Lambda. */
export const handler = createReduceHandler();
