/*
 * Shared by the reliability tests: deterministic data whose content can be checked by an independent
 * reader, S3 helpers that talk to the server directly (never through the fault proxy), and the run
 * report's accounting.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { random } from '../bench/generate-csv';
import { type ConditionalS3Proxy, startConditionalS3Proxy } from '../support/conditional-s3-proxy';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { startS3Server, type S3Server } from '../support/s3-server';
import { readAvro, query } from '../support/readers';

export { random };

/** A CSV `id,code` with random hex codes (they hardly compress: outputs are nearly as large as the input). */
export interface BigCsv {
  readonly body: Buffer;
  readonly rows: number;
  /** md5 of the codes joined with ',' in id order, to compare with what a reader gets back. */
  readonly digest: string;
}

/** Builds a {@link BigCsv} of about `bytes` bytes. */
export function bigCsv(bytes: number, seed = 7): BigCsv {
  const rnd = random(seed);
  const lines = ['id,code'];
  const codes: string[] = [];
  let size = 8;
  for (let id = 1; size < bytes; id++) {
    let code = '';
    for (let i = 0; i < 4; i++)
      code += Math.floor(rnd() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0');
    codes.push(code);
    const line = `${id},${code}`;
    lines.push(line);
    size += line.length + 1;
  }
  return {
    body: Buffer.from(lines.join('\n') + '\n'),
    rows: codes.length,
    digest: createHash('md5').update(codes.join(',')).digest('hex'),
  };
}

/** Downloads an object (directly from the server) to a temporary file and returns its path. */
export async function download(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  // Named by extension only: a key's last segment may be longer than a file name can be.
  const path = join(mkdtempSync(join(tmpdir(), 'rel-')), `object${/\.[a-z]+$/.exec(key)?.[0] ?? ''}`);
  writeFileSync(path, Buffer.from(await object.Body!.transformToByteArray()));
  return path;
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: Buffer | string) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Every key of a bucket under a prefix, with size and ETag. */
export async function listAll(
  s3: S3Client,
  bucket: string,
  prefix = '',
): Promise<{ key: string; size: number; etag: string }[]> {
  const out: { key: string; size: number; etag: string }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '' });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * Lists a bucket over and over while a run goes on, remembering every (key, size, ETag) it saw, so a test
 * can check afterwards that no object was ever visible in another state than its final one.
 */
export function watchBucket(s3: S3Client, bucket: string, prefix: string) {
  const seen = new Map<string, Set<string>>();
  let stopped = false;
  let polls = 0;
  const loop = (async () => {
    while (!stopped) {
      for (const o of await listAll(s3, bucket, prefix).catch(() => [])) {
        (seen.get(o.key) ?? seen.set(o.key, new Set()).get(o.key)!).add(`${o.size} ${o.etag}`);
      }
      polls++;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    seen,
    get polls() {
      return polls;
    },
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The final state of each watched key, as `size etag`, from a HEAD. */
export async function finalState(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  return r ? `${r.ContentLength} ${r.ETag}` : undefined;
}

/** report.json of a run, read directly from the output bucket. */
export async function readReport(s3: S3Client, bucket: string, runId: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `_runs/${runId}/report.json` }));
  return JSON.parse(await object.Body!.transformToString()) as {
    status: string;
    items: Record<string, number>;
    files: {
      key: string;
      status: string;
      rows: number;
      errors: { format: string; type: string; message: string }[];
    }[];
    ignoredKeys: string[];
    failures: { key: string; errors: { format: string; type: string; message: string }[] }[];
  };
}

/** Every key of the report (files and ignored keys), sorted; throws when one is there twice. */
export function reportedKeys(report: { files: { key: string }[]; ignoredKeys: string[] }): string[] {
  const keys = [...report.files.map((f) => f.key), ...report.ignoredKeys].sort();
  const duplicates = keys.filter((k, i) => keys[i - 1] === k);
  if (duplicates.length > 0) throw new Error(`keys reported twice: ${duplicates.join(', ')}`);
  return keys;
}

const quote = (path: string) => `'${path.replaceAll("'", "''")}'`;

/** Rows and the digest of the codes of a converted {@link BigCsv}, by DuckDB from the Parquet file. */
export async function parquetDigest(path: string): Promise<{ rows: number; digest: string }> {
  const [r] = await query(
    `SELECT count(*) AS n, md5(string_agg(code, ',' ORDER BY id)) AS d FROM read_parquet(${quote(path)})`,
  );
  return { rows: Number(r!.n), digest: String(r!.d) };
}

/** Rows and the digest of the codes of a converted {@link BigCsv}, by avsc from the Avro file. */
export async function avroDigest(path: string): Promise<{ rows: number; digest: string }> {
  const { rows } = await readAvro(path);
  const codes = rows
    .map((r) => ({ id: Number(r.id), code: String(r.code) }))
    .sort((a, b) => a.id - b.id)
    .map((r) => r.code);
  return { rows: rows.length, digest: createHash('md5').update(codes.join(',')).digest('hex') };
}

/**
 * fauxqs on loopback, the fault proxy in front of it (with the conditional-write proxy between them), and a
 * client that bypasses both proxies.
 */
export interface FaultyS3 {
  server: S3Server;
  proxy: FaultProxy;
  s3: S3Client;
}

/**
 * Starts fauxqs and the fault proxy for a test file (jest hooks: started before all its tests, stopped
 * after them, the proxy's rule cleared after each test), with test credentials and `env` set meanwhile.
 * Between the fault proxy and fauxqs, the conditional-write proxy checks `If-Match` / `If-None-Match` on
 * writes as S3 does (fauxqs stores them unchecked): without it, the two converters of a file that both
 * create a dataset's schema with `If-None-Match: *` would both write it, which S3 never lets happen.
 */
export function useFaultyS3(env: Record<string, string> = {}): FaultyS3 {
  const faulty = {} as FaultyS3;
  let conditional: ConditionalS3Proxy | undefined;
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', ...Object.keys(env)];
  const before = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  beforeAll(async () => {
    faulty.server = await startS3Server({ storageDir: mkdtempSync(join(tmpdir(), 'rel-s3-')) });
    conditional = await startConditionalS3Proxy(faulty.server.endpoint);
    faulty.proxy = await startFaultProxy(conditional.endpoint);
    faulty.s3 = faulty.server.client();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env });
  });
  afterAll(async () => {
    for (const name of Object.keys(env)) {
      if (before[name] === undefined) delete process.env[name];
      else process.env[name] = before[name];
    }
    await faulty.proxy?.stop();
    await conditional?.stop();
    await faulty.server?.stop();
  });
  afterEach(() => faulty.proxy?.setRule(() => undefined));
  return faulty;
}
