import { passOptions } from '../../../../lambdas/core/run/pass-options';
import { firstPass, writePass } from '../../../../lambdas/core/run/passes';
import type { SpeculativeOutput } from '../../../../lambdas/core/run/speculation';
import type { ColumnBatch } from '../../../../lambdas/core/model/column-batch';
import { RejectSink } from '../../../../lambdas/core/csv/rejects';
import { batchRows } from '../../../../lambdas/core/rows/column-sink';
import { MemorySink } from '../../../../lambdas/core/model/sink';
import type { ColumnType, TableSchema } from '../../../../lambdas/core/model/schema';
import type { ConvertOptions } from '../../../../lambdas/core/model/options';
import { MalformedCsvError, quoted } from '../../../../lambdas/core/model/errors';

async function* chunks(text: string, size = 1 << 16): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Records what a first pass converted: rows per column as strings, for comparison. */
function recorder() {
  const rows: string[][] = [];
  let opened = 0;
  const output: SpeculativeOutput = {
    schemaFor: (headers, types) => ({
      columns: headers.map((h, i) => ({ name: h, sourceName: h, avroName: h, type: types[i]! })),
    }),
    open: (schema) => {
      opened++;
      return batchRows(schema, async (batch: ColumnBatch) => {
        rows.push(...snapshot(batch));
      });
    },
  };
  return { output, rows, opened: () => opened };
}

function snapshot(batch: ColumnBatch): string[][] {
  const out: string[][] = [];
  const cursors = batch.columns.map(() => 0);
  for (let r = 0; r < batch.length; r++) {
    out.push(
      batch.columns.map((v, c) => {
        if (v.valid[r] === 0) return 'null';
        const k = cursors[c]!++;
        switch (v.type) {
          case 'string':
            return Buffer.from(v.bytes.subarray(v.offsets[k]!, v.offsets[k + 1]!)).toString();
          case 'int64':
          case 'timestamp':
            return v.int64At(k).toString();
          case 'double':
            return String(v.f64[k]);
          default:
            return String(v.i32[k]);
        }
      }),
    );
  }
  return out;
}

function csv(header: string, rows: string[]): string {
  return [header, ...rows].join('\n') + '\n';
}

async function run(text: string, chunkSize?: number, convertOptions: ConvertOptions = {}) {
  const rec = recorder();
  const rejects = new RejectSink(() => new MemorySink());
  // A small sample, so that these small inputs exercise a guess made on their first rows only.
  const options = { ...passOptions(convertOptions), sampleBytes: 4096 };
  const result = await firstPass('test.csv', chunks(text, chunkSize), options, rejects, rec.output);
  return { result, rows: rec.rows, opened: rec.opened(), rejects };
}

describe('first pass', () => {
  test('a guess from a sample that is the whole input always holds', async () => {
    const rec = recorder();
    const text = csv('a', ['1', 'x']);
    const result = await firstPass(
      't.csv',
      chunks(text),
      passOptions({}),
      new RejectSink(() => new MemorySink()),
      rec.output,
    );
    expect(result).toMatchObject({ converted: true, types: ['string'] });
    expect(rec.rows).toEqual([['1'], ['x']]);
  });

  test('converts in one pass when the guess holds', async () => {
    const { result, rows } = await run(csv('a,b,c', ['1,x,2024-01-01', '2,y,', '3,,2024-01-03']));
    expect(result.converted).toBe(true);
    expect(result.types).toEqual<ColumnType[]>(['int64', 'string', 'date']);
    expect(rows).toEqual([
      ['1', 'x', '19723'],
      ['2', 'y', 'null'],
      ['3', 'null', '19725'],
    ]);
  });

  test('integers infer as int64 (as DuckDB, Spark and Athena); int32 only where a schema says so', async () => {
    const text = csv('a,b,c', ['1,-2,3000000000', '4,5,6']);
    const inferred = await run(text);
    expect(inferred.result.types).toEqual<ColumnType[]>(['int64', 'int64', 'int64']);
    expect(inferred.result.converted).toBe(true);
    expect(inferred.rows).toEqual([
      ['1', '-2', '3000000000'],
      ['4', '5', '6'],
    ]);
    const pinned = await run(text, undefined, { schema: { columns: { a: 'int32' } } });
    expect(pinned.result.types).toEqual<ColumnType[]>(['int32', 'int64', 'int64']);
  });

  test('59,999 integers then text: the column is text and a second pass is needed', async () => {
    const data = Array.from({ length: 59999 }, (_, i) => `${i},v${i}`);
    data.push('oops,last');
    const { result, opened } = await run(csv('n,s', data));
    expect(result.types).toEqual(['string', 'string']);
    expect(result.converted).toBe(false);
    expect(opened).toBe(1);
    expect(result.rows).toBe(60000);
  });

  test('a late wider number widens int32 to int64 and to double', async () => {
    const data = Array.from({ length: 50000 }, (_, i) => `${i},${i}`);
    data.push('3000000000,1.5');
    const { result } = await run(csv('a,b', data));
    expect(result.types).toEqual(['int64', 'double']);
    expect(result.converted).toBe(false);
  });

  test('a column empty in the sample but numeric later is inferred as a number, not text', async () => {
    const data = Array.from({ length: 50000 }, (_, i) => `${i},`);
    data.push('1,42');
    const { result } = await run(csv('a,b', data));
    expect(result.types).toEqual(['int64', 'int64']);
    expect(result.converted).toBe(false);
  });

  test('a column empty in the sample and text later keeps the single pass', async () => {
    const data = Array.from({ length: 50000 }, (_, i) => `${i},`);
    data.push('1,hello');
    const { result, rows } = await run(csv('a,b', data));
    expect(result.types).toEqual(['int64', 'string']);
    expect(result.converted).toBe(true);
    expect(rows.at(-1)).toEqual(['1', 'hello']);
  });

  test('rejected rows are not converted and are reported with their line', async () => {
    const { result, rows, rejects } = await run(csv('a,b', ['1,2', '3', '"x"y,4', '5,6']));
    expect(result.converted).toBe(true);
    expect(rows).toEqual([
      ['1', '2'],
      ['5', '6'],
    ]);
    expect([...result.rejectedLines]).toEqual([3, 4]);
    expect(rejects.count).toBe(2);
  });

  test('the second pass writes the same rows with the final types', async () => {
    const data = Array.from({ length: 40000 }, (_, i) => `${i},x`);
    data.push('1.5,y');
    const text = csv('a,b', data);
    const { result } = await run(text, 4096);
    expect(result.converted).toBe(false);
    const schema: TableSchema = {
      columns: result.headers.map((h, i) => ({
        name: h,
        sourceName: h,
        avroName: h,
        type: result.types[i]!,
      })),
    };
    const rows: string[][] = [];
    const second = await writePass(
      'test.csv',
      chunks(text, 4096),
      passOptions({}),
      result,
      schema,
      batchRows(schema, async (b) => {
        rows.push(...snapshot(b));
      }),
    );
    expect(second.rows).toBe(40001);
    expect(rows[39999]).toEqual(['39999', 'x']);
    expect(rows[40000]).toEqual(['1.5', 'y']);
  });
});

/** The first pass (converting, with a small sample) and, forced, the second: they must agree. */
async function bothPasses(text: string, chunkSize = 7, convertOptions: ConvertOptions = {}) {
  const first = await run(text, chunkSize, convertOptions);
  const schema: TableSchema = {
    columns: first.result.headers.map((h, i) => ({
      name: h,
      sourceName: h,
      avroName: h,
      type: first.result.types[i]!,
    })),
  };
  const rows: string[][] = [];
  const second = await writePass(
    'test.csv',
    chunks(text, chunkSize),
    passOptions(convertOptions),
    first.result,
    schema,
    batchRows(schema, async (b) => {
      rows.push(...snapshot(b));
    }),
  );
  expect(second.rows).toBe(first.result.rows);
  // When the guess held, the first pass's rows are the output; else the second pass's are.
  if (first.result.converted) expect(rows).toEqual(first.rows);
  return { ...first, rows };
}

describe('blank lines (issue 10 item 4)', () => {
  test('in a one-column file a blank line is a null row, in both passes, at any chunking', async () => {
    for (const size of [1, 3, 64]) {
      const { result, rows } = await bothPasses('v\n1\n\n3\r\n\r\n\n5\n\n', size);
      expect(result.headers).toEqual(['v']);
      expect(rows).toEqual([['1'], ['null'], ['3'], ['null'], ['null'], ['5'], ['null']]);
    }
  });

  test('19,999 empty values are 19,999 null rows; blank lines above the header are skipped', async () => {
    const { result, rows } = await bothPasses(`\n\nv\n${'\n'.repeat(19999)}`, 4096);
    expect(result.headers).toEqual(['v']);
    expect(result.rows).toBe(19999);
    expect(rows.every(([v]) => v === 'null')).toBe(true);
  });

  test('in a wider file blank lines are skipped, and rejects keep their physical line', async () => {
    const { result, rows, rejects } = await bothPasses('a,b\n\n1,2\n\n\n3\n\n4,5\n', 2);
    expect(rows).toEqual([
      ['1', '2'],
      ['4', '5'],
    ]);
    expect([...result.rejectedLines]).toEqual([6]);
    expect(rejects.count).toBe(1);
  });

  test('a quoted empty value is not a blank line: the empty string in a one-column file', async () => {
    const { rows } = await bothPasses('v\nx\n""\n\n');
    expect(rows).toEqual([['x'], [''], ['null']]);
  });
});

describe('header sniffing (issue 10 item 5)', () => {
  test('a headerless file keeps its first row and names its columns column_1…', async () => {
    const { result, rows } = await bothPasses('1,x,2024-01-01\n2,y,2024-01-02\n');
    expect(result.dialect.header).toBe(false);
    expect(result.headers).toEqual(['column_1', 'column_2', 'column_3']);
    expect(rows).toEqual([
      ['1', 'x', '19723'],
      ['2', 'y', '19724'],
    ]);
  });

  test('a header is kept; --header / --no-header force it', async () => {
    expect((await bothPasses('a,b\n1,2\n')).result.dialect.header).toBe(true);
    const forced = await bothPasses('1,2\n3,4\n', 7, { header: true });
    expect(forced.result.headers).toEqual(['1', '2']);
    expect(forced.rows).toEqual([['3', '4']]);
    const off = await bothPasses('a,b\n1,2\n', 7, { header: false });
    expect(off.rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  test('a one-row file: names are a header (no rows), values are a row', async () => {
    const names = await bothPasses('id,name\n');
    expect([names.result.dialect.header, names.result.rows]).toEqual([true, 0]);
    const values = await bothPasses('7,Widget\n');
    expect(values.result.dialect.header).toBe(false);
    expect(values.rows).toEqual([['7', 'Widget']]);
  });

  test('numeric-looking names over text are a header', async () => {
    const { result, rows } = await bothPasses('2023,2024\nup,down\nleft,right\n');
    expect(result.headers).toEqual(['2023', '2024']);
    expect(rows).toHaveLength(2);
  });
});

describe('preamble and comments (issue 10 item 6)', () => {
  test('# lines above a ;-delimited table: skipped, the delimiter found, lines physical', async () => {
    const text = '# exported by x, v2\n# 2024-01-01\na;b\n1;3\n6;7\n8\n9;10\n';
    const { result, rows } = await bothPasses(text, 5);
    expect(result.dialect).toEqual({ delimiter: ';', header: true, skipRows: 2, comment: -1 });
    expect(result.headers).toEqual(['a', 'b']);
    expect(result.types).toEqual(['int64', 'int64']);
    expect(rows).toEqual([
      ['1', '3'],
      ['6', '7'],
      ['9', '10'],
    ]);
    expect([...result.rejectedLines]).toEqual([6]);
  });

  test('a title line with a quote that never closes does not swallow the table', async () => {
    const { result, rows } = await bothPasses('Report "Q3\nid,n\n1,2\n3,4\n', 3);
    expect(result.dialect.skipRows).toBe(1);
    expect(result.headers).toEqual(['id', 'n']);
    expect(rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  test('given skip rows are physical lines, whatever they hold', async () => {
    const { result, rows } = await bothPasses('a,b\n"x\ny",z\nk,v\n1,2\n', 7, { skipRows: 3 });
    expect(result.headers).toEqual(['k', 'v']);
    expect(rows).toEqual([['1', '2']]);
  });

  test('when most rows are rejected, the error says what to try', async () => {
    const text = `a,b\n${Array.from({ length: 30 }, (_, i) => `${i}`).join('\n')}\n`;
    const error = await run(text, 64, { maxRejects: 20, delimiter: ',', skipRows: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MalformedCsvError);
    expect((error as Error).message).toMatch(
      /most rows were rejected.*--delimiter, --skip.*--comment.*--quote none/,
    );
    const { result } = await run(text, 64, { delimiter: ',', skipRows: 0 });
    expect(result.advice).toMatch(/most rows were rejected \(30 of 30\)/);
    expect((await run(csv('a,b', ['1,2', '3']))).result.advice).toBeUndefined();
  });
});

describe('messages that quote data escape control characters (issue 10 item 12)', () => {
  test('a column name with a CR and a value with an escape sequence, in a reject reason', async () => {
    const text = '"id\r",name\n1,a\n"x\u001b[2J",b\n';
    const schema = { columns: { 'id\r': 'int32' as const } };
    const rejects = new RejectSink(() => new MemorySink());
    const options = { ...passOptions({ schema, header: true }), sampleBytes: 4096 };
    const result = await firstPass('t.csv', chunks(text), options, rejects);
    expect(result.rejectedLines.size).toBe(1);
    const reasons: string[] = [];
    const recorder = {
      count: 0,
      add: (_l: number, reason: string) => reasons.push(reason),
      flush: async () => {},
    };
    await firstPass('t.csv', chunks(text), options, recorder as unknown as RejectSink);
    expect(reasons).toEqual(['column "id\\r": "x\\u001b[2J" is not a valid int32']);
  });

  test('quoted() escapes C0 and C1 controls and keeps the rest', () => {
    expect(quoted('a\rb\u001b\u009b\u2028 é"')).toBe('"a\\rb\\u001b\\u009b\\u2028 é\\""');
  });
});

describe('int64 columns that a later decimal widens (issue 10 item 7)', () => {
  const data = (big: string) => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},${i === 5 ? big : 3000000000 + i}`);
    rows.push('3000,1.5'); // past the 4 KiB sample: the guess was int64
    return csv('k,v', rows);
  };

  test('one int64 a double would round in the column: text, not a rounded double, in both passes', async () => {
    const { result, rows } = await bothPasses(data('9007199254740993'), 4096);
    expect(result.types).toEqual(['int64', 'string']);
    expect(result.converted).toBe(false);
    expect(rows[5]).toEqual(['5', '9007199254740993']);
  });

  test('int64s that are doubles exactly widen to double', async () => {
    const { result, rows } = await bothPasses(data('9007199254740994'), 4096);
    expect(result.types).toEqual(['int64', 'double']);
    expect(rows[5]).toEqual(['5', '9007199254740994']);
    expect(rows[3000]).toEqual(['3000', '1.5']);
  });
});
