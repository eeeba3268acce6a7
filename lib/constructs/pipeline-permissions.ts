/*
 * The pipeline's IAM, in one place: what each converter, the reducer and the state machine may do, scoped to
 * the configured buckets, prefixes, keys and Glue database. Every statement says why it is needed.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { INVENTORY_PREFIX } from '../../lambdas/lake/inventory';
import { REJECTS_PREFIX, SCHEMAS_PREFIX } from '../../lambdas/lake/layout';
import { MAP_RESULTS_PREFIX, rangePartsFolder, RUNS_PREFIX } from '../../lambdas/shared/run-keys';
import type { LakeCatalog } from './lake-catalog';

/** Run records, reports and map results, in the output bucket. */
export { RUNS_PREFIX } from '../../lambdas/shared/run-keys';

/** Where the pipeline reads and writes. */
export interface PipelineLocations {
  readonly inputBucket: s3.IBucket;
  /** The configured input prefix. */
  readonly inputPrefix: string;
  readonly inputKey?: kms.IKey | undefined;
  readonly outputBucket: s3.IBucket;
  readonly outputKey?: kms.IKey | undefined;
}

/** What one converter writes besides the input it reads. */
export interface ConverterScope {
  readonly format: OutputFormat;
  /** Its format's output prefix (`parquet/`). */
  readonly outputPrefix: string;
  /** Whether it is the converter that writes the rejects (`_rejects/…`). */
  readonly writesRejects: boolean;
  /** `s3://bucket/key` of a schema file it reads. */
  readonly schemaLocation?: string | undefined;
}

/**
 * A converter: reads the input prefix; writes its own format prefix, its own run records and its own
 * format's byte-range parts; reads and merges the dataset schemas; writes the rejects when it is the one
 * that does.
 * @throws Error when `schemaLocation` is not `s3://bucket/key`
 */
export function grantConverter(
  converter: lambda.IFunction,
  at: PipelineLocations,
  scope: ConverterScope,
): void {
  const { inputBucket, inputPrefix, outputBucket } = at;
  const rangeParts = `${rangePartsFolder('*')}${scope.format}/*`;
  allow(converter, ['s3:GetObject'], [inputBucket.arnForObjects(`${inputPrefix}*`)]);
  converter.addToRolePolicy(
    new iam.PolicyStatement({
      // Without ListBucket S3 answers a GET or HEAD of a missing key with 403, not 404: a file deleted
      // after the listing was reported AccessDenied instead of InputMissingError.
      actions: ['s3:ListBucket'],
      resources: [inputBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${inputPrefix}*`] } },
    }),
  );
  allow(
    converter,
    ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
    [outputBucket.arnForObjects(`${scope.outputPrefix}*`)],
  );
  // Its own records only (`_runs/<run>/items/<format>/…`): never a report, a map result or metrics.json.
  allow(converter, ['s3:PutObject'], [outputBucket.arnForObjects(`${RUNS_PREFIX}*/items/${scope.format}/*`)]);
  // The byte-range parts of its own format (`_runs/<run>/ranges/<format>/<sha1 of key>/`, see run-keys.ts's
  // rangePartsPrefix), one statement for both of their writers: a key on several threads (issue 12) and a
  // split key's range items (issue 16). Written (multipart), read by the join (ranged GETs, and
  // UploadPartCopy's source), deleted after it, aborted on failure.
  allow(
    converter,
    ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
    [outputBucket.arnForObjects(rangeParts)],
  );
  // The dataset schemas: read as the floor of each conversion, merged back with a conditional PUT
  // (If-Match / If-None-Match need nothing beyond PutObject).
  allow(converter, ['s3:GetObject', 's3:PutObject'], [outputBucket.arnForObjects(`${SCHEMAS_PREFIX}*`)]);
  if (scope.writesRejects)
    // Streamed like the outputs (a multipart upload, aborted on failure), deleted when a file has none.
    allow(
      converter,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
      [outputBucket.arnForObjects(`${REJECTS_PREFIX}*`)],
    );
  converter.addToRolePolicy(
    new iam.PolicyStatement({
      // Without ListBucket, HEAD of a missing output (or GET of a dataset's first schema) answers 403
      // instead of 404.
      actions: ['s3:ListBucket'],
      resources: [outputBucket.bucketArn],
      conditions: {
        StringLike: {
          's3:prefix': [
            `${scope.outputPrefix}*`,
            `${SCHEMAS_PREFIX}*`,
            // A split key's join lists its parts folder to delete it.
            rangeParts,
            ...(scope.writesRejects ? [`${REJECTS_PREFIX}*`] : []),
          ],
        },
      },
    }),
  );
  at.inputKey?.grantDecrypt(converter);
  at.outputKey?.grantEncryptDecrypt(converter);
  // GET, and HEAD (which GetObject covers) for its ETag at every invocation.
  grantSchemaFile(converter, scope.schemaLocation);
}

/**
 * Read access to the schema file, when there is one: the converters read it at every invocation, the
 * planner and the reducer once per run (its version is part of the options the outputs are written with).
 * @throws Error when `schemaLocation` is not `s3://bucket/key`
 */
function grantSchemaFile(fn: lambda.IFunction, schemaLocation: string | undefined): void {
  if (!schemaLocation) return;
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(schemaLocation);
  if (!match) throw new Error(`schemaLocation must be s3://bucket/key, not ${schemaLocation}`);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [`arn:${Stack.of(fn).partition}:s3:::${match[1]}/${match[2]}`],
    }),
  );
}

/**
 * The planner: lists the input prefix (keys, ETags and sizes; it never reads an input); reads the
 * inventory and the dataset schemas (and the schema file); writes its plan files under `_runs/<run>/plan/`,
 * nothing else.
 */
export function grantPlanner(
  planner: lambda.IFunction,
  at: PipelineLocations,
  schemaLocation: string | undefined,
): void {
  const { inputBucket, inputPrefix, outputBucket } = at;
  planner.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [inputBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${inputPrefix}*`] } },
    }),
  );
  allow(planner, ['s3:GetObject'], [outputBucket.arnForObjects(`${INVENTORY_PREFIX}*`)]);
  allow(planner, ['s3:GetObject'], [outputBucket.arnForObjects(`${SCHEMAS_PREFIX}*`)]);
  // Its two lists are streamed (multipart uploads, aborted when the plan fails) and its summary put.
  allow(
    planner,
    ['s3:PutObject', 's3:AbortMultipartUpload'],
    [outputBucket.arnForObjects(`${RUNS_PREFIX}*/plan/*`)],
  );
  planner.addToRolePolicy(
    new iam.PolicyStatement({
      // Without ListBucket, the GET of a missing inventory (the first run) or schema answers 403, not 404.
      actions: ['s3:ListBucket'],
      resources: [outputBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${INVENTORY_PREFIX}*`, `${SCHEMAS_PREFIX}*`] } },
    }),
  );
  at.outputKey?.grantEncryptDecrypt(planner);
  grantSchemaFile(planner, schemaLocation);
}

/**
 * The reducer: reads and writes the run files under `_runs/`; reads and rewrites the inventory; reads the
 * dataset schemas (and the schema file); lists the input prefix and heads its keys (a dataset whose schema
 * widened has its outputs converted again); keeps the Glue tables.
 */
export function grantReducer(
  reducer: lambda.IFunction,
  at: PipelineLocations,
  catalog?: LakeCatalog,
  schemaLocation?: string,
): void {
  const { inputBucket, inputPrefix, outputBucket } = at;
  allow(reducer, ['s3:GetObject', 's3:PutObject'], [outputBucket.arnForObjects(`${RUNS_PREFIX}*`)]);
  // The inventory, streamed (a multipart upload, aborted when the reduction fails) after each reduction.
  allow(
    reducer,
    ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
    [outputBucket.arnForObjects(`${INVENTORY_PREFIX}*`)],
  );
  grantSchemaFile(reducer, schemaLocation);
  // The dataset schemas: the report's evolution, the catalog's columns, and which outputs are stale.
  allow(reducer, ['s3:GetObject'], [outputBucket.arnForObjects(`${SCHEMAS_PREFIX}*`)]);
  reducer.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [outputBucket.bucketArn],
      conditions: {
        StringLike: { 's3:prefix': [`${RUNS_PREFIX}*`, `${SCHEMAS_PREFIX}*`, `${INVENTORY_PREFIX}*`] },
      },
    }),
  );
  reducer.addToRolePolicy(
    new iam.PolicyStatement({
      // A dataset whose schema widened: its input keys are listed to find the outputs to convert again.
      actions: ['s3:ListBucket'],
      resources: [inputBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${inputPrefix}*`] } },
    }),
  );
  // HEAD of an input whose output is stale, for the ETag and size of its next conversion (GetObject is
  // the action HEAD needs; the reducer never reads an input's content, and HEAD needs no KMS key).
  allow(reducer, ['s3:GetObject'], [inputBucket.arnForObjects(`${inputPrefix}*`)]);
  catalog?.grantTableWrites(reducer);
  at.outputKey?.grantEncryptDecrypt(reducer);
}

/**
 * The state machine: invokes the functions; what the Distributed Map needs (AWS's "IAM policies for using
 * Distributed Map states"): start, describe and stop its child executions, redrive them when the parent is
 * redriven ("Redriving Map Runs"), read its items (the plan's, the retry map's) and write its results. It
 * never lists the input: the planner does. states:UpdateMapRun and states:ListMapRuns are calls of an
 * operator, never of the Map itself: not granted.
 */
export function grantStateMachine(
  sm: sfn.StateMachine,
  stateMachineName: string,
  functions: readonly lambda.IFunction[],
  at: PipelineLocations,
): void {
  const stack = Stack.of(sm);
  const states = `arn:${stack.partition}:states:${stack.region}:${stack.account}`;
  for (const f of functions) f.grantInvoke(sm);
  sm.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:StartExecution'],
      resources: [`${states}:stateMachine:${stateMachineName}`],
    }),
  );
  sm.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'],
      resources: [`${states}:execution:${stateMachineName}/*`],
    }),
  );
  sm.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:DescribeMapRun'],
      resources: [`${states}:mapRun:${stateMachineName}/*`],
    }),
  );
  allow(sm, ['s3:GetObject'], [at.outputBucket.arnForObjects(`${RUNS_PREFIX}*`)]);
  allow(
    sm,
    ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
    [at.outputBucket.arnForObjects(`${MAP_RESULTS_PREFIX}/*`)],
  );
  // An output bucket encrypted with a customer key: the Maps read their items and write their results.
  at.outputKey?.grantEncryptDecrypt(sm);
}

/** Adds one least-privilege statement to a function's or state machine's role. */
function allow(grantee: iam.IGrantable, actions: string[], resources: string[]): void {
  iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
}
