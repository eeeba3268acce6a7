/*
 * The `convert` command as scripts use it: the bundled CLI (with its writer thread) in a child process,
 * exit codes, one-line errors, --json, and the files it leaves.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AvroCodec } from '../../../lambdas/core/model/options';
import { convertFile } from '../../../lambdas/io/convert-file';
import { query, readAvro, readParquetWithDuckDB } from '../../support/readers';

const root = resolve(__dirname, '../../..');
const bundle = mkdtempSync(join(tmpdir(), 'cli-bundle-'));

beforeAll(() => {
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      'bin/csv2lake.ts',
      'lambdas/core/writer-worker.ts',
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--packages=external',
      `--outdir=${bundle}`,
      '--entry-names=[name]',
      '--out-extension:.js=.cjs',
      '--log-level=warning',
    ],
    { cwd: root },
  );
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(bundle, 'csv2lake.cjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function input(name: string, content: string | Buffer): { path: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  writeFileSync(join(dir, name), content);
  return { path: join(dir, name), out: join(dir, 'out') };
}

test('converts with the writer thread and prints a JSON summary', async () => {
  expect(existsSync(join(bundle, 'writer-worker.cjs'))).toBe(true);
  const rows = Array.from(
    // Five batches of 16,384 rows: the writer thread hands buffers back and later batches reuse them.
    { length: 70000 },
    (_, i) => `${i},"n ${i}, ok",${i % 2 === 0},${(i / 4).toFixed(2)}`,
  );
  const { path, out } = input('orders.csv.gz', gzipSync(`id,name,even,amount\n${rows.join('\n')}\n4,5\n`));
  const { code, stdout, stderr } = cli(
    'convert',
    path,
    '--out',
    out,
    '--json',
    '--parquet-compression',
    'zstd',
    '--avro-codec',
    'deflate',
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const summary = JSON.parse(stdout);
  expect(summary).toMatchObject({
    rows: 70000,
    rejectedRows: 1,
    columns: [
      { name: 'id', type: 'int64' },
      { name: 'name', type: 'string' },
      { name: 'even', type: 'boolean' },
      { name: 'amount', type: 'double' },
    ],
    dialect: { delimiter: ',', header: true, gzip: true, encoding: 'utf-8' },
    outputs: {
      parquet: join(out, 'orders.parquet'),
      avro: join(out, 'orders.avro'),
      rejects: join(out, 'orders.rejects.csv'),
    },
  });
  expect(summary.bytesIn).toBeGreaterThan(0);
  expect(summary.bytesOut.parquet).toBeGreaterThan(0);
  expect(summary.timings.totalMs).toEqual(expect.any(Number));
  const duck = await readParquetWithDuckDB(summary.outputs.parquet);
  expect(duck.rows).toHaveLength(70000);
  expect(duck.rows[69999]).toEqual(['69999', 'n 69999, ok', false, 17499.75]);
  const sums = await query(
    `SELECT sum(id)::BIGINT AS ids, sum(amount) AS amounts, count(*) FILTER (WHERE name = 'n ' || id || ', ok')::INT AS names FROM read_parquet('${summary.outputs.parquet}')`,
  );
  expect(sums).toEqual([{ ids: String((69999 * 70000) / 2), amounts: 612491250, names: 70000 }]);
  const avro = await readAvro(summary.outputs.avro);
  expect(avro.header['avro.codec']!.toString()).toBe('deflate');
  expect(avro.rows[12]).toEqual({ id: 12n, name: 'n 12, ok', even: true, amount: 3 });
  expect(avro.rows[66666]).toEqual({ id: 66666n, name: 'n 66666, ok', even: true, amount: 16666.5 });
});

test.each<AvroCodec>(['snappy', 'deflate'])(
  '--format avro (%s): rows encoded on this thread, blocks compressed on the other, the same file as in-process',
  async (codec) => {
    const rows = Array.from(
      { length: 50000 },
      (_, i) => `${i},"x ""${i}""",${i * 3000000000},2024-02-0${(i % 9) + 1}T10:00:00Z`,
    );
    const { path, out } = input('wide.csv', `id,text,big,at\n${rows.join('\n')}\n`);
    const { code, stderr } = cli('convert', path, '--out', out, '--format', 'avro', '--avro-codec', codec);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(readdirSync(out)).toEqual(['wide.avro']);
    const avro = await readAvro(join(out, 'wide.avro'));
    expect(avro.header['avro.codec']!.toString()).toBe(codec);
    expect(avro.rows).toHaveLength(50000);
    expect(avro.rows[49999]).toEqual({
      id: 49999n,
      text: 'x "49999"',
      big: 49999n * 3000000000n,
      at: BigInt(Date.UTC(2024, 1, (49999 % 9) + 1, 10)) * 1000n,
    });
    // In-process, without the thread: byte for byte the same file.
    const here = join(out, 'here');
    await convertFile(path, here, { formats: ['avro'], avroCodec: codec });
    expect(readFileSync(join(here, 'wide.avro')).equals(readFileSync(join(out, 'wide.avro')))).toBe(true);
  },
);

test.each([
  ['an empty file', 'empty.csv', '', /empty\.csv is empty \(0 bytes\)/],
  [
    'invalid UTF-8',
    'bad.csv',
    Buffer.from('a,b\n1,caf\xe9\n', 'latin1'),
    /line 2, byte offset 9, column "b".*--encoding latin1/,
  ],
  ['too many rejected rows', 'ragged.csv', 'a,b\n1\n2\n3\n', /more than 2 rows rejected.*--max-rejects/],
])('%s: exit 1, one line on stderr, no output left', (_name, file, content, message) => {
  const { path, out } = input(file, content);
  const { code, stdout, stderr } = cli('convert', path, '--out', out, '--max-rejects', '2');
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(message);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
});

test('bad usage exits 2 with a hint; --debug adds a stack trace', () => {
  const { path, out } = input('x.csv', 'a\n1\n');
  const bad = cli('convert', path, '--out', out, '--format', 'orc');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--format must be one of parquet, avro, both/);
  const missing = cli('convert', join(out, 'nope.csv'), '--out', out);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/does not exist/);
  const zero = cli('convert', path, '--out', out, '--max-columns', '0');
  expect(zero.code).toBe(2);
  expect(zero.stderr).toMatch(/--max-columns must be a whole number > 0/);
  const empty = input('e.csv', '');
  const debug = cli('convert', empty.path, '--out', empty.out, '--debug');
  expect(debug.code).toBe(1);
  expect(debug.stderr).toMatch(/EmptyInputError[\s\S]*\n\s+at /);
});

test('--max-columns and --max-field-bytes refuse a file past them in one line, writing nothing', () => {
  const { path, out } = input('wide.csv', 'a,b,c\n1,2,3\n');
  const wide = cli('convert', path, '--out', out, '--max-columns', '2');
  expect(wide.code).toBe(1);
  expect(wide.stderr.trim().split('\n')).toHaveLength(1);
  expect(wide.stderr).toMatch(/MalformedCsvError.*column/);
  const long = input('long.csv', `a,b\n1,${'x'.repeat(5000)}\n`);
  const refused = cli('convert', long.path, '--out', long.out, '--max-field-bytes', '4096');
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/--max-field-bytes/);
  expect(cli('convert', long.path, '--out', long.out, '--max-field-bytes', '8192').code).toBe(0);
  expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
});

test('--format parquet writes only Parquet; --no-header and --delimiter apply', async () => {
  const { path, out } = input('plain.txt', '1|x\n2|y\n');
  const { code } = cli(
    'convert',
    path,
    '--out',
    out,
    '--format',
    'parquet',
    '--no-header',
    '--delimiter',
    '|',
  );
  expect(code).toBe(0);
  expect(readdirSync(out)).toEqual(['plain.parquet']);
  const duck = await readParquetWithDuckDB(join(out, 'plain.parquet'));
  expect(duck.columns).toEqual([
    ['column_1', 'BIGINT'],
    ['column_2', 'VARCHAR'],
  ]);
});

test('an error line never carries the control characters of a name or a value: escaped, one line', () => {
  const { out } = input('x.csv', 'a\n1\n');
  const missing = cli('convert', join(out, 'no\u001b[2Jsuch\rfile.csv'), '--out', out);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(
    /^csv2lake: UsageError: input file .*no\\u001b\[2Jsuch\\rfile\.csv does not exist\n$/,
  );
  // A header with a CR in a quoted name, and a schema naming a column the file does not have.
  const { path } = input('cr.csv', '"a\rb",c\n1,2\n');
  const schema = join(out, '..', 'schema.json');
  writeFileSync(schema, JSON.stringify({ columns: { 'd\u001b': 'int32' } }));
  const mismatch = cli('convert', path, '--out', out, '--schema', schema);
  expect(mismatch.code).toBe(1);
  expect(mismatch.stderr.split('\n')).toHaveLength(2);
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  expect(mismatch.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  expect(mismatch.stderr).toContain('SchemaMismatchError');
});
