import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  PIPELINE_FUNCTION_DEFAULTS,
  PipelineFunction,
  snappyInstallCommand,
  snappyPackage,
} from '../../../lib/constructs/pipeline-function';
import { bareStack } from './support';

test('defaults: 1,769 MB, 15 minutes, x86_64, nodejs24.x, logs kept a month, tracing, no reserved concurrency, Powertools names', () => {
  const { stack } = bareStack();
  new PipelineFunction(stack, 'ParquetConverter', { entry: 'convert-parquet.ts' });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'index.handler',
    MemorySize: 1769,
    Timeout: 900,
    Architectures: ['x86_64'],
    Runtime: 'nodejs24.x',
    TracingConfig: { Mode: 'Active' },
    ReservedConcurrentExecutions: Match.absent(),
    LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^ParquetConverterLogs') } },
    Environment: {
      Variables: { POWERTOOLS_SERVICE_NAME: 'ParquetConverter', POWERTOOLS_METRICS_NAMESPACE: 'csv2lake' },
    },
  });
  t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  expect(PIPELINE_FUNCTION_DEFAULTS.runtime).toBe(lambda.Runtime.NODEJS_24_X);
});

test('props are honoured: environment, memory, timeout, runtime, log retention, reserved concurrency', () => {
  const { stack } = bareStack();
  new PipelineFunction(stack, 'Reducer', {
    entry: 'reduce.ts',
    environment: { CSV2LAKE_PRICES: '{}' },
    memoryMb: 1024,
    timeout: Duration.minutes(5),
    runtime: lambda.Runtime.NODEJS_22_X,
    logRetention: logs.RetentionDays.ONE_WEEK,
    reservedConcurrency: 7,
  });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 1024,
    Timeout: 300,
    Runtime: 'nodejs22.x',
    ReservedConcurrentExecutions: 7,
    Environment: {
      Variables: Match.objectLike({ CSV2LAKE_PRICES: '{}', POWERTOOLS_SERVICE_NAME: 'Reducer' }),
    },
  });
  t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
});

test("the architecture's snappy addon must be installed; the error names the command that installs it", () => {
  expect(snappyPackage(lambda.Architecture.X86_64)).toBe('@napi-rs/snappy-linux-x64-gnu');
  expect(snappyInstallCommand(lambda.Architecture.X86_64)).toBe(
    'npm install --no-save --force @napi-rs/snappy-linux-x64-gnu@7.4.3',
  );
  const { stack } = bareStack();
  expect(
    () =>
      new PipelineFunction(stack, 'Arm', { entry: 'reduce.ts', architecture: lambda.Architecture.ARM_64 }),
  ).toThrow(/needs the native addon @napi-rs\/snappy-linux-arm64-gnu.*npm install --no-save --force/);
});
