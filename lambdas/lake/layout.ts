/*
 * Where a dataset's files go: input keys → dataset, partitions and output keys. Pure functions of the input
 * key and the CONFIGURED input prefix (never an execution's narrower prefix), so two runs over the same key
 * always write the same output, whatever prefix they were started with.
 */
import type { OutputFormat } from '../core/convert';

/**
 * The key pattern below the configured input prefix, e.g. `{dataset}/{dt}/{file}` or `{dataset}/**\/{file}`.
 * Segments are separated by `/`; a segment is a literal, a `{name}` (one whole segment), a literal with one
 * `{name}` in it (`dt={dt}`), or `**` (any number of folders, at most once, kept in output keys as they are).
 * The last segment is `{file}`. `{dataset}` must appear once; every other `{name}` is a Hive partition column.
 */
export const DEFAULT_DATASET_PATTERN = '{dataset}/**/{file}';

/** A parsed, validated key pattern. */
export interface KeyPattern {
  readonly text: string;
  /** The partition column names, in pattern order. */
  readonly partitions: readonly string[];
}

/** The dataset settings of a run: the configured prefix that keys are relative to, and the pattern. */
export interface DatasetLayout {
  /** The CONFIGURED input prefix (`incoming/`), not an execution's narrower one. */
  readonly root: string;
  /** @default DEFAULT_DATASET_PATTERN */
  readonly pattern: string;
}

/** Where one input key belongs. */
export interface DatasetLocation {
  /** The dataset name as it appears in the key (`Orders`, `crm-contacts`): output folders use it as is. */
  readonly dataset: string;
  /** Hive partitions from the pattern, in pattern order: `[{name: 'dt', value: '2026-11-24'}]`. */
  readonly partitions: readonly { readonly name: string; readonly value: string }[];
  /** Folders matched by `**`, joined with `/` ('' when none). */
  readonly subpath: string;
  /** The input file name (`day.csv.gz`). */
  readonly file: string;
}

/**
 * Parses a key pattern.
 * @throws InvalidOptionsError naming what is wrong (no `{dataset}`, `{file}` not last, two `**`, a name
 *   used twice, a partition name that is not a valid lake column name, an empty segment)
 */
export function parseKeyPattern(pattern: string): KeyPattern {
  void pattern;
  throw new Error('not implemented');
}

/**
 * The dataset, partitions and file of an input key (the key relative to `layout.root`). A file directly
 * under the root (no folder) is its own dataset named after the file's stem (`orders.csv` → `orders`),
 * whatever the pattern.
 * @throws DatasetLayoutError (a data error) when the key is not under the root, or does not match the
 *   pattern, naming the key, the pattern and what to do
 */
export function locateKey(key: string, layout: DatasetLayout): DatasetLocation {
  void key;
  void layout;
  throw new Error('not implemented');
}

/**
 * The output file name of an input file name, injective over CSV keys: a final `.csv` (any case) is
 * replaced by the format's extension when what remains does not itself end in a CSV or compression suffix;
 * otherwise the whole name is kept and the extension appended: `day.csv` → `day.parquet`,
 * `day.txt` → `day.txt.parquet`, `day.csv.gz` → `day.csv.gz.parquet`, `x.txt.csv` → `x.txt.csv.parquet`.
 */
export function outputFileName(file: string, extension: string, suffixes?: readonly string[]): string {
  void file;
  void extension;
  void suffixes;
  throw new Error('not implemented');
}

/** A dataset's table location under a format prefix: `parquet/orders/`. */
export function tableLocation(outputPrefix: string, dataset: string): string {
  void outputPrefix;
  void dataset;
  throw new Error('not implemented');
}

/** `parquet/<dataset>/[<col>=<value>/…][<subpath>/]<name>.parquet` (values kept as in the key). */
export function dataKey(location: DatasetLocation, outputPrefix: string, format: OutputFormat): string {
  void location;
  void outputPrefix;
  void format;
  throw new Error('not implemented');
}

/** Rejected rows, outside every table location: `_rejects/<dataset>/[<col>=<value>/…][<subpath>/]<name>.rejects.csv`. */
export function rejectsKey(location: DatasetLocation): string {
  void location;
  throw new Error('not implemented');
}

/** Prefixes of the output bucket that hold no data files. */
export const REJECTS_PREFIX = '_rejects/';
export const SCHEMAS_PREFIX = '_schemas/';
export const CATALOG_PREFIX = '_catalog/';

/**
 * Refuses an output location inside the input location (the next run would convert its own outputs),
 * or an input inside the output; both are `bucket` + `prefix` (a folder run passes its absolute paths).
 * @throws InvalidOptionsError saying which is inside which and what to do
 */
export function checkOutputOutsideInput(
  input: { readonly bucket: string; readonly prefix: string },
  output: { readonly bucket: string; readonly prefix: string },
): void {
  void input;
  void output;
  throw new Error('not implemented');
}
