import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  METRICS_NAMESPACE,
  RUN_METRICS,
  type RunMetricName,
  SERVICE_NAMES,
} from '../../lambdas/shared/metrics-names';

/** Props of {@link PipelineDashboard}. */
export interface PipelineDashboardProps {
  /** The pipeline's state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** Alarms shown in the status widget. @default none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** The period of every graph (runs are nightly: one point a run). @default 1 day */
  readonly period?: Duration;
}

/** Defaults of {@link PipelineDashboardProps}. */
export const PIPELINE_DASHBOARD_DEFAULTS = { period: Duration.days(1) };

/** A CloudWatch dashboard of runs, files, rows, bytes, run duration and the alarms' status. */
export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const period = props.period ?? PIPELINE_DASHBOARD_DEFAULTS.period;
    const sm = props.stateMachine;
    const run = (metricName: RunMetricName) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAMES.reducer },
        period,
        statistic: 'Sum',
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Runs',
            left: [
              sm.metricSucceeded({ period }),
              sm.metricFailed({ period }),
              sm.metricTimedOut({ period }),
              sm.metricAborted({ period }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Files',
            left: [RUN_METRICS.filesConverted, RUN_METRICS.filesSkipped, RUN_METRICS.filesFailed].map(run),
          }),
          new cloudwatch.GraphWidget({
            title: 'Rows',
            left: [RUN_METRICS.rowsConverted, RUN_METRICS.rejectedRows].map(run),
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Bytes in', left: [run(RUN_METRICS.bytesIn)] }),
          new cloudwatch.GraphWidget({
            title: 'Run duration',
            left: [sm.metricTime({ period, statistic: 'Maximum' })],
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...(props.alarms ?? [])] }),
        ],
      ],
    });
  }
}
