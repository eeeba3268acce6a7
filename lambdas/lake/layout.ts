/*
 * Where a dataset's files go: input keys → dataset, partitions and output keys. Pure functions of the input
 * key and the CONFIGURED input prefix (never an execution's narrower prefix), so two runs over the same key
 * always write the same output, whatever prefix they were started with.
 */
import type { OutputFormat } from '../core/model/options';
import { InvalidOptionsError, quoted } from '../core/model/errors';
import { COMPRESSION_SUFFIXES, CSV_SUFFIXES, csvStem } from '../io/object-key';
import { DatasetLayoutError } from '../shared/errors';

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
  /**
   * The key suffixes converted (each also with a compression suffix), when not the defaults: output names
   * must keep apart every key that ends in one, and the reducer lists only those keys.
   * @default CSV_SUFFIXES
   */
  readonly suffixes?: readonly string[];
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
  const { text, partitions } = compile(pattern);
  return { text, partitions };
}

/**
 * The dataset, partitions and file of an input key (the key relative to `layout.root`). A file directly
 * under the root (no folder) is its own dataset named after the file's stem (`orders.csv` → `orders`,
 * `orders.csv.gz` → `orders`), whatever the pattern, with no partitions.
 *
 * The root is a key prefix, as S3 lists it: a root without a final `/` (`incoming`) takes the `/` after it
 * as part of itself. A literal segment of the pattern must match exactly (case included); `dt={dt}` takes
 * what lies between its literal parts, which must not be empty; `**` takes zero or more folders. Keys with an
 * empty, `.` or `..` segment (`a//b.csv`) are refused: an output path could not keep them apart.
 *
 * Note: `orders.csv` at the top and `orders/orders.csv` (under a pattern with `**` or without partitions)
 * have the same location, so the same outputs.
 * @throws DatasetLayoutError (a data error) when the key is not under the root, or does not match the
 *   pattern, naming the key, the pattern and what to do
 */
export function locateKey(key: string, layout: DatasetLayout): DatasetLocation {
  const pattern = compile(layout.pattern);
  const root = layout.root;
  const refuse = (why: string) =>
    new DatasetLayoutError(
      `key ${quoted(key)} does not fit the dataset pattern ${quoted(pattern.text)} below ${quoted(root)}: ` +
        `${why}; move the file or change the dataset pattern (csv2lake:datasetPattern / --pattern)`,
    );
  if (!key.startsWith(root)) throw refuse('it is not under the input prefix');
  let relative = key.slice(root.length);
  if (root !== '' && !root.endsWith('/') && relative.startsWith('/')) relative = relative.slice(1);
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    throw refuse('it has an empty, "." or ".." path segment');

  if (segments.length === 1) {
    const file = segments[0]!;
    const dataset = csvStem(file);
    if (dataset === '' || dataset === '.' || dataset === '..')
      throw refuse(
        `a file directly under the prefix is a dataset named after its stem, and ${quoted(file)} has none`,
      );
    return { dataset, partitions: [], subpath: '', file };
  }

  const { head, tail, globstar } = pattern;
  const wanted = head.length + tail.length;
  if (globstar ? segments.length < wanted : segments.length !== wanted)
    throw refuse(
      `it has ${segments.length} path segments, the pattern ${globstar ? 'at least ' : ''}${wanted}`,
    );
  const captured = new Map<string, string>();
  const matchAll = (segs: readonly Segment[], values: readonly string[]) =>
    segs.forEach((seg, i) => {
      const value = values[i]!;
      if (seg.kind === 'literal') {
        if (value !== seg.text) throw refuse(`segment ${quoted(value)} is not ${quoted(seg.text)}`);
        return;
      }
      const inner = value.length - seg.prefix.length - seg.suffix.length;
      if (inner <= 0 || !value.startsWith(seg.prefix) || !value.endsWith(seg.suffix))
        throw refuse(`segment ${quoted(value)} does not match ${quoted(seg.source)}`);
      captured.set(seg.name, value.slice(seg.prefix.length, value.length - seg.suffix.length));
    });
  matchAll(head, segments.slice(0, head.length));
  matchAll(tail, segments.slice(segments.length - tail.length));

  const dataset = captured.get('dataset')!;
  if (dataset === '.' || dataset === '..')
    throw refuse(`the dataset name ${quoted(dataset)} is not a folder name`);
  return {
    dataset,
    partitions: pattern.partitions.map((name) => ({ name, value: captured.get(name)! })),
    subpath: segments.slice(head.length, segments.length - tail.length).join('/'),
    file: captured.get('file')!,
  };
}

/** The suffixes that make a CSV key, by default: CSV ones and the compressions after them. */
const KNOWN_SUFFIXES: readonly string[] = [...CSV_SUFFIXES, ...COMPRESSION_SUFFIXES];

/**
 * The output file name of an input file name, injective over CSV keys: a final `.csv` (lower case) is
 * replaced by the format's extension when something remains and it does not itself end in a CSV or
 * compression suffix (any case); otherwise the whole name is kept and the extension appended:
 * `day.csv` → `day.parquet`, `day.txt` → `day.txt.parquet`, `day.csv.gz` → `day.csv.gz.parquet`,
 * `x.txt.csv` → `x.txt.csv.parquet`, `day.CSV` → `day.CSV.parquet` (stripping `.CSV` too would give
 * `day.csv` and `day.CSV` one output).
 *
 * Why injective: a stripped name never ends in a known suffix, a kept CSV key always does.
 * @param extension `parquet`, `avro`, `rejects.csv` (a leading `.` is allowed)
 * @param suffixes the suffixes that make a CSV key (the configured CSV suffixes with the compression ones):
 *   a key that ends in one must be listed for the names to stay apart.
 *   @default CSV_SUFFIXES and COMPRESSION_SUFFIXES
 */
export function outputFileName(
  file: string,
  extension: string,
  suffixes: readonly string[] = KNOWN_SUFFIXES,
): string {
  const ext = extension.startsWith('.') ? extension : `.${extension}`;
  if (file.endsWith('.csv')) {
    const stem = file.slice(0, -'.csv'.length);
    const lower = stem.toLowerCase();
    if (stem !== '' && !suffixes.some((s) => lower.endsWith(s.toLowerCase()))) return stem + ext;
  }
  return file + ext;
}

/** A prefix as a folder: `''` stays `''`, any other gets exactly one final `/`. */
function folder(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** A dataset's table location under a format prefix: `parquet/orders/`. */
export function tableLocation(outputPrefix: string, dataset: string): string {
  return `${folder(outputPrefix)}${dataset}/`;
}

/** The folders of a location below its table location: partitions, then the `**` folders. */
function innerPath(location: DatasetLocation): string {
  const parts = location.partitions.map((p) => `${p.name}=${p.value}`);
  if (location.subpath !== '') parts.push(location.subpath);
  return parts.map((p) => `${p}/`).join('');
}

/**
 * `parquet/<dataset>/[<col>=<value>/…][<subpath>/]<name>.parquet`. Partition values are kept as in the key
 * (not escaped as Hive escapes `:`, `%`, `=`…; they cannot hold `/`, see {@link locateKey}): a Glue
 * partition is registered with its exact location, and DuckDB reads the folder name as it is.
 * @param outputPrefix the format's output prefix (`parquet/`)
 */
export function dataKey(
  location: DatasetLocation,
  outputPrefix: string,
  format: OutputFormat,
  suffixes?: readonly string[],
): string {
  return (
    tableLocation(outputPrefix, location.dataset) +
    innerPath(location) +
    outputFileName(location.file, format, knownSuffixes(suffixes))
  );
}

/** Rejected rows, outside every table location: `_rejects/<dataset>/[<col>=<value>/…][<subpath>/]<name>.rejects.csv`. */
export function rejectsKey(location: DatasetLocation, suffixes?: readonly string[]): string {
  return (
    tableLocation(REJECTS_PREFIX, location.dataset) +
    innerPath(location) +
    outputFileName(location.file, 'rejects.csv', knownSuffixes(suffixes))
  );
}

/** The suffixes that make a CSV key: the configured ones (default CSV_SUFFIXES) and the compressions. */
function knownSuffixes(suffixes: readonly string[] | undefined): readonly string[] {
  return suffixes ? [...suffixes, ...COMPRESSION_SUFFIXES] : KNOWN_SUFFIXES;
}

/** Prefixes of the output bucket that hold no data files. */
export const REJECTS_PREFIX = '_rejects/';
export const SCHEMAS_PREFIX = '_schemas/';
export const CATALOG_PREFIX = '_catalog/';

/**
 * Refuses an output location inside the input location (the next run would convert its own outputs),
 * or an input inside the output; both are `bucket` + `prefix` (a folder run passes its absolute paths with
 * bucket `''`). Prefixes are compared as folders (`in` is `in/`), except that an S3 input prefix covers what
 * S3 lists under it: an input `in` also holds `inbox/`.
 * @throws InvalidOptionsError saying which is inside which and what to do
 */
export function checkOutputOutsideInput(
  input: { readonly bucket: string; readonly prefix: string },
  output: { readonly bucket: string; readonly prefix: string },
): void {
  if (input.bucket !== output.bucket) return;
  const local = input.bucket === '';
  const inFolder = folder(input.prefix.replace(/\/+$/, ''));
  const outFolder = folder(output.prefix.replace(/\/+$/, ''));
  const where = (prefix: string) => (local ? prefix : `s3://${input.bucket}/${prefix}`);
  const listed = local ? inFolder : input.prefix;
  if (outFolder.startsWith(listed))
    throw new InvalidOptionsError(
      `the output ${where(outFolder)} is ${outFolder === inFolder ? 'the input' : 'inside the input'} ` +
        `${where(input.prefix)}: the next run would convert its own outputs; choose an output outside the input`,
    );
  if (inFolder.startsWith(outFolder))
    throw new InvalidOptionsError(
      `the input ${where(inFolder)} is inside the output ${where(outFolder)}: the next run would convert its ` +
        `own outputs; choose an input outside the output`,
    );
}

interface Literal {
  readonly kind: 'literal';
  readonly text: string;
}

/** `{name}` with the literal text around it in its segment (`dt={dt}`: prefix `dt=`). */
interface Capture {
  readonly kind: 'capture';
  readonly name: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly source: string;
}

type Segment = Literal | Capture;

/** A pattern ready to match: the segments before `**` and from it to the end. */
interface CompiledPattern extends KeyPattern {
  readonly head: readonly Segment[];
  readonly tail: readonly Segment[];
  readonly globstar: boolean;
}

const LAKE_COLUMN = /^[a-z_][a-z0-9_]*$/;
const EXAMPLE = `a valid pattern: ${quoted('{dataset}/{dt}/{file}')} or ${quoted(DEFAULT_DATASET_PATTERN)}`;

// A run locates every key with one pattern: compile it once.
const compiled = new Map<string, CompiledPattern>();

function compile(pattern: string): CompiledPattern {
  const known = compiled.get(pattern);
  if (known) return known;
  const refuse = (why: string) =>
    new InvalidOptionsError(`dataset pattern ${quoted(pattern)}: ${why}; ${EXAMPLE}`);
  if (pattern === '') throw refuse('it is empty');
  const head: Segment[] = [];
  const tail: Segment[] = [];
  let globstar = false;
  const names = new Set<string>();
  const partitions: string[] = [];
  const raw = pattern.split('/');
  if (raw.includes('')) throw refuse('it has an empty segment (a leading, trailing or double "/")');
  raw.forEach((text, i) => {
    const last = i === raw.length - 1;
    if (text === '**') {
      if (globstar) throw refuse('"**" appears twice');
      if (last) throw refuse('it must end with {file}, not "**"');
      globstar = true;
      return;
    }
    if (text.includes('*'))
      throw refuse(`segment ${quoted(text)} has a "*" (only "**" alone, for any folders)`);
    const into = globstar ? tail : head;
    const braces = [...text.matchAll(/\{([^{}]*)\}/g)];
    if (braces.length > 1) throw refuse(`segment ${quoted(text)} has more than one {name}`);
    const outside = braces.length === 1 ? text.replace(braces[0]![0], '') : text;
    if (/[{}]/.test(outside)) throw refuse(`segment ${quoted(text)} has an unmatched brace`);
    if (braces.length === 0) {
      if (last) throw refuse('it must end with {file}');
      into.push({ kind: 'literal', text });
      return;
    }
    const name = braces[0]![1]!;
    const at = braces[0]!.index;
    if (names.has(name)) throw refuse(`{${name}} is used twice`);
    names.add(name);
    if (name === 'file' && !(last && text === '{file}'))
      throw refuse('{file} must be the whole last segment');
    if (last && name !== 'file') throw refuse('it must end with {file}');
    if (name !== 'file' && name !== 'dataset') {
      if (!LAKE_COLUMN.test(name))
        throw refuse(
          `partition name ${quoted(name)} is not a lake column name (lower case letters, digits and "_", ` +
            'not starting with a digit)',
        );
      partitions.push(name);
    }
    into.push({
      kind: 'capture',
      name,
      prefix: text.slice(0, at),
      suffix: text.slice(at + braces[0]![0].length),
      source: text,
    });
  });
  if (!names.has('dataset')) throw refuse('it has no {dataset}');
  const result: CompiledPattern = { text: pattern, partitions, head, tail, globstar };
  compiled.set(pattern, result);
  return result;
}
