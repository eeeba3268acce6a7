import { RejectList, RejectSink } from '../core/csv/rejects';
import type { ConvertOptions, OutputFormat } from '../core/model/options';
import type { TableColumn } from '../core/model/schema';
import type { ByteSink } from '../core/model/sink';
import { outputSchema, summaryColumns } from '../core/model/table-layout';
import { passOptions, type PassOptions } from '../core/run/pass-options';
import { readFileHead, type FileHead } from './file-head';
import { failedRange, joinSegments, mergeParts, misplacedRange, type Segment } from './join-parts';
import type { RangeJob } from './part-pass';
import type { PartRecord } from './part-record';
import type { ByteRange } from './range-plan';
import type { RangeReader } from './range-reader';

/** What a file converted in ranges gives. */
export interface RangedSummary {
  readonly rows: number;
  readonly rejectedRows: number;
  readonly columns: ReturnType<typeof summaryColumns>;
  readonly bytesOut: number;
  readonly ranges: number;
  /** 2 when a column was widened past the head's guess and every range was converted again. */
  readonly rounds: 1 | 2;
  /** Ranges converted again because their speculative start was wrong. */
  readonly moved: number;
}

/** How {@link convertInRanges} reaches its ranges' conversions, the join and the rejects. */
export interface RangedConversion {
  readonly reader: RangeReader;
  readonly options: ConvertOptions;
  readonly format: OutputFormat;
  readonly ranges: readonly ByteRange[];
  /** Converts one range (on this thread, another thread, another function): see `convertRange`. */
  convert(job: RangeJob, head: FileHead, pass: PassOptions): Promise<PartRecord>;
  /**
   * Writes the joined object from its segments, whose columns are `columns`, and makes it visible (or, for
   * a caller that completes it later, puts it in place); its bytes. Aborts on failure.
   */
  join(segments: readonly Segment[], columns: readonly TableColumn[]): Promise<number>;
  /** Opens the rejects file (called only when a row was rejected). */
  rejects(): ByteSink;
  /** Deletes a part object. */
  deletePart(key: string): Promise<void>;
}

/**
 * Converts one file in byte ranges and joins the parts into ONE output, the whole flow of issue 16 in one
 * place (the workflow runs the same steps as states; the CLI's threads call this):
 * 1. the head: dialect, header and type guess, once (`readFileHead`); a compressed file, a file without a
 *    header row in its first MiB or with one range gives undefined (convert it as one item);
 * 2. round 1: every range converted at once with the guess (`convertRange`);
 * 3. boundaries: a range whose speculative start differs from the end of the range before is converted
 *    again from that end (`misplacedRange`), until every start is right;
 * 4. a range that failed with a right start fails the file (`failedRange`); otherwise the findings are
 *    merged: rejects with true lines (too many: MalformedCsvError, as the one-item conversion), final types;
 * 5. round 2, when a value widened a column: every range again, at once, with the final types and its
 *    known boundaries (the parts were all written with the guess);
 * 6. the join (`joinSegments`), then every part object is deleted; on failure too.
 */
export async function convertInRanges(c: RangedConversion): Promise<RangedSummary | undefined> {
  const pass = passOptions(c.options);
  const head = await readFileHead(c.reader, pass);
  if (!head || head.compressed || c.ranges.length < 2) return undefined;
  const name = c.reader.name;
  const written = new Set<string>();
  const run = async (job: RangeJob): Promise<PartRecord> => {
    const record = await c.convert(job, head, pass);
    if (record.output) written.add(record.output.key);
    return record;
  };
  try {
    const records = await settled(
      c.ranges.map((r) => run({ index: r.index, start: r.start, end: r.end, exactStart: false })),
    );
    let moved = 0;
    for (let job = misplacedRange(records, c.ranges); job; job = misplacedRange(records, c.ranges)) {
      records[job.index] = await run(job);
      moved++;
    }
    const failure = failedRange(records, name);
    if (failure) throw failure;
    let merged = mergeParts(name, head, pass, records, new RejectList(), head.types);
    let final = records;
    if (merged.widened) {
      const types = merged.types;
      final = await settled(
        records.map((r) =>
          run({
            index: r.index,
            start: r.start,
            end: c.ranges[r.index]!.end,
            exactStart: true,
            round: 2,
            types,
          }),
        ),
      );
      const again = failedRange(final, name);
      if (again) throw again;
      if (final.some((r, i) => r.end !== records[i]!.end || r.held !== true))
        throw new Error(`${name}: round 2 did not reproduce round 1's boundaries or types`);
    }
    const rejects = new RejectSink(() => c.rejects());
    merged = mergeParts(name, head, pass, final, rejects, merged.types);
    await rejects.flush();
    const columns = summaryColumns(outputSchema(head.headers, merged.types, pass.table));
    const bytesOut = await c.join(
      joinSegments(c.format, head, pass, c.options, final, merged.types),
      columns.map((col) => ({ name: col.name, type: col.type })),
    );
    return {
      rows: merged.rows,
      rejectedRows: rejects.count,
      columns,
      bytesOut,
      ranges: c.ranges.length,
      rounds: final === records ? 1 : 2,
      moved,
    };
  } finally {
    await Promise.allSettled([...written].map((key) => c.deletePart(key)));
  }
}

/**
 * Every range's record once ALL have ended, or the first error: a range that failed does not leave the
 * others running, so that each part is written or aborted before the parts are deleted (none left over).
 */
async function settled(conversions: readonly Promise<PartRecord>[]): Promise<PartRecord[]> {
  const outcomes = await Promise.allSettled(conversions);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<PartRecord>).value);
}
