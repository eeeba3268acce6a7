/*
 * Issue 11 on the deployed shape: the dataset key pattern and where it goes, the Glue database and the
 * reducer's Glue and schema permissions, the converters' schema and rejects permissions (and nothing
 * broader), the stack outputs, and an output location inside the input refused at synth.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidOptionsError } from '../../lambdas/core/model/errors';
import { DEFAULT_DATASET_PATTERN } from '../../lambdas/lake/layout';
import { CsvConversionPipeline, PIPELINE_DEFAULTS } from '../../lib/csv-conversion-pipeline';
import { PipelineStack, type PipelineStackProps } from '../../lib/pipeline-stack';
import { STATES } from '../../lib/workflow/definition';
import { resolvedDefinition } from '../../lib/workflow/resolve';

const env = { account: '123456789012', region: 'eu-west-1' };
const NO_BUNDLING = {
  '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
  'aws:cdk:bundling-stacks': [],
};

function synth(props: PipelineStackProps = {}, stackName = 'Csv2Lake'): Template {
  const app = new App({ context: NO_BUNDLING });
  return Template.fromStack(new PipelineStack(app, stackName, { env, ...props }));
}

/** A resource or ARN as text: bucket ARNs as `<InputBucket>`, the partition as `aws`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(render).join(v['Fn::Join'][0]);
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'][0] as string).replace(/[0-9A-F]{8}$/, '')}>`;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref) return `<${v.Ref}>`;
  return JSON.stringify(v);
}

/** One S3 or Glue statement, normalized: sorted actions, rendered resources, the prefix condition. */
interface Grant {
  actions: string[];
  resources: string[];
  prefixes?: string[];
}

/** The S3 and Glue statements of the one policy whose logical id contains `role`. */
function grants(template: Template, role: string): Grant[] {
  const [, policy] = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
    id.includes(role),
  )! as [string, any];
  return (policy.Properties.PolicyDocument.Statement as any[])
    .map((s) => ({
      actions: [s.Action].flat().sort() as string[],
      resources: [s.Resource].flat().map(render),
      ...(s.Condition ? { prefixes: s.Condition.StringLike['s3:prefix'] as string[] } : {}),
    }))
    .filter((g) => g.actions.some((a) => a.startsWith('s3:') || a.startsWith('glue:')));
}

const OBJECT_WRITE = ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'];
const GLUE = [
  'glue:BatchCreatePartition',
  'glue:CreateTable',
  'glue:GetPartitions',
  'glue:GetTable',
  'glue:UpdateTable',
];
const glueArns = (db: string) => [
  'arn:aws:glue:eu-west-1:123456789012:catalog',
  `arn:aws:glue:eu-west-1:123456789012:database/${db}`,
  `arn:aws:glue:eu-west-1:123456789012:table/${db}/*`,
];

/** The reducer's environment. */
function reducerEnv(template: Template): Record<string, string> {
  const [reducer] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => id.includes('Reducer'))
    .map(([, f]) => f as any);
  return reducer.Properties.Environment.Variables;
}

/** The run defaults the reducer reads, with bucket names rendered. */
function defaultRun(template: Template): Record<string, unknown> {
  return JSON.parse(render(reducerEnv(template).CSV2LAKE_DEFAULT_RUN)) as Record<string, unknown>;
}

/** The run the definition builds from the execution input and its defaults. */
function buildRun(template: Template): Record<string, unknown> {
  const asl = resolvedDefinition(template.toJSON() as any, {
    InputBucket: 'in',
    OutputBucket: 'out',
    ParquetFunctionArn: 'p',
    AvroFunctionArn: 'a',
    ReduceFunctionArn: 'r',
    PlanFunctionArn: 'l',
  }) as any;
  return asl.States[STATES.buildRun].Parameters.run;
}

const template = synth({ inputPrefix: 'incoming/' });

describe('datasetPattern', () => {
  test('@default DEFAULT_DATASET_PATTERN, in the definition and in the reducer’s run defaults, rooted at the configured prefix', () => {
    expect(PIPELINE_DEFAULTS.datasetPattern).toBe(DEFAULT_DATASET_PATTERN);
    const layout = { root: 'incoming/', pattern: DEFAULT_DATASET_PATTERN };
    expect(defaultRun(template).layout).toEqual(layout);
    expect(buildRun(template).layout).toEqual(layout);
  });

  test('is honoured: a pattern with a partition column reaches the definition and the reducer', () => {
    const t = synth({ inputPrefix: 'exports/', datasetPattern: '{dataset}/{dt}/{file}' });
    const layout = { root: 'exports/', pattern: '{dataset}/{dt}/{file}' };
    expect(defaultRun(t).layout).toEqual(layout);
    expect(buildRun(t).layout).toEqual(layout);
  });

  test('is checked at synth: a pattern without {dataset} is refused, naming the prop', () => {
    expect(() => synth({ datasetPattern: '{dt}/{file}' })).toThrow(/^datasetPattern "\{dt\}\/\{file\}": /);
  });
});

describe('the catalog', () => {
  test('@default a Glue database named after the stack, given to the reducer and in the outputs with an Athena query', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: '123456789012',
      DatabaseInput: { Name: 'csv2lake' },
    });
    expect(reducerEnv(template).CSV2LAKE_GLUE_DATABASE).toBe('csv2lake');
    template.hasOutput('GlueDatabaseName', { Value: 'csv2lake' });
    template.hasOutput('AthenaQueryExample', { Value: 'SELECT * FROM "csv2lake"."<dataset>" LIMIT 10' });
    // Another stack name, another database: two stacks of one account never share tables by default.
    synth({}, 'Csv2Lake-Prod').hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: { Name: 'csv2lake_prod' },
    });
  });

  test('glueDatabaseName is honoured: the database, the reducer, its Glue ARNs and the outputs', () => {
    const t = synth({ glueDatabaseName: 'sales_lake' });
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'sales_lake' } });
    expect(reducerEnv(t).CSV2LAKE_GLUE_DATABASE).toBe('sales_lake');
    expect(grants(t, 'Reducer')).toContainEqual({ actions: GLUE, resources: glueArns('sales_lake') });
    t.hasOutput('AthenaQueryExample', { Value: 'SELECT * FROM "sales_lake"."<dataset>" LIMIT 10' });
    expect(() => synth({ glueDatabaseName: 'Sales-Lake' })).toThrow(
      /glueDatabaseName "Sales-Lake".*"sales_lake"/,
    );
  });

  test('catalog: false: no database, no Glue permission, no database for the reducer, no catalog outputs', () => {
    const t = synth({ catalog: false });
    t.resourceCountIs('AWS::Glue::Database', 0);
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('glue:');
    expect(reducerEnv(t).CSV2LAKE_GLUE_DATABASE).toBeUndefined();
    expect(Object.keys(t.findOutputs('*')).sort()).toEqual([
      'InputBucketName',
      'OutputBucketName',
      'Region',
      'StateMachineArn',
    ]);
    expect(() => synth({ catalog: false, glueDatabaseName: 'lake' })).toThrow(
      /glueDatabaseName "lake" with catalog: false/,
    );
  });

  test('only the reducer gets Glue permissions, and only on its own database', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const withGlue = Object.keys(policies).filter((id) => JSON.stringify(policies[id]).includes('glue:'));
    expect(withGlue).toHaveLength(1);
    expect(withGlue[0]).toMatch(/Reducer/);
    expect(grants(template, 'Reducer').filter((g) => g.actions.some((a) => a.startsWith('glue:')))).toEqual([
      { actions: GLUE, resources: glueArns('csv2lake') },
    ]);
  });
});

describe('S3 permissions of the lake, and nothing broader', () => {
  test('the Parquet converter: its format, its run records, the schemas (read and conditional write), the rejects', () => {
    expect(grants(template, 'ParquetConverter')).toEqual([
      { actions: ['s3:GetObject'], resources: ['<InputBucket>/incoming/*'] },
      { actions: ['s3:ListBucket'], resources: ['<InputBucket>'], prefixes: ['incoming/*'] },
      { actions: OBJECT_WRITE, resources: ['<OutputBucket>/parquet/*'] },
      { actions: ['s3:PutObject'], resources: ['<OutputBucket>/_runs/*/items/parquet/*'] },
      // Its format's byte-range parts, ONE statement for their two writers: a key on several threads
      // (issue 12) and a split key's range items (issue 16); written, copied by the join, deleted.
      { actions: OBJECT_WRITE, resources: ['<OutputBucket>/_runs/*/ranges/parquet/*'] },
      { actions: ['s3:GetObject', 's3:PutObject'], resources: ['<OutputBucket>/_schemas/*'] },
      { actions: OBJECT_WRITE, resources: ['<OutputBucket>/_rejects/*'] },
      {
        actions: ['s3:ListBucket'],
        resources: ['<OutputBucket>'],
        prefixes: ['parquet/*', '_schemas/*', '_runs/*/ranges/parquet/*', '_rejects/*'],
      },
    ]);
  });

  test('the Avro converter: the same without the rejects, which Parquet’s writes', () => {
    expect(grants(template, 'AvroConverter')).toEqual([
      { actions: ['s3:GetObject'], resources: ['<InputBucket>/incoming/*'] },
      { actions: ['s3:ListBucket'], resources: ['<InputBucket>'], prefixes: ['incoming/*'] },
      { actions: OBJECT_WRITE, resources: ['<OutputBucket>/avro/*'] },
      { actions: ['s3:PutObject'], resources: ['<OutputBucket>/_runs/*/items/avro/*'] },
      // Its format's byte-range parts, ONE statement for their two writers: a key on several threads
      // (issue 12) and a split key's range items (issue 16); written, copied by the join, deleted.
      { actions: OBJECT_WRITE, resources: ['<OutputBucket>/_runs/*/ranges/avro/*'] },
      { actions: ['s3:GetObject', 's3:PutObject'], resources: ['<OutputBucket>/_schemas/*'] },
      {
        actions: ['s3:ListBucket'],
        resources: ['<OutputBucket>'],
        prefixes: ['avro/*', '_schemas/*', '_runs/*/ranges/avro/*'],
      },
    ]);
  });

  test('without Parquet, the Avro converter writes the rejects', () => {
    const avro = grants(synth({ inputPrefix: 'incoming/', formats: ['avro'] }), 'AvroConverter');
    expect(avro).toContainEqual({ actions: OBJECT_WRITE, resources: ['<OutputBucket>/_rejects/*'] });
    expect(avro).toContainEqual({
      actions: ['s3:ListBucket'],
      resources: ['<OutputBucket>'],
      prefixes: ['avro/*', '_schemas/*', '_runs/*/ranges/avro/*', '_rejects/*'],
    });
  });

  test('the reducer: the run files, the inventory, the schemas read-only, the input prefix listed and its keys headed, its Glue database', () => {
    // The inventory since issue 12: read and rewritten (streamed) after each reduction.
    expect(grants(template, 'Reducer')).toEqual([
      { actions: ['s3:GetObject', 's3:PutObject'], resources: ['<OutputBucket>/_runs/*'] },
      {
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: ['<OutputBucket>/_state/inventory/*'],
      },
      { actions: ['s3:GetObject'], resources: ['<OutputBucket>/_schemas/*'] },
      {
        actions: ['s3:ListBucket'],
        resources: ['<OutputBucket>'],
        prefixes: ['_runs/*', '_schemas/*', '_state/inventory/*'],
      },
      { actions: ['s3:ListBucket'], resources: ['<InputBucket>'], prefixes: ['incoming/*'] },
      { actions: ['s3:GetObject'], resources: ['<InputBucket>/incoming/*'] },
      { actions: GLUE, resources: glueArns('csv2lake') },
    ]);
  });

  test('the planner: the input prefix listed (never read), the inventory and schemas read, its plan files written, nothing else', () => {
    expect(grants(template, 'Planner')).toEqual([
      { actions: ['s3:ListBucket'], resources: ['<InputBucket>'], prefixes: ['incoming/*'] },
      { actions: ['s3:GetObject'], resources: ['<OutputBucket>/_state/inventory/*'] },
      { actions: ['s3:GetObject'], resources: ['<OutputBucket>/_schemas/*'] },
      {
        actions: ['s3:AbortMultipartUpload', 's3:PutObject'],
        resources: ['<OutputBucket>/_runs/*/plan/*'],
      },
      {
        actions: ['s3:ListBucket'],
        resources: ['<OutputBucket>'],
        prefixes: ['_state/inventory/*', '_schemas/*'],
      },
    ]);
    const withSchema = grants(
      synth({ inputPrefix: 'incoming/', schemaLocation: 's3://cfg/schema.json' }),
      'Planner',
    );
    expect(withSchema).toContainEqual({
      actions: ['s3:GetObject'],
      resources: ['arn:aws:s3:::cfg/schema.json'],
    });
  });

  test('the state machine never lists the input: the planner does', () => {
    const sm = grants(template, 'StateMachineRole');
    expect(JSON.stringify(sm)).not.toContain('<InputBucket>');
    expect(sm).toContainEqual({ actions: ['s3:GetObject'], resources: ['<OutputBucket>/_runs/*'] });
  });

  test('imported buckets and another prefix: the same grants on those names', () => {
    const t = synth({ inputBucketName: 'landing', outputBucketName: 'lake', inputPrefix: 'exports/' });
    const reducer = grants(t, 'Reducer');
    expect(reducer).toContainEqual({
      actions: ['s3:ListBucket'],
      resources: ['arn:aws:s3:::landing'],
      prefixes: ['exports/*'],
    });
    expect(reducer).toContainEqual({
      actions: ['s3:GetObject'],
      resources: ['arn:aws:s3:::lake/_schemas/*'],
    });
    expect(grants(t, 'ParquetConverter')).toContainEqual({
      actions: OBJECT_WRITE,
      resources: ['arn:aws:s3:::lake/_rejects/*'],
    });
  });
});

describe('an output location inside the input location', () => {
  const oneBucket = (props: PipelineStackProps) =>
    synth({ inputBucketName: 'data', outputBucketName: 'data', ...props });

  test('one bucket imported by name: an input prefix that holds, or is held by, a written prefix is refused', () => {
    // The whole bucket as input: the next run would convert its own outputs.
    expect(() => oneBucket({ inputPrefix: '' })).toThrow(InvalidOptionsError);
    expect(() => oneBucket({ inputPrefix: '' })).toThrow(
      /^the output s3:\/\/data\/parquet\/ is inside the input/,
    );
    // The input inside a table location.
    expect(() => oneBucket({ inputPrefix: 'parquet/landing/' })).toThrow(
      /^the input s3:\/\/data\/parquet\/landing\/ is inside the output s3:\/\/data\/parquet\//,
    );
    // A format prefix inside the input.
    expect(() => oneBucket({ inputPrefix: 'incoming/', outputPrefixes: { avro: 'incoming/avro/' } })).toThrow(
      InvalidOptionsError,
    );
    // The run files inside the input.
    expect(() => oneBucket({ inputPrefix: '_runs/' })).toThrow(InvalidOptionsError);
  });

  test('one bucket with disjoint prefixes is accepted; two buckets never overlap', () => {
    oneBucket({ inputPrefix: 'incoming/' }).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    synth({ inputBucketName: 'data', outputBucketName: 'lake', inputPrefix: '' }).resourceCountIs(
      'AWS::StepFunctions::StateMachine',
      1,
    );
  });

  test('the construct given one bucket object for both is checked the same way', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'One', { env });
    const bucket = new s3.Bucket(stack, 'Data');
    expect(
      () => new CsvConversionPipeline(stack, 'Pipeline', { inputBucket: bucket, outputBucket: bucket }),
    ).toThrow(/^the output s3:\/\/<One\/Data>\/parquet\/ is inside the input/);
  });
});

test('cdk-nag AwsSolutions: no unacknowledged findings with a named database, imported buckets and Avro alone', () => {
  const app = new App({ context: NO_BUNDLING });
  new PipelineStack(app, 'Csv2Lake', {
    env,
    inputBucketName: 'data',
    outputBucketName: 'data',
    inputPrefix: 'incoming/',
    formats: ['avro'],
    glueDatabaseName: 'sales_lake',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
});
