/*
 * A file that failed, then was deleted before the redrive: the redrive's attempt (the retry map's items ask
 * for the current version) fails with InputMissingError saying why no redrive can convert it and what to
 * do, not with AccessDenied (the converters may list the input prefix) nor a bare "no such key". Restored,
 * the file converts at the next redrive.
 */
import './quiet';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MalformedCsvError } from '../../lambdas/core/model/errors';
import { LocalRunner } from '../../lib/local/runner';

let root = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a failed file deleted before the redrive fails clearly; restored, the next redrive converts it', async () => {
  root = mkdtempSync(join(tmpdir(), 'deleted-'));
  const input = join(root, 'in');
  mkdirSync(input);
  writeFileSync(join(input, 'a.csv'), 'x\n1\n');
  writeFileSync(join(input, 'b.csv'), 'x\n2\n');
  const output = { kind: 'dir', path: join(root, 'out') } as const;
  // a.csv fails in both maps, as a data error would.
  const first = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output,
    runId: 'gone',
    retryIntervalMs: 1,
    fault: (state, payload) =>
      /Parquet$/.test(state) && (payload as { key?: string }).key === 'a.csv'
        ? new MalformedCsvError('broken (injected)')
        : undefined,
  });
  expect(first).toMatchObject({ status: 'FAILED', items: { failed: 1 } });

  unlinkSync(join(input, 'a.csv'));
  const redriven = await LocalRunner.redrive('gone', output, { retryIntervalMs: 1 });
  expect(redriven.status).toBe('FAILED');
  const report = readFileSync(join(output.path, '_runs/gone/report.json'), 'utf8');
  expect(report).toContain('InputMissingError');
  expect(report).toContain(
    'deleted after this run listed it, so no retry or redrive of this run can convert it',
  );

  writeFileSync(join(input, 'a.csv'), 'x\n1\n');
  const restored = await LocalRunner.redrive('gone', output, { retryIntervalMs: 1 });
  expect(restored).toMatchObject({ status: 'SUCCEEDED', items: { converted: 2, failed: 0 } });
});
