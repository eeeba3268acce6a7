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
import { query, readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../../support/readers';

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

test('a German export: --decimal-separator, --thousands-separator, --date-format, --timestamp-format, --true/--false', async () => {
  const { path, out } = input(
    'de.csv',
    'Preis;Menge;Tag;Zeit;Aktiv\n1.234,56;1.200;31.12.2024;31.12.2024 23:59;ja\n-0,5;7;01.02.2024;01.02.2024 00:00;nein\n',
  );
  const { code, stderr } = cli(
    'convert',
    path,
    '--out',
    out,
    '--decimal-separator',
    ',',
    '--thousands-separator',
    '.',
    '--date-format',
    '%d.%m.%Y',
    '--timestamp-format',
    '%d.%m.%Y %H:%M',
    '--true',
    'ja',
    '--false',
    'nein',
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const duck = await readParquetWithDuckDB(join(out, 'de.parquet'));
  expect(duck.columns).toEqual([
    ['preis', 'DOUBLE'],
    ['menge', 'BIGINT'],
    ['tag', 'DATE'],
    ['zeit', 'TIMESTAMP WITH TIME ZONE'],
    ['aktiv', 'BOOLEAN'],
  ]);
  expect(duck.rows).toEqual([
    [1234.56, '1200', '2024-12-31', '2024-12-31 23:59:00+00', true],
    [-0.5, '7', '2024-02-01', '2024-02-01 00:00:00+00', false],
  ]);
});

test('read with no option, an ambiguous 1.200 stays text and the summary says which flag to pass', () => {
  const { path, out } = input('mixed.csv', 'menge;preis\n1.200;3,14\n2.500;0,99\n');
  const { code, stdout } = cli('convert', path, '--out', out);
  expect(code).toBe(0);
  expect(stdout).toMatch(/menge:string, preis:string/);
  expect(stdout).toMatch(/note +column\(s\) "menge" kept as text.*--decimal-separator ','/);
});

test('--column-names: lake by default (both formats carry one name), exact keeps Parquet’s header text', async () => {
  const { path, out } = input('names.csv', 'Order ID,order id\n1,2\n');
  expect(cli('convert', path, '--out', out).code).toBe(0);
  expect((await readParquetWithDuckDB(join(out, 'names.parquet'))).columns.map(([n]) => n)).toEqual([
    'order_id',
    'order_id_2',
  ]);
  const avro = await readAvro(join(out, 'names.avro'));
  expect((avro.schema.fields as { name: string }[]).map((f) => f.name)).toEqual(['order_id', 'order_id_2']);
  const exact = `${out}-exact`;
  expect(cli('convert', path, '--out', exact, '--column-names', 'exact').code).toBe(0);
  // Read by hyparquet: DuckDB folds case and would show the second as `order id_1`.
  const { metadata } = await readParquetWithHyparquet(join(exact, 'names.parquet'));
  expect(metadata.schema.slice(1).map((e) => e.name)).toEqual(['Order ID', 'order id']);
  const bad = cli('convert', path, '--out', out, '--column-names', 'upper');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--column-names must be one of lake, exact/);
});

test('--max-rejects, --parquet-compression and --avro-codec are checked by the core’s rules, naming the flag', () => {
  const { path, out } = input('x.csv', 'a\n1\n');
  const rejects = cli('convert', path, '--out', out, '--max-rejects=-1');
  expect(rejects.code).toBe(2);
  expect(rejects.stderr).toMatch(/--max-rejects must be a whole number >= 0, not -1/);
  const compression = cli('convert', path, '--out', out, '--parquet-compression', 'lz4');
  expect(compression.code).toBe(2);
  expect(compression.stderr).toMatch(/Unknown Parquet compression "lz4": use snappy, zstd, gzip, none/);
  const codec = cli('convert', path, '--out', out, '--avro-codec', 'zstd');
  expect(codec.code).toBe(2);
  expect(codec.stderr).toMatch(/Unknown Avro codec "zstd"/);
});

test('a decimal schema: DECIMAL in Parquet and Avro through the CLI', async () => {
  const { path, out } = input('amounts.csv', 'id,amount\n12345678901234567890123,12.30\n7,-0.05\n');
  const schema = join(out, '..', 'schema.json');
  writeFileSync(schema, JSON.stringify({ columns: { amount: 'decimal(18,2)' } }));
  const { code, stdout } = cli('convert', path, '--out', out, '--schema', schema);
  expect(code).toBe(0);
  expect(stdout).toMatch(/id:decimal\(38,0\), amount:decimal\(18,2\)/);
  const duck = await readParquetWithDuckDB(join(out, 'amounts.parquet'));
  expect(duck.columns).toEqual([
    ['id', 'DECIMAL(38,0)'],
    ['amount', 'DECIMAL(18,2)'],
  ]);
  expect(duck.rows).toEqual([
    ['12345678901234567890123', '12.30'],
    ['7', '-0.05'],
  ]);
  expect((await readAvro(join(out, 'amounts.avro'))).rows).toEqual([
    { id: '12345678901234567890123', amount: '12.30' },
    { id: '7', amount: '-0.05' },
  ]);
});
