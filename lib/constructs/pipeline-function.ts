import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics-names';
import { handlerCode } from './handler-asset';

export { snappyInstallCommand, snappyPackage } from './handler-asset';

/** Props of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /**
   * The handler module, a file of `lambdas/handlers/` (e.g. `convert-parquet.ts`); its export `handler`.
   * From the installed package, one of the prebuilt handlers (`PIPELINE_HANDLERS`).
   */
  readonly entry: string;
  /** Environment variables besides the Powertools ones. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory in MB. Lambda allocates CPU in proportion: at 1,769 MB a function has the equivalent of one vCPU
   * (one vCPU-second of credits per second), up to 6 vCPUs at 10,240 MB (AWS Lambda developer guide,
   * "Configuring function memory"). The default gives one vCPU: a converter converts each key on one thread.
   * Raising a converter's memory buys it more vCPUs, which it uses on one large key: from 2,654 MB (1.5 vCPUs
   * of credits) an uncompressed key of 64 MiB or more is converted on two threads, from 4,423 MB on three,
   * and so on (memory / 1,769 rounded, at most the cores Lambda shows: see lambdas/ranges/thread-settings.ts),
   * which buys time, not money: two threads spend 22-36% more CPU than one (measured, README), so at
   * 3,538 MB a file converts ~1.5× faster than at 1,769 MB for ~1.3× the GB-seconds.
   * @default 1769
   */
  readonly memoryMb?: number;
  /** Function timeout. @default 15 minutes (Lambda's most) */
  readonly timeout?: Duration;
  /**
   * Lambda architecture. The snappy addon of this architecture must be installed (see
   * {@link snappyInstallCommand}). @default X86_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Node.js runtime. nodejs22.x is deprecated by Lambda on 30 April 2027; nodejs24.x is current, and the
   * bundle (esbuild target node22) runs on both. The project's tests run on Node 22 and the handler tests were
   * also run on Node 24.21. @default NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /** Retention of the function's log group. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Concurrency reserved for this function. Reserving takes it from the account's unreserved pool for good
   * (Lambda keeps at least 100 unreserved, so accounts with the low quota new accounts get refuse any
   * reservation), and caps the function at it; hence none by default, and the state machine's
   * `maxConcurrency` is what bounds the converters. @default none: the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
}

/** Defaults of {@link PipelineFunctionProps}, in one place. */
export const PIPELINE_FUNCTION_DEFAULTS = {
  memoryMb: 1769,
  timeout: Duration.minutes(15),
  architecture: lambda.Architecture.X86_64,
  runtime: lambda.Runtime.NODEJS_24_X,
  logRetention: logs.RetentionDays.ONE_MONTH,
};

/**
 * The props every function of the pipeline shares (runtime, architecture, memory, timeout, logs, reserved
 * concurrency), picked from a wider props object and only those set, so that each default stays
 * {@link PIPELINE_FUNCTION_DEFAULTS}'.
 */
export function functionProps(
  props: Omit<PipelineFunctionProps, 'entry' | 'environment'>,
): Omit<PipelineFunctionProps, 'entry' | 'environment'> {
  return {
    ...(props.architecture ? { architecture: props.architecture } : {}),
    ...(props.runtime ? { runtime: props.runtime } : {}),
    ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    ...(props.memoryMb !== undefined ? { memoryMb: props.memoryMb } : {}),
    ...(props.timeout ? { timeout: props.timeout } : {}),
    ...(props.reservedConcurrency !== undefined ? { reservedConcurrency: props.reservedConcurrency } : {}),
  };
}

/**
 * One of the pipeline's Lambda functions: a handler of `lambdas/handlers/` bundled by esbuild (at synthesis in a
 * clone, at `npm pack` for the package: see handler-asset.ts), with its own log group, X-Ray tracing, Powertools' service name (the construct id, which is the `service` dimension of its
 * metrics) and namespace, and the native snappy addon of its architecture copied beside the bundle. Every
 * function needs the addon today, the reducer too: the conversion core loads it when it is imported, and the
 * reducer imports the core through `lambdas/shared/config.ts`'s defaults.
 * @throws Error at synthesis when the addon of the architecture is not installed, with the command that installs it
 */
export class PipelineFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const architecture = props.architecture ?? PIPELINE_FUNCTION_DEFAULTS.architecture;
    const runtime = props.runtime ?? PIPELINE_FUNCTION_DEFAULTS.runtime;
    super(scope, id, {
      code: handlerCode(props.entry, architecture, runtime),
      handler: 'index.handler',
      runtime,
      architecture,
      memorySize: props.memoryMb ?? PIPELINE_FUNCTION_DEFAULTS.memoryMb,
      timeout: props.timeout ?? PIPELINE_FUNCTION_DEFAULTS.timeout,
      // A sibling of the function (same id as before the split, so deployed log groups are kept).
      logGroup: new logs.LogGroup(scope, `${id}Logs`, {
        retention: props.logRetention ?? PIPELINE_FUNCTION_DEFAULTS.logRetention,
      }),
      tracing: lambda.Tracing.ACTIVE,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: id,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
    });
  }
}
