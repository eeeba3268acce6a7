/*
 * What decodeInput makes of the first bytes of a file: gzip and zstd are decompressed, other compressions,
 * archives, Parquet and Avro files and binary files are refused in one line saying what to do (issue 10
 * item 13), and text that merely starts like one of them is read as text.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { UnsupportedEncodingError } from '../../../../lambdas/core/model/errors';
import { decodeInput, type InputInfo } from '../../../../lambdas/core/csv/input';
import type { TextEncoding } from '../../../../lambdas/core/model/options';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { readAvro, readParquetWithDuckDB } from '../../../support/readers';

async function* chunks(bytes: Uint8Array, size = 1 << 16): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function decode(bytes: Uint8Array, encoding: TextEncoding = 'utf-8', size?: number) {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const parts: Uint8Array[] = [];
  for await (const chunk of decodeInput(chunks(bytes, size), encoding, info, 'data/in.csv'))
    parts.push(chunk);
  return { text: Buffer.concat(parts).toString(), info };
}

const zstd = zlib as unknown as {
  zstdCompressSync: (b: Uint8Array) => Buffer;
  createZstdDecompress?: unknown;
};

describe('zstd', () => {
  test('this Node.js (the npm scripts run node_modules/.bin/node, 22.23) decompresses zstd', () => {
    expect(typeof zstd.createZstdDecompress).toBe('function');
  });

  test('a zstd file is decompressed, at any chunking, several MiB too', async () => {
    const text = `id,v\n${Array.from({ length: 300000 }, (_, i) => `${i},value ${i}`).join('\n')}\n`;
    const packed = zstd.zstdCompressSync(Buffer.from(text));
    for (const size of [1, 7, 1 << 16]) {
      const small = size === 1 ? zstd.zstdCompressSync(Buffer.from('a,b\n1,2\n')) : packed;
      const out = await decode(small, 'utf-8', size);
      expect(out.text).toBe(size === 1 ? 'a,b\n1,2\n' : text);
      expect(out.info).toMatchObject({ zstd: true, gzip: false, bytesIn: small.length });
    }
  });

  test('converted end to end, read back by DuckDB and avsc', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zstd-'));
    const path = join(dir, 'orders.csv.zst');
    await writeFile(path, zstd.zstdCompressSync(Buffer.from('id,amount\n1,2.5\n2,\n')));
    const result = await convertFile(path, join(dir, 'out'));
    expect(result.dialect).toMatchObject({ gzip: false, zstd: true });
    expect(result.columns).toEqual([
      { name: 'id', type: 'int64' },
      { name: 'amount', type: 'double' },
    ]);
    expect((await readParquetWithDuckDB(result.outputs.parquet!)).rows).toEqual([
      ['1', 2.5],
      ['2', null],
    ]);
    expect((await readAvro(result.outputs.avro!)).rows).toEqual([
      { id: 1n, amount: 2.5 },
      { id: 2n, amount: null },
    ]);
  });

  test('without a zstd decompressor (Node.js before 22.15) the file is refused saying so', async () => {
    const packed = zstd.zstdCompressSync(Buffer.from('a,b\n1,2\n'));
    let input: typeof import('../../../../lambdas/core/csv/input') | undefined;
    jest.isolateModules(() => {
      jest.doMock('node:zlib', () => ({
        ...jest.requireActual('node:zlib'),
        createZstdDecompress: undefined,
      }));
      input = jest.requireActual<typeof import('../../../../lambdas/core/csv/input')>(
        '../../../../lambdas/core/csv/input',
      );
    });
    jest.dontMock('node:zlib');
    expect(input!.zstdAvailable()).toBe(false);
    const info: InputInfo = { gzip: false, bytesIn: 0 };
    const read = async () => {
      for await (const _ of input!.decodeInput(chunks(packed), 'utf-8', info, 'data/in.csv')) void _;
    };
    await expect(read()).rejects.toThrow(
      /^data\/in\.csv is a zstd file and this Node\.js \(v[\d.]+\) cannot decompress zstd .*zstd -dk in\.csv\)$/u,
    );
  });
});

describe('formats csv2lake does not read are refused by their magic bytes', () => {
  const junk = Buffer.from([0x00, 0x13, 0x88, 0xff, 0x41, 0x42]);
  test.each([
    [
      'bzip2',
      Buffer.concat([Buffer.from('BZh9'), Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]), junk]),
      'a bzip2 file',
      'bunzip2 -k in.csv',
    ],
    [
      'xz',
      Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), junk]),
      'an xz file',
      'xz -dk in.csv',
    ],
    ['zip', Buffer.concat([Buffer.from('PK\x03\x04'), junk]), 'a zip file', 'unzip in.csv'],
    [
      '7z',
      Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), junk]),
      'a 7z file',
      '7z x in.csv',
    ],
    ['lz4', Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), junk]), 'an lz4 file', 'lz4 -d in.csv'],
    [
      'Parquet',
      Buffer.concat([Buffer.from('PAR1'), Buffer.from([0x15, 0x04]), junk]),
      'a Parquet file',
      'nothing to convert',
    ],
    ['Avro', Buffer.concat([Buffer.from('Obj\x01'), junk]), 'an Avro file', 'nothing to convert'],
  ])('%s', async (_, bytes, what, advice) => {
    // Whatever the encoding: --encoding latin1 must not "convert" them either.
    for (const encoding of ['utf-8', 'latin1'] as const) {
      const error = (await decode(bytes, encoding).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(UnsupportedEncodingError);
      expect(
        error.message.startsWith(`data/in.csv is ${what}: csv2lake reads plain, gzip or zstd CSV; `),
      ).toBe(true);
      expect(error.message).toContain(advice);
      expect(error.message).not.toContain('\n');
    }
  });

  test('text that only starts like one of them is text', async () => {
    for (const text of ['BZh,x\n1,2\n', 'BZh9,x\n1,2\n', 'PAR1,b\n1,2\n', 'PK,n\n1,2\n', 'Obj,x\n1,2\n']) {
      expect((await decode(Buffer.from(text))).text).toBe(text);
    }
  });
});

describe('binary files', () => {
  test('a start that is mostly control bytes is a binary file, whatever the encoding; a few NULs are data', async () => {
    const binary = Buffer.concat([
      Buffer.from('a,b\n1,2\n'),
      Buffer.from([0, 0, 7, 27, ...Array(20).fill(1)]),
    ]);
    for (const encoding of ['utf-8', 'latin1', 'windows-1252'] as const) {
      await expect(decode(binary, encoding)).rejects.toThrow(
        'data/in.csv is not CSV text: 24 of its first 32 bytes are control characters such as NUL (the first at byte offset 8), so it is a binary file',
      );
    }
    const utf16 = Buffer.from('id,name\n1,Ada\n2,Grace\n', 'utf16le');
    await expect(decode(utf16)).rejects.toThrow(
      /control characters such as NUL \(the first at byte offset 1\).*UTF-16 without a byte order mark/u,
    );
    const gz = zlib.gzipSync(binary);
    await expect(decode(gz)).rejects.toThrow(
      '24 of its first 32 bytes (decompressed) are control characters',
    );
    // NULs inside fields of a text file, as database exports have them: kept.
    const sparse = Buffer.from('id,text\n1,a\0b\n2,"\0"\n3,\0\0\0\n4,plain\n');
    expect((await decode(sparse)).text).toBe(sparse.toString());
    // Past the first 64 KiB, control bytes are data too.
    const late = Buffer.concat([Buffer.from(`a\n${'x\n'.repeat(40000)}`), Buffer.alloc(100)]);
    expect((await decode(late)).text.length).toBe(late.length);
  });
});
