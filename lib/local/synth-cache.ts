import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LocalSettings, SynthesizedWorkflow } from './local-definition';

/**
 * The synthesized (and validated) workflow of earlier runs, kept beside the runner's bundle, like
 * `cdk.out`: synthesis loads aws-cdk-lib and builds the whole stack (~0.5 s with validation), for a
 * definition that only changes with the code, the CDK version and the run's settings, which name the entry.
 * Only the bundle caches (`dist/.synth-cache/`): run from the sources (tests, tsx), the runner always
 * synthesizes. Entries of another build are removed when one is written.
 */
export class SynthCache {
  private constructor(
    private readonly dir: string,
    private readonly build: string,
    private readonly entry: string,
  ) {}

  /** The cache of the bundle at `runner` (the runner module's file), or none when not run from a bundle. */
  static beside(runner: string, settings: LocalSettings): SynthCache | undefined {
    if (!runner.endsWith('.cjs')) return undefined;
    try {
      const cdk = JSON.parse(
        readFileSync(join(dirname(require.resolve('aws-cdk-lib')), 'package.json'), 'utf8'),
      ) as { version: string };
      const build = createHash('sha1').update(readFileSync(runner)).update(cdk.version).digest('hex');
      const entry = createHash('sha1').update(JSON.stringify(settings)).digest('hex');
      return new SynthCache(join(dirname(runner), '.synth-cache'), build.slice(0, 16), entry.slice(0, 16));
    } catch {
      return undefined;
    }
  }

  private get path(): string {
    return join(this.dir, `${this.build}-${this.entry}.json`);
  }

  read(): SynthesizedWorkflow | undefined {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as SynthesizedWorkflow;
    } catch {
      return undefined; // absent, or torn: synthesized again
    }
  }

  /** Best effort: a folder that cannot be written to (a read-only install) only means no cache. */
  write(workflow: SynthesizedWorkflow): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const name of readdirSync(this.dir))
        if (!name.startsWith(`${this.build}-`)) rmSync(join(this.dir, name), { force: true });
      const temp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(workflow));
      renameSync(temp, this.path);
    } catch {
      // no cache
    }
  }
}
