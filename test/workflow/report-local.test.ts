/*
 * A local run's report.md, written for the run it describes: the folder or bucket it read (never the
 * runner's internal bucket name), the exact `csv2lake redrive` command with the options the run needs, sizes
 * in human units, no word about rejects when there are none, and each dataset's column types.
 */
import './quiet';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';
import { startS3Server, type S3Server } from '../support/s3-server';

jest.setTimeout(120_000);

test('a folder run: its folder, its redrive command, KB, no rejects, and the column types of each dataset', async () => {
  const root = mkdtempSync(join(tmpdir(), 'report local-'));
  const input = join(root, 'in');
  const output = join(root, "Bob's lake");
  mkdirSync(join(input, 'orders'), { recursive: true });
  mkdirSync(join(input, 'sensors'), { recursive: true });
  writeFileSync(join(input, 'orders', 'a.csv'), 'id,amount\n' + '1,2.5\n2,3.5\n'.repeat(100));
  writeFileSync(join(input, 'orders', 'b.csv'), 'id,amount\n3,4.5\n');
  // Empty: fails with EmptyInputError, a data error.
  writeFileSync(join(input, 'sensors', 'bad.csv'), '');

  const result = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: output },
    formats: ['parquet'],
    retryIntervalMs: 1,
  });

  expect(result.status).toBe('FAILED');
  const command = `csv2lake redrive ${result.runId} --output '${root}/Bob'\\''s lake'`;
  expect(result.redrive).toBe(command);
  const md = readFileSync(join(output, '_runs', result.runId, 'report.md'), 'utf8');
  expect(md).toContain(`Input: \`${input}\` — generated`);
  expect(md).not.toContain('csv2lake-input');
  expect(md).toContain(`\`\`\`sh\n${command}\n\`\`\``);
  expect(md).not.toMatch(/Step Functions console|stepfunctions/);
  // 1,226 bytes of input: KB, not "0.0 MB".
  expect(md).toMatch(/\| 1\.23 KB \| parquet \d+(\.\d+)? K?B \| [\d.]+ m?s \|/);
  expect(md).not.toContain('0.0 MB');
  expect(md).not.toMatch(/reject/i);
  expect(md).toMatch(
    /## Column types\n[^#]*\n### `orders`: 2 files, 2 columns\n\n\| column \| type \|\n\|---\|---\|\n\| id \| u?int\d+ \|\n\| amount \| double \|\n/,
  );
  // The failed file has no columns: its dataset is not listed.
  expect(md).not.toContain('### `sensors`');

  // Fixed, the file converts when the run is redriven as the report says.
  writeFileSync(join(input, 'sensors', 'bad.csv'), 'sensor,reading\ns-1,20.5\n');
  const redriven = await LocalRunner.redrive(result.runId, { kind: 'dir', path: output }, { retryIntervalMs: 1 });
  expect(redriven.items.converted).toBe(3);
  expect(redriven.status).toBe('SUCCEEDED');
  expect(redriven.redrive).toBeUndefined();
  const after = readFileSync(join(output, '_runs', result.runId, 'report.md'), 'utf8');
  expect(after).toContain('### `sensors`: 1 file, 2 columns');
  expect(after).not.toContain('## Failed files');
});

describe('over a local S3 endpoint (fauxqs)', () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await startS3Server();
    await server.createBucket('landing');
    await server.createBucket('lake');
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });
  afterAll(() => server?.stop());

  test('the report names the bucket, prefix and endpoint, and the redrive command carries --endpoint-url', async () => {
    const s3 = server.client();
    await s3.send(new PutObjectCommand({ Bucket: 'landing', Key: 'exports/good.csv', Body: 'n\n1\n2\n' }));
    await s3.send(new PutObjectCommand({ Bucket: 'landing', Key: 'exports/bad.csv', Body: '' }));
    const region = process.env.AWS_REGION;
    const profile = process.env.AWS_PROFILE;
    delete process.env.AWS_REGION;
    delete process.env.AWS_PROFILE;
    let result;
    try {
      result = await LocalRunner.run({
        input: { kind: 's3', bucket: 'landing', prefix: 'exports/' },
        output: { kind: 's3', bucket: 'lake', prefix: '' },
        endpoint: server.endpoint,
        formats: ['parquet'],
        retryIntervalMs: 1,
      });
    } finally {
      if (region !== undefined) process.env.AWS_REGION = region;
      if (profile !== undefined) process.env.AWS_PROFILE = profile;
    }
    expect(result.status).toBe('FAILED');
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'lake', Key: `_runs/${result.runId}/report.md` }),
    );
    const md = await object.Body!.transformToString();
    expect(md).toContain(`Input: \`s3://landing/exports/\` at \`${server.endpoint}\` — generated`);
    expect(md).toContain(
      `\`\`\`sh\ncsv2lake redrive ${result.runId} --output s3://lake/ --endpoint-url ${server.endpoint}\n\`\`\``,
    );
    expect(md).toMatch(/\| \d+ B \| parquet \d+ B \|/);
  });
});
