/*
 * The props of CsvConversionPipeline, their defaults in one place, and the checks made of them at synth.
 */
import { Duration, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { CsvDialectOptions, OutputFormat } from '../lambdas/core/model/options';
import {
  checkOutputOutsideInput,
  parseKeyPattern,
  REJECTS_PREFIX,
  SCHEMAS_PREFIX,
} from '../lambdas/lake/layout';
import { NIGHTLY_SCHEDULE_DEFAULTS } from './constructs/nightly-schedule';
import { RUNS_PREFIX } from './constructs/pipeline-permissions';
import { PIPELINE_FUNCTION_DEFAULTS } from './constructs/pipeline-function';
import { WORKFLOW_DEFAULTS } from './workflow/defaults';
import type { ItemBatching } from './workflow/settings';
import { DEFAULT_RANGE_BYTES } from '../lambdas/ranges/range-plan';
import { DEFAULT_THROUGHPUT_MBPS } from '../lambdas/shared/config';

/** The nightly schedule. */
export interface PipelineSchedule {
  /** Cron fields, as EventBridge Scheduler takes them. @default 02:00 every day */
  readonly cron?: scheduler.CronOptionsWithTimezone;
  /** Set false to deploy without a schedule. @default true */
  readonly enabled?: boolean;
}

/** Props of {@link CsvConversionPipeline}. */
export interface CsvConversionPipelineProps {
  /** Where the CSV files land. */
  readonly inputBucket: s3.IBucket;
  /**
   * The KMS key of the input bucket's objects, for a bucket encrypted with a customer-managed key: the
   * converters get kms:Decrypt on it, the state machine too (without it every GET is AccessDenied). An
   * imported bucket (`Bucket.fromBucketName`) does not know its key: pass it here (`Key.fromKeyArn`).
   * @default the bucket's `encryptionKey` (none for imported buckets and SSE-S3)
   */
  readonly inputBucketKey?: kms.IKey;
  /** Only keys under this prefix are listed; executions may narrow it, never widen it. @default '' (the whole bucket) */
  readonly inputPrefix?: string;
  /**
   * How keys below {@link inputPrefix} map to datasets (one table each) and Hive partitions: a key pattern
   * of `/`-separated segments, such as `{dataset}/{dt}/{file}`, where `{dataset}` names the table, `{file}`
   * ends the pattern, `**` keeps any folders as they are, and any other `{name}` is a partition column
   * (see lambdas/lake/layout.ts). A file directly under the prefix is its own dataset, named after its stem.
   * Checked at synth. Output keys depend only on the key and this prefix, never on an execution's narrower one.
   * @default '{dataset}/**\/{file}' (DEFAULT_DATASET_PATTERN): the first folder is the dataset
   */
  readonly datasetPattern?: string;
  /** Where outputs, rejects and run reports go. */
  readonly outputBucket: s3.IBucket;
  /**
   * The KMS key of the output bucket, for a bucket encrypted with a customer-managed key: the functions and
   * the state machine get encrypt and decrypt on it. @default the bucket's `encryptionKey` (none for imported
   * buckets and SSE-S3)
   */
  readonly outputBucketKey?: kms.IKey;
  /**
   * Output prefix per format: each dataset's table location is `<prefix><dataset>/`. With both buckets the
   * same, neither these, `_rejects/`, `_schemas/` nor `_runs/` may overlap the input prefix (refused at synth).
   * @default { parquet: 'parquet/', avro: 'avro/' }
   */
  readonly outputPrefixes?: Partial<Record<OutputFormat, string>>;
  /** Formats written. @default ['parquet', 'avro'] */
  readonly formats?: readonly OutputFormat[];
  /**
   * Files converted at once (child executions of the Distributed Map); each runs one invocation of every
   * converter, so each converter runs up to this many at once, 2 × this in all. At most
   * {@link converterReservedConcurrency} when that is set. @default 50
   */
  readonly maxConcurrency?: number;
  /** Key suffixes converted, each also with `.gz`, in any case mix; folder markers and other keys are ignored. @default ['.csv', '.tsv', '.txt'] */
  readonly suffixes?: readonly string[];
  /**
   * Files that may still fail after their retry without failing the execution. Every file is attempted
   * whatever this is; above it the execution ends FAILED and can be redriven; at or below it the execution
   * SUCCEEDS, the failures stay in the report and the FilesFailed alarm, and nothing can redrive them.
   * With {@link itemBatching} it counts batches. @default 0
   */
  readonly toleratedFailedFiles?: number;
  /**
   * Several files per child execution (see {@link ItemBatching} for what it saves and costs). Off by default:
   * a failure, the Map Run console and a redrive then concern exactly one file, and files of typical sizes
   * cost far more in Lambda time than in state transitions. The converters skip the non-CSV keys of a batch.
   * A big file's range items are batched too, and a batch converts one after another: `maxItemsPerBatch` ×
   * {@link rangeBytes} must convert within {@link converterTimeout} at 40 MB/s (refused at synth otherwise),
   * and a file's ranges then run on ranges / maxItemsPerBatch converters at once, not one each.
   * @default none: one file per child execution
   */
  readonly itemBatching?: ItemBatching;
  /** The nightly schedule. @default enabled, 02:00 UTC */
  readonly schedule?: PipelineSchedule;
  /** Converter memory (1,769 MB is one full vCPU). @default 1769 */
  readonly converterMemoryMb?: number;
  /** Converter timeout. @default 15 minutes */
  readonly converterTimeout?: Duration;
  /**
   * Concurrency reserved for each converter. None by default: a reservation is taken from the account's
   * unreserved pool for good and Lambda keeps at least 100 unreserved, so an account with the low quota new
   * accounts get cannot deploy any; the state machine's {@link maxConcurrency} bounds the converters instead.
   * Set it where other functions of the account could starve the converters (or be starved by them): it must
   * then be at least {@link maxConcurrency}, or conversions would be throttled.
   * @default none: the account's unreserved concurrency
   */
  readonly converterReservedConcurrency?: number;
  /** Lambda architecture. x86_64 by default: the native snappy addon bundled is the x86_64 build. @default X86_64 */
  readonly architecture?: lambda.Architecture;
  /**
   * Node.js runtime of the functions (see `PipelineFunctionProps.runtime`: nodejs22.x is deprecated on
   * 30 April 2027). @default NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /** `s3://bucket/key` of a schema file applied to every file. @default none: types are inferred */
  readonly schemaLocation?: string;
  /**
   * How to read the CSV text of every file: delimiter, header, encoding, quote, escape, comment, skipRows
   * (as `csv2lake convert`'s options). @default {}: each sniffed or defaulted per file as by `convert`
   */
  readonly csv?: CsvDialectOptions;
  /** Values read as null besides the empty field. @default [] */
  readonly nullTokens?: readonly string[];
  /** Rejected rows tolerated per file. @default 1000 */
  readonly maxRejects?: number;
  /**
   * Bytes of CSV per range item: an uncompressed key larger than this is converted as byte ranges by many
   * converters at once and joined into ONE output per format (README, "Large files"); at least 1 MiB.
   * @default 1 GiB (DEFAULT_RANGE_BYTES)
   */
  readonly rangeBytes?: number;
  /** Retention of the functions' and the state machine's logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The longest an execution may run (the definition's `TimeoutSeconds`): a run still going then ends
   * TIMED_OUT (alarmed, reported by the execution-status rule, redrivable), so a slow run never overlaps the
   * next night's. @default 23 hours
   */
  readonly executionTimeout?: Duration;
  /**
   * The topic every alarm notifies (alarm and OK). @default a new topic, encrypted with a new customer-managed
   * KMS key, SSL-only
   */
  readonly alarmTopic?: sns.ITopic;
  /** An e-mail address subscribed to the alarm topic (AWS asks it to confirm). @default none */
  readonly alarmEmail?: string;
  /**
   * Set false to deploy without the Glue catalog: no database, no Glue permissions, and the reducer
   * registers no table. @default true
   */
  readonly catalog?: boolean;
  /**
   * The Glue database holding one table per dataset and format (`orders`, `orders_avro`), created by the
   * construct and kept by the reducer: 1 to 255 lower case letters, digits or `_` (what Athena takes).
   * Not with `catalog: false`.
   * @default the stack name, lower case, each character other than `[a-z0-9_]` as `_` (`Csv2Lake` → `csv2lake`)
   */
  readonly glueDatabaseName?: string;
}

/** Defaults of {@link CsvConversionPipelineProps}, in one place. */
export const PIPELINE_DEFAULTS = {
  ...WORKFLOW_DEFAULTS,
  converterMemoryMb: PIPELINE_FUNCTION_DEFAULTS.memoryMb,
  converterTimeout: PIPELINE_FUNCTION_DEFAULTS.timeout,
  logRetention: PIPELINE_FUNCTION_DEFAULTS.logRetention,
  cron: NIGHTLY_SCHEDULE_DEFAULTS.cron,
  // A night's run must end before the next one starts at the same hour: 23 h leaves an hour's margin.
  executionTimeout: Duration.hours(23),
};

/** The props with their defaults applied, as the pipeline builds from them. */
export interface ResolvedPipelineProps {
  readonly inputPrefix: string;
  readonly formats: readonly OutputFormat[];
  readonly outputPrefixes: Record<OutputFormat, string>;
  readonly converterMemoryMb: number;
  readonly converterTimeout: Duration;
  readonly maxConcurrency: number;
  readonly executionTimeout: Duration;
  readonly datasetPattern: string;
}

/**
 * The props with their defaults, checked as a whole before anything is built.
 * @throws Error when maxConcurrency is above converterReservedConcurrency, when datasetPattern is not a key
 *   pattern, when glueDatabaseName is given with catalog: false
 * @throws InvalidOptionsError when both buckets are one and the input prefix overlaps a prefix written
 */
export function resolvePipelineProps(props: CsvConversionPipelineProps): ResolvedPipelineProps {
  const inputPrefix = props.inputPrefix ?? PIPELINE_DEFAULTS.inputPrefix;
  const formats = props.formats ?? PIPELINE_DEFAULTS.formats;
  const outputPrefixes = { ...PIPELINE_DEFAULTS.outputPrefixes, ...props.outputPrefixes };
  const maxConcurrency = props.maxConcurrency ?? PIPELINE_DEFAULTS.maxConcurrency;
  const reserved = props.converterReservedConcurrency;
  if (reserved !== undefined && maxConcurrency > reserved)
    throw new Error(
      `maxConcurrency ${maxConcurrency} is above converterReservedConcurrency ${reserved}: each converter ` +
        `runs up to maxConcurrency invocations at once and the rest would be throttled; lower maxConcurrency ` +
        `or raise the reservation`,
    );
  const datasetPattern = props.datasetPattern ?? PIPELINE_DEFAULTS.datasetPattern;
  try {
    parseKeyPattern(datasetPattern);
  } catch (error) {
    throw new Error(`datasetPattern ${JSON.stringify(datasetPattern)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  refuseOverlap(props.inputBucket, inputPrefix, props.outputBucket, [
    ...formats.map((format) => outputPrefixes[format]),
    REJECTS_PREFIX,
    SCHEMAS_PREFIX,
    RUNS_PREFIX,
  ]);
  refuseLongBatches(props);
  if (props.catalog === false && props.glueDatabaseName !== undefined)
    throw new Error(
      `glueDatabaseName ${JSON.stringify(props.glueDatabaseName)} with catalog: false: there is no ` +
        `database to name; drop one of the two`,
    );
  return {
    inputPrefix,
    formats,
    outputPrefixes,
    converterMemoryMb: props.converterMemoryMb ?? PIPELINE_DEFAULTS.converterMemoryMb,
    converterTimeout: props.converterTimeout ?? PIPELINE_DEFAULTS.converterTimeout,
    maxConcurrency,
    executionTimeout: props.executionTimeout ?? PIPELINE_DEFAULTS.executionTimeout,
    datasetPattern,
  };
}

/**
 * Refuses, when both buckets are one, an input prefix that overlaps a prefix the pipeline writes: a run
 * would convert its own outputs, rejects or run files, or list its inputs under a table location.
 * Buckets are one when they are the same object or have the same concrete name (imported by name).
 * @throws InvalidOptionsError from checkOutputOutsideInput, saying which is inside which
 */
function refuseOverlap(
  input: s3.IBucket,
  inputPrefix: string,
  output: s3.IBucket,
  written: readonly string[],
): void {
  const concrete = !Token.isUnresolved(input.bucketName);
  if (input !== output && !(concrete && input.bucketName === output.bucketName)) return;
  // A created bucket has no name before deployment: its construct path stands for it in the message.
  const bucket = concrete ? input.bucketName : `<${input.node.path}>`;
  for (const prefix of written) checkOutputOutsideInput({ bucket, prefix: inputPrefix }, { bucket, prefix });
}

/**
 * Refuses an item batching whose batch of range items could not convert in one converter's time: the
 * ItemBatcher groups consecutive items, and a split key's range items are consecutive, so one child converts
 * up to `maxItemsPerBatch` ranges one after another (at the assumed DEFAULT_THROUGHPUT_MBPS).
 * @throws Error saying what to lower
 */
function refuseLongBatches(props: CsvConversionPipelineProps): void {
  const batch = props.itemBatching?.maxItemsPerBatch;
  if (batch === undefined) return;
  const rangeBytes = props.rangeBytes ?? DEFAULT_RANGE_BYTES;
  const seconds = (batch * rangeBytes) / (DEFAULT_THROUGHPUT_MBPS * 1e6);
  const timeout = (props.converterTimeout ?? PIPELINE_DEFAULTS.converterTimeout).toSeconds();
  if (seconds > timeout)
    throw new Error(
      `itemBatching.maxItemsPerBatch ${batch} with rangeBytes ${rangeBytes}: a batch of one big file's range ` +
        `items converts one range after another in one converter, ~${Math.round(seconds)} s at ` +
        `${DEFAULT_THROUGHPUT_MBPS} MB/s, over the converter timeout of ${timeout} s; lower maxItemsPerBatch ` +
        `or rangeBytes (maxItemsPerBatch × rangeBytes at most ~${Math.floor((timeout * DEFAULT_THROUGHPUT_MBPS) / 1000)} GB)`,
    );
}
