/*
 * npx tsx test/bench/lake-requests.ts [files] [--root <checkout>]
 *
 * Counts the object-store requests of local runs over N small CSV files, in one dataset folder and at the
 * top level (N one-file datasets), a first night and an unchanged second night: a store wrapper counts
 * every call by method and area (input, output, _runs/). --root runs another checkout's runner (before /
 * after comparisons). Prints requests per file; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const at = args.indexOf('--root');
const root = at >= 0 ? resolve(args[at + 1]!) : resolve(__dirname, '../..');
const n = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--root') ?? 200);
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** A store whose every call is counted as `<method>:<area>` (localFile is a path lookup, not a request). */
function counting(counts: Record<string, number>) {
  return (store: any) =>
    new Proxy(store, {
      get(target, prop) {
        const value = target[prop];
        if (typeof value !== 'function') return value;
        return (...a: any[]) => {
          const key = String(a[1] ?? '');
          const area = key.startsWith('_runs/')
            ? 'runs'
            : String(a[0]).includes('input')
              ? 'input'
              : 'output';
          if (prop !== 'localFile')
            counts[`${String(prop)}:${area}`] = (counts[`${String(prop)}:${area}`] ?? 0) + 1;
          return value.apply(target, a);
        };
      },
    });
}

async function main(): Promise<void> {
  const { LocalRunner } = await import(join(root, 'lib/local/runner.ts'));
  for (const layout of ['folder', 'top']) {
    const dir = mkdtempSync(join(tmpdir(), 'lake-requests-'));
    const input = join(dir, 'in');
    for (let i = 0; i < n; i++) {
      const key = layout === 'folder' ? `orders/d${i}.csv` : `d${i}.csv`;
      mkdirSync(join(input, key, '..'), { recursive: true });
      writeFileSync(join(input, key), `id,amount,note\n${i},${i}.5,x\n${i + 1},2,\n`);
    }
    for (const night of [1, 2]) {
      const counts: Record<string, number> = {};
      const started = Date.now();
      const result = await LocalRunner.run({
        input: { kind: 'dir', path: input },
        output: { kind: 'dir', path: join(dir, 'out') },
        wrapStore: counting(counts),
        concurrency: 8,
      });
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      console.log(
        `${layout === 'folder' ? 'one dataset folder' : `${n} top-level files`}, night ${night}: ${result.status} ` +
          `${JSON.stringify(result.items)} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `${(total / n).toFixed(2)} requests/file ${JSON.stringify(Object.fromEntries(Object.entries(counts).sort()))}`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
