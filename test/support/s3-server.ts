/*
 * A real S3 protocol server on loopback for tests: fauxqs, started in a child process (it is ESM-only and
 * needs Node 22.5+; jest's module registry cannot load it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Server {
  readonly endpoint: string;
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /**
   * Multipart uploads the server holds open (created, neither completed nor aborted), read from its storage
   * folder: fauxqs has no ListMultipartUploads. Only with {@link S3ServerOptions.storageDir}.
   */
  openMultipartUploads(): { bucket: string; key: string; uploadId: string }[];
  stop(): Promise<void>;
}

/** Options of the test server. */
export interface S3ServerOptions {
  /**
   * Keep objects and multipart uploads in this folder (fauxqs' file persistence) instead of in memory, so
   * that tests can see the uploads the server holds open. @default in memory
   */
  readonly storageDir?: string;
}

const CHILD = `
import('fauxqs').then(async ({ startFauxqs }) => {
  const storageDir = process.argv[1] || undefined;
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, ...(storageDir ? { s3StorageDir: storageDir } : {}) });
  process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
  process.stdin.on('end', async () => { await server.stop(); process.exit(0); });
  process.stdin.resume();
});
`;

/** Starts fauxqs on 127.0.0.1 and a random port. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD, options.storageDir ?? ''], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n')) resolve((JSON.parse(line!) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`fauxqs exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () =>
    new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client().send(new CreateBucketCommand({ Bucket: name }));
    },
    openMultipartUploads: () => {
      if (!options.storageDir)
        throw new Error('openMultipartUploads needs the server started with storageDir');
      const dir = join(options.storageDir, '_multipart');
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((id) => existsSync(join(dir, id, '.upload.json')))
        .map(
          (id) => JSON.parse(readFileSync(join(dir, id, '.upload.json'), 'utf8')) as Record<string, string>,
        )
        .map((u) => ({ bucket: u.bucket!, key: u.key!, uploadId: u.uploadId! }));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
