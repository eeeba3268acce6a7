/*
 * The converter's work on a split key (issue 16): a range item converts the rows that start in its byte
 * range into a part under the run's folder; the key's join item turns the parts into the key's ONE output
 * per format, as the whole-key path (lambdas/handlers/convert-item.ts) would have written it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { TableColumn } from '../core/model/schema';
import type { ByteSink } from '../core/model/sink';
import { passOptions } from '../core/run/pass-options';
import type { ObjectStore, ObjectWriter } from '../io/object-store';
import { readDatasetSchema, schemaFingerprint, widenDatasetSchema } from '../lake/dataset-schema';
import { placeOutputs, refuseCollision, refusePartitionClash } from '../lake/output-placement';
import { converterOptionsHash } from '../lake/plan-fingerprint';
import { loadSchema } from '../lake/schema-file';
import { convertInRanges } from '../ranges/convert-ranges';
import { readFileHead } from '../ranges/file-head';
import { startJoin, streamJoin } from '../ranges/multipart-join';
import { convertRange, type RangeJob } from '../ranges/part-pass';
import type { PartRecord } from '../ranges/part-record';
import { folderParts, partName, s3Parts } from '../ranges/part-store';
import { cutEvenly } from '../ranges/range-plan';
import { fileReader, s3RangeReader } from '../ranges/range-reader';
import type { ConverterConfig } from '../shared/config';
import { InvalidOptionsError } from '../shared/errors';
import type { ConvertItem, ConvertResult, ItemRange, JoinItem, RunContext } from '../shared/payloads';
import { rangePartsPrefix } from '../shared/run-keys';
import { convertItem, type ConverterDeps } from './convert-item';
import {
  conversionOptions,
  failedResult,
  isCurrentOutput,
  itemRecorder,
  META,
  outputMetadata,
  revealOutput,
} from './item-output';
import { DISCARD } from './deferred-output';

/** What a range item answers the state machine: its part, not a file (the join's record is the file's). */
export interface PartStateResult {
  readonly key: string;
  readonly format: ConverterConfig['format'];
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

/** The converter's dependencies plus, on S3, the client the ranged GETs and the multipart join use. */
export interface RangedDeps extends ConverterDeps {
  readonly s3?: () => S3Client;
}

/** Whether an event is a join item (`joins.json`, or a failed join sent round the retry map). */
export function isJoinItem(event: object): event is JoinItem {
  return typeof (event as { count?: unknown }).count === 'number';
}

/** Whether an item is a range item. */
export function isRangeItem(item: ConvertItem): item is ConvertItem & { range: ItemRange } {
  return item.range !== undefined && item.range !== null;
}

const recordName = (index: number) => `r1-${index}.json`;

/** The key's reader and part store: a local folder read in place, or S3 by ranged GETs and copies. */
function rangedIo(deps: RangedDeps, item: ConvertItem | JoinItem, folder: string) {
  const { store } = deps;
  const local = store.localFile?.(item.bucket, item.key);
  const partsDir = store.localFile?.(item.run.outputBucket, folder.replace(/\/$/, ''));
  if (local !== undefined && partsDir !== undefined)
    return { reader: fileReader(local, item.size), parts: folderParts(partsDir), s3: undefined };
  if (!deps.s3) throw new Error('a range item on S3 needs an S3 client (RangedDeps.s3)');
  const s3 = deps.s3();
  return {
    reader: s3RangeReader(s3, item.bucket, item.key, item.etag, item.size),
    parts: s3Parts(store, s3, item.run.outputBucket, folder),
    s3,
  };
}

/** The target of the run's format, or InvalidOptionsError when the run does not write it. */
function formatPrefix(run: RunContext, format: ConverterConfig['format']): string {
  const prefix = run.outputPrefixes[format];
  if (prefix === undefined)
    throw new InvalidOptionsError(
      `run ${run.runId} does not write ${format}: this converter was invoked for a run it is not part of`,
    );
  return prefix;
}

/** What both a range and a join read first: the placement, the pinned and stored schemas, the options. */
async function prepare(deps: RangedDeps, item: ConvertItem | JoinItem) {
  const { store, config } = deps;
  const place = placeOutputs(item, config.format, formatPrefix(item.run, config.format));
  const pinned = await loadSchema(store, config.schemaLocation, place.dataset);
  const stored = await readDatasetSchema(store, item.run.outputBucket, place.dataset);
  const options = conversionOptions(config, config.format, pinned, stored, place.dataset);
  const { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes } = options;
  const writer = { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes };
  const folder = rangePartsPrefix(item.run.runId, config.format, item.key);
  return { place, pinned, stored, options, writer, folder, ...rangedIo(deps, item, folder) };
}

/**
 * A range item: reads the head of the key (dialect, header, type guess: the same for every range, as the
 * join reads it again), converts the rows that start in the range into a part (`convertRange`, speculative
 * start: the join checks the boundaries) and records what it found at `<folder>r1-<index>.json`. A head that
 * cannot be split (a compressed stream without its suffix, no header in the first MiB) records nothing: the
 * join then converts the key whole. Data errors are in the record, not thrown (only the join can tell an
 * artefact of a wrong start from the file's own error).
 */
export async function convertRangeItem(
  deps: RangedDeps,
  item: ConvertItem & { range: ItemRange },
): Promise<PartStateResult> {
  const started = Date.now();
  const { store, config } = deps;
  const p = await prepare(deps, item);
  const pass = passOptions(p.options);
  const head = await readFileHead(p.reader, pass);
  const result = {
    key: item.key,
    format: config.format,
    status: 'part' as const,
    range: item.range.index,
    outputKey: p.folder,
  };
  if (!head || head.compressed)
    return {
      ...result,
      rows: 0,
      rejectedRows: 0,
      bytesIn: 0,
      durationMs: Date.now() - started,
      sourceEtag: item.etag,
    };
  const job: RangeJob = {
    index: item.range.index,
    start: item.range.start,
    end: item.range.end,
    exactStart: false,
  };
  const record = await convertRange(
    {
      reader: p.reader,
      head,
      pass,
      format: config.format,
      writer: p.writer,
      sink: () => p.parts.sink(partName(config.format, job)),
    },
    job,
  );
  await store.put(item.run.outputBucket, `${p.folder}${recordName(job.index)}`, JSON.stringify(record), {
    contentType: 'application/json',
  });
  return {
    ...result,
    rows: record.rows ?? 0,
    rejectedRows: record.rejects?.length ?? 0,
    bytesIn: record.bytesIn ?? 0,
    durationMs: Date.now() - started,
    sourceEtag: item.etag,
  };
}

/** A range record left by a range item, or undefined (never written, or unreadable). */
async function recorded(store: ObjectStore, bucket: string, key: string): Promise<PartRecord | undefined> {
  try {
    const body = await store.get(bucket, key);
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as PartRecord;
  } catch {
    return undefined;
  }
}

/** Deletes everything under a split key's parts folder (after a successful join). */
async function deleteFolder(store: ObjectStore, bucket: string, folder: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await store.list(bucket, folder, token ? { token } : {});
    await Promise.all(page.objects.map((o) => store.delete(bucket, o.key)));
    token = page.nextToken;
  } while (token);
}

/**
 * A join item: the key's ONE output in this converter's format from its range items' parts. The flow is
 * `convertInRanges` (lambdas/ranges/convert-ranges.ts), with round 1 taken from the range records: a range
 * whose record is missing (its child failed, or a redrive is re-running the join) or whose start was
 * mis-guessed is converted here, and so is round 2 when a value widened a column (see the report: the
 * reconcile loop that would send those back to the map is not built). Then as the whole-key path: the
 * dataset schema takes the columns, the rejects (true line numbers) are written first, the output appears
 * last (S3: multipart `UploadPartCopy`, aborted on failure; a folder: streamed into an atomic writer), the
 * item record is written and the parts folder deleted. A failed join leaves the parts for the retry.
 * A key whose head cannot be split is converted whole (`convertItem`).
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
    const p = await prepare(deps, item);
    target = p.place.target;
    dataset = p.place.dataset;
    const { rejectsTarget, writesRejects, partitions } = p.place;
    const hash = converterOptionsHash(config, p.pinned);
    const existing = await store.head(run.outputBucket, target);
    await refuseCollision(store, item, target, existing?.metadata?.[META.SOURCE_KEY]);
    // A format whose join succeeded before (the retry map runs both formats of a failed key): skipped.
    const storedPrint = p.stored ? schemaFingerprint(p.stored.schema.columns) : undefined;
    if (existing && isCurrentOutput(existing.metadata ?? {}, item.etag, hash, storedPrint))
      return await record({
        key: item.key,
        format,
        status: 'skipped',
        durationMs: Date.now() - started,
        outputKey: target,
        sourceEtag: item.etag,
        dataset: p.place.dataset,
        schemaFingerprint: storedPrint!,
        schemaVersion: p.stored!.schema.version,
        at: now(),
      });
    const ranges = cutEvenly(item.size, item.count);
    let rejects: ObjectWriter | undefined;
    // The joined output, in place once the join has run: completed last, aborted on any failure.
    let output: { complete(): Promise<unknown>; abort(): Promise<void> } | undefined;
    let columns: TableColumn[] = [];
    const convert = async (
      job: RangeJob,
      head: Parameters<typeof convertRange>[0]['head'],
      pass: ReturnType<typeof passOptions>,
    ) => {
      if ((job.round ?? 1) === 1 && !job.exactStart) {
        const found = await recorded(store, run.outputBucket, `${p.folder}${recordName(job.index)}`);
        if (found && found.start !== undefined && !found.exactStart) return found;
      }
      return convertRange(
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
    };
    let summary: Awaited<ReturnType<typeof convertInRanges>>;
    let widened: Awaited<ReturnType<typeof widenDatasetSchema>>;
    try {
      summary = await convertInRanges({
        reader: p.reader,
        options: p.options,
        format,
        ranges,
        convert,
        rejects: (): ByteSink =>
          writesRejects
            ? (rejects = store.createWriter(run.outputBucket, rejectsTarget, { contentType: 'text/csv' }))
            : DISCARD,
        deletePart: async () => {}, // the folder goes after the join succeeds: a failed join keeps the parts
        async join(segments, joined) {
          columns = joined.map((c) => ({ name: c.name, type: c.type }));
          refusePartitionClash(item, columns, partitions);
          const joinedObject = {
            bucket: run.outputBucket,
            key: target,
            contentType: 'application/octet-stream',
            metadata: outputMetadata(item.key, item.etag, hash, columns),
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
      });
      if (!summary) {
        const { count: _count, ...whole } = item;
        void _count;
        return await convertItem(deps, whole);
      }
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
    await deleteFolder(store, run.outputBucket, p.folder);
    deps.log?.('joined', {
      key: item.key,
      format,
      rows: summary.rows,
      ranges: summary.ranges,
      rounds: summary.rounds,
    });
    return await record({
      key: item.key,
      format,
      status: 'converted',
      rows: summary.rows,
      rejectedRows: summary.rejectedRows,
      bytesIn: item.size,
      bytesOut: summary.bytesOut,
      durationMs: Date.now() - started,
      outputKey: target,
      ...(rejects ? { rejectsKey: rejectsTarget } : {}),
      columns,
      sourceEtag: item.etag,
      dataset: p.place.dataset,
      schemaFingerprint: schemaFingerprint(columns),
      schemaVersion: widened.schema.version,
      ...(widened.changes.length > 0 ? { schemaChanges: widened.changes } : {}),
      at: now(),
    });
  } catch (error) {
    await record(failedResult(item.key, format, started, target, dataset, error, now())).catch(
      () => undefined, // the original error matters more than a failed record
    );
    throw error;
  }
}
