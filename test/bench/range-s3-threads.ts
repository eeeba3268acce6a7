/*
 * One S3 key converted by the deployed converter bundle on 1 vs N threads (issue 12): the stack is
 * synthesized, the converter's asset copied outside the repository and invoked in a fresh process with only
 * what Lambda provides (test/reliability/lambda-bundle.ts), against fauxqs on loopback. Runs interleaved
 * (1, N, 1, N, …), each its own process and output; prints every run and the best of each (wall, CPU seconds
 * of the function's process, all threads, and its peak RSS), with the load average before each run.
 *
 *   npx tsx test/bench/range-s3-threads.ts --mb 300 --format parquet --runs 3 --threads 2
 *
 * What it can show: the CPU and memory that N threads cost on one key, and whether they overlap. What it
 * cannot: Lambda's speed. fauxqs serves every byte from this machine's own cores (it and the function
 * compete for them), and a shared 2-core VM gives no thread a core of its own.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { startS3Server } from '../support/s3-server';
import {
  invoke,
  lambdaRuntimeModules,
  synthesizedConverters,
  workFolder,
} from '../reliability/lambda-bundle';
import { uploadLargeCsv } from '../reliability/large-csv';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

async function main(): Promise<void> {
  const mb = Number(arg('mb', '300'));
  const format = arg('format', 'parquet') as 'parquet' | 'avro';
  const runs = Number(arg('runs', '3'));
  const threads = Number(arg('threads', '2'));
  const work = workFolder();
  const server = await startS3Server();
  try {
    await server.createBucket('bench-in');
    await server.createBucket('bench-out');
    const bundle = synthesizedConverters(work).find((b) => b.format === format)!;
    const runtime = lambdaRuntimeModules(work);
    const key = 'data/orders.csv';
    const csv = await uploadLargeCsv(server.client(), 'bench-in', key, { bytes: mb * 2 ** 20 });
    console.log(
      `${(csv.objectBytes / 1e6).toFixed(0)} MB CSV, ${csv.rows} rows, ${format}, ${runs} run(s) each, ` +
        `1 vs ${threads} threads, interleaved; memory ${bundle.memoryMb} MB as deployed`,
    );
    const best = new Map<number, { ms: number; cpuMs: number; maxRssMB: number }>();
    for (let r = 0; r < runs; r++)
      for (const t of [1, threads]) {
        const load = loadavg()[0]!;
        const runId = `bench-${r}-${t}`;
        const done = await invoke(
          bundle,
          runtime,
          {
            bucket: 'bench-in',
            key,
            etag: csv.etag,
            size: csv.objectBytes,
            run: {
              runId,
              inputBucket: 'bench-in',
              inputPrefix: 'data/',
              outputBucket: 'bench-out',
              // A fresh dataset per run: every run converts, none skips, none meets another's schema.
              outputPrefixes: { [format]: `${runId}/` },
            },
          },
          {
            tmp: join(work, 'tmp'),
            env: { CSV2LAKE_S3_ENDPOINT: server.endpoint, CSV2LAKE_THREADS: String(t) },
            killAfterMs: 1_200_000,
          },
        );
        if (done.error) throw new Error(`${t} thread(s): ${done.error.name}: ${done.error.message}`);
        console.log(
          `  ${t} thread(s): ${(done.ms / 1000).toFixed(1)} s, ${(done.cpuMs / 1000).toFixed(1)} CPU s, ` +
            `${done.maxRssMB} MB peak RSS (load ${load.toFixed(2)} before)`,
        );
        const b = best.get(t);
        best.set(t, {
          ms: Math.min(b?.ms ?? Infinity, done.ms),
          cpuMs: Math.min(b?.cpuMs ?? Infinity, done.cpuMs),
          maxRssMB: Math.max(b?.maxRssMB ?? 0, done.maxRssMB),
        });
      }
    for (const [t, b] of best)
      console.log(
        `best of ${runs}, ${t} thread(s): ${(b.ms / 1000).toFixed(1)} s wall, ${(b.cpuMs / 1000).toFixed(1)} CPU s; ` +
          `highest peak RSS ${b.maxRssMB} MB`,
      );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
