/*
 * One schema per dataset, kept across runs in the output bucket (`_schemas/<dataset>.json`): inferred from
 * the data, widened along the type lattice as files need, never narrowed; written with S3 conditional
 * writes so that two converters widening one dataset at once lose neither change.
 */
import { createHash } from 'node:crypto';
import type { SchemaFile } from '../core/model/options';
import { quoted, SchemaMismatchError } from '../core/model/errors';
import {
  COLUMN_TYPE_LIST,
  isColumnType,
  type ColumnType,
  type TableColumn,
  type TableLayout,
} from '../core/model/schema';
import { parseSchemaFile } from '../core/model/schema-file';
import { joinTypes } from '../core/model/type-lattice';
import { type ObjectStore, WriteConflictError } from '../io/object-store';
import { InputMissingError, SchemaConflictError } from '../shared/errors';

/** What changed in one column: added (`from` absent) or widened. */
export interface ColumnChange {
  readonly column: string;
  readonly from?: ColumnType;
  readonly to: ColumnType;
}

/** One entry of a dataset schema's history: the version a change made, and who made it. */
export interface SchemaVersionEntry {
  readonly version: number;
  readonly runId: string;
  /** The input key whose data needed the change. */
  readonly key: string;
  readonly at: string;
  readonly changes: readonly ColumnChange[];
}

/** The stored schema of a dataset. */
export interface DatasetSchema {
  readonly dataset: string;
  /** 1 for the first schema, +1 at every change. */
  readonly version: number;
  /** The Avro record name of every Avro file of the dataset (a valid Avro name derived from the dataset). */
  readonly recordName: string;
  /** The Hive partition columns (from the key pattern), in order. */
  readonly partitions: readonly string[];
  /** The columns, in table order (new columns appended). */
  readonly columns: readonly TableColumn[];
  /** Every change, oldest first (the most recent 1,000 kept). */
  readonly history: readonly SchemaVersionEntry[];
}

/** History entries a stored schema keeps (the newest): the file stays small after years of nightly drift. */
export const SCHEMA_HISTORY_LIMIT = 1000;

/** Writes a widening tries after its first, each after re-reading the schema that won the race. */
export const SCHEMA_WRITE_RETRIES = 10;

/** The folder of the stored schemas in the output bucket. */
export const SCHEMAS_PREFIX = '_schemas/';

/** The key of a dataset's schema in the output bucket: `_schemas/<dataset>.json`. */
export function schemaKey(dataset: string): string {
  // The dataset is a folder name of the output already (injective): kept as is.
  return `${SCHEMAS_PREFIX}${dataset}.json`;
}

/** Names Avro reserves in every namespace (the spec: primitive type names may not be defined). */
const AVRO_PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * A valid Avro record name for a dataset (`crm-contacts` → `crm_contacts`, `2024x` → `_2024x`): accents
 * dropped (NFKD), lower case (as Glue names are), every run of characters outside `[a-z0-9_]` → `_`, a
 * leading digit or an Avro primitive type name (`string`) prefixed with `_`, nothing left → `dataset`.
 * Deterministic, so every writer of a dataset derives the same name; two datasets may share one (each
 * Avro file holds one dataset's record, so they never meet in one schema).
 */
export function recordNameFor(dataset: string): string {
  const name = dataset
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9_]+/g, '_');
  if (name === '') return 'dataset';
  return /^[0-9]/.test(name) || AVRO_PRIMITIVES.has(name) ? `_${name}` : name;
}

/**
 * A short stable digest of the columns (names, types, order): what an output's metadata records. The first
 * 16 hex digits (64 bits) of the SHA-256 of the JSON of the `[name, type]` pairs.
 */
export function schemaFingerprint(columns: readonly TableColumn[]): string {
  const pairs = columns.map((c) => [c.name, c.type]);
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, 16);
}

/** The core's view of a stored schema (the floor and column order a conversion starts from). */
export function tableLayoutOf(schema: DatasetSchema): TableLayout {
  return { recordName: schema.recordName, columns: schema.columns };
}

/**
 * The columns of `base` widened by a file's columns: each type is the join of both along the lattice
 * (int32 → int64 → decimal → double → string, decimals to the decimal holding both; date → timestamp →
 * string; any other mix → string; see `joinTypes`), columns the file adds appended
 * in the file's order. `changes` lists what differs from `base`.
 */
export function mergeColumns(
  base: readonly TableColumn[],
  file: readonly TableColumn[],
): { readonly columns: readonly TableColumn[]; readonly changes: readonly ColumnChange[] } {
  const columns: TableColumn[] = base.map((c) => ({ name: c.name, type: c.type }));
  const at = new Map(columns.map((c, i) => [c.name, i]));
  // One change per column, however many file columns touched it (a new column then widened stays "added").
  const changed = new Map<string, { from?: ColumnType }>();
  for (const column of file) {
    const i = at.get(column.name);
    if (i === undefined) {
      at.set(column.name, columns.length);
      columns.push({ name: column.name, type: column.type });
      changed.set(column.name, {});
      continue;
    }
    const was = columns[i]!;
    const type = joinTypes(was.type, column.type);
    if (type === was.type) continue;
    columns[i] = { name: was.name, type };
    if (!changed.has(was.name)) changed.set(was.name, { from: was.type });
  }
  const changes: ColumnChange[] = [];
  for (const [column, { from }] of changed) {
    const to = columns[at.get(column)!]!.type;
    if (from !== to) changes.push({ column, ...(from !== undefined ? { from } : {}), to });
  }
  return { columns, changes };
}

/** Reads a dataset's stored schema with its ETag; undefined when the dataset has none yet. */
export async function readDatasetSchema(
  store: ObjectStore,
  bucket: string,
  dataset: string,
): Promise<{ readonly schema: DatasetSchema; readonly etag: string } | undefined> {
  const key = schemaKey(dataset);
  const read = async (ifMatch?: string) => {
    try {
      const body = await store.get(bucket, key, ifMatch ? { ifMatch } : {});
      const parts: Uint8Array[] = [];
      for await (const part of body) parts.push(part);
      return { text: Buffer.concat(parts).toString('utf8'), etag: body.etag ?? ifMatch };
    } catch (error) {
      if (error instanceof InputMissingError || (error as Error)?.name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
  let found = await read();
  if (found && found.etag === undefined) {
    // A store whose GET does not say which version it read: the version is pinned by a HEAD first, or an
    // If-Match on a newer version than the one read would overwrite a change this reader never saw.
    const info = await store.head(bucket, key);
    found = info ? await read(info.etag) : undefined;
  }
  if (!found?.etag) return undefined;
  return { schema: parseDatasetSchema(found.text, dataset, `${bucket}/${key}`), etag: found.etag };
}

/**
 * Merges a converted file's columns into the dataset's stored schema and writes it when it changed, with a
 * conditional write (`If-Match` the ETag read, or `If-None-Match: *` for the first schema); a write that
 * loses the race re-reads, merges again and retries (at most 10 times, with jitter).
 * @returns the stored schema after the merge, and what this call changed (empty when nothing did)
 * @throws SchemaConflictError when it kept losing (retried by the workflow)
 * @throws SchemaMismatchError when the stored schema is not a valid schema file, or its partition columns
 *   are not the file's (the key pattern changed)
 */
export async function widenDatasetSchema(
  store: ObjectStore,
  bucket: string,
  dataset: string,
  file: {
    readonly columns: readonly TableColumn[];
    readonly partitions: readonly string[];
    readonly runId: string;
    readonly key: string;
    readonly at: string;
  },
): Promise<{ readonly schema: DatasetSchema; readonly changes: readonly ColumnChange[] }> {
  const key = schemaKey(dataset);
  for (let attempt = 0; ; attempt++) {
    const stored = await readDatasetSchema(store, bucket, dataset);
    if (stored && !sameList(stored.schema.partitions, file.partitions))
      throw new SchemaMismatchError(
        `dataset ${quoted(dataset)}: its stored schema (${bucket}/${key}) has the partition columns ` +
          `[${stored.schema.partitions.join(', ')}] but ${quoted(file.key)} gives [${file.partitions.join(', ')}]: ` +
          'the dataset pattern changed; a dataset keeps one partitioning: restore the pattern, or move the ' +
          "dataset's outputs and its schema file away to start it again",
      );
    const { columns, changes } = mergeColumns(stored?.schema.columns ?? [], file.columns);
    if (stored && changes.length === 0) return { schema: stored.schema, changes };
    const version = (stored?.schema.version ?? 0) + 1;
    const entry: SchemaVersionEntry = { version, runId: file.runId, key: file.key, at: file.at, changes };
    const schema: DatasetSchema = {
      dataset,
      version,
      recordName: stored?.schema.recordName ?? recordNameFor(dataset),
      partitions: [...file.partitions],
      columns,
      history: [...(stored?.schema.history ?? []), entry].slice(-SCHEMA_HISTORY_LIMIT),
    };
    try {
      await store.put(bucket, key, `${JSON.stringify(schema, null, 2)}\n`, {
        contentType: 'application/json',
        ...(stored ? { ifMatch: stored.etag } : { ifNoneMatch: '*' as const }),
      });
      return { schema, changes };
    } catch (error) {
      const lost = error instanceof WriteConflictError || (error as Error)?.name === 'WriteConflictError';
      if (!lost) throw error;
      if (attempt >= SCHEMA_WRITE_RETRIES)
        throw new SchemaConflictError(
          `dataset ${quoted(dataset)}: the schema ${bucket}/${key} changed under ${attempt + 1} writes in a row ` +
            `(other converters widening it at the same time) while merging ${quoted(file.key)}; retry`,
          { cause: error },
        );
      // Full jitter over a window that doubles from 4 ms to 200 ms: the losers of one race spread out.
      const window = Math.min(200, 4 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * window));
    }
  }
}

/**
 * The pinned schema of a dataset in a schema file: `{"columns": {...}, "options": {...}}` pins every
 * dataset; `{"datasets": {"<dataset>": {"columns": {...}, "options": {...}}}}` pins those it names
 * (undefined for the others); `options` say how the values are written (see `ValueOptions`).
 * Every entry is validated, so a mistake in one dataset's entry is found at once.
 * @throws SchemaMismatchError when the document is neither form, or an entry is not a valid schema file
 */
export function pinnedDatasetSchema(doc: unknown, dataset: string): SchemaFile | undefined {
  const expected =
    'expected {"columns": {"name": "type"}} or {"datasets": {"<dataset>": {"columns": {...}}}}';
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new SchemaMismatchError(`the schema file is not a JSON object; ${expected}`);
  const { columns, datasets, options } = doc as { columns?: unknown; datasets?: unknown; options?: unknown };
  if ((columns !== undefined || options !== undefined) && datasets !== undefined)
    throw new SchemaMismatchError(
      `the schema file has both "${columns !== undefined ? 'columns' : 'options'}" and "datasets": say which ` +
        `datasets it pins; ${expected}`,
    );
  if (columns === undefined && options === undefined && datasets === undefined)
    throw new SchemaMismatchError(`the schema file has neither "columns" nor "datasets"; ${expected}`);
  if (datasets === undefined) return parseSchemaFile(JSON.stringify(doc), 'the schema file');
  if (typeof datasets !== 'object' || datasets === null || Array.isArray(datasets))
    throw new SchemaMismatchError(`the schema file's "datasets" is not an object; ${expected}`);
  let pinned: SchemaFile | undefined;
  for (const [name, entry] of Object.entries(datasets)) {
    const parsed = parseSchemaFile(
      JSON.stringify(entry ?? null),
      `the schema file's dataset ${quoted(name)}`,
    );
    if (name === dataset) pinned = parsed;
  }
  return pinned;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A stored schema's text, validated: a corrupt or hand-edited file fails here, naming what is wrong, rather
 * than as a conversion that writes a dataset with it.
 * @throws SchemaMismatchError naming `where` and the field
 */
function parseDatasetSchema(text: string, dataset: string, where: string): DatasetSchema {
  const fail = (what: string) =>
    new SchemaMismatchError(
      `the stored schema ${where} of dataset ${quoted(dataset)} ${what}; fix the file (its history lists ` +
        "every change), or remove it to infer the dataset's schema again",
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON (${(error as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('is not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.dataset !== dataset) throw fail(`names the dataset ${JSON.stringify(d.dataset)}`);
  if (!isCount(d.version))
    throw fail(`has the version ${JSON.stringify(d.version)}, not a whole number >= 1`);
  if (typeof d.recordName !== 'string' || !AVRO_NAME.test(d.recordName))
    throw fail(`has the record name ${JSON.stringify(d.recordName)}, not a valid Avro name`);
  if (!Array.isArray(d.partitions) || !d.partitions.every((p) => typeof p === 'string' && p !== ''))
    throw fail('has no "partitions" list of names');
  if (!Array.isArray(d.columns)) throw fail('has no "columns" list');
  const names = new Set<string>();
  for (const [i, c] of d.columns.entries()) {
    const column = c as { name?: unknown; type?: unknown } | null;
    if (typeof column?.name !== 'string' || column.name === '')
      throw fail(`has a column (number ${i + 1}) without a name`);
    if (!isType(column.type))
      throw fail(
        `gives column ${quoted(column.name)} the type ${JSON.stringify(column.type)}; use one of ${COLUMN_TYPE_LIST}`,
      );
    if (names.has(column.name)) throw fail(`lists column ${quoted(column.name)} twice`);
    names.add(column.name);
  }
  if (!Array.isArray(d.history) || !d.history.every(isHistoryEntry))
    throw fail('has a "history" that is not a list of {version, runId, key, at, changes}');
  return {
    dataset,
    version: d.version,
    recordName: d.recordName,
    partitions: d.partitions as string[],
    columns: (d.columns as { name: string; type: ColumnType }[]).map((c) => ({ name: c.name, type: c.type })),
    history: d.history as SchemaVersionEntry[],
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isType(value: unknown): value is ColumnType {
  return isColumnType(value);
}

function isHistoryEntry(value: unknown): boolean {
  const e = value as Partial<Record<keyof SchemaVersionEntry, unknown>> | null;
  return (
    isCount(e?.version) &&
    typeof e.runId === 'string' &&
    typeof e.key === 'string' &&
    typeof e.at === 'string' &&
    Array.isArray(e.changes) &&
    e.changes.every((c: { column?: unknown; from?: unknown; to?: unknown } | null) => {
      return typeof c?.column === 'string' && isType(c.to) && (c.from === undefined || isType(c.from));
    })
  );
}
