import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  acknowledge,
  CsvConversionPipeline,
  type CsvConversionPipelineProps,
} from './csv-conversion-pipeline';

/** Props of {@link PipelineStack}: the construct's, with buckets optional (created when not named). */
export interface PipelineStackProps
  extends StackProps, Omit<CsvConversionPipelineProps, 'inputBucket' | 'outputBucket'> {
  /** Name of an existing input bucket to import. @default a new bucket */
  readonly inputBucketName?: string;
  /** Name of an existing output bucket to import. @default a new bucket */
  readonly outputBucketName?: string;
}

/**
 * csv2lake's deployable stack: the buckets (created encrypted, SSL-only, private, with access logs and a
 * rule that aborts incomplete multipart uploads; or imported by name) and the pipeline.
 */
export class PipelineStack extends Stack {
  readonly pipeline: CsvConversionPipeline;
  readonly inputBucket: s3.IBucket;
  readonly outputBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    let accessLogs: s3.Bucket | undefined;
    const bucket = (name: string, existing: string | undefined): s3.IBucket => {
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
        lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    };
    this.inputBucket = bucket('InputBucket', props.inputBucketName);
    this.outputBucket = bucket('OutputBucket', props.outputBucketName);
    this.pipeline = new CsvConversionPipeline(this, 'Pipeline', {
      ...props,
      inputBucket: this.inputBucket,
      outputBucket: this.outputBucket,
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
  }
}
