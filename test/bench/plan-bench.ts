/*
 * npx tsx test/bench/plan-bench.ts [--keys N] [--changed N]
 *
 * The planner and the reducer alone over a synthetic input prefix of N keys (default 100,000; see
 * synthetic-lake.ts), each in its own process with a 900 MB heap (as in a 1,024 MB function), for:
 * - an unchanged night: an earlier night's inventory names every key at its listed ETag (with --changed N,
 *   N keys changed since: a usual night);
 * - a first night: no inventory, every key planned (the planner only: that night's reduction is the one of
 *   converted files, measured by `npm run bench:reliability -- --only reduce`).
 * Prints time, CPU, peak RSS, S3 requests by kind, and the report's items and cost estimate. Asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SyntheticLakeStore } from './synthetic-lake';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const root = resolve(__dirname, '../..');
const run = {
  runId: 'bench-night',
  inputBucket: 'in',
  inputPrefix: 'landing/',
  outputBucket: 'out',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  layout: { root: 'landing/', pattern: '{dataset}/**/{file}' },
};

interface ChildOptions {
  readonly part: 'plan' | 'reduce';
  readonly keys: number;
  readonly changed: number;
  readonly inventory: boolean;
  readonly dir: string;
}

/** The head of report.json (its small fields come before the per-key lists). */
function reportHead(store: SyntheticLakeStore): { items: unknown; cost: Record<string, unknown> } {
  const fd = openSync(join(store.dir, encodeURIComponent(`_runs/${run.runId}/report.json`)), 'r');
  const buffer = Buffer.alloc(1 << 16);
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  closeSync(fd);
  const text = buffer.subarray(0, n).toString('utf8');
  const field = (name: string) =>
    JSON.parse(new RegExp(`\\n  "${name}": (.*)`).exec(text)![1]!.replace(/,$/, ''));
  return { items: field('items'), cost: field('cost') };
}

async function child(options: ChildOptions): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const store = new SyntheticLakeStore(run, options);
  const baseRssMb = process.memoryUsage().rss / 1e6;
  const cpu = process.cpuUsage();
  const t = performance.now();
  let result: unknown;
  if (options.part === 'plan') {
    const { createPlanHandler } = await import('../../lambdas/handlers/plan');
    result = await createPlanHandler({ store, env: {} })({ run });
  } else {
    const { createReduceHandler } = await import('../../lambdas/handlers/reduce');
    const reduced = await createReduceHandler({ store, env: {} })({
      run,
      mapResults: [{}],
      final: 'ifNoneFailed',
    });
    result = {
      ...reportHead(store),
      inventoryMb: store.size(`_state/inventory/in/landing/inventory.jsonl`) / 1e6,
      status: reduced.status,
    };
  }
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      seconds: (performance.now() - t) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      baseRssMb,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      requests: store.requests,
      maxLead: store.maxLead,
      result,
    }),
  );
}

function inChild(options: ChildOptions): Record<string, any> | undefined {
  const out = spawnSync(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), __filename, '--child', JSON.stringify(options)],
    {
      encoding: 'utf8',
      timeout: 60 * 60_000,
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=900' },
      maxBuffer: 1 << 24,
    },
  );
  try {
    return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as Record<string, any>;
  } catch {
    console.log(`failed (${out.signal ?? out.status}): ${out.stderr.slice(-600)}`);
    return undefined;
  }
}

function line(label: string, f: Record<string, any> | undefined): void {
  if (!f) return;
  const r = f.requests as Record<string, number>;
  console.log(
    `${label}: ${f.seconds.toFixed(1)} s, CPU ${f.cpuSeconds.toFixed(1)} s, peak RSS ${f.peakRssMb.toFixed(0)} MB ` +
      `(${f.baseRssMb.toFixed(0)} before), S3 LIST ${r.list} GET ${r.get} HEAD ${r.head} PUT ${r.put}` +
      `${label.includes('plan') ? `, inventory read ahead of the listing by at most ${f.maxLead} lines` : ''}` +
      `\n    ${JSON.stringify(f.result)}`,
  );
}

async function main(): Promise<void> {
  const at = args.indexOf('--child');
  if (at >= 0) return child(JSON.parse(args[at + 1]!) as ChildOptions);
  const keys = flag('--keys', 100_000);
  const changed = flag('--changed', 0);
  for (const inventory of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'csv2lake-plan-bench-'));
    const night = inventory
      ? changed
        ? `a night with ${changed} changed`
        : 'an unchanged night'
      : 'a first night';
    console.log(`${night}, ${keys} keys:`);
    line('  plan', inChild({ part: 'plan', keys, changed, inventory, dir }));
    // A first night's reduction is the one of converted files (bench:reliability -- --only reduce).
    if (inventory) line('  reduce', inChild({ part: 'reduce', keys, changed, inventory, dir }));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
