/*
 * One key on N threads (issue 12: a converter with two or more vCPUs uses them): the ranges converted by
 * the bundled range worker on two threads at once, joined, equal the one-item conversion.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertFile } from '../../../lambdas/io/convert-file';
import { convertFileInRanges } from '../../../lambdas/ranges/local-ranges';
import { readAvro, readParquetWithDuckDB } from '../../support/readers';
import { folder } from '../core/table-support';
import { awkwardCsv } from './csv-samples';

const root = join(__dirname, '..', '..', '..');
const bundle = join(root, 'dist', `ranges-test-${process.pid}`);
const worker = join(bundle, 'range-worker.cjs');

beforeAll(() => {
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      'lambdas/ranges/range-worker.ts',
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--packages=external',
      `--outfile=${worker}`,
      '--log-level=warning',
    ],
    { cwd: root },
  );
});
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

test.each(['parquet', 'avro'] as const)(
  '%s: two threads, one output equal to the one-item conversion',
  async (format) => {
    const dir = folder('ranges-threads-');
    const input = join(dir, 'in.csv');
    // A widening value in the second half and rejects on both sides.
    writeFileSync(
      input,
      awkwardCsv(30_000, (i) =>
        i === 25_000 ? `${i},w,0.5,x,2024-01-01` : i % 9000 === 1 ? `${i},bad` : undefined,
      ),
    );
    const options = { formats: [format], rowGroupBytes: 256 * 1024 };
    const one = await convertFile(input, join(dir, 'one'), options);
    const out = join(dir, `two.${format}`);
    const summary = await convertFileInRanges(input, out, join(dir, 'two.rejects.csv'), {
      options,
      format,
      partsDir: join(dir, 'parts'),
      workerPath: worker,
      threads: 2,
    });
    expect(summary?.ranges).toBe(2);
    const read =
      format === 'avro'
        ? async (p: string) => (await readAvro(p)).rows
        : async (p: string) => (await readParquetWithDuckDB(p)).rows;
    expect(await read(out)).toEqual(await read(one.outputs[format]!));
    expect(readFileSync(join(dir, 'two.rejects.csv'), 'utf8')).toBe(
      readFileSync(one.outputs.rejects!, 'utf8'),
    );
  },
  120_000,
);
