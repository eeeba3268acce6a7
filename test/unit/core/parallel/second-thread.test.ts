/*
 * When a conversion takes a second thread: only for an input of at least `secondThreadMinBytes`. Below
 * it, a second thread costs more to start than it saves, so the conversion runs on one thread whatever
 * the worker script; at and above it, the writer thread (both formats) or the cut (one format).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConvertOptions } from '../../../../lambdas/core/model/options';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { readAvro } from '../../../support/readers';
import { folder, writerWorkerForTests } from '../table-support';

const worker = writerWorkerForTests('second-thread');

/** The writer worker, noting each start of a thread in `marker` before it loads. */
function countingWorker(marker: string): string {
  const path = join(dirname(worker), `counting-${Date.now()}.cjs`);
  writeFileSync(
    path,
    `require('node:fs').appendFileSync(${JSON.stringify(marker)}, 'started\\n');\n` +
      `require(${JSON.stringify(worker)});\n`,
  );
  return path;
}

function threadsStarted(marker: string): number {
  return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).length : 0;
}

test('an input under secondThreadMinBytes starts no thread; at the threshold it does; the outputs match', async () => {
  const dir = folder('second-thread-');
  const path = join(dir, 'orders.csv');
  const lines = Array.from({ length: 60000 }, (_, i) => `${i},"name ${i % 997}",${(i / 8).toFixed(3)}`);
  writeFileSync(path, `id,name,amount\n${lines.join('\n')}\n`);
  const size = statSync(path).size;
  const marker = join(dir, 'threads.txt');
  const script = countingWorker(marker);

  const reference = await convertFile(path, join(dir, 'one'), {});
  const convert = async (name: string, options: ConvertOptions) => {
    const before = threadsStarted(marker);
    const result = await convertFile(path, join(dir, name), { writerWorkerPath: script, ...options });
    return { result, started: threadsStarted(marker) - before };
  };

  // Both formats: the writer thread only from the threshold on.
  const under = await convert('under', { secondThreadMinBytes: size + 1 });
  const at = await convert('at', { secondThreadMinBytes: size });
  expect([under.started, at.started]).toEqual([0, 1]);
  for (const { result } of [under, at]) {
    expect(readFileSync(result.outputs.parquet!).equals(readFileSync(reference.outputs.parquet!))).toBe(true);
    expect((await readAvro(result.outputs.avro!)).rows).toEqual(
      (await readAvro(reference.outputs.avro!)).rows,
    );
  }

  // Parquet alone: cut in two only from the threshold on.
  const alone = await convert('alone-under', { formats: ['parquet'], secondThreadMinBytes: size + 1 });
  const cut = await convert('alone-at', { formats: ['parquet'], secondThreadMinBytes: size });
  expect([alone.started, alone.result.parts]).toEqual([0, 1]);
  expect([cut.started, cut.result.parts]).toEqual([1, 2]);
  expect(readFileSync(alone.result.outputs.parquet!).equals(readFileSync(reference.outputs.parquet!))).toBe(
    true,
  );

  // The default threshold (64 MiB) keeps this 1.5 MB file on one thread.
  const byDefault = await convert('default', {});
  expect(byDefault.started).toBe(0);
});
