import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConverterFunction, converterEnvironment } from '../../../lib/constructs/converter-function';
import { ENV } from '../../../lambdas/shared/config';
import { bareLocations, bareStack } from './support';

test('defaults: no null tokens, 1000 rejects, no CSV options or schema file; it writes no rejects', () => {
  const { stack } = bareStack();
  new ConverterFunction(stack, 'ParquetConverter', {
    format: 'parquet',
    locations: bareLocations(stack),
    outputPrefix: 'parquet/',
  });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: {
        [ENV.NULL_TOKENS]: '[]',
        [ENV.MAX_REJECTS]: '1000',
        [ENV.CSV_OPTIONS]: Match.absent(),
        [ENV.SCHEMA_LOCATION]: Match.absent(),
        POWERTOOLS_SERVICE_NAME: 'ParquetConverter',
        POWERTOOLS_METRICS_NAMESPACE: 'csv2lake',
      },
    },
  });
  const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
  expect(policies).toContain('parquet/*');
  expect(policies).not.toContain('_rejects/');
});

test('props are honoured: options in the environment, the rejects prefix granted, function props passed on', () => {
  const { stack } = bareStack();
  new ConverterFunction(stack, 'AvroConverter', {
    format: 'avro',
    locations: bareLocations(stack),
    outputPrefix: 'lake/avro/',
    writesRejects: true,
    csv: { delimiter: ';' },
    nullTokens: ['NA'],
    maxRejects: 5,
    schemaLocation: 's3://schemas/schema.json',
    memoryMb: 3008,
    timeout: Duration.minutes(5),
    reservedConcurrency: 3,
  });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 3008,
    Timeout: 300,
    ReservedConcurrentExecutions: 3,
    Environment: {
      Variables: Match.objectLike({
        [ENV.NULL_TOKENS]: '["NA"]',
        [ENV.MAX_REJECTS]: '5',
        [ENV.CSV_OPTIONS]: Match.stringLikeRegexp('"delimiter":";"'),
        [ENV.SCHEMA_LOCATION]: 's3://schemas/schema.json',
      }),
    },
  });
  const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
  expect(policies).toContain('lake/avro/*');
  expect(policies).toContain('_rejects/');
  expect(policies).toContain(':s3:::schemas/schema.json');
});

test('invalid CSV options are refused at synth, naming the prop', () => {
  expect(() => converterEnvironment({ csv: { delimiter: 'too long' } })).toThrow(/csv prop/);
});
