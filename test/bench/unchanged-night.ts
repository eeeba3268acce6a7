/*
 * npx tsx test/bench/unchanged-night.ts [--files N] [--root <a checkout of csv2lake>]
 *
 * Two nights of the whole workflow through the local runner over N tiny CSVs in a folder (default 2,000,
 * in 20 dataset folders, and 20 keys that are not CSV): the first converts them, the second finds them all
 * unchanged. Counts, per night, every object store request by kind, every Lambda invocation by state, the
 * child executions started, and prints the report's items and cost estimate: the figures per file scale
 * linearly to 100,000 (a local run of 100,000 real files takes too long). `--root` runs the runner of
 * another checkout (e.g. `git archive` of the commit before the plan, with node_modules linked) for a
 * before/after comparison. Asserts nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ObjectStore } from '../../lambdas/io/object-store';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]! : fallback;
};

interface Counts {
  list: number;
  get: number;
  head: number;
  put: number;
  writers: number;
}

function counting(counts: Counts) {
  return (store: ObjectStore): ObjectStore => ({
    head: (b, k) => (counts.head++, store.head(b, k)),
    get: (b, k, o) => (counts.get++, store.get(b, k, o)),
    list: (b, p, o) => (counts.list++, store.list(b, p, o)),
    put: (b, k, body, o) => (counts.put++, store.put(b, k, body, o)),
    createWriter: (b, k, o) => (counts.writers++, store.createWriter(b, k, o)),
    delete: (b, k) => store.delete(b, k),
    localFile: (b, k) => store.localFile?.(b, k),
  });
}

async function main(): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const files = Number(flag('--files', '2000'));
  const root = resolve(flag('--root', join(__dirname, '../..')));
  const { LocalRunner } = (await import(
    join(root, 'lib/local/runner')
  )) as typeof import('../../lib/local/runner');
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-nights-'));
  for (let i = 0; i < files; i++) {
    const folder = join(dir, 'in', `d${i % 20}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.csv`), `id,amount\n${i},${i}.5\n`);
  }
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'in', `d${i}`, 'README.md'), '# not a CSV');
  console.log(`${files} CSV files and 20 keys that are not CSV; runner of ${root}`);
  for (const night of ['first night (all new)', 'second night (all unchanged)']) {
    const counts: Counts = { list: 0, get: 0, head: 0, put: 0, writers: 0 };
    const invocations: { state: string; key?: string }[] = [];
    const t = performance.now();
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: join(dir, 'in') },
      output: { kind: 'dir', path: join(dir, 'out') },
      invocations: invocations as never,
      wrapStore: counting(counts),
      concurrency: 4,
    });
    const seconds = (performance.now() - t) / 1000;
    const byState: Record<string, number> = {};
    for (const i of invocations) byState[i.state] = (byState[i.state] ?? 0) + 1;
    const children = new Set(invocations.filter((i) => i.key !== undefined).map((i) => i.key)).size;
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8')) as { cost: Record<string, unknown> };
    const { prices: _prices, ...cost } = report.cost;
    console.log(
      `${night}: ${result.status} in ${seconds.toFixed(1)} s; items ${JSON.stringify(result.items)}\n` +
        `  children that ran a converter: ${children}; invocations ${JSON.stringify(byState)}\n` +
        `  store requests ${JSON.stringify(counts)} (${((counts.list + counts.get + counts.head + counts.put + counts.writers) / files).toFixed(2)} per file)\n` +
        `  report's estimate ${JSON.stringify(cost)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
