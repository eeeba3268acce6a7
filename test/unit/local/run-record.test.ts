import { redriveCommand, runOrigin } from '../../../lib/local/run-record';

const dir = (path: string) => ({ kind: 'dir', path }) as const;
const s3 = (bucket: string, prefix: string) => ({ kind: 's3', bucket, prefix }) as const;

test('a folder run is redriven with its output, quoted for the shell; an endpoint given to it is not needed', () => {
  const record = { runId: 'run-1', input: dir('/data/in'), output: dir("/home/ada/Bob's lake") };
  expect(redriveCommand(record, 'http://127.0.0.1:4566', { AWS_REGION: 'eu-west-1' })).toBe(
    `csv2lake redrive run-1 --output '/home/ada/Bob'\\''s lake'`,
  );
});

test('a run over s3:// locations is redriven with the endpoint, region and profile it ran with', () => {
  const record = { runId: 'run-2', input: s3('landing', 'exports/'), output: s3('lake', '') };
  expect(redriveCommand(record, 'http://127.0.0.1:4566', {})).toBe(
    'csv2lake redrive run-2 --output s3://lake/ --endpoint-url http://127.0.0.1:4566',
  );
  expect(redriveCommand(record, undefined, { AWS_REGION: 'eu-west-1', AWS_PROFILE: 'data team' })).toBe(
    "csv2lake redrive run-2 --output s3://lake/ --region eu-west-1 --profile 'data team'",
  );
});

test("a local run's report names its folder, or its bucket and prefix at its endpoint", () => {
  expect(runOrigin({ runId: 'r', input: dir('/data/in'), output: dir('/data/lake') }, undefined)).toEqual({
    input: '/data/in',
    redrive: { kind: 'local', command: 'csv2lake redrive r --output /data/lake' },
  });
  expect(
    runOrigin(
      { runId: 'r', input: s3('landing', 'exports/'), output: dir('/data/lake') },
      'http://127.0.0.1:9000',
    ),
  ).toMatchObject({ input: 's3://landing/exports/', endpoint: 'http://127.0.0.1:9000' });
});
