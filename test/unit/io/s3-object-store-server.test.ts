/* The S3 store against a real S3 protocol server (fauxqs) on loopback: what a mock cannot show. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { startS3Server, type S3Server } from '../../support/s3-server';

let server: S3Server;
beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket('versions');
});
afterAll(() => server.stop());

const text = async (body: AsyncIterable<Uint8Array>) => {
  const parts: Buffer[] = [];
  for await (const p of body) parts.push(Buffer.from(p));
  return Buffer.concat(parts).toString('utf8');
};

test('get pinned to an ETag reads that version, and refuses another one with InputChangedError', async () => {
  const s3 = server.client();
  const store = new S3ObjectStore(s3);
  await s3.send(new PutObjectCommand({ Bucket: 'versions', Key: 'a.csv', Body: 'x\n1\n' }));
  const v1 = (await store.head('versions', 'a.csv'))!.etag;
  const pinned = await store.get('versions', 'a.csv', { ifMatch: v1 });
  expect(pinned.etag).toBe(v1);
  expect(await text(pinned)).toBe('x\n1\n');
  await s3.send(new PutObjectCommand({ Bucket: 'versions', Key: 'a.csv', Body: 'x\n2\n' }));
  await expect(store.get('versions', 'a.csv', { ifMatch: v1 })).rejects.toMatchObject({
    name: 'InputChangedError',
    message: expect.stringContaining(`is no longer the version ${v1}`),
  });
  const current = await store.get('versions', 'a.csv');
  expect(current.etag).not.toBe(v1);
  expect(await text(current)).toBe('x\n2\n');
});
