/*
 * The synthesized template: fine-grained assertions on the state machine, functions, schedule, alarms and
 * IAM; the definition validated with asl-validator; cdk-nag's AwsSolutions pack; one scrubbed snapshot.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CsvConversionPipeline, PIPELINE_DEFAULTS } from '../../lib/csv-conversion-pipeline';
import { PipelineStack, type PipelineStackProps } from '../../lib/pipeline-stack';
import {
  csvKeyPatterns,
  JOIN_PREFIX,
  RETRY_JOIN_PREFIX,
  RETRY_PREFIX,
  STATES,
  SUBSTITUTIONS,
} from '../../lib/workflow/definition';
import { DefinitionResolutionError, resolvedDefinition } from '../../lib/workflow/resolve';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

const env = { account: '123456789012', region: 'eu-west-1' };

const CONTEXT = { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true };
/** Bundling skipped: for the tests that only read the template (the first synthesis bundles for real). */
const NO_BUNDLING = { ...CONTEXT, 'aws:cdk:bundling-stacks': [] };

function synth(props: PipelineStackProps = {}, bundle = false): Template {
  const app = new App({ context: bundle ? CONTEXT : NO_BUNDLING });
  const stack = new PipelineStack(app, 'Csv2Lake', { env, ...props });
  return Template.fromStack(stack);
}

/** Local names for the substitutions: function ARNs and bucket names recognisable in assertions. */
const NAMES = {
  [SUBSTITUTIONS.parquetFunction]: `arn:aws:lambda:eu-west-1:123456789012:function:${SUBSTITUTIONS.parquetFunction}`,
  [SUBSTITUTIONS.avroFunction]: `arn:aws:lambda:eu-west-1:123456789012:function:${SUBSTITUTIONS.avroFunction}`,
  [SUBSTITUTIONS.reduceFunction]: `arn:aws:lambda:eu-west-1:123456789012:function:${SUBSTITUTIONS.reduceFunction}`,
  [SUBSTITUTIONS.planFunction]: `arn:aws:lambda:eu-west-1:123456789012:function:${SUBSTITUTIONS.planFunction}`,
  [SUBSTITUTIONS.inputBucket]: 'bucket-inputbucket',
  [SUBSTITUTIONS.outputBucket]: 'bucket-outputbucket',
};

/** The state machine definition with its substitutions applied as CloudFormation would. */
function definition(template: Template, names: Record<string, string> = NAMES): Record<string, any> {
  return resolvedDefinition(template.toJSON() as any, names);
}

describe('stack with an input prefix, defaults otherwise', () => {
  let outdir = '';
  const template = (() => {
    const app = new App({ context: CONTEXT });
    const stack = new PipelineStack(app, 'Csv2Lake', { env, inputPrefix: 'incoming/' });
    outdir = app.synth().directory;
    return Template.fromStack(stack);
  })();
  const asl = definition(template);
  const map = asl.States[STATES.convertFiles];

  test('the definition is valid ASL', () => {
    const result = aslValidator(asl);
    expect({ valid: result.isValid, errors: result.errorsText('\n') }).toEqual({ valid: true, errors: '' });
    // And it is not trivially valid: a broken copy is refused.
    expect(aslValidator({ ...asl, StartAt: 'Nowhere' }).isValid).toBe(false);
  });

  test('a DISTRIBUTED map reads the planned items, selects bucket/key/etag/size, bounds concurrency, tolerates every failure and writes results', () => {
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    // Changed on purpose (issue 12, cost follows new data): the planner lists the prefix, the map reads the
    // keys it planned, a JSON array in the output bucket, as listObjectsV2 items (Key, Etag, Size).
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { Bucket: 'bucket-outputbucket', 'Key.$': '$.plan.itemsKey' },
    });
    expect(asl.States[STATES.buildRun].Next).toBe(STATES.plan);
    expect(asl.States[STATES.plan]).toMatchObject({
      Type: 'Task',
      Parameters: {
        FunctionName: `arn:aws:lambda:eu-west-1:123456789012:function:${SUBSTITUTIONS.planFunction}`,
        Payload: { 'run.$': '$.run' },
      },
      ResultSelector: {
        'itemsKey.$': '$.Payload.itemsKey',
        'planned.$': '$.Payload.planned',
        'joinsKey.$': '$.Payload.joinsKey',
        'split.$': '$.Payload.split',
      },
      ResultPath: '$.plan',
      Next: STATES.anyPlanned,
    });
    // Nothing planned: no Map Run at all; Reduce reports the unchanged keys from the plan.
    expect(asl.States[STATES.anyPlanned]).toEqual(
      expect.objectContaining({
        Choices: [{ Variable: '$.plan.planned', NumericGreaterThan: 0, Next: STATES.convertFiles }],
        Default: STATES.nothingPlanned,
      }),
    );
    expect(asl.States[STATES.nothingPlanned]).toMatchObject({
      Type: 'Pass',
      ResultPath: '$.convertMap',
      Next: STATES.noJoins,
    });
    expect(asl.States[STATES.noJoins]).toMatchObject({
      Type: 'Pass',
      Result: {},
      ResultPath: '$.joinMap',
      Next: STATES.reduce,
    });
    expect(map.ItemSelector).toEqual({
      'bucket.$': '$.run.inputBucket',
      'key.$': '$$.Map.Item.Value.Key',
      'etag.$': '$$.Map.Item.Value.Etag',
      'size.$': '$$.Map.Item.Value.Size',
      'range.$': '$$.Map.Item.Value.Range',
      'run.$': '$.run',
    });
    expect(map.MaxConcurrency).toBe(50);
    expect(map.ToleratedFailurePercentage).toBe(100);
    expect(map.ResultWriter).toEqual({
      Resource: 'arn:aws:states:::s3:putObject',
      Parameters: { Bucket: 'bucket-outputbucket', Prefix: '_runs/_map' },
    });
  });

  test('per item, non-CSV keys are ignored and a Parallel runs both converters with transient retries only', () => {
    const child = map.ItemProcessor.States;
    const patterns = child[STATES.isCsv].Choices[0].Or.map((c: any) => c.StringMatches);
    expect(patterns).toEqual(expect.arrayContaining(['*.csv', '*.csv.gz', '*.TSV', '*.txt.gz']));
    const branches = child[STATES.convertFormats].Branches;
    expect(branches.map((b: any) => b.StartAt)).toEqual([STATES.convertParquet, STATES.convertAvro]);
    const parquet = branches[0].States[STATES.convertParquet];
    expect(parquet.Parameters.FunctionName).toBe(
      `arn:aws:lambda:eu-west-1:123456789012:function:${SUBSTITUTIONS.parquetFunction}`,
    );
    // Transient errors with backoff and jitter; States.Timeout once, in a retrier of its own; a killed
    // function never; data errors are named nowhere, so never retried either.
    expect(parquet.Retry).toEqual([
      {
        ErrorEquals: [
          'Lambda.ClientExecutionTimeoutException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
          'S3TransientError',
          'InputChangedError',
          // Two children widening one dataset's schema at once: the loser reads the winner's and retries.
          'SchemaConflictError',
        ],
        IntervalSeconds: 2,
        MaxAttempts: 5,
        BackoffRate: 2,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      },
      { ErrorEquals: ['States.Timeout'], IntervalSeconds: 2, MaxAttempts: 1 },
      { ErrorEquals: ['Lambda.Unknown', 'Sandbox.Timedout', 'Runtime.OutOfMemory'], MaxAttempts: 0 },
    ]);
    const named = parquet.Retry.flatMap((r: any) => r.ErrorEquals);
    expect(named).not.toEqual(expect.arrayContaining(['MalformedCsvError']));
    expect(named).not.toContain('States.ALL');
    expect(named).not.toContain('States.TaskFailed');
    expect(branches[1].States[STATES.convertAvro].Retry).toEqual(parquet.Retry);
    const retried = asl.States[STATES.retryFailed].ItemProcessor.States[RETRY_PREFIX + STATES.convertFormats];
    expect(retried.Branches[0].States[RETRY_PREFIX + STATES.convertParquet].Retry).toEqual(parquet.Retry);
    expect(parquet.Catch).toBeUndefined();
  });

  test('after both converters, the child fails with InputChangedError unless both outputs hold one version of the file', () => {
    for (const [states, prefix] of [
      [map.ItemProcessor.States, ''],
      [asl.States[STATES.retryFailed].ItemProcessor.States, RETRY_PREFIX],
    ] as const) {
      expect(states[prefix + STATES.convertFormats].Next).toBe(prefix + STATES.sameVersion);
      const check = states[prefix + STATES.sameVersion];
      expect(check.Type).toBe('Choice');
      expect(check.Choices).toEqual([
        {
          And: [
            { Variable: '$[0].sourceEtag', IsPresent: true },
            { Variable: '$[1].sourceEtag', IsPresent: true },
            { Variable: '$[0].sourceEtag', StringEqualsPath: '$[1].sourceEtag' },
          ],
          Next: prefix + STATES.converted,
        },
      ]);
      expect(states[check.Default]).toMatchObject({ Type: 'Fail', Error: 'InputChangedError' });
      expect(states[prefix + STATES.converted]).toMatchObject({ Type: 'Succeed' });
    }
  });

  test('split keys are joined after every range ran: AnySplit, then a join map over joins.json tolerating every failure, then Reduce', () => {
    expect(map.Next).toBe(STATES.anySplit);
    expect(asl.States[STATES.anySplit]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.split', NumericGreaterThan: 0, Next: STATES.joinFiles }],
      Default: STATES.noJoins,
    });
    const joins = asl.States[STATES.joinFiles];
    expect(joins.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(joins.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { Bucket: 'bucket-outputbucket', 'Key.$': '$.plan.joinsKey' },
    });
    expect(joins.ItemSelector).toEqual({
      'bucket.$': '$.run.inputBucket',
      'key.$': '$$.Map.Item.Value.Key',
      'etag.$': '$$.Map.Item.Value.Etag',
      'size.$': '$$.Map.Item.Value.Size',
      'count.$': '$$.Map.Item.Value.count',
      'run.$': '$.run',
    });
    // The same child workflow under its own state names: the converters tell a join item by its count.
    expect(Object.keys(joins.ItemProcessor.States).sort()).toEqual(
      Object.keys(map.ItemProcessor.States)
        .map((n) => JOIN_PREFIX + n)
        .sort(),
    );
    expect(joins.ToleratedFailurePercentage).toBe(100);
    expect(joins.ResultWriter).toEqual(map.ResultWriter);
    expect(joins.ResultPath).toBe('$.joinMap');
    expect(joins.Next).toBe(STATES.reduce);
  });

  test('the reducer follows; failed files go to a retry map with no tolerance, whose failure fails the run (redrivable)', () => {
    // `final`: which reduction emits the run's file counts (the last: after the retry map, if it runs).
    expect(asl.States[STATES.reduce].Parameters.Payload).toEqual({
      'run.$': '$.run',
      'mapResults.$': 'States.Array($.convertMap, $.joinMap)',
      final: 'ifNoneFailed',
    });
    expect(asl.States[STATES.reduceAfterRetry].Parameters.Payload).toEqual({
      'run.$': '$.run',
      'mapResults.$': 'States.Array($.convertMap, $.joinMap, $.retryMap, $.retryJoinMap)',
      final: true,
    });
    // Failed files, and outputs written with an older schema of their dataset, go to the retry map (when
    // there are items for it: only split keys to join again go straight to RetryJoin).
    expect(asl.States[STATES.anyFailed].Choices[0]).toEqual({
      Or: [
        { Variable: '$.reduce.summary.items.failed', NumericGreaterThan: 0 },
        { Variable: '$.reduce.summary.staleOutputs', NumericGreaterThan: 0 },
      ],
      Next: STATES.anyRetryItems,
    });
    expect(asl.States[STATES.anyRetryItems]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.reduce.summary.failedItemsKey', IsPresent: true, Next: STATES.retryFailed }],
      Default: STATES.noRetryItems,
    });
    expect(asl.States[STATES.noRetryItems]).toMatchObject({
      Type: 'Pass',
      Result: {},
      ResultPath: '$.retryMap',
      Next: STATES.anyRetryJoins,
    });
    const retry = asl.States[STATES.retryFailed];
    expect(retry.ToleratedFailurePercentage).toBe(0);
    expect(retry.Catch).toBeUndefined();
    expect(retry.ItemReader).toMatchObject({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
    });
    expect(retry.Next).toBe(STATES.anyRetryJoins);
  });

  test('both reducer states retry S3TransientError and Lambda service errors with backoff, a timeout once, nothing else', () => {
    const converter =
      map.ItemProcessor.States[STATES.convertFormats].Branches[0].States[STATES.convertParquet];
    for (const name of [STATES.reduce, STATES.reduceAfterRetry]) {
      const retry = asl.States[name].Retry;
      expect(retry[0]).toMatchObject({
        ErrorEquals: expect.arrayContaining(['S3TransientError', 'Lambda.ServiceException']),
        MaxAttempts: 5,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      });
      expect(retry[1]).toEqual({ ErrorEquals: ['States.Timeout'], IntervalSeconds: 2, MaxAttempts: 1 });
      expect(retry.flatMap((r: any) => r.ErrorEquals)).not.toContain('SchemaMismatchError');
      // The same policy as the converters'.
      expect(retry).toEqual(converter.Retry);
    }
  });

  test('execution input: {} runs on defaults; a foreign bucket or a prefix outside the configured one fails before any work', () => {
    expect(asl.StartAt).toBe(STATES.applyDefaults);
    expect(asl.States[STATES.compareBucket].Choices[0].StringEquals).toBe('bucket-inputbucket');
    const validate = asl.States[STATES.validateInput].Choices[0].And;
    expect(validate).toEqual(
      expect.arrayContaining([{ Variable: '$.config.inputPrefix', StringMatches: 'incoming/*' }]),
    );
    expect(asl.States[STATES.invalidInput]).toMatchObject({ Type: 'Fail', Error: 'InvalidExecutionInput' });
  });

  test('converters: Node.js 24 (nodejs22.x is deprecated in April 2027), one per format, Powertools settings, bundled with the native snappy addon', () => {
    // Four functions since the planner (issue 12): two converters, the planner, the reducer.
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs24.x', Architectures: ['x86_64'] },
      4,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1769,
      Timeout: 900,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'ParquetConverter',
          CSV2LAKE_MAX_REJECTS: '1000',
        }),
      },
    });
  });

  test('nightly schedule: EventBridge Scheduler, cron in a time zone, input {}, retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('StateMachine') },
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('NightlyDeadLetters'), 'Arn'] } },
      }),
    });
  });

  test('alarms on failed executions and failed files; a rule reports failed executions through the reducer', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FilesFailed',
      Namespace: 'csv2lake',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.anyValue() }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Reducer'), 'Arn'] } })],
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('buckets: encrypted, SSL only, no public access, incomplete multipart uploads cleaned', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('IAM: converters read only the input prefix and write only their format prefix and the run records', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const parquet = Object.entries(policies).find(([id]) => id.includes('ParquetConverter'))![1] as any;
    const text = JSON.stringify(parquet.Properties.PolicyDocument);
    expect(text).toContain('/incoming/*');
    expect(text).toContain('/parquet/*');
    expect(text).toContain('/_runs/*');
    expect(text).not.toContain('/avro/*');
    expect(text).not.toMatch(/"s3:\*"/);
    const machine = Object.entries(policies).find(([id]) => id.includes('StateMachineRole'))![1] as any;
    const sm = JSON.stringify(machine.Properties.PolicyDocument);
    for (const action of [
      'states:StartExecution',
      'states:DescribeExecution',
      'states:StopExecution',
      'states:RedriveExecution',
      'lambda:InvokeFunction',
    ]) {
      expect(sm).toContain(action);
    }
    expect(sm).toContain('execution:Csv2Lake-Pipeline/*');
  });

  test('each function asset carries the native snappy addon beside the esbuild bundle', () => {
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    // The planner's too (issue 12).
    expect(assets).toHaveLength(4);
    for (const asset of assets) {
      expect(existsSync(join(outdir, asset, 'index.js'))).toBe(true);
      expect(existsSync(join(outdir, asset, 'node_modules/snappy/package.json'))).toBe(true);
      expect(
        existsSync(
          join(outdir, asset, 'node_modules/@napi-rs/snappy-linux-x64-gnu/snappy.linux-x64-gnu.node'),
        ),
      ).toBe(true);
    }
  });

  test('defaults: concurrency, tolerance, no batching, formats and prefixes, suffixes, memory, logs, rejects', () => {
    expect(PIPELINE_DEFAULTS.maxConcurrency).toBe(50);
    expect(map.ItemBatcher).toBeUndefined();
    expect(asl.States[STATES.retryFailed]).toMatchObject({ ToleratedFailurePercentage: 0 });
    expect(asl.States[STATES.retryFailed].ToleratedFailureCount).toBeUndefined();
    expect(asl.States[STATES.buildRun].Parameters.run.outputPrefixes).toEqual({
      parquet: 'parquet/',
      avro: 'avro/',
    });
    const patterns = map.ItemProcessor.States[STATES.isCsv].Choices[0].Or.map((c: any) => c.StringMatches);
    // Every case mix of each suffix, alone and with every case mix of .gz (csv-key-patterns.test.ts).
    expect(new Set(patterns)).toEqual(new Set(csvKeyPatterns(['.csv', '.tsv', '.txt'])));
    expect(patterns).toEqual(
      expect.arrayContaining(['*.csv', '*.CSV.gz', '*.Csv', '*.CSV.GZ', '*.Csv.Gz', '*.tSv', '*.TXT']),
    );
    // Four functions and the state machine (the planner's since issue 12).
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 5);
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        MemorySize: 1769,
        Timeout: 900,
        Environment: {
          Variables: Match.objectLike({ CSV2LAKE_MAX_REJECTS: '1000', CSV2LAKE_NULL_TOKENS: '[]' }),
        },
      },
      2,
    );
    const converterEnv = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f: any) => f.Properties.Environment.Variables,
    );
    expect(converterEnv.some((v) => 'CSV2LAKE_SCHEMA_LOCATION' in v)).toBe(false);
    // No CSV options: each file is sniffed.
    expect(converterEnv.some((v) => 'CSV2LAKE_CSV_OPTIONS' in v)).toBe(false);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
    });
  });

  test('the retry map runs the same child workflow under prefixed state names and reduces again', () => {
    const retry = asl.States[STATES.retryFailed];
    expect(retry.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(retry.ItemProcessor.StartAt).toBe(RETRY_PREFIX + STATES.isCsv);
    expect(Object.keys(retry.ItemProcessor.States).sort()).toEqual(
      Object.keys(map.ItemProcessor.States)
        .map((n) => RETRY_PREFIX + n)
        .sort(),
    );
    expect(retry.ItemReader.Parameters).toEqual({
      Bucket: 'bucket-outputbucket',
      'Key.$': '$.reduce.summary.failedItemsKey',
    });
    expect(retry.MaxConcurrency).toBe(50);
    expect(retry.ResultWriter).toEqual(map.ResultWriter);
    expect(asl.States[STATES.reduceAfterRetry].Parameters.Payload['mapResults.$']).toBe(
      'States.Array($.convertMap, $.joinMap, $.retryMap, $.retryJoinMap)',
    );
    // A schema widened during the retry maps sends the outputs it made stale round once more, and ranges
    // a join handed back (round 2, missing parts) go round the reconcile loop.
    expect(retry.Next).toBe(STATES.anyRetryJoins);
    expect(asl.States[STATES.reduceAfterRetry].Next).toBe(STATES.anyStale);
    expect(asl.States[STATES.anyStale]).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          Or: [
            { Variable: '$.reduce.summary.staleOutputs', NumericGreaterThan: 0 },
            {
              And: [
                { Variable: '$.reduce.summary.rangesToConvert', IsPresent: true },
                { Variable: '$.reduce.summary.rangesToConvert', NumericGreaterThan: 0 },
              ],
            },
          ],
          Next: STATES.anyRetryItems,
        },
      ],
      Default: STATES.done,
    });
  });

  test('the retry join map (the reconcile loop) joins split keys again after RetryFailed, unbatched, with its tolerance', () => {
    const joins = asl.States[STATES.retryJoin];
    expect(asl.States[STATES.anyRetryJoins]).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.reduce.summary.retryJoins', IsPresent: true },
            { Variable: '$.reduce.summary.retryJoins', NumericGreaterThan: 0 },
          ],
          Next: STATES.retryJoin,
        },
      ],
      Default: STATES.noRetryJoins,
    });
    expect(asl.States[STATES.noRetryJoins]).toMatchObject({
      Type: 'Pass',
      Result: {},
      ResultPath: '$.retryJoinMap',
      Next: STATES.reduceAfterRetry,
    });
    expect(joins.ItemReader.Parameters).toEqual({
      Bucket: 'bucket-outputbucket',
      'Key.$': '$.reduce.summary.retryJoinsKey',
    });
    expect(joins.ItemBatcher).toBeUndefined();
    expect(joins.ToleratedFailurePercentage).toBe(0);
    expect(joins.ResultPath).toBe('$.retryJoinMap');
    expect(joins.Next).toBe(STATES.reduceAfterRetry);
    expect(Object.keys(joins.ItemProcessor.States).sort()).toEqual(
      Object.keys(map.ItemProcessor.States)
        .map((n) => RETRY_JOIN_PREFIX + n)
        .sort(),
    );
    // A join that hands ranges back is caught in its branch (the other format's join runs on), and the
    // branch's output names the version for SameVersion.
    const branch = joins.ItemProcessor.States[RETRY_JOIN_PREFIX + STATES.convertFormats].Branches[0];
    expect(branch.States[RETRY_JOIN_PREFIX + STATES.parquetRangesToConvert]).toMatchObject({
      Type: 'Pass',
      Parameters: { 'key.$': '$.key', format: 'parquet', 'sourceEtag.$': '$.etag' },
      End: true,
    });
  });

  test('resolvedDefinition resolves the substitutions from the template, or refuses a missing name', () => {
    const fromTemplate = resolvedDefinition(template.toJSON() as any, {
      'AWS::Region': 'eu-west-1',
      'AWS::AccountId': '123456789012',
      ...Object.fromEntries(
        Object.keys(template.findResources('AWS::Lambda::Function')).map((id) => [id, `fn-${id}`]),
      ),
      ...Object.fromEntries(
        Object.keys(template.findResources('AWS::S3::Bucket')).map((id) => [id, `b-${id}`]),
      ),
    }) as any;
    const task =
      fromTemplate.States[STATES.convertFiles].ItemProcessor.States[STATES.convertFormats].Branches[0].States[
        STATES.convertParquet
      ];
    expect(task.Parameters.FunctionName).toMatch(/^fn-.*ParquetConverter.*$/);
    expect(fromTemplate.States[STATES.compareBucket].Choices[0].StringEquals).toMatch(/^b-.*InputBucket/);
    expect(() => resolvedDefinition(template.toJSON() as any, {})).toThrow(DefinitionResolutionError);
  });

  test('snapshot (asset hashes scrubbed)', () => {
    const json = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}/g, '<hash>');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});

test('props are honoured: suffixes, schedule in a time zone, schema, CSV options, null tokens, rejects, logs, tolerance, batching', () => {
  const template = synth({
    csv: { delimiter: '\t', quote: '', header: false },
    suffixes: ['.psv'],
    schedule: {
      cron: {
        minute: '30',
        hour: '4',
        weekDay: 'MON-FRI',
        timeZone: { timezoneName: 'Europe/Paris' } as any,
      },
    },
    schemaLocation: 's3://schemas/csv2lake/schema.json',
    nullTokens: ['NA', '\\N'],
    maxRejects: 0,
    logRetention: logs.RetentionDays.ONE_WEEK,
    toleratedFailedFiles: 3,
    itemBatching: { maxItemsPerBatch: 20, maxInputBytesPerBatch: 65536 },
  });
  const asl = definition(template);
  expect(aslValidator(asl).errorsText('\n')).toBe('');
  expect(aslValidator(asl).isValid).toBe(true);
  const map = asl.States[STATES.convertFiles];
  expect(map.ItemBatcher).toEqual({
    MaxItemsPerBatch: 20,
    MaxInputBytesPerBatch: 65536,
    // The suffixes travel with the batch: the converters skip non-CSV keys with them.
    BatchInput: { 'run.$': '$.run', suffixes: ['.psv'] },
  });
  // Batched: the run travels once in BatchInput, and the child goes straight to the converters.
  expect(map.ItemSelector['run.$']).toBeUndefined();
  expect(map.ItemProcessor.StartAt).toBe(STATES.convertFormats);
  expect(map.ItemProcessor.States[STATES.isCsv]).toBeUndefined();
  const retry = asl.States[STATES.retryFailed];
  expect(retry.ItemBatcher).toEqual(map.ItemBatcher);
  expect(retry.ToleratedFailureCount).toBe(3);
  expect(retry.ToleratedFailurePercentage).toBeUndefined();
  expect(map.ToleratedFailurePercentage).toBe(100);
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'cron(30 4 ? * MON-FRI *)',
    ScheduleExpressionTimezone: 'Europe/Paris',
  });
  template.resourcePropertiesCountIs(
    'AWS::Lambda::Function',
    {
      Environment: {
        Variables: Match.objectLike({
          CSV2LAKE_SCHEMA_LOCATION: 's3://schemas/csv2lake/schema.json',
          CSV2LAKE_CSV_OPTIONS: '{"delimiter":"\\t","quote":"","header":false}',
          CSV2LAKE_NULL_TOKENS: '["NA","\\\\N"]',
          CSV2LAKE_MAX_REJECTS: '0',
        }),
      },
    },
    // The converters, and (issue 12) the planner and the reducer, which compute the converters' options hash.
    4,
  );
  template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 5);
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(
    ':s3:::schemas/csv2lake/schema.json',
  );

  const unbatched = definition(synth({ suffixes: ['.psv'] }));
  const patterns = unbatched.States[STATES.convertFiles].ItemProcessor.States[STATES.isCsv].Choices[0].Or.map(
    (c: any) => c.StringMatches,
  );
  expect(patterns.sort()).toEqual(csvKeyPatterns(['.psv']).sort());
  expect(patterns).toEqual(expect.arrayContaining(['*.PSV', '*.PSV.gz', '*.psv', '*.psv.gz', '*.Psv.gZ']));
});

test('architecture: arm64 needs its own snappy binary, refused with a clear error when it is not installed', () => {
  expect(() => synth({ architecture: lambda.Architecture.ARM_64 })).toThrow(
    /@napi-rs\/snappy-linux-arm64-gnu.*deploy x86_64/,
  );
});

test('buckets encrypted with a customer key: the functions and the state machine get the key, nothing more', () => {
  const app = new App({ context: NO_BUNDLING });
  const stack = new Stack(app, 'Kms', { env });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = (id: string) =>
    new s3.Bucket(stack, id, { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
  new CsvConversionPipeline(stack, 'Pipeline', { inputBucket: bucket('In'), outputBucket: bucket('Out') });
  const policies = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
  for (const role of ['ParquetConverter', 'AvroConverter', 'Reducer', 'StateMachineRole']) {
    const [, policy] = policies.find(([id]) => id.includes(role))! as [string, any];
    const kmsStatements = policy.Properties.PolicyDocument.Statement.filter((s: any) =>
      [s.Action].flat().some((a: string) => a.startsWith('kms:')),
    );
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const statement of kmsStatements) {
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    }
  }
});

test('props are honoured: prefixes, formats, concurrency, schedule off, memory, imported buckets', () => {
  const template = synth({
    inputBucketName: 'landing-zone',
    outputBucketName: 'lake',
    inputPrefix: 'exports/',
    formats: ['avro'],
    outputPrefixes: { avro: 'raw/avro/' },
    maxConcurrency: 7,
    schedule: { enabled: false },
    converterMemoryMb: 3008,
    converterTimeout: Duration.minutes(5),
  });
  const asl = definition(template);
  expect(asl.States[STATES.convertFiles].MaxConcurrency).toBe(7);
  expect(
    asl.States[STATES.convertFiles].ItemProcessor.States[STATES.convertFormats].Branches.map(
      (b: any) => b.StartAt,
    ),
  ).toEqual([STATES.convertAvro]);
  // The run carries the prefixes of the formats it writes, and only those: the reducer's accounting reads them.
  expect(asl.States[STATES.buildRun].Parameters.run.outputPrefixes).toEqual({ avro: 'raw/avro/' });
  template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourcePropertiesCountIs('AWS::Lambda::Function', { MemorySize: 3008, Timeout: 300 }, 1);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  expect(machine.Properties.DefinitionSubstitutions.InputBucket).toBe('landing-zone');
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(
    ':s3:::landing-zone/exports/*',
  );
});

test('an empty input prefix (the default) lets executions choose any prefix of the bucket', () => {
  const asl = definition(synth());
  expect(PIPELINE_DEFAULTS.inputPrefix).toBe('');
  expect(asl.States[STATES.applyDefaults].Parameters.config.inputPrefix).toBe('');
  expect(asl.States[STATES.validateInput].Choices[0].And).toContainEqual({
    Variable: '$.config.inputPrefix',
    StringMatches: '*',
  });
});

test('cdk-nag AwsSolutions: no unacknowledged findings', () => {
  const app = new App({ context: NO_BUNDLING });
  new PipelineStack(app, 'Csv2Lake', { env });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
});
