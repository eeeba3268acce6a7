/*
 * The synthesized template: fine-grained assertions on the state machine, functions, schedule, alarms and
 * IAM; the definition validated with asl-validator; cdk-nag's AwsSolutions pack; one scrubbed snapshot.
 */
import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PipelineStack, type PipelineStackProps } from '../../lib/pipeline-stack';
import { STATES, SUBSTITUTIONS, substitute } from '../../lib/workflow/definition';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

const env = { account: '123456789012', region: 'eu-west-1' };

function synth(props: PipelineStackProps = {}): Template {
  const app = new App({ context: { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true } });
  const stack = new PipelineStack(app, 'Csv2Lake', { env, ...props });
  return Template.fromStack(stack);
}

/** The state machine definition with its substitutions applied as CloudFormation would. */
function definition(template: Template): Record<string, any> {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  const body = machine.Properties.DefinitionString;
  const subs = Object.fromEntries(
    Object.keys(machine.Properties.DefinitionSubstitutions).map((k) => [
      k,
      k.endsWith('Arn') ? `arn:aws:lambda:eu-west-1:123456789012:function:${k}` : `bucket-${k.toLowerCase()}`,
    ]),
  );
  return substitute(JSON.parse(body), subs);
}

describe('stack with an input prefix, defaults otherwise', () => {
  const template = synth({ inputPrefix: 'incoming/' });
  const asl = definition(template);
  const map = asl.States[STATES.convertFiles];

  test('the definition is valid ASL', () => {
    const result = aslValidator(asl);
    expect({ valid: result.isValid, errors: result.errorsText('\n') }).toEqual({ valid: true, errors: '' });
    // And it is not trivially valid: a broken copy is refused.
    expect(aslValidator({ ...asl, StartAt: 'Nowhere' }).isValid).toBe(false);
  });

  test('a DISTRIBUTED map lists the prefix, selects bucket/key/etag/size, bounds concurrency, tolerates every failure and writes results', () => {
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:listObjectsV2',
      Parameters: { 'Bucket.$': '$.run.inputBucket', 'Prefix.$': '$.run.inputPrefix' },
    });
    expect(map.ItemSelector).toEqual({
      'bucket.$': '$.run.inputBucket',
      'key.$': '$$.Map.Item.Value.Key',
      'etag.$': '$$.Map.Item.Value.Etag',
      'size.$': '$$.Map.Item.Value.Size',
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
    expect(parquet.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'S3TransientError',
          'States.Timeout',
        ]),
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      }),
    ]);
    expect(parquet.Retry[0].ErrorEquals).not.toEqual(expect.arrayContaining(['MalformedCsvError']));
    expect(parquet.Retry[0].ErrorEquals).not.toContain('States.ALL');
    expect(parquet.Catch).toBeUndefined();
  });

  test('the reducer follows; failed files go to a retry map with no tolerance, whose failure fails the run (redrivable)', () => {
    expect(map.Next).toBe(STATES.reduce);
    expect(asl.States[STATES.reduce].Parameters.Payload).toEqual({
      'run.$': '$.run',
      'mapResults.$': 'States.Array($.convertMap)',
    });
    expect(asl.States[STATES.anyFailed].Choices[0]).toEqual({
      Variable: '$.reduce.summary.items.failed',
      NumericGreaterThan: 0,
      Next: STATES.retryFailed,
    });
    const retry = asl.States[STATES.retryFailed];
    expect(retry.ToleratedFailurePercentage).toBe(0);
    expect(retry.Catch).toBeUndefined();
    expect(retry.ItemReader).toMatchObject({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
    });
    expect(retry.Next).toBe(STATES.reduceAfterRetry);
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

  test('converters: Node.js 22, one per format, Powertools settings, bundled with the native snappy addon', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x', Architectures: ['x86_64'] },
      3,
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
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScheduleDeadLetters'), 'Arn'] } },
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

  test('snapshot (asset hashes scrubbed)', () => {
    const json = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}/g, '<hash>');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
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
  expect(asl.States[STATES.buildRun].Parameters.run.outputPrefixes).toEqual({
    parquet: 'parquet/',
    avro: 'raw/avro/',
  });
  template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourcePropertiesCountIs('AWS::Lambda::Function', { MemorySize: 3008, Timeout: 300 }, 1);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  expect(machine.Properties.DefinitionSubstitutions.InputBucket).toBe('landing-zone');
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(
    ':s3:::landing-zone/exports/*',
  );
});

test('cdk-nag AwsSolutions: no unacknowledged findings', () => {
  const app = new App({ context: { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true } });
  new PipelineStack(app, 'Csv2Lake', { env });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
});
