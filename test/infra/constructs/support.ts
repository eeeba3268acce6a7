/* A bare stack for construct tests: no bundling, a state machine and a function to hand to the constructs. */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { PipelineLocations } from '../../../lib/constructs/pipeline-permissions';

export function bareStack(): { stack: Stack; stateMachine: sfn.StateMachine; fn: lambda.Function } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const stateMachine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
  });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  return { stack, stateMachine, fn };
}

/** Two buckets and a prefix, as the pipeline's functions and state machine are given them. */
export function bareLocations(stack: Stack): PipelineLocations {
  return {
    inputBucket: new s3.Bucket(stack, 'In'),
    inputPrefix: 'landing/',
    outputBucket: new s3.Bucket(stack, 'Out'),
  };
}
