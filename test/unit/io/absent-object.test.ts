/*
 * isAbsentObject: a GET's not-found on each store (S3's NoSuchKey inside S3ObjectStore's InputMissingError, a
 * folder's ENOENT, the memory store's NoSuchKey), so that a reader of an object that may be absent (a split
 * key's range records and verdict) GETs it without a HEAD first.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import { isAbsentObject, type ObjectStore } from '../../../lambdas/io/object-store';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { MemoryObjectStore } from '../../support/memory-store';

const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));

beforeEach(() => s3.reset());

describe('isAbsentObject', () => {
  test("a GET's not-found on S3, a folder and the memory store is absent; other errors are not", async () => {
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(
      Object.assign(new Error('The specified key does not exist.'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    s3.on(GetObjectCommand, { Key: 'denied' }).rejects(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );
    const folder = new FsObjectStore({ out: mkdtempSync(join(tmpdir(), 'absent-')) });
    const failureOf = (s: ObjectStore, key: string) =>
      s.get('out', key).then(
        () => undefined,
        (e: unknown) => e,
      );

    const s3Gone = await failureOf(store, 'gone');
    const s3Denied = await failureOf(store, 'denied');
    const folderGone = await failureOf(folder, 'a/b.json');
    const memoryGone = await failureOf(new MemoryObjectStore(), 'a/b.json');

    // S3's stays a data error by name (InputMissingError): the NoSuchKey is its cause.
    expect(s3Gone).toMatchObject({ name: 'InputMissingError' });
    expect([s3Gone, folderGone, memoryGone].map(isAbsentObject)).toEqual([true, true, true]);
    expect(isAbsentObject(s3Denied)).toBe(false);
    expect(isAbsentObject(new SyntaxError('Unexpected end of JSON input'))).toBe(false);
  });
});
