/*
 * npx tsx test/bench/large-input-bench.ts [--mb N] [--formats parquet,avro] [--passes 1,2] [--gzip]
 *   [--tmp tmpfs | <folder>] [--storage memory|disk] [--repeat N] [--converter-cpus <list>]
 *
 * One conversion of a large input from S3 (fauxqs on loopback) by each converter function as deployed: the
 * stack is synthesized, each converter's asset copied outside the repository and invoked in a fresh Node
 * process with only what Lambda provides (see test/reliability/lambda-bundle.ts). Prints, per conversion,
 * the handler's time, the process's peak RSS and CPU time, and the most bytes it had in /tmp at once.
 * - `--mb`: MB (10^6) of CSV text (default 1000); `--gzip`: the object is gzip (level 1) of it;
 * - `--passes 2`: the file ends with a row whose `amount` is 1.5, after the first pass's guess (int64):
 *   the conversion reads the file twice;
 * - `--tmp tmpfs` (default when permitted): /tmp is a 512 MiB tmpfs, as Lambda's default; `--tmp <folder>`:
 *   CSV2LAKE_SPOOL_DIR and TMPDIR point at a folder on disk, unlimited (to measure a version that spools);
 * - `--storage disk`: fauxqs keeps objects in files (default: in memory);
 * - `--converter-cpus 1`: the function runs on CPU 1 only (`taskset`); run the bench itself with
 *   `taskset -c 0` so that fauxqs, its child, has the other core, as S3 is not on the function's cores.
 * Asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  invoke,
  lambdaRuntimeModules,
  synthesizedConverters,
  tmpfsAvailable,
  workFolder,
} from '../reliability/lambda-bundle';
import { uploadLargeCsv } from '../reliability/large-csv';
import { startS3Server } from '../support/s3-server';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]! : fallback;
};
const mb = Number(option('--mb', '1000'));
const formats = option('--formats', 'parquet,avro').split(',');
const passes = option('--passes', '1,2').split(',').map(Number);
const gzip = args.includes('--gzip');
const repeat = Number(option('--repeat', '1'));
const tmp = option('--tmp', tmpfsAvailable() ? 'tmpfs' : join(tmpdir(), 'csv2lake-bench-tmp'));
const storage = option('--storage', 'memory');
const cpus = args.includes('--converter-cpus') ? option('--converter-cpus', '') : undefined;

/**
 * CPU seconds the S3 server's process has used (it shares this machine's cores with the function, which
 * S3 does not on AWS): found by its listening port, read from /proc. Undefined where either is missing.
 */
function serverCpuSeconds(endpoint: string): number | undefined {
  try {
    const port = new URL(endpoint).port;
    const listing = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(listing)?.[1];
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const work = workFolder();
  const storageDir = storage === 'disk' ? mkdtempSync(join(work, 'fauxqs-')) : undefined;
  const server = await startS3Server(storageDir ? { storageDir } : {});
  try {
    const s3 = server.client();
    await server.createBucket('bench-in');
    await server.createBucket('bench-out');
    const bundles = synthesizedConverters(work).filter((b) => formats.includes(b.format));
    const runtime = lambdaRuntimeModules(work);
    console.log(
      `node ${process.version}; ${mb} MB of CSV${gzip ? ', gzip' : ''}; /tmp: ${tmp === 'tmpfs' ? '512 MiB tmpfs' : tmp}; ` +
        `fauxqs storage: ${storage}; load average ${(await import('node:os'))
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    for (const n of passes) {
      const key = `data/bench-${n}.csv${gzip ? '.gz' : ''}`;
      const t0 = performance.now();
      const uploaded = await uploadLargeCsv(s3, 'bench-in', key, {
        bytes: mb * 1e6,
        gzip,
        ...(n === 2 ? { lastRow: '0,1.5,2026-01-01,Late,widens amount to double' } : {}),
      });
      console.log(
        `generated and uploaded ${(uploaded.csvBytes / 1e6).toFixed(0)} MB (object ${(uploaded.objectBytes / 1e6).toFixed(0)} MB, ` +
          `${uploaded.rows} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      for (const bundle of bundles) {
        for (let r = 0; r < repeat; r++) {
          const event = {
            bucket: 'bench-in',
            key,
            etag: uploaded.etag,
            size: uploaded.objectBytes,
            run: {
              runId: `bench-${Date.now()}`,
              inputBucket: 'bench-in',
              inputPrefix: 'data/',
              outputBucket: 'bench-out',
              outputPrefixes: { [bundle.format]: `${bundle.format}/` },
            },
          };
          const serverBefore = serverCpuSeconds(server.endpoint);
          const run = await invoke(bundle, runtime, event, {
            tmp,
            env: { CSV2LAKE_S3_ENDPOINT: server.endpoint },
            ...(cpus ? { cpus } : {}),
          });
          const serverAfter = serverCpuSeconds(server.endpoint);
          const serverCpu =
            serverBefore !== undefined && serverAfter !== undefined
              ? `  fauxqs ${(serverAfter - serverBefore).toFixed(1)} s CPU`
              : '';
          const outcome = run.error
            ? `${run.error.name}: ${run.error.message.slice(0, 160)}`
            : `${String(run.result?.status)}, ${String(run.result?.rows)} rows`;
          console.log(
            `${bundle.format.padEnd(8)} ${n} pass${n > 1 ? 'es' : '  '}  ${(run.ms / 1000).toFixed(1).padStart(6)} s  ` +
              `${String(run.maxRssMB).padStart(5)} MB RSS  ${(run.cpuMs / 1000).toFixed(1).padStart(6)} s CPU  ` +
              `/tmp peak ${(run.tmpPeakBytes / 2 ** 20).toFixed(0).padStart(4)} MiB${serverCpu}  ${outcome}`,
          );
          await s3.send(
            new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
              Bucket: 'bench-out',
              Key: `_schemas/bench-${n}.json`,
            }),
          );
        }
      }
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
