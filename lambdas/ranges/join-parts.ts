import type { RejectRecorder } from '../core/csv/rejects';
import { MalformedCsvError } from '../core/model/errors';
import type { OutputFormat } from '../core/model/options';
import type { ColumnType } from '../core/model/schema';
import { outputSchema } from '../core/model/table-layout';
import { shifted, type RowGroupMeta } from '../core/parquet/chunks';
import { encodeFooter } from '../core/parquet/footer';
import { MAGIC } from '../core/parquet/format';
import { InferenceState } from '../core/run/inference';
import { parquetOptions, type WriterOptions } from '../core/run/local-writers';
import type { PassOptions } from '../core/run/pass-options';
import type { FileHead } from './file-head';
import type { RangeJob } from './part-pass';
import { loadParquetPart, type PartRecord } from './part-record';
import type { ByteRange } from './range-plan';

/** A piece of the joined object: a byte range of a part object, or bytes the join writes itself. */
export type Segment =
  | {
      readonly kind: 'copy';
      readonly key: string;
      readonly etag?: string;
      readonly start: number;
      readonly end: number;
    }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

/**
 * Checks the ranges' boundaries in file order: range 0 starts at 0; each next range must start where the
 * range before it ended (its tokenizer's row start at or after the nominal cut). Returns the first range
 * whose start was mis-guessed (a line break inside a quoted field, a row of an odd width taken for none),
 * as a job to convert it again from the end of the range before, now exact; undefined when every start is
 * right. Only a range whose start is right can be judged by its end, hence one at a time: a re-conversion
 * normally fixes that range's end, and the next range's speculative start was right all along.
 */
export function misplacedRange(
  records: readonly PartRecord[],
  ranges: readonly ByteRange[],
): RangeJob | undefined {
  for (let i = 1; i < records.length; i++) {
    const before = records[i - 1]!;
    if (before.end === undefined) return undefined; // it failed: its error decides (see failedRange)
    if (records[i]!.start !== before.end)
      return { index: i, start: before.end, end: ranges[i]!.end, exactStart: true };
  }
  return undefined;
}

/**
 * A data error that a range found with its start right, so the file's: named as the range's error was
 * (`MalformedCsvError`, …), its message saying where the range's lines start in the file.
 */
export class RangeDataError extends Error {
  constructor(
    name: string,
    message: string,
    /** The range's index. */
    readonly index: number,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * The first range that failed with a data error although its start is right (so the error is the
 * file's): as an error whose message says where the range's lines start. Undefined when none did.
 */
export function failedRange(records: readonly PartRecord[], name: string): Error | undefined {
  let line = 1;
  for (const r of records) {
    if (r.error && r.error.message !== 'too many rejects') {
      return new RangeDataError(
        r.error.name,
        `${r.error.message} (in the range from byte ${r.start} of ${name}, whose line 1 is line ${line} of the file)`,
        r.index,
      );
    }
    if (r.error) return undefined; // too many rejects: the merge fails at the right row
    line += r.lines ?? 0;
  }
  return undefined;
}

/** What the ranges of a file found together. */
export interface MergedParts {
  readonly types: readonly ColumnType[];
  readonly rows: number;
  /** Some value did not fit the types the parts were converted with: round 2 is needed. */
  readonly widened: boolean;
}

/**
 * Joins the ranges' findings as the first pass joins a split file's two parts: rejects in file order with
 * their true line numbers (each range's lines shifted by the lines of the ranges before it) recorded into
 * `rejects` (the rejects file, on the final merge), rows counted, and the final types from every range's
 * masks, with the table's floors and the schema's declared types (`InferenceState.finalTypes`).
 * @throws MalformedCsvError when the file has more rejected rows than `maxRejects`, at the row the one-item
 *   conversion fails at, with its true line
 */
export function mergeParts(
  name: string,
  head: FileHead,
  pass: PassOptions,
  records: readonly PartRecord[],
  rejects: RejectRecorder,
  convertedWith: readonly ColumnType[],
): MergedParts {
  const state = new InferenceState(name, pass, rejects);
  state.layout = head.dialect;
  state.begin([...head.headers]);
  let lines = 0;
  for (const r of records) {
    if (r.masks === undefined || r.seen === undefined || r.lines === undefined || r.rows === undefined) {
      // Only a range stopped for too many rejects lacks them, and its rejects fail the file.
      for (const row of r.rejects ?? []) state.record(row.line + lines, row.reason, row.raw);
      throw new MalformedCsvError(`${name}: range ${r.index} has no result`);
    }
    state.merge(
      {
        rows: r.rows,
        rejects: r.rejects ?? [],
        masks: r.masks,
        seen: r.seen,
        held: r.held === true,
        bytesIn: r.bytesIn ?? 0,
      },
      lines,
    );
    lines += r.lines;
  }
  const types = state.finalTypes();
  const widened = records.some((r) => r.held !== true) || types.some((t, c) => t !== convertedWith[c]);
  return { types, rows: state.rows, widened };
}

/**
 * The joined object as segments: every part's bytes in file order, and for Parquet the one footer (every
 * part's row groups, their offsets shifted by where the part lands) and its tail. Part 0 already starts
 * with `PAR1` or the Avro header, and every Avro part's blocks end with the file's sync marker (the MD5 of
 * the schema, the same in every part), so Avro needs nothing else.
 */
export function joinSegments(
  format: OutputFormat,
  head: FileHead,
  pass: PassOptions,
  writer: WriterOptions,
  records: readonly PartRecord[],
  types: readonly ColumnType[],
): Segment[] {
  const segments: Segment[] = [];
  const groups: RowGroupMeta[] = [];
  let base = 0;
  let rows = 0;
  for (const r of records) {
    const out = r.output;
    if (!out) throw new Error(`range ${r.index} has no part to join`);
    if (out.bytes > 0)
      segments.push({
        kind: 'copy',
        key: out.key,
        ...(out.etag ? { etag: out.etag } : {}),
        start: 0,
        end: out.bytes,
      });
    if (out.parquet) {
      const part = loadParquetPart(out.parquet);
      for (const g of part.rowGroups) groups.push(shifted(g, base + out.prefixBytes));
      rows += part.rows;
    }
    base += out.bytes;
  }
  if (format === 'parquet') {
    const schema = outputSchema(head.headers, types, pass.table);
    const footer = encodeFooter(schema.columns, rows, groups, parquetOptions(writer).compression);
    const tail = new Uint8Array(footer.length + 8);
    tail.set(footer);
    new DataView(tail.buffer).setUint32(footer.length, footer.length, true);
    tail.set(MAGIC, footer.length + 4);
    segments.push({ kind: 'bytes', bytes: tail });
  }
  return segments;
}
