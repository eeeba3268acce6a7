/*
 * `csv2lake run` as a user runs it: the bundled CLI in a child process, conversions on its converter
 * threads (convert-worker.cjs beside the bundle), each invocation with the environment and time limit the
 * synthesized template gives the deployed function.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAvro, readParquetWithDuckDB } from '../support/readers';

jest.setTimeout(120_000);

const root = resolve(__dirname, '../..');
// The bundle `npm start` runs: in dist/, since the construct finds the project from beside its bundle.
const bundle = join(root, 'dist');

beforeAll(() => {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root });
});

function csv2lake(env: NodeJS.ProcessEnv, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(bundle, 'csv2lake.cjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: join(root, 'node_modules'), ...env },
    // spawnSync blocks jest's own timeout: a run that never exits must fail here, not hold CI for an hour.
    timeout: 90_000,
  });
  expect({ signal: result.signal, error: result.error }).toEqual({ signal: null, error: undefined });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a file the converter could not finish in its time limit at the configured throughput is refused on the converter thread; the others convert', async () => {
  expect(existsSync(join(bundle, 'convert-worker.cjs'))).toBe(true);
  const dir = mkdtempSync(join(tmpdir(), 'cli-run-'));
  const input = join(dir, 'in');
  mkdirSync(input);
  writeFileSync(join(input, 'small.csv'), 'id,name\n1,Ada\n2,Grace\n');
  const rows = Array.from({ length: 60_000 }, (_, i) => `${i},name ${i}`);
  writeFileSync(join(input, 'big.csv'), `id,name\n${rows.join('\n')}\n`); // ~0.9 MB
  const output = join(dir, 'out');

  // 0.001 MB/s: the big file needs ~900 s, more than 80% of the function's 900 s; the small one ~0.03 s.
  const { code, stdout, stderr } = csv2lake(
    { CSV2LAKE_THROUGHPUT_MBPS: '0.001' },
    'run',
    '--input',
    input,
    '--output',
    output,
    '--json',
  );
  expect(stderr).toBe('');
  expect(code).not.toBe(0);
  const summary = JSON.parse(stdout) as {
    status: string;
    items: Record<string, number>;
    reportPath: string;
  };
  expect(summary).toMatchObject({ status: 'FAILED', items: { total: 2, converted: 1, failed: 1 } });
  const report = JSON.parse(readFileSync(summary.reportPath, 'utf8')) as {
    files: { key: string; status: string; errors: { format: string; type: string; message: string }[] }[];
  };
  const big = report.files.find((f) => f.key === 'big.csv')!;
  expect(big.status).toBe('failed');
  // Both formats refused it, with the function's remaining time (its 900 s timeout, from the template).
  expect(big.errors.map((e) => [e.format, e.type]).sort()).toEqual([
    ['avro', 'InputTooLargeError'],
    ['parquet', 'InputTooLargeError'],
  ]);
  for (const e of big.errors)
    expect(e.message).toMatch(
      /big\.csv is 1 MB: at ~0\.001 MB\/s it needs ~\d{3} s but the function has (899|900) s; raise the converter's timeout\/memory or split the file/,
    );
  // Each top-level file is a dataset named after its stem; integers are int64 (DuckDB renders BIGINT as
  // text, avsc's longs are BigInt here).
  expect(existsSync(join(output, 'parquet/big/big.parquet'))).toBe(false);
  expect(existsSync(join(output, 'avro/big/big.avro'))).toBe(false);
  expect((await readParquetWithDuckDB(join(output, 'parquet/small/small.parquet'))).rows).toEqual([
    ['1', 'Ada'],
    ['2', 'Grace'],
  ]);
  expect((await readAvro(join(output, 'avro/small/small.avro'))).rows).toEqual([
    { id: 1n, name: 'Ada' },
    { id: 2n, name: 'Grace' },
  ]);
});

test('Node 20, which engines accepts, runs the workflow: Promise.withResolvers (Node 22) is provided when missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-node20-'));
  mkdirSync(join(dir, 'in'));
  writeFileSync(join(dir, 'in', 'a.csv'), 'id,name\n1,Ada\n');
  // As on Node 20: the interpreter's Tasks called it, and every file failed with "is not a function".
  const preload = join(dir, 'node20.js');
  writeFileSync(preload, 'delete Promise.withResolvers;\n');
  const result = spawnSync(
    process.execPath,
    [
      '-r',
      preload,
      join(bundle, 'csv2lake.cjs'),
      'run',
      '-i',
      join(dir, 'in'),
      '-o',
      join(dir, 'out'),
      '--json',
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
      timeout: 90_000,
    },
  );
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toMatchObject({ status: 'SUCCEEDED', items: { total: 1, converted: 1 } });
  const version = spawnSync(process.execPath, [join(bundle, 'csv2lake.cjs'), '--version'], {
    encoding: 'utf8',
  });
  expect(version.stdout).toBe(
    `csv2lake ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} (Node.js ${process.versions.node})\n`,
  );
});
