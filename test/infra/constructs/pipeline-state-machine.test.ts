import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PipelineStateMachine } from '../../../lib/constructs/pipeline-state-machine';
import { bareLocations, bareStack } from './support';

const workflow = {
  formats: ['parquet'] as const,
  inputPrefix: 'landing/',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  maxConcurrency: 5,
  taskTimeoutSeconds: 930,
};

test('defaults: named after the stack and the scope, STANDARD, traced, ERROR logs kept a month under /aws/vendedlogs/', () => {
  const { stack, fn } = bareStack();
  new PipelineStateMachine(stack, 'StateMachine', {
    workflow,
    functions: { converters: { parquet: fn }, planner: fn, reducer: fn },
    locations: bareLocations(stack),
  });
  const t = Template.fromStack(stack);
  // The scope is the stack itself here: its id is the stack's.
  t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
    StateMachineName: 'Test-Test',
    StateMachineType: 'STANDARD',
    TracingConfiguration: { Enabled: true },
    LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
  });
  t.hasResourceProperties('AWS::Logs::LogGroup', {
    LogGroupName: '/aws/vendedlogs/states/Test-Test',
    RetentionInDays: 30,
  });
  const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
  expect(policies).toContain('states:RedriveExecution');
  expect(policies).toContain('lambda:InvokeFunction');
});

test('props are honoured: the name, the log retention, the definition from the workflow settings', () => {
  const { stack, fn } = bareStack();
  new PipelineStateMachine(stack, 'StateMachine', {
    workflow: { ...workflow, executionTimeoutSeconds: 3600 },
    functions: { converters: { parquet: fn }, planner: fn, reducer: fn },
    locations: bareLocations(stack),
    stateMachineName: 'nightly-lake',
    logRetention: logs.RetentionDays.ONE_WEEK,
  });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'nightly-lake' });
  t.hasResourceProperties('AWS::Logs::LogGroup', {
    LogGroupName: '/aws/vendedlogs/states/nightly-lake',
    RetentionInDays: 7,
  });
  const [machine] = Object.values(
    t.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: 'nightly-lake' } }),
  );
  const definition = JSON.stringify(machine!.Properties.DefinitionString);
  expect(definition).toContain('\\"TimeoutSeconds\\":3600');
});
