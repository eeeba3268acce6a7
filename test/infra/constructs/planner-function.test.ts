import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PLANNER_FUNCTION_DEFAULTS, PlannerFunction } from '../../../lib/constructs/planner-function';
import { ENV } from '../../../lambdas/shared/config';
import { bareLocations, bareStack } from './support';

test("defaults: 1,024 MB, 15 minutes, plan.ts, the converters' default options", () => {
  const { stack } = bareStack();
  new PlannerFunction(stack, 'Planner', { locations: bareLocations(stack) });
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 1024,
    Timeout: 900,
    Environment: {
      Variables: Match.objectLike({
        [ENV.NULL_TOKENS]: '[]',
        [ENV.MAX_REJECTS]: '1000',
        POWERTOOLS_SERVICE_NAME: 'Planner',
      }),
    },
  });
  expect(PLANNER_FUNCTION_DEFAULTS).toEqual({ memoryMb: 1024, timeout: Duration.minutes(15) });
});

test('props are honoured: memory, timeout, options; it may read the schema file', () => {
  const { stack } = bareStack();
  new PlannerFunction(stack, 'Planner', {
    locations: bareLocations(stack),
    memoryMb: 2048,
    timeout: Duration.minutes(10),
    maxRejects: 0,
    schemaLocation: 's3://schemas/schema.json',
  });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 2048,
    Timeout: 600,
    Environment: {
      Variables: Match.objectLike({
        [ENV.MAX_REJECTS]: '0',
        [ENV.SCHEMA_LOCATION]: 's3://schemas/schema.json',
      }),
    },
  });
  expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain(':s3:::schemas/schema.json');
});

test('rangeBytes is honoured: absent by default (the planner then splits at 1 GiB), set when given', () => {
  const { stack } = bareStack();
  const locations = bareLocations(stack);
  new PlannerFunction(stack, 'Planner', { locations });
  new PlannerFunction(stack, 'Split', { locations, rangeBytes: 256 << 20 });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'Planner', [ENV.RANGE_BYTES]: Match.absent() }),
    },
  });
  t.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ [ENV.RANGE_BYTES]: String(256 << 20) }) },
  });
});
