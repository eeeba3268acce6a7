/*
 * What the table tests share: the writer worker bundled for them, and scratch folders removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readParquetWithHyparquet } from '../../support/readers';

const root = resolve(__dirname, '../../..');

/**
 * Bundles the writer worker once for the calling test file (inside the repository, so that the worker's
 * packages, snappy, resolve) and removes it and every {@link folder} after the file's tests. Returns the
 * worker script's path.
 */
export function writerWorkerForTests(name: string): string {
  const bundle = join(root, 'dist', `${name}-${process.pid}`);
  const worker = join(bundle, 'writer-worker.cjs');
  beforeAll(() => {
    execFileSync(
      join(root, 'node_modules/.bin/esbuild'),
      [
        'lambdas/core/writer-worker.ts',
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
  afterAll(() => {
    for (const dir of [bundle, ...scratch.splice(0)]) rmSync(dir, { recursive: true, force: true });
  });
  return worker;
}

const scratch: string[] = [];

/** A new scratch folder, removed after the file's tests. */
export function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Column names, physical and logical types as hyparquet reads them from a file's footer. */
export async function parquetSchema(path: string) {
  const { metadata } = await readParquetWithHyparquet(path);
  return metadata.schema
    .slice(1)
    .map((e) => [e.name, e.type, e.repetition_type, e.converted_type ?? null, e.logical_type ?? null]);
}
