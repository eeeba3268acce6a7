/*
 * One schema per dataset, kept across runs in the output bucket (`_schemas/<dataset>.json`): inferred from
 * the data, widened along the type lattice as files need, never narrowed; written with S3 conditional
 * writes so that two converters widening one dataset at once lose neither change.
 */
import type { ColumnType, TableColumn, TableLayout } from '../core/schema';
import type { ObjectStore } from '../io/object-store';

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

/** The key of a dataset's schema in the output bucket: `_schemas/<dataset>.json`. */
export function schemaKey(dataset: string): string {
  void dataset;
  throw new Error('not implemented');
}

/** A valid Avro record name for a dataset (`crm-contacts` → `crm_contacts`, `2024x` → `_2024x`). */
export function recordNameFor(dataset: string): string {
  void dataset;
  throw new Error('not implemented');
}

/** A short stable digest of the columns (names, types, order): what an output's metadata records. */
export function schemaFingerprint(columns: readonly TableColumn[]): string {
  void columns;
  throw new Error('not implemented');
}

/** The core's view of a stored schema (the floor and column order a conversion starts from). */
export function tableLayoutOf(schema: DatasetSchema): TableLayout {
  void schema;
  throw new Error('not implemented');
}

/**
 * The columns of `base` widened by a file's columns: each type is the join of both along the lattice
 * (int32 → int64 → double → string; date → timestamp → string; any other mix → string), columns the file
 * adds appended in the file's order. `changes` lists what differs from `base`.
 */
export function mergeColumns(
  base: readonly TableColumn[],
  file: readonly TableColumn[],
): { readonly columns: readonly TableColumn[]; readonly changes: readonly ColumnChange[] } {
  void base;
  void file;
  throw new Error('not implemented');
}

/** Reads a dataset's stored schema with its ETag; undefined when the dataset has none yet. */
export async function readDatasetSchema(
  store: ObjectStore,
  bucket: string,
  dataset: string,
): Promise<{ readonly schema: DatasetSchema; readonly etag: string } | undefined> {
  void store;
  void bucket;
  void dataset;
  throw new Error('not implemented');
}

/**
 * Merges a converted file's columns into the dataset's stored schema and writes it when it changed, with a
 * conditional write (`If-Match` the ETag read, or `If-None-Match: *` for the first schema); a write that
 * loses the race re-reads, merges again and retries (at most 10 times, with jitter).
 * @returns the stored schema after the merge, and what this call changed (empty when nothing did)
 * @throws SchemaConflictError when it kept losing (retried by the workflow)
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
  void store;
  void bucket;
  void dataset;
  void file;
  throw new Error('not implemented');
}
