import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge } from './constructs/nag-acknowledgements';
import { CsvConversionPipeline, type CsvConversionPipelineProps } from './csv-conversion-pipeline';
import { RUNS_PREFIX } from '../lambdas/shared/run-keys';

/** Props of {@link PipelineStack}: the construct's, with buckets optional (created when not named). */
export interface PipelineStackProps
  extends StackProps, Omit<CsvConversionPipelineProps, 'inputBucket' | 'outputBucket'> {
  /** Name of an existing input bucket to import. @default a new bucket */
  readonly inputBucketName?: string;
  /** Name of an existing output bucket to import. @default a new bucket */
  readonly outputBucketName?: string;
  /**
   * ARN of the KMS key that encrypts the imported input bucket (see the construct's `inputBucketKey`).
   * @default none: the bucket is SSE-S3 (or the key is given as `inputBucketKey`)
   */
  readonly inputBucketKeyArn?: string;
  /** ARN of the KMS key that encrypts the imported output bucket. @default none (or `outputBucketKey`) */
  readonly outputBucketKeyArn?: string;
  /**
   * How long run records, reports and map results (`_runs/`) are kept in an output bucket the stack creates.
   * A redrive needs its run's files, and Step Functions redrives executions up to 14 days old; outputs
   * themselves never expire. An imported bucket is left as it is: add the rule to it yourself.
   * @default 90 days
   */
  readonly runsExpiration?: Duration;
}

/** Defaults of {@link PipelineStackProps}. */
export const PIPELINE_STACK_DEFAULTS = { runsExpiration: Duration.days(90) };

/**
 * csv2lake's deployable stack: the buckets (created encrypted, SSL-only, private, with access logs, a rule
 * that aborts incomplete multipart uploads and, on the output bucket, one that expires `_runs/`; or imported
 * by name, with their KMS keys by ARN) and the pipeline.
 */
export class PipelineStack extends Stack {
  readonly pipeline: CsvConversionPipeline;
  readonly inputBucket: s3.IBucket;
  readonly outputBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    let accessLogs: s3.Bucket | undefined;
    const runsExpiration = props.runsExpiration ?? PIPELINE_STACK_DEFAULTS.runsExpiration;
    if (runsExpiration.toDays() < 14)
      throw new Error(
        `runsExpiration ${runsExpiration.toDays()} days: a redrive (up to 14 days after the run) needs the run's files`,
      );
    const bucket = (
      name: string,
      existing: string | undefined,
      rules: s3.LifecycleRule[] = [],
    ): s3.IBucket => {
      if (existing) return s3.Bucket.fromBucketName(this, name, existing);
      accessLogs ??= new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [{ expiration: Duration.days(90) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      return new s3.Bucket(this, name, {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        versioned: false,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${name}/`,
        lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }, ...rules],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    };
    this.inputBucket = bucket('InputBucket', props.inputBucketName);
    this.outputBucket = bucket('OutputBucket', props.outputBucketName, [
      { id: 'ExpireRuns', prefix: RUNS_PREFIX, expiration: runsExpiration },
    ]);
    const key = (id: string, arn: string | undefined) =>
      arn ? kms.Key.fromKeyArn(this, id, arn) : undefined;
    const inputBucketKey = props.inputBucketKey ?? key('InputBucketKey', props.inputBucketKeyArn);
    const outputBucketKey = props.outputBucketKey ?? key('OutputBucketKey', props.outputBucketKeyArn);
    this.pipeline = new CsvConversionPipeline(this, 'Pipeline', {
      ...props,
      inputBucket: this.inputBucket,
      outputBucket: this.outputBucket,
      ...(inputBucketKey ? { inputBucketKey } : {}),
      ...(outputBucketKey ? { outputBucketKey } : {}),
    });
    if (accessLogs) {
      acknowledge(accessLogs, [
        ['AwsSolutions-S1', 'This is the access log bucket; logging it into itself would loop.'],
      ]);
    }
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'InputBucketName', { value: this.inputBucket.bucketName });
    new CfnOutput(this, 'OutputBucketName', { value: this.outputBucket.bucketName });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
    const catalog = this.pipeline.catalog;
    if (catalog) {
      new CfnOutput(this, 'GlueDatabaseName', {
        description: 'The Glue database: one table per dataset (Parquet) and <dataset>_avro (Avro)',
        value: catalog.databaseName,
      });
      new CfnOutput(this, 'AthenaQueryExample', {
        description: 'After a run, in Athena (the table of a dataset is its name in lower case, [a-z0-9_])',
        value: athenaQueryExample(catalog.databaseName),
      });
    }
  }
}

/** The query a user runs in Athena after a run, with `<dataset>` left for them to fill in. */
export function athenaQueryExample(database: string, dataset = '<dataset>'): string {
  return `SELECT * FROM "${database}"."${dataset}" LIMIT 10`;
}
