import { firstPass, passOptions, writePass, type SpeculativeOutput } from '../../../lambdas/core/passes';
import type { ColumnBatch } from '../../../lambdas/core/column-batch';
import { RejectSink } from '../../../lambdas/core/rejects';
import { batchRows } from '../../../lambdas/core/row-sink';
import { MemorySink } from '../../../lambdas/core/sink';
import type { ColumnType, TableSchema } from '../../../lambdas/core/schema';

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

async function run(text: string, chunkSize?: number) {
  const rec = recorder();
  const rejects = new RejectSink(() => new MemorySink());
  // A small sample, so that these small inputs exercise a guess made on their first rows only.
  const options = { ...passOptions({}), sampleBytes: 4096 };
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
    expect(result.types).toEqual<ColumnType[]>(['int32', 'string', 'date']);
    expect(rows).toEqual([
      ['1', 'x', '19723'],
      ['2', 'y', 'null'],
      ['3', 'null', '19725'],
    ]);
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
    expect(result.types).toEqual(['int32', 'int32']);
    expect(result.converted).toBe(false);
  });

  test('a column empty in the sample and text later keeps the single pass', async () => {
    const data = Array.from({ length: 50000 }, (_, i) => `${i},`);
    data.push('1,hello');
    const { result, rows } = await run(csv('a,b', data));
    expect(result.types).toEqual(['int32', 'string']);
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
