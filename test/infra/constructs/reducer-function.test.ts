import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LakeCatalog } from '../../../lib/constructs/lake-catalog';
import { REDUCER_FUNCTION_DEFAULTS, ReducerFunction } from '../../../lib/constructs/reducer-function';
import { ENV, REDUCER_ENV } from '../../../lambdas/shared/config';
import { bareLocations, bareStack } from './support';

const run = {
  outputPrefixes: { parquet: 'parquet/' },
  layout: { root: 'landing/', pattern: '{dataset}/{file}' },
  converterMemoryMb: 1769,
};

test('defaults: 1,024 MB, 15 minutes, no catalog; the run defaults and the converter memory in its environment', () => {
  const { stack } = bareStack();
  new ReducerFunction(stack, 'Reducer', { locations: bareLocations(stack), ...run });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 1024,
    Timeout: 900,
    Environment: {
      Variables: Match.objectLike({
        [REDUCER_ENV.CONVERTER_MEMORY_MB]: '1769',
        [REDUCER_ENV.GLUE_DATABASE]: Match.absent(),
        [ENV.MAX_REJECTS]: '1000',
      }),
    },
  });
  const [reducer] = Object.values(
    t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler', MemorySize: 1024 } }),
  );
  const variables = reducer!.Properties.Environment.Variables as Record<string, unknown>;
  const defaultRun = JSON.stringify(variables[REDUCER_ENV.DEFAULT_RUN]);
  expect(defaultRun).toContain('\\"inputPrefix\\":\\"landing/\\"');
  expect(defaultRun).toContain('\\"pattern\\":\\"{dataset}/{file}\\"');
  expect(REDUCER_FUNCTION_DEFAULTS).toEqual({ memoryMb: 1024, timeout: Duration.minutes(15) });
});

test('props are honoured: the catalog (its database named, its tables writable), memory, timeout', () => {
  const { stack } = bareStack();
  const catalog = new LakeCatalog(stack, 'Catalog', { databaseName: 'lake_db' });
  new ReducerFunction(stack, 'Reducer', {
    locations: bareLocations(stack),
    ...run,
    catalog,
    memoryMb: 512,
    timeout: Duration.minutes(3),
  });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 512,
    Timeout: 180,
    Environment: { Variables: Match.objectLike({ [REDUCER_ENV.GLUE_DATABASE]: Match.anyValue() }) },
  });
  expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain('glue:');
});
