/*
 * A converter's range worker thread: converts the byte ranges of one S3 object it is sent, one at a time,
 * each read by ranged GETs pinned to the object's ETag and written as a part object (an atomic upload)
 * under the run's folder. The script is the converter's own bundle (converter-handler.ts serves ranges
 * when started as a thread with thread-settings.ts's RANGE_THREAD), so the deployed asset needs no other file.
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { parentPort } from 'node:worker_threads';
import { createS3Client, S3ObjectStore } from '../io/s3-object-store';
import { convertRange } from './part-pass';
import { partName, s3Parts } from './part-store';
import type { RangeAnswer, RangeOrder } from './range-pool';
import { s3RangeReader } from './range-reader';

/** One range of an S3 object, as a range thread is sent it (plain data: structured-cloned). */
export interface S3RangeTask extends RangeOrder {
  /** The S3 client's settings (endpoint, path style): each thread has its own client. */
  readonly s3: S3ClientConfig;
  readonly bucket: string;
  readonly key: string;
  /** The version converted (quotes included): every GET of the range is pinned to it with `If-Match`. */
  readonly etag: string;
  readonly size: number;
  /** Where the part goes: `<prefix><name>` in `partsBucket`. */
  readonly partsBucket: string;
  readonly partsPrefix: string;
}

/** Converts one range of an S3 object into its part object (see `convertRange`). */
export async function convertS3Range(task: S3RangeTask, client = clientFor(task.s3)): Promise<RangeAnswer> {
  const store = new S3ObjectStore(client);
  const parts = s3Parts(store, client, task.partsBucket, task.partsPrefix);
  const record = await convertRange(
    {
      reader: s3RangeReader(client, task.bucket, task.key, task.etag, task.size),
      head: task.head,
      // Null tokens are Buffers, which arrive as plain Uint8Arrays: the same bytes.
      pass: task.pass,
      format: task.format,
      writer: task.writer,
      sink: () => parts.sink(partName(task.format, task.job)),
    },
    task.job,
  );
  return { record };
}

/** One keep-alive client per thread and settings. */
const clients = new Map<string, ReturnType<typeof createS3Client>>();
function clientFor(config: S3ClientConfig) {
  const id = JSON.stringify(config);
  let client = clients.get(id);
  if (!client) clients.set(id, (client = createS3Client(config)));
  return client;
}

/** Serves the ranges this thread is sent, one at a time, until it is terminated. */
export function serveS3Ranges(): void {
  parentPort!.on('message', (task: S3RangeTask) => {
    convertS3Range(task).then(
      (answer) => parentPort!.postMessage(answer),
      (error: Error) =>
        parentPort!.postMessage({
          error: { name: error.name, message: error.message },
        } satisfies RangeAnswer),
    );
  });
}
