import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics-names';

/**
 * The project's folder (where the lock file and node_modules are): the nearest folder above this module
 * with a package-lock.json, whether it runs from its source (lib/constructs/) or from the CLI's bundle
 * (dist/), which the local runner synthesizes from.
 */
const ROOT = projectRoot(__dirname);

function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json'))) return dir;
    if (dirname(dir) === dir) return join(from, '../..');
  }
}
const HANDLERS = join(ROOT, 'lambdas/handlers');

/** Props of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** The handler module, a file of `lambdas/handlers/` (e.g. `convert-parquet.ts`); its export `handler`. */
  readonly entry: string;
  /** Environment variables besides the Powertools ones. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Memory in MB (1,769 MB is one full vCPU). @default 1769 */
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

/** The npm package of the snappy addon for an architecture (Lambda runs Linux, glibc). */
export function snappyPackage(architecture: lambda.Architecture): string {
  return architecture === lambda.Architecture.ARM_64
    ? '@napi-rs/snappy-linux-arm64-gnu'
    : '@napi-rs/snappy-linux-x64-gnu';
}

/**
 * The command that installs the addon of an architecture on any host. npm installs only the host's build of
 * snappy's optional dependencies (so synthesis on macOS or on arm64 had no x86_64 build): `--force` installs
 * one for another platform, `--no-save` keeps it out of package.json and the lock file, and the version is
 * snappy's own, which the addon must match.
 */
export function snappyInstallCommand(architecture: lambda.Architecture): string {
  const snappy = JSON.parse(readFileSync(join(ROOT, 'node_modules/snappy/package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const name = snappyPackage(architecture);
  const version = snappy.optionalDependencies?.[name];
  return `npm install --no-save --force ${name}${version ? `@${version}` : ''}`;
}

/**
 * One of the pipeline's Lambda functions: a handler of `lambdas/handlers/` bundled by esbuild, with its own log
 * group, X-Ray tracing, Powertools' service name (the construct id, which is the `service` dimension of its
 * metrics) and namespace, and the native snappy addon of its architecture copied beside the bundle. Every
 * function needs the addon today, the reducer too: the conversion core loads it when it is imported, and the
 * reducer imports the core through `lambdas/shared/config.ts`'s defaults.
 * @throws Error at synthesis when the addon of the architecture is not installed, with the command that installs it
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const architecture = props.architecture ?? PIPELINE_FUNCTION_DEFAULTS.architecture;
    const runtime = props.runtime ?? PIPELINE_FUNCTION_DEFAULTS.runtime;
    const addon = snappyPackage(architecture);
    if (!existsSync(join(ROOT, 'node_modules', addon))) {
      throw new Error(
        `architecture ${architecture.name} needs the native addon ${addon} in node_modules (npm installs only ` +
          `the build for the machine it runs on): run \`${snappyInstallCommand(architecture)}\`, or deploy x86_64`,
      );
    }
    super(scope, id, {
      entry: join(HANDLERS, props.entry),
      handler: 'handler',
      // Explicit, so that synthesis works from any working directory (the local runner is run from anywhere).
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
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
      bundling: {
        // The syntax level the code is tested at; it runs on nodejs22.x and nodejs24.x alike.
        target: 'node22',
        minify: false,
        sourceMap: true,
        externalModules: ['@aws-sdk/*', 'snappy'],
        // The native snappy addon cannot be bundled: copy it and the binary of the architecture beside the bundle.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => [
            `mkdir -p ${output}/node_modules/@napi-rs`,
            `cp -R ${ROOT}/node_modules/snappy ${output}/node_modules/snappy`,
            `cp -R ${ROOT}/node_modules/${addon} ${output}/node_modules/@napi-rs/`,
          ],
        },
      },
    });
  }
}
