import { statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { convert } from '../core/convert';
import { CONVERT_DEFAULTS } from '../core/model/defaults';
import type {
  ConversionSummary,
  ConvertOptions,
  OutputFormat,
  ReplayableSource,
} from '../core/model/options';
import { AtomicFileSink } from './file-sink';
import { csvStem } from './object-key';
import { readFileChunks } from './file-read';

/** A local file as a {@link ReplayableSource}: each pass re-reads it from disk in chunks of at most 1 MiB. */
export function fileSource(path: string): ReplayableSource {
  return {
    name: path,
    open: () => readFileChunks(path),
    localPath: path,
    // Looked up when asked: a missing file fails on open, with the reader's error, as before.
    get size() {
      try {
        return statSync(path).size;
      } catch {
        return undefined;
      }
    },
  };
}

/** The output stem of an input file name: the name without `.gz`/`.zst` and then `.csv`/`.tsv`/`.txt`. */
export function outputStem(fileName: string): string {
  return csvStem(basename(fileName));
}

/** A conversion of a local file, with the paths it wrote. */
export type FileConversionResult = ConversionSummary & {
  readonly outputs: { parquet?: string; avro?: string; rejects?: string };
};

/**
 * Converts a local CSV file into `<outDir>/<stem>.parquet`, `<stem>.avro` and, when rows were rejected,
 * `<stem>.rejects.csv`. Every output is written to a temporary file and renamed only when the whole
 * conversion succeeded, so a failure leaves no partial output and previous outputs untouched.
 */
export async function convertFile(
  inputPath: string,
  outDir: string,
  options: ConvertOptions = {},
): Promise<FileConversionResult> {
  await mkdir(outDir, { recursive: true });
  const stem = outputStem(inputPath);
  const formats: readonly OutputFormat[] = options.formats ?? CONVERT_DEFAULTS.formats;
  const sinks: Partial<Record<OutputFormat, AtomicFileSink>> = {};
  for (const format of formats) sinks[format] = new AtomicFileSink(join(outDir, `${stem}.${format}`));
  let rejects: AtomicFileSink | undefined;
  const all = (): AtomicFileSink[] => [...Object.values(sinks), ...(rejects ? [rejects] : [])];
  try {
    const summary = await convert(
      fileSource(inputPath),
      {
        ...sinks,
        rejects: () => (rejects = new AtomicFileSink(join(outDir, `${stem}.rejects.csv`))),
      },
      options,
    );
    for (const sink of all()) await sink.commit();
    const outputs: FileConversionResult['outputs'] = {};
    for (const format of formats) outputs[format] = sinks[format]!.path;
    if (rejects) outputs.rejects = rejects.path;
    // A rejects file left by an earlier conversion of the same input no longer describes the outputs.
    else await rm(join(outDir, `${stem}.rejects.csv`), { force: true });
    return { ...summary, outputs };
  } catch (error) {
    await Promise.all(all().map((s) => s.discard()));
    throw error;
  }
}
