/*
 * The converter's work on a split key (issue 16): a range item converts the rows that start in its byte
 * range into a part under the run's folder; the key's join item turns the parts into the key's ONE output
 * per format, as the whole-key path (lambdas/handlers/convert-item.ts) would have written it.
 */
import type { OutputFormat } from '../core/model/options';
import type { TableColumn } from '../core/model/schema';
import type { ByteSink } from '../core/model/sink';
import { passOptions } from '../core/run/pass-options';
import type { ObjectWriter } from '../io/object-store';
import type { widenDatasetSchema } from '../lake/dataset-schema';
import { refuseCollision, refusePartitionClash } from '../lake/output-placement';
import { finishRanges, type RangedSummary } from '../ranges/convert-ranges';
import { readFileHead, type FileHead } from '../ranges/file-head';
import { startJoin, streamJoin } from '../ranges/multipart-join';
import { convertRange, type RangeJob } from '../ranges/part-pass';
import type { PartRecord } from '../ranges/part-record';
import { partName } from '../ranges/part-store';
import {
  deleteRangeFolder,
  putRangeRecord,
  putVerdict,
  readRangeFolder,
  readVerdict,
} from '../ranges/range-folder';
import { cutEvenly } from '../ranges/range-plan';
import { latestRecords, reconcile, RangesToConvertError, type ReconcileStep } from '../ranges/reconcile';
import type { ConvertItem, ConvertResult, ItemRange, JoinItem, PartFigures } from '../shared/payloads';
import { convertItem } from './convert-item';
import { unchangedSince } from './input-version';
import {
  convertedResult,
  failedResult,
  itemRecorder,
  META,
  outputMetadata,
  revealOutput,
  skippedResult,
} from './item-output';
import { DISCARD } from './deferred-output';
import {
  currentOutput,
  listedVersion,
  prepareRangedKey,
  type PreparedKey,
  type RangedDeps,
  refuseRepeatedHandBack,
} from './ranged-key';

export type { RangedDeps } from './ranged-key';

/** What a range item answers the state machine: its part, not a file (the join's record is the file's). */
export interface PartStateResult {
  readonly key: string;
  readonly format: OutputFormat;
  readonly status: 'part';
  readonly range: number;
  /** The parts folder of the key and format (`_runs/<run>/ranges/<format>/<sha1>/`). */
  readonly outputKey: string;
  readonly rows: number;
  readonly rejectedRows: number;
  readonly bytesIn: number;
  readonly durationMs: number;
  readonly sourceEtag: string;
}

/** Whether an item is a range item. */
export function isRangeItem(item: ConvertItem): item is ConvertItem & { range: ItemRange } {
  return item.range !== undefined && item.range !== null;
}

/** Converts one range of a prepared key into a part (`convertRange`) and records it in the key's folder. */
async function convertAndRecord(
  deps: RangedDeps,
  item: ConvertItem | JoinItem,
  p: PreparedKey,
  head: FileHead,
  pass: ReturnType<typeof passOptions>,
  job: RangeJob,
): Promise<PartRecord> {
  const format = deps.config.format;
  const record = await convertRange(
    {
      reader: p.reader,
      head,
      pass,
      format,
      writer: p.writer,
      sink: () => p.parts.sink(partName(format, job)),
    },
    job,
  );
  await putRangeRecord(deps.store, item.run.outputBucket, p.folder, record);
  return record;
}

/**
 * A range item: reads the head of the key (dialect, header, type guess: the same for every range, as the
 * join reads it again), converts the rows that start in the range into a part (`convertRange`) and records
 * what it found at `<folder>r<round>-<index>.json`. Round 1 starts speculatively, or at the exact start a
 * retry item gives (a misplaced start, moved); a retry of a format whose join decided round 2 converts with
 * the final types from the start its `verdict.json` holds, whatever round the item names (the item serves
 * both formats). A retry's range of a format already joined converts nothing. A head that cannot be split
 * (a compressed stream without its suffix, no header in the first MiB) records nothing: the join then
 * converts the key whole. Data errors are in the record, not thrown (only the join can tell an artefact of
 * a wrong start from the file's own error).
 */
export async function convertRangeItem(
  deps: RangedDeps,
  item: ConvertItem & { range: ItemRange },
): Promise<PartStateResult> {
  const started = Date.now();
  const { store, config } = deps;
  const bucket = item.run.outputBucket;
  const p = await prepareRangedKey(deps, item);
  await listedVersion(deps, item);
  const result = {
    key: item.key,
    format: config.format,
    status: 'part' as const,
    range: item.range.index,
    outputKey: p.folder,
    sourceEtag: item.etag,
  };
  const nothing = () => ({
    ...result,
    rows: 0,
    rejectedRows: 0,
    bytesIn: 0,
    durationMs: Date.now() - started,
  });
  // A retry item (the reducer's) may be for the other format only: this one's output is then current.
  if (item.current && (await currentOutput(deps, p, bucket, item.etag))) return nothing();
  const pass = passOptions(p.options);
  const head = await readFileHead(p.reader, pass);
  if (!head || head.compressed) return nothing();
  const { index, start, end } = item.range;
  const verdict = item.current ? await readVerdict(store, bucket, p.folder) : undefined;
  const job: RangeJob = verdict
    ? { index, start: verdict.starts[index]!, end, exactStart: true, round: 2, types: verdict.types }
    : { index, start, end, exactStart: item.range.exactStart === true };
  const record = await convertAndRecord(deps, item, p, head, pass, job);
  return {
    ...result,
    rows: record.rows ?? 0,
    rejectedRows: record.rejects?.length ?? 0,
    bytesIn: record.bytesIn ?? 0,
    durationMs: Date.now() - started,
  };
}

/**
 * Whether the join may convert `jobs` itself: it has no time limit, or twice their estimated time (at the
 * rate its records measured: bytes of CSV per ms of conversion; else the configured throughput) fits in a
 * quarter of what is left, so that the copies of the join itself and the output still fit after them.
 */
function fitsInline(
  deps: RangedDeps,
  records: readonly (PartRecord | undefined)[],
  jobs: readonly RangeJob[],
): boolean {
  const left = deps.remainingMs?.();
  if (left === undefined) return true;
  let bytes = 0;
  let ms = 0;
  for (const r of records)
    if (r?.bytesIn && r.durationMs) {
      bytes += r.bytesIn;
      ms += r.durationMs;
    }
  const rate = bytes > 0 && ms > 0 ? bytes / ms : deps.config.throughputMBps * 1000;
  const need = jobs.reduce((n, j) => n + Math.max(0, j.end - j.start), 0) / rate;
  return need * 2 <= left / 4;
}

/** The figures of each joined part, for the join's record (and the report). */
function partFigures(records: readonly PartRecord[]): PartFigures[] {
  return records.map((r) => ({
    index: r.index,
    rows: r.rows ?? 0,
    rejectedRows: r.rejects?.length ?? 0,
    bytesIn: r.bytesIn ?? 0,
    durationMs: r.durationMs ?? 0,
    round: r.round,
  }));
}

/**
 * The reconcile loop's step in the join (lambdas/ranges/reconcile.ts) over the key's records and verdict:
 * a misplaced start (one range, usually) is converted here while it safely fits the time left; anything
 * else to convert (round 2: a new verdict is written first; ranges without a part; what does not fit) is
 * handed back with {@link RangesToConvertError}, whose ranges the reducer sends round the retry map. Gives
 * the join step once every part is right.
 * @throws the file's data error, RangesToConvertError
 */
async function reconciled(
  deps: RangedDeps,
  item: JoinItem,
  p: PreparedKey,
  head: FileHead,
  pass: ReturnType<typeof passOptions>,
): Promise<{ step: Extract<ReconcileStep, { kind: 'join' }>; moved: number }> {
  const { store } = deps;
  const bucket = item.run.outputBucket;
  const ranges = cutEvenly(item.size, item.count);
  const folder = await readRangeFolder(store, bucket, p.folder);
  const records = latestRecords(folder.records, ranges.length);
  let verdict = folder.verdict;
  let moved = 0;
  for (;;) {
    const step = reconcile({ name: p.reader.name, head, pass, ranges, records, verdict });
    if (step.kind === 'fail') throw step.error;
    if (step.kind === 'join') return { step, moved };
    if (step.verdict) {
      verdict = step.verdict;
      await putVerdict(store, bucket, p.folder, verdict);
    }
    if (step.why !== 'misplaced' || !fitsInline(deps, records, step.jobs)) {
      if (item.current) await refuseRepeatedHandBack(deps, item, step.jobs);
      throw new RangesToConvertError(`${item.key}: ${step.message}`, {
        bucket: item.bucket,
        etag: item.etag,
        size: item.size,
        count: ranges.length,
        round: step.round,
        ranges: step.jobs.map((j) => ({
          index: j.index,
          count: ranges.length,
          start: j.start,
          end: j.end,
          ...(j.round === 2 ? { round: 2 as const } : {}),
          ...(j.exactStart ? { exactStart: true } : {}),
        })),
      });
    }
    for (const job of step.jobs) records[job.index] = await convertAndRecord(deps, item, p, head, pass, job);
    moved += step.jobs.length;
  }
}

/**
 * A join item: the key's ONE output in this converter's format from its range items' parts, once the
 * reconcile step (see {@link reconciled}) finds every part right; otherwise the ranges still to convert are
 * handed back (`RangesToConvertError`, recorded with the ranges: the join maps' children catch it and the
 * reducer sends them round the retry map, then this join again). Then as the whole-key path: the dataset
 * schema takes the columns, the rejects (true line numbers) are written first, the output appears last (S3:
 * multipart `UploadPartCopy`, aborted on failure; a folder: streamed into an atomic writer), the item record
 * (with each part's figures) is written and the parts folder deleted. A failed or handed-back join leaves
 * the parts for the retry or the redrive. A key whose head cannot be split is converted whole
 * (`convertItem`).
 */
export async function joinRangeItem(deps: RangedDeps, item: JoinItem): Promise<ConvertResult> {
  const started = Date.now();
  const { store, config } = deps;
  const format = config.format;
  const run = item.run;
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const record = itemRecorder(store, run, format, item.key);
  let target = '';
  let dataset: string | undefined;
  try {
    const p = await prepareRangedKey(deps, item);
    target = p.place.target;
    dataset = p.place.dataset;
    const { rejectsTarget, writesRejects, partitions } = p.place;
    await listedVersion(deps, item);
    const existing = await store.head(run.outputBucket, target);
    await refuseCollision(store, item, target, existing?.metadata?.[META.SOURCE_KEY]);
    // A format whose join succeeded before (the retry map runs both formats of a failed key): skipped.
    // The parts folder goes once the output is in place and right; one left over is only storage
    // (`_runs/` expires), never a reason to record the key failed.
    const dropParts = () =>
      deleteRangeFolder(store, run.outputBucket, p.folder).catch((error: unknown) =>
        deps.log?.('range parts not deleted', { key: item.key, format, error: String(error) }),
      );
    if (p.stored && (await currentOutput(deps, p, run.outputBucket, item.etag))) {
      // Parts the range items wrote for a key whose output turned out current (a doubtful key): not kept.
      await dropParts();
      return await record(
        skippedResult({
          key: item.key,
          format,
          started,
          target,
          version: item.etag,
          dataset: p.place.dataset,
          stored: p.stored.schema,
          now: now(),
        }),
      );
    }
    const pass = passOptions(p.options);
    const head = await readFileHead(p.reader, pass);
    if (!head || head.compressed || item.count < 2) {
      const { count: _count, ...whole } = item;
      void _count;
      return await convertItem(deps, whole);
    }
    const { step, moved } = await reconciled(deps, item, p, head, pass);
    let rejects: ObjectWriter | undefined;
    // The joined output, in place once the join has run: completed last, aborted on any failure.
    let output: { complete(): Promise<unknown>; abort(): Promise<void> } | undefined;
    let columns: TableColumn[] = [];
    let summary: RangedSummary;
    let widened: Awaited<ReturnType<typeof widenDatasetSchema>>;
    try {
      summary = await finishRanges(
        {
          reader: p.reader,
          options: p.options,
          format,
          ranges: cutEvenly(item.size, item.count),
          rejects: (): ByteSink =>
            writesRejects
              ? (rejects = store.createWriter(run.outputBucket, rejectsTarget, { contentType: 'text/csv' }))
              : DISCARD,
          async join(segments, joined) {
            columns = joined.map((c) => ({ name: c.name, type: c.type }));
            refusePartitionClash(item, columns, partitions);
            const joinedObject = {
              bucket: run.outputBucket,
              key: target,
              contentType: 'application/octet-stream',
              metadata: outputMetadata(item.key, item.etag, p.hash, columns),
            };
            // In place, not yet visible (as a key on threads, convert-item.ts): S3's copies up to 8 at once.
            if (p.s3) {
              const pending = await startJoin(p.s3, joinedObject, run.outputBucket, segments, p.parts.read);
              output = pending;
              return pending.bytes;
            }
            const out = store.createWriter(run.outputBucket, target, joinedObject);
            output = out;
            return await streamJoin(segments, out, p.parts.read);
          },
        },
        head,
        pass,
        step,
        moved,
      );
      // A folder's file is read in place by every range item, unpinned (S3's ranged GETs are pinned with
      // If-Match): rewritten since it was listed, its parts may mix two versions. The listed version's
      // ETag still being the file's says none did (as the whole-key path checks, unchangedSince).
      const local = store.localFile?.(item.bucket, item.key);
      if (local !== undefined) await unchangedSince(store, item, local, item.etag);
      // As on the whole-key path: the dataset schema, the rejects, then the output appears.
      widened = await revealOutput(store, {
        run,
        key: item.key,
        place: p.place,
        partitions,
        stored: p.stored?.schema,
        columns,
        rejects,
        output: output!,
        now: now(),
      });
    } catch (error) {
      await Promise.allSettled([output?.abort(), rejects?.abort()]);
      throw error;
    }
    await dropParts();
    deps.log?.('joined', {
      key: item.key,
      format,
      rows: summary.rows,
      ranges: summary.ranges,
      rounds: summary.rounds,
      moved: summary.moved,
    });
    return await record({
      ...convertedResult({
        key: item.key,
        format,
        started,
        rows: summary.rows,
        rejectedRows: summary.rejectedRows,
        bytesIn: item.size,
        bytesOut: summary.bytesOut,
        target,
        rejectsKey: rejects ? rejectsTarget : undefined,
        columns,
        version: item.etag,
        dataset: p.place.dataset,
        widened,
        now: now(),
      }),
      parts: partFigures(step.records),
    });
  } catch (error) {
    const failed = failedResult(item.key, format, started, target, dataset, error, now());
    await record(
      error instanceof RangesToConvertError ? { ...failed, rangesToConvert: error.pending } : failed,
    ).catch(
      () => undefined, // the original error matters more than a failed record
    );
    throw error;
  }
}
