/*
 * The Glue Data Catalog view of the lake: one table per dataset and format, built from the dataset's stored
 * schema. On AWS the tables and partitions go to Glue; a local run writes the very same `TableInput` JSON
 * under `<output>/_catalog/<database>/<table>.json`, so it can be checked and diffed.
 */
import { avroSchemaFor } from '../core/avro/avro-schema';
import type { OutputFormat } from '../core/model/options';
import { InvalidOptionsError, quoted } from '../core/model/errors';
import type { ColumnType } from '../core/model/schema';
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
 * The Glue table name of a dataset and format: the dataset under lake naming (accents dropped (NFKD), lower
 * case, every run of characters outside `[a-z0-9_]` → `_`, trimmed of `_`, a leading digit prefixed with
 * `_`), `orders` for Parquet and `orders_avro` for Avro. `Orders` and `orders` get one name: see
 * {@link syncCatalog} for what happens then.
 * @throws InvalidOptionsError when nothing usable is left of the name
 */
export function glueTableName(dataset: string, format: OutputFormat): string {
  let name = dataset
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '')
    throw new InvalidOptionsError(
      `dataset ${quoted(dataset)} has no letter or digit to name its Glue table: rename its folder`,
    );
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return format === 'avro' ? `${name}_avro` : name;
}

const GLUE_TYPES: Record<string, string> = {
  boolean: 'boolean',
  int32: 'int',
  int64: 'bigint',
  double: 'double',
  date: 'date',
  timestamp: 'timestamp',
  string: 'string',
};

/**
 * The Hive/Glue type of a column type (`int64` → `bigint`, `timestamp` → `timestamp`, …); a decimal keeps
 * its spelling, which is Hive's (`decimal(18,2)`).
 */
export function glueColumnType(type: ColumnType): string {
  return GLUE_TYPES[type] ?? type;
}

const STORAGE: Record<OutputFormat, { input: string; output: string; serde: string }> = {
  parquet: {
    input: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
  },
  avro: {
    input: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat',
    serde: 'org.apache.hadoop.hive.serde2.avro.AvroSerDe',
  },
};

/**
 * The dataset's Avro schema as every Avro file of it is written: one nullable field per column, named as
 * the column (lake names are valid Avro names), in the record `csv2lake.<recordName>`.
 */
export function datasetAvroSchema(schema: DatasetSchema): Record<string, unknown> {
  const columns = schema.columns.map((c) => ({
    name: c.name,
    sourceName: c.name,
    avroName: c.name,
    type: c.type,
  }));
  return { ...avroSchemaFor({ columns }), name: schema.recordName };
}

/**
 * The table definition of a dataset in one format: columns and types from the stored schema, partition keys
 * (`string`), the table location (`s3://<bucket>/parquet/<dataset>/`, a final `/` added when missing),
 * Parquet or Avro storage (Avro with `avro.schema.literal`, the dataset's current Avro schema, in the table's
 * and the SerDe's parameters, as Athena and Hive each read one of them).
 * @throws InvalidOptionsError when a column has the name of a partition key (Glue and Athena refuse the table)
 */
export function tableInput(schema: DatasetSchema, format: OutputFormat, location: string): TableInput {
  const clash = schema.columns.find((c) => schema.partitions.includes(c.name));
  if (clash)
    throw new InvalidOptionsError(
      `dataset ${quoted(schema.dataset)} has a column ${quoted(clash.name)} and a partition of that name: ` +
        'rename the column in the files or the partition in the dataset pattern',
    );
  const storage = STORAGE[format];
  const avroLiteral: Record<string, string> =
    format === 'avro' ? { 'avro.schema.literal': JSON.stringify(datasetAvroSchema(schema)) } : {};
  return {
    Name: glueTableName(schema.dataset, format),
    Description: `csv2lake dataset ${schema.dataset} (${format})`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      classification: format,
      EXTERNAL: 'TRUE',
      'csv2lake.schemaVersion': String(schema.version),
      ...avroLiteral,
    },
    PartitionKeys: schema.partitions.map((name) => ({ Name: name, Type: 'string' })),
    StorageDescriptor: {
      Columns: schema.columns.map((c) => ({ Name: c.name, Type: glueColumnType(c.type) })),
      Location: location.endsWith('/') ? location : `${location}/`,
      InputFormat: storage.input,
      OutputFormat: storage.output,
      SerdeInfo: {
        SerializationLibrary: storage.serde,
        ...(format === 'avro' ? { Parameters: avroLiteral } : {}),
      },
    },
  };
}

/** Where table definitions go: Glue on AWS, JSON files for a local run. */
export interface CatalogWriter {
  /** Creates the table, or updates it when it exists and differs. */
  putTable(database: string, table: TableInput): Promise<void>;
  /** Registers partitions; those that exist already are left as they are. */
  addPartitions(database: string, table: string, partitions: readonly PartitionInput[]): Promise<void>;
}

/** A partition of a dataset: its values in partition-key order (a {@link PartitionInput} will do). */
export interface PartitionValues {
  readonly values: readonly string[];
}

/** One dataset to register: its stored schema, the formats written, and each format's table location. */
export interface CatalogDataset {
  readonly schema: DatasetSchema;
  readonly formats: readonly OutputFormat[];
  /** The table location of each format written (`s3://out/parquet/orders/`). */
  readonly locations: Readonly<Partial<Record<OutputFormat, string>>>;
  /** The partitions this run wrote to (each registered in every format, under that format's location). */
  readonly partitions: readonly PartitionValues[];
}

/** What {@link syncCatalog} did: the tables put, and one error per dataset it could not register. */
export interface CatalogSync {
  readonly tables: readonly string[];
  readonly errors: readonly { readonly dataset: string; readonly message: string }[];
}

/** A partition's location: `<table location><key>=<value>/…`, values as in the keys (see dataKey). */
function partitionLocation(
  tableLocation: string,
  keys: readonly string[],
  values: readonly string[],
): string {
  return tableLocation + keys.map((k, i) => `${k}=${values[i]}/`).join('');
}

/** The distinct partitions, in first-seen order, each with one value per partition key. */
function uniquePartitions(partitions: readonly PartitionValues[], keys: number): (readonly string[])[] {
  const seen = new Map<string, readonly string[]>();
  for (const { values } of partitions) {
    if (values.length !== keys)
      throw new Error(
        `partition ${JSON.stringify(values)} has ${values.length} values for ${keys} partition keys`,
      );
    seen.set(JSON.stringify(values), values);
  }
  return [...seen.values()];
}

function messageOf(error: unknown): string {
  return error instanceof Error
    ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
    : String(error);
}

/**
 * Puts every dataset's tables (one per format) and registers its partitions. A dataset's problem (a name
 * Glue cannot take, a column named like a partition, a catalog call that failed) becomes an error for that
 * dataset and never stops the others. Datasets whose table names collide (`Orders` and `orders`, or a dataset
 * `orders_avro` beside the Avro table of `orders`) register none of their tables: which one would win
 * depends on the order they come in, so each gets an error naming the others.
 */
export async function syncCatalog(
  writer: CatalogWriter,
  database: string,
  datasets: readonly CatalogDataset[],
): Promise<CatalogSync> {
  const tables: string[] = [];
  const errors: { dataset: string; message: string }[] = [];
  const planned: { dataset: CatalogDataset; names: Map<OutputFormat, string> }[] = [];
  const owners = new Map<string, Set<string>>();
  for (const dataset of datasets) {
    const name = dataset.schema.dataset;
    try {
      const names = new Map(dataset.formats.map((f) => [f, glueTableName(name, f)] as const));
      for (const table of names.values()) owners.set(table, (owners.get(table) ?? new Set()).add(name));
      planned.push({ dataset, names });
    } catch (error) {
      errors.push({ dataset: name, message: messageOf(error) });
    }
  }
  for (const { dataset, names } of planned) {
    const name = dataset.schema.dataset;
    const rivals = [...names.values()].flatMap((t) =>
      [...owners.get(t)!].filter((o) => o !== name).map((o) => [t, o]),
    );
    if (rivals.length > 0) {
      const what = rivals.map(([t, o]) => `dataset ${quoted(o!)} also maps to the Glue table ${quoted(t!)}`);
      errors.push({
        dataset: name,
        message:
          `dataset ${quoted(name)} is not registered in the catalog: ${[...new Set(what)].join('; ')}; ` +
          'rename one of the folders (Glue names are lower case, other characters than a-z, 0-9 and _ become _, ' +
          'and Avro tables end in _avro)',
      });
      continue;
    }
    try {
      // Every definition is built before the first call, so that a dataset's problem writes none of its tables.
      const keys = dataset.schema.partitions;
      const values = uniquePartitions(dataset.partitions, keys.length);
      const inputs = [...names].map(([format, table]) => {
        const location = dataset.locations[format];
        if (location === undefined) throw new Error(`no ${format} table location was given`);
        return { table, input: tableInput(dataset.schema, format, location) };
      });
      for (const { table, input } of inputs) {
        await writer.putTable(database, input);
        tables.push(table);
        const partitions = values.map((v) => ({
          values: v,
          location: partitionLocation(input.StorageDescriptor.Location, keys, v),
        }));
        if (partitions.length > 0) await writer.addPartitions(database, table, partitions);
      }
    } catch (error) {
      errors.push({ dataset: name, message: `catalog of dataset ${quoted(name)}: ${messageOf(error)}` });
    }
  }
  return { tables, errors };
}
