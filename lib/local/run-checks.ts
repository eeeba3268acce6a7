/*
 * What a new local run checks before anything runs, and the id it gets.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { checkOutputOutsideInput, parseKeyPattern } from '../../lambdas/lake/layout';
import type { Location } from './stores';

/** A location as a bucket and prefix, for {@link checkOutputOutsideInput} (a folder: no bucket, its path). */
function asPrefix(location: Location): { bucket: string; prefix: string } {
  return location.kind === 's3'
    ? { bucket: location.bucket, prefix: location.prefix }
    : { bucket: '', prefix: `${location.path.replace(/\/+$/, '')}/` };
}

/**
 * The input folder, checked before anything runs: a missing one, a file, or one that cannot be read gave
 * a SUCCEEDED run of 0 files.
 */
function checkInputFolder(location: Location): void {
  if (location.kind !== 'dir') return;
  let s;
  try {
    s = statSync(location.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `the input folder ${location.path} does not exist`
        : `the input folder ${location.path} cannot be read (${code})`,
      { cause: error },
    );
  }
  if (!s.isDirectory())
    throw new Error(`the input ${location.path} is not a folder: give the folder that holds the CSV files`);
  try {
    readdirSync(location.path);
  } catch (error) {
    throw new Error(
      `the input folder ${location.path} cannot be read (${(error as NodeJS.ErrnoException).code}): make it ` +
        'readable and searchable (chmod u+rx) by the user that runs csv2lake',
      { cause: error },
    );
  }
}

/**
 * Checks a new run's input (a folder that can be read), that its output is outside it, and its dataset
 * pattern.
 * @throws Error saying what is wrong and what to do
 */
export function checkNewRun(options: {
  readonly input: Location;
  readonly output: Location;
  readonly datasetPattern?: string;
}): void {
  checkInputFolder(options.input);
  checkOutputOutsideInput(asPrefix(options.input), asPrefix(options.output));
  if (options.datasetPattern !== undefined) parseKeyPattern(options.datasetPattern);
}

/** A new run's id: `run-<UTC date and time>-<6 random hex digits>`, sorted by start. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  return `run-${stamp}-${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 6)}`;
}
