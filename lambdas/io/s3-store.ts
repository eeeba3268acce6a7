import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { ObjectStore } from './object-store';

/**
 * An S3 object store with a keep-alive client ({@link createS3Client}), its module loaded on first use:
 * the AWS SDK takes ~90 ms of CPU to load, which a process that only touches folders (each converter
 * thread of a local run, and the runner itself) need not pay. In a bundle, esbuild initializes a module
 * reached only through `require` when it is first required.
 */
export function s3ObjectStore(config: S3ClientConfig): ObjectStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  const s3 = require('./s3-object-store') as typeof import('./s3-object-store');
  return new s3.S3ObjectStore(s3.createS3Client(config));
}
