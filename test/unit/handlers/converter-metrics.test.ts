/*
 * The converters' metrics: per invocation, never FilesFailed. A failed attempt is not a failed file: the
 * retry map may fix it, and the run's FilesFailed (what is still failed after the retry map) is the
 * reducer's, which the FailedFiles alarm watches.
 */
import { MalformedCsvError } from '../../../lambdas/core/model/errors';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import type { ConvertItem } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

const run = runContext('m', { inputPrefix: '', outputPrefixes: { parquet: 'parquet/' } });

/** The EMF documents Powertools writes to stdout while `act` runs. */
async function emitted(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a failed conversion emits no FilesFailed; a converted one emits FilesConverted and its rows', async () => {
  const store = new MemoryObjectStore();
  await store.put('in', 'a.csv', 'x\n1\n');
  const etag = (await store.head('in', 'a.csv'))!.etag;
  const item: ConvertItem = { bucket: 'in', key: 'a.csv', etag, size: 4, run };
  const failing = createConverterHandler('parquet', {
    store,
    env: {},
    convert: (async () => {
      throw new MalformedCsvError('broken (injected)');
    }) as never,
  });
  const onFailure = await emitted(() => failing(item));
  expect(JSON.stringify(onFailure)).not.toContain('FilesFailed');

  const converted = await emitted(() => createConverterHandler('parquet', { store, env: {} })(item));
  expect(converted).toContainEqual(expect.objectContaining({ FilesConverted: 1, RowsConverted: 1 }));
  expect(JSON.stringify(converted)).not.toContain('FilesFailed');
});
