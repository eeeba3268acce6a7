import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** Acknowledges cdk-nag findings on a construct, each with its reason. */
export function acknowledge(scope: Construct, findings: readonly [id: string, reason: string][]): void {
  for (const [id, reason] of findings) Validations.of(scope).acknowledge({ id, reason });
}

/** cdk-nag's rendering of a resource ARN: tokens as `<LogicalId.Attr>`, pseudo parameters as `<AWS::X>`. */
function findingResource(stack: Stack, arn: unknown): string {
  const part = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if (v['Fn::Join']) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(part).join(sep);
    }
    if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if (v.Ref) return `<${v.Ref as string}>`;
    return JSON.stringify(v);
  };
  return part(stack.resolve(arn));
}

/** Why a wildcard resource is as narrow as IAM can express, by the kind of resource. */
function wildcardReason(resource: string): string {
  if (resource.includes(':glue:'))
    return 'Tables of this pipeline’s own Glue database: the reducer creates one per dataset and format, named at run time.';
  return 'Scoped wildcard: objects under a configured prefix, function versions, or this state machine’s own child executions and map runs.';
}

/**
 * Acknowledges the IAM5 finding of every wildcard resource in the policies under `scope`. Each one is a
 * prefix below a configured bucket prefix, a function version (`:*`), the children and map runs of the
 * pipeline's state machine, or the tables of its Glue database: the narrowest ARNs IAM can express for what
 * the workflow does.
 */
export function acknowledgeScopedWildcards(scope: Construct): void {
  const stack = Stack.of(scope);
  const findings = new Set<string>();
  for (const child of scope.node.findAll()) {
    if (!(child instanceof iam.CfnPolicy)) continue;
    const document = stack.resolve(child.policyDocument) as { Statement: { Resource: unknown }[] };
    for (const statement of document.Statement) {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) {
        const rendered = findingResource(stack, resource);
        if (rendered.includes('*') && rendered !== '*') findings.add(rendered);
      }
    }
  }
  acknowledge(
    scope,
    [...findings].map((resource) => [`AwsSolutions-IAM5[Resource::${resource}]`, wildcardReason(resource)]),
  );
}

/**
 * The pipeline's acknowledged cdk-nag findings, each with its reason, and every scoped wildcard of its
 * policies (see {@link acknowledgeScopedWildcards}).
 */
export function acknowledgePipeline(scope: Construct): void {
  acknowledge(scope, [
    [
      'AwsSolutions-SQS3',
      'These queues are themselves dead-letter queues (of the schedule and of the execution-status rule).',
    ],
    [
      'AwsSolutions-L1',
      'The runtime is a prop: nodejs24.x by default, nodejs22.x where pinned (see PipelineFunctionProps.runtime).',
    ],
    [
      'AwsSolutions-SF1',
      'ERROR-level logging keeps log cost proportional to failures on runs of thousands of child executions; ' +
        'the execution and Map Run histories and the run report carry the rest.',
    ],
    [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWSLambdaBasicExecutionRole only lets a function write its own logs.',
    ],
    [
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) has no resource-level permissions.',
    ],
  ]);
  acknowledgeScopedWildcards(scope);
}
