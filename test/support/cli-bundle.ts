/*
 * The CLI as users run it: bundled as `npm run build` bundles it (the CLI and its worker scripts), run in a
 * child process with the project's node_modules.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** The entry points `npm run build` bundles, read from package.json (so that a moved worker moves here too). */
function buildEntries(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: { build: string };
  };
  return scripts.build.split(/\s+/).filter((word) => word.endsWith('.ts'));
}

/**
 * Bundles the CLI and its worker scripts as `npm run build` does, into a fresh folder under dist/ (inside
 * the project, where the bundle finds the project's packages as dist/csv2lake.cjs does); returns the folder
 * (its `csv2lake.cjs` is the CLI). `name` tells the folders of tests and benches apart.
 */
export function bundleCliFolder(name = 'test-cli'): string {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const bundle = mkdtempSync(join(root, 'dist', `.${name}-`));
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      ...buildEntries(),
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--packages=external',
      '--sourcemap',
      `--outdir=${bundle}`,
      '--entry-names=[name]',
      '--out-extension:.js=.cjs',
      '--log-level=warning',
    ],
    { cwd: root },
  );
  return bundle;
}

/**
 * Bundles the CLI once ({@link bundleCliFolder}); returns a function that runs it and collects its exit
 * code and output.
 */
export function bundledCli(): (...args: string[]) => { code: number | null; stdout: string; stderr: string } {
  const bundle = bundleCliFolder();
  return (...args) => {
    const result = spawnSync(process.execPath, [join(bundle, 'csv2lake.cjs'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}
