import { CONVERT_DEFAULTS } from './model/defaults';
import type { ConvertOptions, ConvertTargets, OutputFormat, ReplayableSource } from './model/options';
import type { TableSchema } from './model/schema';
import type { WriterStats } from './model/writer';
import { compressionThread } from './parallel/compression-thread';
import { SplitRun } from './parallel/split-run';
import { workerWriters } from './parallel/worker-writers';
import { createParquetWriter } from './parquet/parquet-writer';
import { AvroRowWriter } from './rows/avro-rows';
import { batchRows } from './rows/column-sink';
import type { RowSink } from './rows/value-rules';
import { avroOptions, localWriters, parquetOptions } from './run/local-writers';
import type { PassOptions } from './run/pass-options';

/** Where the rows of a pass go, and how its files end. */
export interface Outputs {
  readonly rows: RowSink;
  /** Finishes the files (a second thread's part of the file appended, when one was kept). */
  close(): Promise<Partial<Record<OutputFormat, WriterStats>>>;
  /** Stops without finishing (the caller resets or discards the sinks). */
  discard(): Promise<void>;
}

/**
 * How a conversion writes, decided in one place from its formats, options and source:
 * - an input smaller than `secondThreadMinBytes` (64 MiB) converts on this thread alone, worker script or
 *   not: a second thread costs more to start than it saves on it (figures in options.ts);
 * - Avro alone: rows are encoded straight from the CSV bytes (rows/avro-rows.ts); with a worker script,
 *   blocks are compressed on the second thread, unless that thread converts the file's second part;
 * - otherwise column vectors (rows/column-sink.ts) go to the format writers, on this thread or, with a
 *   worker script, on the second (parallel/worker-writers.ts);
 * - one format from a large local file, with a worker script and sinks that can start over: the file may
 *   be cut between two threads (parallel/split-run.ts). The first pass then writes the first part here
 *   (its last row group at the cut), and the other parts' row groups or blocks are appended when the
 *   files close. Parquet row groups are then half the configured size on each thread, so that the two
 *   together hold no more than one thread would.
 */
export class WriterPlan {
  /** Whether every sink can start over: only then does the first pass convert while it infers. */
  readonly speculate: boolean;
  /** The file cut between two threads, when it may be. */
  readonly split: SplitRun | undefined;
  private readonly alone: OutputFormat | undefined;
  private readonly halfRowGroup: number;
  /** The writer worker script, unless the input is too small for a second thread to pay. */
  private readonly workerPath: string | undefined;

  constructor(
    source: ReplayableSource,
    private readonly formats: readonly OutputFormat[],
    private readonly targets: ConvertTargets,
    private readonly options: ConvertOptions,
    pass: PassOptions,
  ) {
    this.alone = formats.length === 1 ? formats[0]! : undefined;
    this.speculate = formats.every((format) => typeof targets[format]!.reset === 'function');
    this.halfRowGroup = Math.ceil((options.rowGroupBytes ?? CONVERT_DEFAULTS.rowGroupBytes) / 2);
    const size = source.size;
    const minBytes = options.secondThreadMinBytes ?? CONVERT_DEFAULTS.secondThreadMinBytes;
    const workerPath = (this.workerPath =
      size !== undefined && size < minBytes ? undefined : options.writerWorkerPath);
    this.split =
      this.alone && this.speculate && workerPath && source.localPath && size !== undefined
        ? new SplitRun(
            source.name,
            source.localPath,
            size,
            workerPath,
            pass,
            this.alone,
            {
              parquetCompression: options.parquetCompression,
              rowGroupBytes: this.halfRowGroup,
              avroCodec: options.avroCodec,
              avroBlockBytes: options.avroBlockBytes,
            },
            options.secondThreadMinBytes,
          )
        : undefined;
  }

  /**
   * Opens the outputs of a pass for `schema`. `cutting`: the pass reads the first part of a file cut in
   * two (its outputs then take the second part's at close).
   */
  open(schema: TableSchema, cutting: boolean): Outputs {
    if (this.alone === 'avro') return this.avroRows(schema, cutting);
    if (this.alone === 'parquet' && cutting) return this.parquetFirstPart(schema);
    return this.columns(schema);
  }

  private avroRows(schema: TableSchema, cutting: boolean): Outputs {
    const options = avroOptions(this.options);
    const thread =
      this.workerPath && options.codec !== 'null' && !cutting
        ? compressionThread(this.workerPath, options.codec)
        : undefined;
    const avro = new AvroRowWriter(schema, this.targets.avro!, {
      ...options,
      ...(thread ? { compressor: thread } : {}),
    });
    const split = cutting ? this.split : undefined;
    return {
      rows: avro,
      async close() {
        try {
          await split?.joinAvro(avro);
          return await avro.close();
        } finally {
          await thread?.close();
        }
      },
      async discard() {
        await avro.discard();
        await thread?.close();
      },
    };
  }

  private parquetFirstPart(schema: TableSchema): Outputs {
    const parquet = createParquetWriter(schema, this.targets.parquet!, {
      ...parquetOptions(this.options),
      rowGroupBytes: this.halfRowGroup,
    });
    const split = this.split;
    const rows = batchRows(schema, (batch) => parquet.write(batch));
    if (split) {
      split.atCut = async () => {
        await rows.flush(true);
        // Appending nothing writes the row group the writer holds.
        await parquet.appendRowGroups(nothing(), { rows: 0, bytes: 0, rowGroups: [] });
      };
    }
    return {
      rows,
      async close() {
        await split?.joinParquet(parquet);
        return { parquet: await parquet.close() };
      },
      async discard() {},
    };
  }

  private columns(schema: TableSchema): Outputs {
    const set = this.workerPath
      ? workerWriters(this.workerPath, schema, this.formats, this.targets, this.options)
      : localWriters(schema, this.formats, this.targets, this.options);
    return {
      rows: batchRows(schema, (batch) => set.write(batch)),
      close: () => set.close(),
      discard: () => set.discard(),
    };
  }
}

/** No bytes. */
async function* nothing(): AsyncGenerator<Uint8Array> {}
