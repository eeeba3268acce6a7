import type { AvroCodec, OutputFormat } from '../model/options';
import type { TableSchema } from '../model/schema';
import type { WriterStats } from '../model/writer';
import type { ParquetPart } from '../parquet/parquet-writer';
import type { WriterOptions } from '../run/local-writers';
import type { PassOptions } from '../run/pass-options';
import type { RangeContext, RangeResult } from '../run/split-hooks';
import type { Claims } from './claims';
import type { VectorData } from './transfer';

/*
 * What the converting thread and the writer thread tell each other: plain data (and transferred buffers).
 */

/** Messages between the converting thread and the writer thread. */
export type ToWorker =
  | { kind: 'batch'; columns: VectorData[] }
  | { kind: 'close' }
  | { kind: 'compress'; id: number; bytes: Uint8Array }
  | { kind: 'range'; job: RangeJob };
export type FromWorker =
  | { kind: 'chunk'; format: OutputFormat; bytes: Uint8Array }
  | { kind: 'written'; columns: VectorData[] }
  | { kind: 'closed'; stats: Partial<Record<OutputFormat, WriterStats>> }
  | { kind: 'compressed'; id: number; bytes: Uint8Array; raw: Uint8Array }
  | { kind: 'range'; outcome: RangeOutcome }
  | { kind: 'error'; name: string; message: string };

/**
 * What a writer worker is started with: writers to run, a codec to compress blocks with, or range mode:
 * it then waits for the second part of a file to convert (a `range` message, see split-run.ts).
 */
export type WorkerData =
  | { schema: TableSchema; formats: OutputFormat[]; options: WriterOptions }
  | { compress: AvroCodec }
  | {
      range: true;
      /** Shared with the split run: the thread's readiness and how far it may read (see claims.ts). */
      claims?: Claims;
    };

/** What the thread converting the second part is given. */
export interface RangeJob {
  readonly name: string;
  readonly path: string;
  readonly start: number;
  readonly pass: PassOptions;
  readonly context: RangeContext;
  /** The one output format. */
  readonly format: OutputFormat;
  readonly writer: WriterOptions;
  /**
   * Where the part's output goes: Avro blocks without a header, or Parquet row groups without magic and
   * footer; either is appended after the first part's.
   */
  readonly outPath: string;
}

/**
 * The second part's output, when it converted with the guess: its bytes are in the job's `outPath`, and
 * this is what the first part's writer needs to append them (see `appendBlocks`, `appendRowGroups`).
 */
export type PartOutput = { format: 'avro'; avro: WriterStats } | { format: 'parquet'; parquet: ParquetPart };

/** What a part's conversion reports. */
export interface RangeOutcome {
  readonly result: RangeResult;
  readonly tail: PartOutput | undefined;
  /**
   * When the part was stopped short of the file's end (see `stopAt`): whether its bytes ended at a row
   * boundary there, and how many lines they held (the next part's lines count on from there).
   */
  readonly stop?: { readonly atRowStart: boolean; readonly lines: number };
}
