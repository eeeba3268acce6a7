/*
 * bin/app.ts: the cdk.json context keys of the lake reach the stack's props (the stack itself is replaced by
 * a recorder, so nothing is synthesized).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATASET_PATTERN } from '../../lambdas/lake/layout';
import type { PipelineStackProps } from '../../lib/pipeline-stack';

/** The props bin/app.ts gives the stack under `context` (as the CDK CLI passes cdk.json's context). */
function propsFor(context: Record<string, unknown>): PipelineStackProps {
  const made: PipelineStackProps[] = [];
  const previous = process.env.CDK_CONTEXT_JSON;
  process.env.CDK_CONTEXT_JSON = JSON.stringify(context);
  try {
    jest.isolateModules(() => {
      jest.doMock('../../lib/pipeline-stack', () => ({
        PipelineStack: class {
          constructor(_scope: unknown, _id: string, props: PipelineStackProps) {
            made.push(props);
          }
        },
      }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app runs on load, in isolation
      require('../../bin/app');
    });
  } finally {
    if (previous === undefined) delete process.env.CDK_CONTEXT_JSON;
    else process.env.CDK_CONTEXT_JSON = previous;
  }
  expect(made).toHaveLength(1);
  return made[0]!;
}

test('csv2lake:datasetPattern, csv2lake:glueDatabase and csv2lake:catalog reach the stack', () => {
  const props = propsFor({
    'csv2lake:datasetPattern': '{dataset}/{dt}/{file}',
    'csv2lake:glueDatabase': 'sales_lake',
  });
  expect(props.datasetPattern).toBe('{dataset}/{dt}/{file}');
  expect(props.glueDatabaseName).toBe('sales_lake');
  expect(props.catalog).toBeUndefined();
  expect(propsFor({ 'csv2lake:catalog': 'false' }).catalog).toBe(false);
  expect(propsFor({ 'csv2lake:catalog': false }).catalog).toBe(false);
});

test('absent keys leave the construct defaults', () => {
  const props = propsFor({});
  expect('datasetPattern' in props).toBe(false);
  expect('glueDatabaseName' in props).toBe(false);
  expect('catalog' in props).toBe(false);
  expect(propsFor({ 'csv2lake:catalog': 'true' }).catalog).toBeUndefined();
});

test("cdk.json states the default pattern, and its context builds the stack's props", () => {
  const { context } = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  expect(context['csv2lake:datasetPattern']).toBe(DEFAULT_DATASET_PATTERN);
  expect(propsFor(context)).toMatchObject({
    inputPrefix: 'incoming/',
    datasetPattern: DEFAULT_DATASET_PATTERN,
  });
});
