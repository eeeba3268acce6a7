/*
 * The converter functions as Lambda runs them, for tests and benchmarks: the stack is synthesized (its
 * bundling, as deployed), each converter's asset is copied outside the repository, and an invocation runs
 * in a fresh Node process that sees only what Lambda gives a function: the asset, the AWS SDK as the
 * runtime provides it (NODE_PATH, a copy of the SDK's packages, nothing else of the project), the
 * function's environment from the template plus Lambda's own variables, and a `/tmp` of Lambda's default
 * 512 MiB: a tmpfs mounted in a private mount namespace of the process (root and `unshare` needed), else a
 * folder whose use is measured (`CSV2LAKE_SPOOL_DIR` and `TMPDIR` point at it).
 */
import { App } from 'aws-cdk-lib';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineStack } from '../../lib/pipeline-stack';

/** The project's folder. */
const ROOT = join(__dirname, '../..');

/** Lambda's default ephemeral storage, MiB. */
export const LAMBDA_TMP_MIB = 512;

/** One converter function of the synthesized stack, its asset copied outside the repository. */
export interface ConverterBundle {
  readonly format: 'parquet' | 'avro';
  /** The copied asset (`index.js`, its `node_modules` with the snappy addon). */
  readonly dir: string;
  /** The function's environment variables as the template sets them (plain strings only). */
  readonly environment: Readonly<Record<string, string>>;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/**
 * A folder outside the repository and outside `/tmp` (which an invocation's own tmpfs hides), with no
 * `node_modules` on the way up.
 */
export function workFolder(): string {
  const base = existsSync('/var/tmp') ? '/var/tmp' : ROOT + '/..';
  const dir = mkdtempSync(join(base, 'csv2lake-lambda-'));
  for (let up = dir; up !== '/'; up = join(up, '..'))
    if (existsSync(join(up, 'node_modules')))
      throw new Error(`${up}/node_modules would be on the module path`);
  return dir;
}

/**
 * Synthesizes the stack with its real bundling and copies each converter's asset into `dest`. A converter
 * is a function whose Powertools service name is `ParquetConverter` or `AvroConverter`.
 */
export function synthesizedConverters(dest: string): ConverterBundle[] {
  const app = new App({ context: { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true } });
  const stack = new PipelineStack(app, 'Csv2Lake', { env: { account: '123456789012', region: 'eu-west-1' } });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  };
  const bundles: ConverterBundle[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties;
    const variables = (p.Environment?.Variables ?? {}) as Record<string, unknown>;
    const format = /^(Parquet|Avro)Converter$/.exec(String(variables.POWERTOOLS_SERVICE_NAME))?.[1];
    if (!format) continue;
    const hash = String(p.Code.S3Key).replace(/\.zip$/, '');
    const dir = join(dest, `${format.toLowerCase()}-function`);
    // The CDK removes its temporary output folder when the process exits: copied now.
    cpSync(join(assembly.directory, `asset.${hash}`), dir, { recursive: true });
    bundles.push({
      format: format.toLowerCase() as 'parquet' | 'avro',
      dir,
      environment: Object.fromEntries(
        Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
      memoryMb: Number(p.MemorySize),
      timeoutSeconds: Number(p.Timeout),
    });
  }
  return bundles.sort((a, b) => a.format.localeCompare(b.format));
}

/**
 * Copies the packages Lambda's Node.js runtime provides and the bundles leave external (the AWS SDK's S3
 * client and everything it depends on) into `<dest>/runtime/node_modules`, the folder to give as
 * NODE_PATH, as Lambda gives `/var/runtime/node_modules`.
 */
export function lambdaRuntimeModules(
  dest: string,
  roots: readonly string[] = ['@aws-sdk/client-s3'],
): string {
  const modules = join(dest, 'runtime/node_modules');
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    // Nested first (a package's own node_modules, copied with it), else hoisted to the root.
    const nested = join(from, 'node_modules', name);
    if (existsSync(nested)) return;
    if (seen.has(name)) return;
    const dir = join(ROOT, 'node_modules', name);
    if (!existsSync(join(dir, 'package.json'))) throw new Error(`${name} is not installed`);
    seen.add(name);
    cpSync(dir, join(modules, name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir);
  };
  for (const root of roots) visit(root, join(ROOT, 'node_modules', '.none'));
  return modules;
}

/** Whether this process may give a child its own `/tmp` tmpfs (root, `unshare`, mounts permitted). */
export function tmpfsAvailable(): boolean {
  const probe = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /tmp'],
    { stdio: 'ignore', timeout: 10_000 },
  );
  return probe.status === 0;
}

/** The script the fresh process runs: load the asset, invoke once, write what happened to a file. */
const RUNNER = `
'use strict';
const { readdirSync, statSync, statfsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [asset, eventFile, resultFile, tmp, mode, timeoutMs] = process.argv.slice(2);
function used() {
  if (mode === 'tmpfs') { const s = statfsSync(tmp); return (s.blocks - s.bfree) * s.bsize; }
  let total = 0;
  const walk = (dir) => { for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try { if (e.isDirectory()) walk(p); else total += statSync(p).size; } catch {}
  } };
  walk(tmp);
  return total;
}
const base = used();
let peak = 0;
const watch = setInterval(() => { peak = Math.max(peak, used() - base); }, 50);
const deadline = Date.now() + Number(timeoutMs);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const started = performance.now();
const finish = (outcome) => {
  clearInterval(watch);
  peak = Math.max(peak, used() - base);
  const usage = process.resourceUsage();
  writeFileSync(resultFile, JSON.stringify({ ...outcome, ms: Math.round(performance.now() - started),
    maxRssMB: Math.round(usage.maxRSS / 1024), cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    tmpPeakBytes: peak, tmpMode: mode }));
  process.exit(0);
};
Promise.resolve()
  .then(() => require(join(asset, 'index.js')).handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() }))
  .then((result) => finish({ result }), (error) => finish({ error: { name: error.name, message: error.message } }));
`;

/** What one invocation did. */
export interface Invocation {
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly name: string; readonly message: string };
  /** Milliseconds the handler took (module load excluded). */
  readonly ms: number;
  /** Peak resident set size of the process, MB. */
  readonly maxRssMB: number;
  readonly cpuMs: number;
  /** The most bytes the invocation had in its `/tmp` (or the measured folder) at once. */
  readonly tmpPeakBytes: number;
  readonly tmpMode: 'tmpfs' | 'folder';
  /** The process's stdout and stderr (the function's logs). */
  readonly logs: string;
}

/** Options of {@link invoke}. */
export interface InvokeOptions {
  /** Extra environment (e.g. `CSV2LAKE_S3_ENDPOINT`), over the function's own. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * `/tmp` as Lambda's default: `'tmpfs'` a 512 MiB tmpfs on `/tmp` (see {@link tmpfsAvailable}); a path, a
   * folder given as `CSV2LAKE_SPOOL_DIR` and `TMPDIR`, whose use is measured (and not limited).
   */
  readonly tmp: 'tmpfs' | string;
  /** The function's time limit as `getRemainingTimeInMillis` counts it down. @default the function's timeout */
  readonly timeoutMs?: number;
  /** The process is killed after this long. @default timeoutMs + 30 s */
  readonly killAfterMs?: number;
  /**
   * CPUs the process may run on (`taskset -c` syntax, e.g. `1`): benchmarks keep the function off the
   * S3 server's core, as S3 is on AWS. @default any
   */
  readonly cpus?: string;
}

/**
 * Invokes a converter bundle once with `event`, in a fresh Node process (this one's binary) that has no
 * project folder on its module path.
 */
export async function invoke(
  bundle: ConverterBundle,
  runtimeModules: string,
  event: unknown,
  options: InvokeOptions,
): Promise<Invocation> {
  const scratch = mkdtempSync(join(runtimeModules, '../../invocation-'));
  const runner = join(scratch, 'runner.js');
  const eventFile = join(scratch, 'event.json');
  const resultFile = join(scratch, 'result.json');
  writeFileSync(runner, RUNNER);
  writeFileSync(eventFile, JSON.stringify(event));
  const timeoutMs = options.timeoutMs ?? bundle.timeoutSeconds * 1000;
  const tmpfs = options.tmp === 'tmpfs';
  if (!tmpfs) mkdirSync(options.tmp, { recursive: true });
  const env: Record<string, string> = {
    // What Lambda's Node.js runtime sets.
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: runtimeModules,
    LAMBDA_TASK_ROOT: bundle.dir,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `csv2lake-${bundle.format}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(bundle.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...bundle.environment,
    ...(tmpfs ? {} : { CSV2LAKE_SPOOL_DIR: options.tmp, TMPDIR: options.tmp }),
    ...options.env,
  };
  const node = [process.execPath, runner, bundle.dir, eventFile, resultFile];
  const args = [tmpfs ? '/tmp' : options.tmp, tmpfs ? 'tmpfs' : 'folder', String(timeoutMs)];
  const [command, argv] = tmpfs
    ? [
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          `mount -t tmpfs -o size=${LAMBDA_TMP_MIB}m tmpfs /tmp && exec "$@"`,
          'sh',
          ...node,
          ...args,
        ],
      ]
    : [node[0]!, [...node.slice(1), ...args]];
  const launched =
    options.cpus === undefined ? [command, argv] : ['taskset', ['-c', options.cpus, command, ...argv]];
  const child = spawn(launched[0] as string, launched[1] as string[], {
    cwd: bundle.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let logs = '';
  const keep = (chunk: Buffer) => {
    // The last 64 KiB is enough to say what went wrong.
    logs = (logs + chunk.toString()).slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killAfter = options.killAfterMs ?? timeoutMs + 30_000;
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, killAfter);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  try {
    if (killed) throw new Error(`the invocation was killed after ${killAfter} ms:\n${logs}`);
    if (!existsSync(resultFile))
      throw new Error(`the invocation exited with ${code} and no result:\n${logs}`);
    return { ...(JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<Invocation, 'logs'>), logs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
