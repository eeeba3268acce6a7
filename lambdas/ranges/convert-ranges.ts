import { RejectSink } from '../core/csv/rejects';
import type { ConvertOptions, OutputFormat } from '../core/model/options';
import type { TableColumn } from '../core/model/schema';
import type { ByteSink } from '../core/model/sink';
import { outputSchema, summaryColumns } from '../core/model/table-layout';
import { passOptions, type PassOptions } from '../core/run/pass-options';
import { readFileHead, type FileHead } from './file-head';
import { joinSegments, mergeParts, type Segment } from './join-parts';
import type { RangeJob } from './part-pass';
import type { PartRecord } from './part-record';
import type { ByteRange } from './range-plan';
import type { RangeReader } from './range-reader';
import { reconcile, type RangeVerdict, type ReconcileStep } from './reconcile';

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
 * place (the CLI's and a converter's threads call this; the workflow runs the same steps as states):
 * 1. the head: dialect, header and type guess, once (`readFileHead`); a compressed file, a file without a
 *    header row in its first MiB or with one range gives undefined (convert it as one item);
 * 2. round 1: every range converted at once with the guess (`convertRange`);
 * 3. the reconcile loop (`reconcile`, lambdas/ranges/reconcile.ts), inline: a misplaced start is converted
 *    again from the end before it, until every start is right; a range that failed with a right start fails
 *    the file; a value that widened a column makes round 2: every range again, at once, with the final
 *    types and its known boundaries;
 * 4. the findings merged (rejects with true lines: too many, MalformedCsvError as the one-item conversion)
 *    and the join (`joinSegments`), then every part object is deleted; on failure too.
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
    const records: (PartRecord | undefined)[] = await settled(
      c.ranges.map((r) => run({ index: r.index, start: r.start, end: r.end, exactStart: false })),
    );
    let verdict: RangeVerdict | undefined;
    let moved = 0;
    for (;;) {
      const step = reconcile({ name, head, pass, ranges: c.ranges, records, verdict });
      if (step.kind === 'fail') throw step.error;
      if (step.kind === 'join') return await finishRanges(c, head, pass, step, moved);
      verdict ??= step.verdict;
      if (step.why === 'misplaced') moved += step.jobs.length;
      const done = await settled(step.jobs.map(run));
      for (const r of done) records[r.index] = r;
    }
  } finally {
    await Promise.allSettled([...written].map((key) => c.deletePart(key)));
  }
}

/**
 * The end of a file in ranges once its parts are all right (a {@link reconcile} `join` step): the findings
 * merged again, now into the rejects file (true line numbers; too many rejects: MalformedCsvError at the
 * one-item conversion's row), the one output written from the parts (`joinSegments`).
 */
export async function finishRanges(
  c: Pick<RangedConversion, 'format' | 'options' | 'ranges' | 'join' | 'rejects'> & {
    readonly reader: Pick<RangeReader, 'name'>;
  },
  head: FileHead,
  pass: PassOptions,
  step: Extract<ReconcileStep, { kind: 'join' }>,
  moved: number,
): Promise<RangedSummary> {
  const rejects = new RejectSink(() => c.rejects());
  const merged = mergeParts(c.reader.name, head, pass, step.records, rejects, step.types);
  await rejects.flush();
  const columns = summaryColumns(outputSchema(head.headers, merged.types, pass.table));
  const bytesOut = await c.join(
    joinSegments(c.format, head, pass, c.options, step.records, merged.types),
    columns.map((col) => ({ name: col.name, type: col.type })),
  );
  return {
    rows: merged.rows,
    rejectedRows: rejects.count,
    columns,
    bytesOut,
    ranges: c.ranges.length,
    rounds: step.rounds,
    moved,
  };
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
