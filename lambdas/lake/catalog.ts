/*
 * The Glue Data Catalog view of the lake: one table per dataset and format, built from the dataset's stored
 * schema. On AWS the tables and partitions go to Glue; a local run writes the very same `TableInput` JSON
 * under `<output>/_catalog/<database>/<table>.json`, so it can be checked and diffed.
 */
import type { OutputFormat } from '../core/convert';
import type { ColumnType } from '../core/schema';
import type { DatasetSchema } from './dataset-schema';

/** Glue's `TableInput`, as plain JSON (the fields csv2lake sets; the SDK type is structurally the same). */
export interface TableInput {
  readonly Name: string;
  readonly Description?: string;
  readonly TableType: 'EXTERNAL_TABLE';
  readonly Parameters: Readonly<Record<string, string>>;
  readonly PartitionKeys: readonly { readonly Name: string; readonly Type: string }[];
  readonly StorageDescriptor: {
    readonly Columns: readonly { readonly Name: string; readonly Type: string; readonly Comment?: string }[];
    readonly Location: string;
    readonly InputFormat: string;
    readonly OutputFormat: string;
    readonly SerdeInfo: {
      readonly SerializationLibrary: string;
      readonly Parameters?: Readonly<Record<string, string>>;
    };
    readonly Compressed?: boolean;
  };
}

/** A partition to register: its values in partition-key order and its location (`s3://…/dt=2026-11-24/`). */
export interface PartitionInput {
  readonly values: readonly string[];
  readonly location: string;
}

/**
 * The Glue table name of a dataset and format: the dataset under lake naming (lower case, `[a-z0-9_]`),
 * `orders` for Parquet and `orders_avro` for Avro.
 * @throws InvalidOptionsError when nothing usable is left of the name
 */
export function glueTableName(dataset: string, format: OutputFormat): string {
  void dataset;
  void format;
  throw new Error('not implemented');
}

/** The Hive/Glue type of a column type (`int64` → `bigint`, `timestamp` → `timestamp`, …). */
export function glueColumnType(type: ColumnType): string {
  void type;
  throw new Error('not implemented');
}

/**
 * The table definition of a dataset in one format: columns and types from the stored schema, partition keys
 * (`string`), the table location (`s3://<bucket>/parquet/<dataset>/`), Parquet or Avro storage (Avro with
 * `avro.schema.literal`, the dataset's current Avro schema).
 */
export function tableInput(schema: DatasetSchema, format: OutputFormat, location: string): TableInput {
  void schema;
  void format;
  void location;
  throw new Error('not implemented');
}

/** Where table definitions go: Glue on AWS, JSON files for a local run. */
export interface CatalogWriter {
  /** Creates the table, or updates it when it exists and differs. */
  putTable(database: string, table: TableInput): Promise<void>;
  /** Registers partitions; those that exist already are left as they are. */
  addPartitions(database: string, table: string, partitions: readonly PartitionInput[]): Promise<void>;
}
