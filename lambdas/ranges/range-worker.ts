/*
 * A range worker thread (see local-ranges.ts): converts the ranges it is sent, one at a time, into part
 * files. Bundled as `range-worker.cjs`.
 */
import { parentPort } from 'node:worker_threads';
import type { RangeAnswer, RangeTask } from './local-ranges';
import { convertRange } from './part-pass';
import { folderParts } from './part-store';
import { fileReader } from './range-reader';

parentPort!.on('message', (task: RangeTask) => {
  const parts = folderParts(task.partsDir);
  const { job } = task;
  convertRange(
    {
      reader: fileReader(task.path, task.size),
      head: task.head,
      // Null tokens are Buffers, which arrive as plain Uint8Arrays: the same bytes.
      pass: task.pass,
      format: task.format,
      writer: task.writer,
      sink: () => parts.sink(`${task.format}-${job.round ?? 1}-${job.index}-${job.start}`),
    },
    job,
  ).then(
    (record) => parentPort!.postMessage({ record } satisfies RangeAnswer),
    (error: Error) =>
      parentPort!.postMessage({ error: { name: error.name, message: error.message } } satisfies RangeAnswer),
  );
});
