/*
 * csv2lake as a construct library: `import { CsvConversionPipeline } from 'csv2lake'`. The pipeline, its
 * props and defaults, and the small constructs it is composed of, for apps that assemble their own.
 */
export {
  CsvConversionPipeline,
  type CsvConversionPipelineProps,
  PIPELINE_DEFAULTS,
  type PipelineSchedule,
} from './csv-conversion-pipeline';
export {
  PIPELINE_FUNCTION_DEFAULTS,
  PipelineFunction,
  type PipelineFunctionProps,
  snappyInstallCommand,
  snappyPackage,
} from './constructs/pipeline-function';
export { PIPELINE_HANDLERS } from './constructs/handler-asset';
export {
  FAILED_EXECUTION_REPORT_DEFAULTS,
  FailedExecutionReport,
  type FailedExecutionReportProps,
} from './constructs/failed-execution-report';
export { LakeCatalog, type LakeCatalogProps } from './constructs/lake-catalog';
export {
  NIGHTLY_SCHEDULE_DEFAULTS,
  NightlySchedule,
  type NightlyScheduleProps,
} from './constructs/nightly-schedule';
export {
  PIPELINE_ALARMS_DEFAULTS,
  PipelineAlarms,
  type PipelineAlarmsProps,
} from './constructs/pipeline-alarms';
export {
  PIPELINE_DASHBOARD_DEFAULTS,
  PipelineDashboard,
  type PipelineDashboardProps,
} from './constructs/pipeline-dashboard';
export type { ItemBatching } from './workflow/definition';
export type { CsvDialectOptions, OutputFormat } from '../lambdas/core/model/options';
