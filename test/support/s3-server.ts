/*
 * A real S3 protocol server on loopback for tests: fauxqs, started in a child process (it is ESM-only and
 * needs Node 22.5+; jest's module registry cannot load it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Server {
  readonly endpoint: string;
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const CHILD = `
import('fauxqs').then(async ({ startFauxqs }) => {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
  process.stdin.on('end', async () => { await server.stop(); process.exit(0); });
  process.stdin.resume();
});
`;

/** Starts fauxqs on 127.0.0.1 and a random port. */
export async function startS3Server(): Promise<S3Server> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
