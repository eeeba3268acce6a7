/*
 * Large CSV inputs on an S3 server, for the tests and the benchmark of inputs larger than Lambda's `/tmp`.
 * Generating and uploading a gigabyte through the SDK takes ~40 s on a 2-core VM (the SDK's checksums,
 * the server's MD5); instead, a block of rows of a few MiB is generated and uploaded once, and the object
 * is assembled on the server from copies of it (UploadPartCopy, as S3 does it): a few seconds a gigabyte,
 * and the file is never whole in this process, nor on its disk. A `.gz` is made of gzip members, one per
 * part, as `cat a.gz b.gz` makes them: one valid gzip stream.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** What to put on the server. */
export interface LargeCsvOptions {
  /** Bytes of CSV text, at least (whole blocks of rows are copied). */
  readonly bytes: number;
  /**
   * A row appended at the end, e.g. one whose `amount` is not an integer: a late value that widens a
   * column after the first pass's guess, so that the conversion needs a second pass. @default none
   */
  readonly lastRow?: string;
  /**
   * gzip the text (level 1). The `note` column then holds random base64, which gzip keeps at ~75%: the
   * object stays large. @default false
   */
  readonly gzip?: boolean;
}

/** The header of every generated file. */
export const LARGE_CSV_HEADER = 'id,amount,day,name,note';

/** Bytes of CSV text per copied block (and part): 8 MiB, as fauxqs takes a request body of ~11 MiB at most. */
const BLOCK_BYTES = 8 * 1024 * 1024;

const NAMES = ['Ada', 'Grace', 'Zoë', 'Linus', 'Barbara', 'Dennis', 'Margaret', 'Ken'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'Zürich', 'naïve', 'façade', 'epsilon', 'omega'];

/** About `bytes` of whole rows (the last ends with a newline), and how many. */
export function csvRows(bytes: number, random: boolean): { text: Buffer; rows: number } {
  const noise = random ? randomBytes(Math.ceil(bytes / 2)).toString('base64') : '';
  const rows: string[] = [];
  let size = 0;
  let id = 0;
  while (size < bytes) {
    id++;
    const note = random
      ? noise.slice((id * 64) % (noise.length - 64), ((id * 64) % (noise.length - 64)) + 64)
      : `${WORDS[id % 9]} ${WORDS[(id * 7) % 9]} ${id % 1000}`;
    const day = `2026-${String((id % 12) + 1).padStart(2, '0')}-${String((id % 28) + 1).padStart(2, '0')}`;
    const row = `${id},${(id * 7919) % 100_000},${day},${NAMES[id % 8]},${note}\n`;
    rows.push(row);
    size += Buffer.byteLength(row);
  }
  return { text: Buffer.from(rows.join('')), rows: id };
}

/** What was put. */
export interface UploadedCsv {
  /** Rows of data (the header excluded). */
  readonly rows: number;
  /** Bytes of CSV text. */
  readonly csvBytes: number;
  /** Bytes of the object (compressed, for a `.gz`). */
  readonly objectBytes: number;
  readonly etag: string;
}

/**
 * Puts a CSV of at least `options.bytes` at `bucket/key`: the header and a block of rows, copies of the
 * block, and `lastRow`; a multipart upload of 8 MiB parts.
 */
export async function uploadLargeCsv(
  s3: S3Client,
  bucket: string,
  key: string,
  options: LargeCsvOptions,
): Promise<UploadedCsv> {
  const gzip = options.gzip === true;
  const block = csvRows(BLOCK_BYTES, gzip);
  const pack = (text: Buffer) => (gzip ? gzipSync(text, { level: 1 }) : text);
  const seedKey = `_seed/${key}`;
  const seed = pack(block.text);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: seedKey, Body: seed }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    const put = async (body: Buffer) => {
      const PartNumber = parts.length + 1;
      const r = await s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body }),
      );
      parts.push({ ETag: r.ETag!, PartNumber });
    };
    const first = pack(Buffer.concat([Buffer.from(`${LARGE_CSV_HEADER}\n`), block.text]));
    await put(first);
    let csvBytes = Buffer.byteLength(`${LARGE_CSV_HEADER}\n`) + block.text.length;
    let objectBytes = first.length;
    let rows = block.rows;
    while (csvBytes < options.bytes) {
      const PartNumber = parts.length + 1;
      const r = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber,
          CopySource: `${bucket}/${seedKey}`,
        }),
      );
      parts.push({ ETag: r.CopyPartResult!.ETag!, PartNumber });
      csvBytes += block.text.length;
      objectBytes += seed.length;
      rows += block.rows;
    }
    if (options.lastRow !== undefined) {
      const last = pack(Buffer.from(`${options.lastRow}\n`));
      await put(last);
      csvBytes += Buffer.byteLength(`${options.lastRow}\n`);
      objectBytes += last.length;
      rows++;
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return { rows, csvBytes, objectBytes, etag: done.ETag! };
  } catch (error) {
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
      .catch(() => undefined);
    throw error;
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: seedKey }));
  }
}
