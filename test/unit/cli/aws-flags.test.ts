/*
 * The flags every command that reaches S3 or Step Functions takes, named as the AWS CLI names them, and the
 * commands about one run answering for a local run id as well as an execution ARN.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsFlagOptions } from '../../../lib/cli/aws-flags';
import { bundledCli } from '../../support/cli-bundle';

jest.setTimeout(120_000);

test('--endpoint-url, its alias --endpoint, --region and --profile', () => {
  const env: NodeJS.ProcessEnv = {};
  expect(awsFlagOptions({ 'endpoint-url': 'http://127.0.0.1:4566' }, env)).toEqual({
    endpoint: 'http://127.0.0.1:4566',
  });
  expect(awsFlagOptions({ endpoint: 'http://127.0.0.1:4566' }, env)).toEqual({
    endpoint: 'http://127.0.0.1:4566',
  });
  expect(awsFlagOptions({ region: 'eu-west-1', profile: 'lake' }, env)).toEqual({});
  expect(env).toEqual({ AWS_REGION: 'eu-west-1', AWS_PROFILE: 'lake' });
  expect(() => awsFlagOptions({ 'endpoint-url': 'http://a:1', endpoint: 'http://b:2' }, env)).toThrow(
    /--endpoint-url or its alias --endpoint, not both/,
  );
  expect(() => awsFlagOptions({ 'endpoint-url': 'localhost:4566' }, env)).toThrow(/http\(s\) URL/);
  expect(() => awsFlagOptions({ region: ' ' }, env)).toThrow(/--region needs a value/);
});

describe('the bundled CLI', () => {
  const cli = bundledCli();

  test('status takes a local run id (with -o/--output) as well as an execution ARN', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-status-'));
    const input = join(dir, 'in');
    mkdirSync(join(input, 'orders'), { recursive: true });
    writeFileSync(join(input, 'orders/a.csv'), 'id\n1\n');
    const run = cli('run', '-i', input, '-o', join(dir, 'out'), '--json');
    expect(run.code).toBe(0);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const status = cli('status', runId, '-o', join(dir, 'out'), '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ runId, status: 'SUCCEEDED' });
    const unknown = cli('status', 'run-none', '--output', join(dir, 'out'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no local run run-none/);
  });

  test('every command has a usage with its options; conflicting endpoint flags are bad usage (exit 2)', () => {
    for (const command of ['run', 'redrive', 'status', 'start', 'schema', 'convert']) {
      const help = cli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout.split('\n').length).toBeGreaterThan(5);
    }
    expect(cli('run', '--help').stdout).toContain('--endpoint-url URL');
    expect(cli('status', '--help').stdout).toContain('--profile <name>');
    const both = cli(
      'run',
      '-i',
      '.',
      '-o',
      '/tmp/x',
      '--endpoint-url',
      'http://a:1',
      '--endpoint',
      'http://b:2',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
  });
});
