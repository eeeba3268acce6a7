/*
 * Issue 12 on the deployed shape: alarms that reach someone, KMS keys of imported buckets, the state machine's
 * log group and overall timeout, `_runs/` expiry, converter permissions scoped to what they write, and the
 * state machine's Map permissions, asserted on the synthesized template.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CsvConversionPipeline, PIPELINE_DEFAULTS } from '../../lib/csv-conversion-pipeline';
import { snappyInstallCommand } from '../../lib/constructs/pipeline-function';
import { PipelineStack, type PipelineStackProps } from '../../lib/pipeline-stack';

const env = { account: '123456789012', region: 'eu-west-1' };
const NO_BUNDLING = {
  '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
  'aws:cdk:bundling-stacks': [],
};

function synth(props: PipelineStackProps = {}): Template {
  const app = new App({ context: NO_BUNDLING });
  return Template.fromStack(new PipelineStack(app, 'Csv2Lake', { env, ...props }));
}

/** Statements of the one policy whose logical id contains `role`. */
function statements(template: Template, role: string): any[] {
  const [, policy] = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
    id.includes(role),
  )! as [string, any];
  return policy.Properties.PolicyDocument.Statement;
}

const actionsOf = (s: any): string[] => [s.Action].flat();
const text = (value: unknown) => JSON.stringify(value);

const template = synth({ inputPrefix: 'incoming/' });

describe('alerting', () => {
  test('one SNS topic, encrypted with a rotated customer-managed key, SSL only, which CloudWatch may publish to', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmsTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
          }),
        ]),
      },
    });
    // No e-mail unless asked for.
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('every alarm notifies the topic when it fires and when it clears', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    // Failed, timed-out and aborted executions, failed files, and two dead-letter queues.
    expect(alarms).toHaveLength(6);
    const topic = { Ref: Match.stringLikeRegexp('AlarmsTopic') };
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
      expect(Match.objectLike(topic).test(alarm.Properties.AlarmActions[0]).isSuccess).toBe(true);
    }
  });

  test('executions that end FAILED, TIMED_OUT or ABORTED are each alarmed', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('StateMachine') } }],
        TreatMissingData: 'notBreaching',
      });
  });

  test("FailedFiles watches the reducer's FilesFailed (the run's final count), not the converters'", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'csv2lake',
      MetricName: 'FilesFailed',
      Dimensions: [{ Name: 'service', Value: 'Reducer' }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  test("the schedule's and the execution-status rule's dead-letter queues are alarmed on visible messages", () => {
    for (const queue of ['NightlyDeadLetters', 'ReportFailedExecutionsDeadLetters'])
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 1,
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(queue), 'QueueName'] } },
        ],
      });
  });

  test("the failure rule's target has a dead-letter queue, encrypted and SSL only", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Reducer'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportFailedExecutionsDeadLetters'), 'Arn'] },
          },
        }),
      ],
    });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
  });

  test('alarmEmail subscribes the address to the topic; alarmTopic replaces the topic', () => {
    const withEmail = synth({ alarmEmail: 'data-team@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'data-team@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('AlarmsTopic') },
    });

    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Own', { env });
    const topic = sns.Topic.fromTopicArn(stack, 'Ops', 'arn:aws:sns:eu-west-1:123456789012:ops');
    new CsvConversionPipeline(stack, 'Pipeline', {
      inputBucket: new s3.Bucket(stack, 'In'),
      outputBucket: new s3.Bucket(stack, 'Out'),
      alarmTopic: topic,
    });
    const own = Template.fromStack(stack);
    own.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(own.findResources('AWS::CloudWatch::Alarm')) as any[])
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
  });

  test('without a schedule there is no schedule queue, nor its alarm', () => {
    const t = synth({ schedule: { enabled: false } });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    t.resourceCountIs('AWS::SQS::Queue', 1);
  });
});

describe('state machine', () => {
  test('its log group is under /aws/vendedlogs/states/, named after the state machine', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/Csv2Lake-Pipeline',
      RetentionInDays: 30,
    });
  });

  test('an execution times out after 23 hours by default, or executionTimeout', () => {
    expect(PIPELINE_DEFAULTS.executionTimeout.toHours()).toBe(23);
    // The definition's own top-level field: CDK's `timeout` prop is not applied to a string definition.
    const topLevel = (t: Template) => {
      const [machine] = Object.values(t.findResources('AWS::StepFunctions::StateMachine')) as any[];
      const definition = machine.Properties.DefinitionString;
      // A string, or a join of strings and tokens (which never stand in the top-level fields read here).
      const joined =
        typeof definition === 'string'
          ? definition
          : definition['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'x')).join('');
      return (JSON.parse(joined) as { TimeoutSeconds?: number }).TimeoutSeconds;
    };
    expect(topLevel(template)).toBe(23 * 3600);
    expect(topLevel(synth({ executionTimeout: Duration.hours(6) }))).toBe(6 * 3600);
  });

  test('its role may start, describe, stop and redrive its own child executions and describe its map runs; never UpdateMapRun or ListMapRuns', () => {
    const sm = statements(template, 'StateMachineRole');
    const all = sm.flatMap(actionsOf);
    expect(all).not.toContain('states:UpdateMapRun');
    expect(all).not.toContain('states:ListMapRuns');
    const describe = sm.find((s) => actionsOf(s).includes('states:DescribeMapRun'));
    expect(actionsOf(describe)).toEqual(['states:DescribeMapRun']);
    expect(text(describe.Resource)).toContain(':mapRun:Csv2Lake-Pipeline/*');
    const executions = sm.find((s) => actionsOf(s).includes('states:RedriveExecution'));
    expect(actionsOf(executions).sort()).toEqual([
      'states:DescribeExecution',
      'states:RedriveExecution',
      'states:StopExecution',
    ]);
    expect(text(executions.Resource)).toContain(':execution:Csv2Lake-Pipeline/*');
  });
});

describe('converters', () => {
  test('ListBucket on the input bucket, scoped to the input prefix (a deleted file is InputMissingError, not AccessDenied)', () => {
    for (const role of ['ParquetConverter', 'AvroConverter']) {
      const list = statements(template, role).filter((s) => actionsOf(s).includes('s3:ListBucket'));
      expect(list).toContainEqual(
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^InputBucket/), 'Arn'] },
          Condition: { StringLike: { 's3:prefix': ['incoming/*'] } },
        }),
      );
    }
  });

  test('they write only their own records under _runs/ (_runs/*/items/<format>/*) and their own format prefix', () => {
    for (const [role, format, other] of [
      ['ParquetConverter', 'parquet', 'avro'],
      ['AvroConverter', 'avro', 'parquet'],
    ] as const) {
      const writes = statements(template, role).filter((s) =>
        actionsOf(s).some((a) => a === 's3:PutObject' || a === 's3:DeleteObject'),
      );
      const resources = text(writes.map((s) => s.Resource));
      expect(resources).toContain(`/_runs/*/items/${format}/*`);
      expect(resources).toContain(`/${format}/*`);
      expect(resources).not.toMatch(/\/_runs\/\*"/);
      expect(resources).not.toContain(`/items/${other}/`);
      expect(resources).not.toContain(`"/${other}/*"`);
    }
    // The reducer still writes the reports and metrics.json anywhere under _runs/.
    expect(text(statements(template, 'Reducer'))).toContain('/_runs/*');
  });

  test('reserved concurrency: none by default; when set, on both converters, and maxConcurrency may not exceed it', () => {
    const none = Object.values(template.findResources('AWS::Lambda::Function')) as any[];
    expect(none.every((f) => f.Properties.ReservedConcurrentExecutions === undefined)).toBe(true);
    const reserved = synth({ converterReservedConcurrency: 60, maxConcurrency: 60 });
    reserved.resourcePropertiesCountIs('AWS::Lambda::Function', { ReservedConcurrentExecutions: 60 }, 2);
    // Not the reducer, nor (since issue 12) the planner.
    reserved.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { MemorySize: 1024, ReservedConcurrentExecutions: Match.absent() },
      2,
    );
    expect(() => synth({ converterReservedConcurrency: 20 })).toThrow(
      /maxConcurrency 50 is above converterReservedConcurrency 20/,
    );
  });

  test('the runtime is a prop: nodejs24.x by default, nodejs22.x when pinned', () => {
    synth({ runtime: lambda.Runtime.NODEJS_22_X }).resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x' },
      // The planner's too (issue 12).
      4,
    );
  });
});

describe('KMS keys of imported buckets', () => {
  test('inputBucketKeyArn / outputBucketKeyArn: converters decrypt the input and encrypt the output, the planner, the reducer and the state machine get what they use', () => {
    const inKey = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
    const outKey = 'arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222';
    const t = synth({
      inputBucketName: 'landing',
      outputBucketName: 'lake',
      inputBucketKeyArn: inKey,
      outputBucketKeyArn: outKey,
    });
    const kmsOf = (role: string) =>
      statements(t, role).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    for (const role of ['ParquetConverter', 'AvroConverter']) {
      const grants = kmsOf(role);
      expect(grants).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: inKey }));
      expect(grants).toContainEqual(
        expect.objectContaining({
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']),
          Resource: outKey,
        }),
      );
    }
    expect(text(kmsOf('Reducer'))).not.toContain(inKey);
    expect(text(kmsOf('Reducer'))).toContain(outKey);
    // Since issue 12 the state machine reads its items from the output bucket and never lists the input
    // (the planner does, and a listing needs no key): it gets the output key only.
    expect(text(kmsOf('StateMachineRole'))).not.toContain(inKey);
    expect(text(kmsOf('StateMachineRole'))).toContain(outKey);
    expect(text(kmsOf('Planner'))).not.toContain(inKey);
    expect(text(kmsOf('Planner'))).toContain(outKey);
    // Without the ARNs, imported buckets get no KMS permission at all.
    const plain = synth({ inputBucketName: 'landing', outputBucketName: 'lake' });
    expect(text(plain.findResources('AWS::IAM::Policy'))).not.toContain('kms:');
  });

  test('the construct takes the keys as IKey props, over the buckets’ own', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Keys', { env });
    const key = new kms.Key(stack, 'LandingKey', { enableKeyRotation: true });
    new CsvConversionPipeline(stack, 'Pipeline', {
      inputBucket: s3.Bucket.fromBucketName(stack, 'In', 'landing'),
      inputBucketKey: key,
      outputBucket: s3.Bucket.fromBucketName(stack, 'Out', 'lake'),
    });
    const parquet = statements(Template.fromStack(stack), 'ParquetConverter');
    expect(parquet).toContainEqual(
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LandingKey/), 'Arn'] },
      }),
    );
  });
});

describe('the output bucket', () => {
  test('a created output bucket expires _runs/ after 90 days (runsExpiration), the input bucket nothing', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'ExpireRuns', Prefix: '_runs/', ExpirationInDays: 90, Status: 'Enabled' }),
        ]),
      },
    });
    const buckets = Object.entries(template.findResources('AWS::S3::Bucket'));
    const rules = (name: string) =>
      text(buckets.find(([id]) => id.startsWith(name))![1].Properties.LifecycleConfiguration);
    expect(rules('InputBucket')).not.toContain('_runs/');
    synth({ runsExpiration: Duration.days(30) }).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: '_runs/', ExpirationInDays: 30 })]),
      },
    });
    // Shorter than a redrive's 14 days would lose the files a redrive needs.
    expect(() => synth({ runsExpiration: Duration.days(7) })).toThrow(/runsExpiration 7 days/);
  });
});

test('an architecture whose snappy addon is missing is refused with the command that installs it', () => {
  expect(snappyInstallCommand(lambda.Architecture.ARM_64)).toBe(
    'npm install --no-save --force @napi-rs/snappy-linux-arm64-gnu@7.4.3',
  );
  expect(() => synth({ architecture: lambda.Architecture.ARM_64 })).toThrow(
    'run `npm install --no-save --force @napi-rs/snappy-linux-arm64-gnu@7.4.3`, or deploy x86_64',
  );
});
