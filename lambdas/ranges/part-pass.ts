import { decodeInput, decodeRange, type InputInfo } from '../core/csv/input';
import { RejectList } from '../core/csv/rejects';
import type { CsvTokenizer } from '../core/csv/tokenizer';
import { DataError } from '../core/model/errors';
import type { OutputFormat } from '../core/model/options';
import type { ColumnType, TableSchema } from '../core/model/schema';
import type { ByteSink } from '../core/model/sink';
import { outputSchema } from '../core/model/table-layout';
import { MAGIC } from '../core/parquet/format';
import { createParquetWriter } from '../core/parquet/parquet-writer';
import { AvroRowWriter } from '../core/rows/avro-rows';
import { batchRows } from '../core/rows/column-sink';
import type { RowSink } from '../core/rows/value-rules';
import { InferenceState } from '../core/run/inference';
import { avroOptions, parquetOptions, type WriterOptions } from '../core/run/local-writers';
import type { PassOptions } from '../core/run/pass-options';
import { scan } from '../core/run/scan';
import { Speculation } from '../core/run/speculation';
import { cutDialect, type FileHead } from './file-head';
import { schemaFingerprint } from '../lake/dataset-schema';
import type { PartOutput, PartRecord } from './part-record';
import { storeParquetPart } from './part-record';
import { boundedChunks, speculativeStart, type RangeEnd } from './range-bounds';
import type { RangeReader } from './range-reader';

/** Where a part's bytes go: an atomic upload (S3 multipart, a renamed temp file). */
export interface PartSink extends ByteSink {
  /** Makes the part visible; its key (or path) and ETag. */
  complete(): Promise<{ readonly key: string; readonly etag?: string }>;
  abort(): Promise<void>;
}

/** One range to convert. */
export interface RangeJob {
  readonly index: number;
  /** The nominal start, or with `exactStart` the row start to begin at (the previous range's end). */
  readonly start: number;
  /** The nominal end: the range owns the rows that start before it. */
  readonly end: number;
  readonly exactStart: boolean;
  /** 2: convert with `types`, the file's final types (a column was widened in round 1). @default 1 */
  readonly round?: 1 | 2;
  readonly types?: readonly ColumnType[];
}

/** What a range's conversion works with. */
export interface RangeWork {
  readonly reader: RangeReader;
  readonly head: FileHead;
  readonly pass: PassOptions;
  readonly format: OutputFormat;
  readonly writer: WriterOptions;
  /** Opens the part's sink (called once, before the first byte). */
  readonly sink: () => PartSink;
}

/**
 * Converts the rows of one range into a part: Parquet row groups (part 0 starts with `PAR1`; no footer:
 * the join writes the one footer, from the row-group metadata recorded here) or Avro blocks with the
 * file's sync marker (part 0 starts with the container header). Range 0 reads the file's start as the
 * first pass does (byte order mark, preamble, header); the others read rows only, named by the head. Values
 * are checked against the head's type guess as they are converted (or, in round 2, the final types): when
 * one does not fit, the part's output is dropped and the record says so (`held: false`), with what every
 * value implies (masks) so that the join can compute the file's final types. Data errors are recorded, not
 * thrown: with a speculative start they may be artefacts of a wrong start, which only the join can tell.
 * Rejects are kept (up to one past the limit) with lines counted from the range's first line.
 */
export async function convertRange(work: RangeWork, job: RangeJob): Promise<PartRecord> {
  const { reader, head, pass, format } = work;
  const began = Date.now();
  const round = job.round ?? 1;
  const start =
    job.index === 0 || job.exactStart
      ? job.start
      : await speculativeStart(reader, job.start, cutDialect(head, pass));
  const base = { index: job.index, round, format, start, exactStart: job.index === 0 || job.exactStart };
  const types = job.types ?? head.types;
  const first = job.index === 0;
  let sink: PartSink | undefined;
  const openSink = (): PartSink => (sink ??= work.sink());
  let finish: (() => Promise<Omit<PartOutput, 'key' | 'etag' | 'bytes'>>) | undefined;
  let written = 0;
  const counted: ByteSink = {
    write(chunk) {
      written += chunk.length;
      return openSink().write(chunk);
    },
  };
  // The columns the part is written with (the join checks every part's against the one footer's).
  let columns = '';
  const open = (schema: TableSchema): RowSink => {
    columns = schemaFingerprint(schema.columns);
    if (format === 'avro') {
      const avro = new AvroRowWriter(schema, counted, { ...avroOptions(work.writer), headerless: !first });
      finish = async () => ({ prefixBytes: 0, avro: (await avro.close()).avro });
      return avro;
    }
    const parquet = createParquetWriter(schema, counted, { ...parquetOptions(work.writer), part: true });
    finish = async () => ({
      prefixBytes: first ? MAGIC.length : 0,
      parquet: storeParquetPart(await parquet.closePart()),
    });
    return batchRows(schema, (batch) => parquet.write(batch));
  };

  const rejects = new RejectList();
  // Up to one past the limit, for the join to fail at the right row with its true line.
  const state = new InferenceState(reader.name, { ...pass, maxRejects: Infinity }, rejects);
  if (first) state.layout = head.dialect;
  else state.begin([...head.headers]);
  const spec = new Speculation(
    head.headers,
    types,
    round === 2 ? new Uint8Array(types.length) : Uint8Array.from(head.track),
    { schemaFor: (headers, t) => outputSchema(headers, t, pass.table), open },
    () => {},
  );
  const holder: { tokenizer?: CsvTokenizer } = {};
  const found: RangeEnd = {};
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  try {
    if (first && format === 'parquet') await counted.write(MAGIC);
    await scan(
      reader.name,
      boundedChunks(reader.read(start, { hint: job.end }), start, job.end, holder, found),
      pass,
      info,
      first
        ? head.dialect
        : { delimiter: head.dialect.delimiter, comment: head.dialect.comment, header: false, skipRows: 0 },
      (t) => {
        state.onRows(t, spec);
        if (rejects.count > pass.maxRejects) throw new TooManyRejects();
      },
      async () => {
        if (spec.active) await spec.flush(false);
      },
      (i) => head.headers[i],
      undefined,
      holder,
      first ? decodeInput : (source, encoding, counts) => decodeRange(source, encoding, counts),
    );
    if (spec.active) {
      state.adoptGuess(spec);
      await spec.flush(true);
    }
    const scanned = {
      ...base,
      end: found.end ?? reader.size,
      lines: (holder.tokenizer?.currentLine ?? 1) - 1,
      rows: state.rows,
      rejects: rejects.rows,
      masks: [...state.masks],
      seen: [...state.seen],
      held: spec.active,
      bytesIn: info.bytesIn,
    };
    if (!spec.active || !finish) {
      await sink?.abort();
      return { ...scanned, durationMs: Date.now() - began };
    }
    const placed = await finish();
    const done = await openSink().complete();
    return {
      ...scanned,
      durationMs: Date.now() - began,
      output: {
        ...placed,
        key: done.key,
        ...(done.etag ? { etag: done.etag } : {}),
        bytes: written,
        schema: columns,
      },
    };
  } catch (error) {
    await sink?.abort().catch(() => undefined);
    if (error instanceof TooManyRejects)
      return {
        ...base,
        rejects: rejects.rows,
        held: false,
        error: { name: 'MalformedCsvError', message: 'too many rejects' },
      };
    // Only the data's errors (a wrong start may cause them): S3's, a changed input and the like are thrown,
    // so that the conversion fails with them (retried), not with a data error or a one-thread retry.
    if (error instanceof DataError) return { ...base, error: { name: error.name, message: error.message } };
    throw error;
  }
}

/** Stops a range's scan once it holds more rejects than the file may have. */
class TooManyRejects extends Error {}
