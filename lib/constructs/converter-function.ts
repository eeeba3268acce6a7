import type { Construct } from 'constructs';
import type { CsvDialectOptions, OutputFormat } from '../../lambdas/core/model/options';
import { csvOptions, ENV } from '../../lambdas/shared/config';
import { WORKFLOW_DEFAULTS } from '../workflow/defaults';
import { grantConverter, type PipelineLocations } from './pipeline-permissions';
import { functionProps, PipelineFunction, type PipelineFunctionProps } from './pipeline-function';

/**
 * How the converters read every file. The planner and the reducer are given them too: the converters'
 * skip-unchanged compares the hash of them that each output records, and so do the planner (to leave
 * unchanged keys out) and the reducer (to record what outputs were written with).
 */
export interface ConverterOptions {
  /**
   * How to read the CSV text: delimiter, header, encoding, quote, escape, comment, skipRows.
   * @default {}: each sniffed or defaulted per file
   */
  readonly csv?: CsvDialectOptions;
  /** Values read as null besides the empty field. @default [] */
  readonly nullTokens?: readonly string[];
  /** Rejected rows tolerated per file. @default 1000 (WORKFLOW_DEFAULTS.maxRejects) */
  readonly maxRejects?: number;
  /** `s3://bucket/key` of a schema file applied to every file. @default none: types are inferred */
  readonly schemaLocation?: string;
  /**
   * Bytes of CSV per range item: the planner splits an uncompressed key larger than this into byte-range
   * items converted at once, joined into one output (at least 1 MiB, MIN_RANGE_BYTES).
   * @default 1 GiB (DEFAULT_RANGE_BYTES)
   */
  readonly rangeBytes?: number;
}

/**
 * The environment that carries {@link ConverterOptions} (lambdas/shared/config.ts reads it).
 * @throws InvalidOptionsError when the CSV options are invalid, naming the `csv` prop
 */
export function converterEnvironment(options: ConverterOptions): Record<string, string> {
  return {
    [ENV.NULL_TOKENS]: JSON.stringify(options.nullTokens ?? []),
    ...(options.csv && Object.keys(options.csv).length > 0
      ? { [ENV.CSV_OPTIONS]: JSON.stringify(csvOptions(options.csv, 'the csv prop')) }
      : {}),
    [ENV.MAX_REJECTS]: String(options.maxRejects ?? WORKFLOW_DEFAULTS.maxRejects),
    ...(options.schemaLocation ? { [ENV.SCHEMA_LOCATION]: options.schemaLocation } : {}),
    ...(options.rangeBytes !== undefined ? { [ENV.RANGE_BYTES]: String(options.rangeBytes) } : {}),
  };
}

/** Props of {@link ConverterFunction}. */
export interface ConverterFunctionProps
  extends Omit<PipelineFunctionProps, 'entry' | 'environment'>, ConverterOptions {
  /** The format it writes. */
  readonly format: OutputFormat;
  /** Where the pipeline reads and writes. */
  readonly locations: PipelineLocations;
  /** Its format's output prefix (`parquet/`). */
  readonly outputPrefix: string;
  /**
   * Whether it writes the rejected rows (`_rejects/…`): one converter does, Parquet's when Parquet is written.
   * @default false
   */
  readonly writesRejects?: boolean;
}

/**
 * The converter of one format: a {@link PipelineFunction} of `convert-parquet.ts` or `convert-avro.ts` with
 * the converters' options in its environment, allowed to read the input prefix, write its own output prefix
 * and run records, read and merge the datasets' schemas, and write the rejects when it is the one that does,
 * and to keep the parts of a key converted on several threads or of a split key's range items under
 * `_runs/<run>/ranges/<its format>/` (lib/constructs/pipeline-permissions.ts).
 *
 * Threads: with more than one vCPU of memory (`memoryMb` ≥ 2,654 MB: Lambda gives one vCPU-second per
 * second at 1,769 MB and CPU in proportion up to 6 vCPUs at 10,240 MB), an uncompressed file of 64 MiB or
 * more is converted on as many threads as the memory pays vCPUs for (lambdas/ranges/thread-settings.ts;
 * `CSV2LAKE_THREADS` and `CSV2LAKE_THREADS_MIN_BYTES` on the function override it). At the default
 * 1,769 MB a converter converts on one thread.
 */
export class ConverterFunction extends PipelineFunction {
  constructor(scope: Construct, id: string, props: ConverterFunctionProps) {
    super(scope, id, {
      ...functionProps(props),
      entry: props.format === 'parquet' ? 'convert-parquet.ts' : 'convert-avro.ts',
      environment: converterEnvironment(props),
    });
    grantConverter(this, props.locations, {
      format: props.format,
      outputPrefix: props.outputPrefix,
      writesRejects: props.writesRejects ?? false,
      schemaLocation: props.schemaLocation,
    });
  }
}
