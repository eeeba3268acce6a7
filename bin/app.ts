#!/usr/bin/env node
/* The CDK app: reads cdk.json context and builds the stack. Nothing else. */
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PipelineStack } from '../lib/pipeline-stack';
import { csvOptions } from '../lambdas/shared/config';

const app = new App();
const context = (key: string) => app.node.tryGetContext(key) as string | undefined;
const list = (key: string) => (context(key) ? String(context(key)).split(',') : undefined);
/** A context value that is an object in cdk.json, or JSON text when given with `-c key=value`. */
const jsonContext = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const scheduleEnabled = context('csv2lake:scheduleEnabled');
const catalog = context('csv2lake:catalog');
new PipelineStack(app, context('csv2lake:stackName') ?? 'Csv2Lake', {
  ...(context('csv2lake:inputBucketName') ? { inputBucketName: context('csv2lake:inputBucketName') } : {}),
  ...(context('csv2lake:outputBucketName') ? { outputBucketName: context('csv2lake:outputBucketName') } : {}),
  ...(context('csv2lake:inputPrefix') !== undefined ? { inputPrefix: context('csv2lake:inputPrefix') } : {}),
  ...(context('csv2lake:datasetPattern') ? { datasetPattern: context('csv2lake:datasetPattern') } : {}),
  ...(context('csv2lake:glueDatabase') ? { glueDatabaseName: context('csv2lake:glueDatabase') } : {}),
  ...(catalog !== undefined && String(catalog) === 'false' ? { catalog: false } : {}),
  ...(list('csv2lake:formats') ? { formats: list('csv2lake:formats') as ('parquet' | 'avro')[] } : {}),
  ...(context('csv2lake:maxConcurrency')
    ? { maxConcurrency: Number(context('csv2lake:maxConcurrency')) }
    : {}),
  ...(context('csv2lake:schemaLocation') ? { schemaLocation: context('csv2lake:schemaLocation') } : {}),
  ...(context('csv2lake:alarmEmail') ? { alarmEmail: context('csv2lake:alarmEmail') } : {}),
  ...(context('csv2lake:inputBucketKeyArn')
    ? { inputBucketKeyArn: context('csv2lake:inputBucketKeyArn') }
    : {}),
  ...(context('csv2lake:outputBucketKeyArn')
    ? { outputBucketKeyArn: context('csv2lake:outputBucketKeyArn') }
    : {}),
  ...(context('csv2lake:converterReservedConcurrency')
    ? { converterReservedConcurrency: Number(context('csv2lake:converterReservedConcurrency')) }
    : {}),
  ...(context('csv2lake:executionTimeoutHours')
    ? { executionTimeout: Duration.hours(Number(context('csv2lake:executionTimeoutHours'))) }
    : {}),
  ...(context('csv2lake:runsExpirationDays')
    ? { runsExpiration: Duration.days(Number(context('csv2lake:runsExpirationDays'))) }
    : {}),
  ...(app.node.tryGetContext('csv2lake:csv') !== undefined
    ? { csv: csvOptions(jsonContext(app.node.tryGetContext('csv2lake:csv')), 'context csv2lake:csv') }
    : {}),
  schedule: {
    enabled: scheduleEnabled === undefined ? true : String(scheduleEnabled) !== 'false',
    cron: {
      minute: context('csv2lake:scheduleMinute') ?? '0',
      hour: context('csv2lake:scheduleHour') ?? '2',
      ...(context('csv2lake:scheduleTimeZone')
        ? { timeZone: { timezoneName: context('csv2lake:scheduleTimeZone')! } as never }
        : {}),
    },
  },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
