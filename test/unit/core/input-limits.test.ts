/*
 * The input limits (maxFieldBytes, maxRowBytes, maxColumns): what each refuses, with what message, that
 * it refuses before the memory fills, and that each option and default is honoured.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONVERT_DEFAULTS } from '../../../lambdas/core/model/defaults';
import type { ConvertOptions } from '../../../lambdas/core/model/options';
import { InvalidOptionsError, MalformedCsvError } from '../../../lambdas/core/model/errors';
import { inputLimits } from '../../../lambdas/core/run/pass-options';
import { CsvTokenizer } from '../../../lambdas/core/csv/tokenizer';
import { tokenizeToStrings } from '../../../lambdas/core/csv/tokenize-strings';
import { convertFile } from '../../../lambdas/io/convert-file';

const COMMA = 0x2c;
const MiB = 1 << 20;

/** Pushes `text` in chunks of `chunk` bytes (then ends); the error thrown, if any, and the rows seen. */
function tokenize(
  text: string | Buffer,
  options: Partial<ConstructorParameters<typeof CsvTokenizer>[0]>,
  chunk = 7,
) {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const rows: number[] = [];
  const t = new CsvTokenizer({ delimiter: COMMA, ...options }, (p) => {
    for (let r = 0; r < p.rowCount; r++) rows.push(p.rowFieldCount[r]!);
  });
  try {
    for (let at = 0; at < bytes.length; at += chunk) t.push(bytes.subarray(at, at + chunk));
    t.end();
  } catch (error) {
    return { error: error as MalformedCsvError, rows };
  }
  return { error: undefined, rows };
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function convertText(text: string | Buffer, options: ConvertOptions = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'limits-'));
  dirs.push(dir);
  const path = join(dir, 'input.csv');
  await writeFile(path, text);
  return { path, result: convertFile(path, join(dir, 'out'), options) };
}

describe('tokenizer limits', () => {
  test('a field one byte over maxFieldBytes fails with the file, column, line and what to do; one at it passes', () => {
    const text = 'a,b\n1,"12345678"\n2,12345678\n3,"1234""5678"\n';
    const names = ['a', 'b'];
    for (const chunk of [1, 3, 7, 64]) {
      const ok = tokenize(text, { maxFieldBytes: 10 }, chunk);
      expect(ok).toEqual({ error: undefined, rows: [2, 2, 2, 2] });
      // Doubled quotes count as in the file: the last value has 10 bytes there.
      const { error, rows } = tokenize(
        text,
        { maxFieldBytes: 9, source: 'in.csv', columnName: (i) => names[i] },
        chunk,
      );
      expect(rows).toEqual([2, 2, 2]);
      expect(error).toBeInstanceOf(MalformedCsvError);
      expect(error!.message).toBe(
        'in.csv: column "b" of the row starting at line 4 (byte offset 28) has a value longer than 9 bytes: ' +
          'most likely a quote that is never closed; fix the quoting of that row, or raise --max-field-bytes ' +
          'if values are meant to be that long',
      );
      expect(error!.location).toEqual({ line: 4, byteOffset: 28, column: 'b' });
    }
  });

  test('a quote that is never closed fails at the field limit, before the buffer grows much past it', () => {
    const t = new CsvTokenizer({ delimiter: COMMA, maxFieldBytes: 256 * 1024 }, () => undefined);
    t.push(Buffer.from('a,b\n1,"open'));
    let pushed = 0;
    expect(() => {
      for (; pushed < 64; pushed++) t.push(Buffer.alloc(64 * 1024, 0x78));
    }).toThrow(/field 2 of the row starting at line 2 .* longer than 256 KiB/);
    // Checked when the buffer grows, which it does by doubling: it never gets past twice the limit.
    expect(pushed * 64 * 1024).toBeLessThanOrEqual(2 * 256 * 1024);
    expect(t.buffer.length).toBeLessThanOrEqual(2 * 256 * 1024);
  });

  test('a row over maxRowBytes fails even when no field is over the field limit, and when it ends in one chunk', () => {
    const row = Array.from({ length: 30 }, () => 'abcd').join(',');
    const text = `h\n${row}\n`;
    const { error } = tokenize(text, { maxRowBytes: 100, maxFieldBytes: 10 }, 1 << 16);
    expect(error?.message).toMatch(
      /^the row starting at line 2 \(byte offset 2\) is longer than 100 bytes: .*--max-row-bytes/,
    );
    expect(tokenize(text, { maxRowBytes: 149, maxFieldBytes: 10 }).error).toBeUndefined();
  });

  test('a row with more than maxFields fields fails with its line; exactly maxFields passes', () => {
    expect(tokenize('a,b,c\n1,2,3\n', { maxFields: 3 })).toEqual({ error: undefined, rows: [3, 3] });
    const { error, rows } = tokenize('a,b,c\n1,2,3\n4,5,6,7\n', { maxFields: 3 });
    expect(rows).toEqual([3, 3]);
    expect(error?.message).toMatch(
      /^the row starting at line 3 \(byte offset 12\) has more than 3 fields, .*--max-columns/,
    );
  });

  test('a header of a million fields fails before the field arrays grow past twice the limit', () => {
    const t = new CsvTokenizer({ delimiter: COMMA, maxFields: 10_000 }, () => undefined);
    expect(() => t.push(Buffer.alloc(1_000_000, COMMA))).toThrow(/line 1 .* more than 10000 fields/);
    expect(t.fieldStart.length).toBeLessThanOrEqual(2 * 16384);
  });

  test('without limits (sniffing, tests) wide rows and long fields tokenize', () => {
    const wide = tokenizeToStrings(Buffer.from(`${','.repeat(20_000)}\n`), { delimiter: ',' });
    expect(wide.rows[0]!.fields).toHaveLength(20_001);
    const long = tokenizeToStrings(Buffer.from(`"${'x'.repeat(3 * MiB)}"\n`), { delimiter: ',' }, 1 << 16);
    expect(long.rows[0]!.fields[0]).toHaveLength(3 * MiB);
  });
});

describe('conversion limits', () => {
  test('defaults: 16 MiB per field and per row, 4,096 columns; the row limit follows a larger field limit', () => {
    expect(CONVERT_DEFAULTS).toMatchObject({
      maxFieldBytes: 16 * MiB,
      maxRowBytes: 16 * MiB,
      maxColumns: 4096,
    });
    expect(inputLimits({})).toEqual({ maxFieldBytes: 16 * MiB, maxRowBytes: 16 * MiB, maxColumns: 4096 });
    expect(inputLimits({ maxFieldBytes: 40 * MiB })).toEqual({
      maxFieldBytes: 40 * MiB,
      maxRowBytes: 40 * MiB,
      maxColumns: 4096,
    });
    expect(inputLimits({ maxFieldBytes: MiB, maxRowBytes: 2 * MiB, maxColumns: 5 })).toEqual({
      maxFieldBytes: MiB,
      maxRowBytes: 2 * MiB,
      maxColumns: 5,
    });
  });

  test('by default a value over 16 MiB fails the conversion with one line naming the file and column', async () => {
    const { path, result } = await convertText(`id,blob\n1,"${'x'.repeat(16 * MiB + 1)}"\n`);
    const error = (await result.catch((e: unknown) => e)) as MalformedCsvError;
    expect(error).toBeInstanceOf(MalformedCsvError);
    expect(error.name).toBe('MalformedCsvError');
    expect(error.message).toBe(
      `${path}: column "blob" of the row starting at line 2 (byte offset 8) has a value longer than 16 MiB: ` +
        'most likely a quote that is never closed; fix the quoting of that row, or raise --max-field-bytes ' +
        'if values are meant to be that long',
    );
  });

  test('maxFieldBytes is honoured: a value at it converts, one byte more fails', async () => {
    const ok = await convertText(`id,blob\n1,${'x'.repeat(1024)}\n`, { maxFieldBytes: 1024 });
    await expect(ok.result).resolves.toMatchObject({ rows: 1, rejectedRows: 0 });
    const over = await convertText(`id,blob\n1,${'x'.repeat(1025)}\n`, { maxFieldBytes: 1024 });
    await expect(over.result).rejects.toThrow(
      /column "blob" of the row starting at line 2 .* longer than 1 KiB/,
    );
  });

  test('maxRowBytes is honoured', async () => {
    const text = `a,b,c\n${'x'.repeat(400)},${'y'.repeat(400)},${'z'.repeat(400)}\n`;
    await expect((await convertText(text, { maxRowBytes: 1202 })).result).resolves.toMatchObject({ rows: 1 });
    await expect((await convertText(text, { maxRowBytes: 1201, maxFieldBytes: 400 })).result).rejects.toThrow(
      /the row starting at line 2 \(byte offset 6\) is longer than 1201 bytes/,
    );
  });

  test('by default 4,096 columns convert and 4,097 fail on the header', async () => {
    const header = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const ok = await convertText(`${header(4096)}\n${'1,'.repeat(4095)}1\n`);
    await expect(ok.result).resolves.toMatchObject({ rows: 1 });
    const over = await convertText(`${header(4097)}\n${'1,'.repeat(4096)}1\n`);
    await expect(over.result).rejects.toThrow(
      `${over.path}: the row starting at line 1 (byte offset 0) has more than 4096 fields, more columns than a ` +
        'conversion takes: check the delimiter, split the file by columns, or raise --max-columns',
    );
  });

  test('maxColumns is honoured, for data rows too (a row with more fields fails rather than being rejected)', async () => {
    await expect((await convertText('a,b\n1,2\n', { maxColumns: 2 })).result).resolves.toMatchObject({
      rows: 1,
    });
    await expect((await convertText('a,b,c\n1,2,3\n', { maxColumns: 2 })).result).rejects.toThrow(
      /line 1 .* more than 2 fields/,
    );
    await expect((await convertText('a,b\n1,2\n1,2,3\n', { maxColumns: 2 })).result).rejects.toThrow(
      /line 3 .* more than 2 fields/,
    );
  });

  test.each([0, -1, 1.5, Number.NaN])('a limit of %p is refused as an invalid option', async (value) => {
    for (const option of ['maxFieldBytes', 'maxRowBytes', 'maxColumns'] as const) {
      const { result } = await convertText('a\n1\n', { [option]: value });
      await expect(result).rejects.toBeInstanceOf(InvalidOptionsError);
    }
  });
});
