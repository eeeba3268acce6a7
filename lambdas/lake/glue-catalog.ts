/*
 * The catalog on AWS: table definitions and partitions in the Glue Data Catalog, so that Athena (and
 * Spark, Trino) can query a dataset right after a run.
 */
import {
  BatchCreatePartitionCommand,
  CreateTableCommand,
  GetTableCommand,
  GlueClient,
  UpdateTableCommand,
  type StorageDescriptor,
  type Table,
} from '@aws-sdk/client-glue';
import { Csv2LakeError } from '../core/model/errors';
import type { CatalogWriter, PartitionInput, TableInput } from './catalog';

/** Glue's limit on the partitions of one BatchCreatePartition call. */
export const PARTITIONS_PER_BATCH = 100;

/** Glue refused some partitions of a batch for another reason than their existing already. */
export class CatalogPartitionError extends Csv2LakeError {}

/** Writes table definitions and partitions to the Glue Data Catalog. Glue's errors are thrown as they are. */
export class GlueCatalogWriter implements CatalogWriter {
  // The definition put in this run, by `database.table`: each partition gets the table's storage.
  private readonly tables = new Map<string, TableInput>();

  /** @param client @default a GlueClient for the function's region and credentials */
  constructor(private readonly client: GlueClient = new GlueClient({})) {}

  /**
   * Creates the table, or updates it when it exists and differs from `table` (columns, partition keys,
   * location, storage, our parameters); a table that another writer created meanwhile is updated.
   */
  async putTable(database: string, table: TableInput): Promise<void> {
    this.tables.set(`${database}.${table.Name}`, table);
    const existing = await this.getTable(database, table.Name);
    const input = toSdk(table);
    if (existing === undefined) {
      try {
        await this.client.send(new CreateTableCommand({ DatabaseName: database, TableInput: input }));
        return;
      } catch (error) {
        // Another reducer created it between our GetTable and CreateTable: ours is the newer definition.
        if ((error as Error).name !== 'AlreadyExistsException') throw error;
      }
    } else if (sameDefinition(existing, table)) {
      return;
    }
    await this.client.send(new UpdateTableCommand({ DatabaseName: database, TableInput: input }));
  }

  /**
   * Registers partitions in batches of {@link PARTITIONS_PER_BATCH}, each with the table's storage and its
   * own location; partitions that exist already are left as they are.
   * @throws CatalogPartitionError naming the partitions Glue refused for another reason, and why
   */
  async addPartitions(database: string, table: string, partitions: readonly PartitionInput[]): Promise<void> {
    if (partitions.length === 0) return;
    const storage = await this.storageOf(database, table);
    for (let at = 0; at < partitions.length; at += PARTITIONS_PER_BATCH) {
      const batch = partitions.slice(at, at + PARTITIONS_PER_BATCH);
      const answer = await this.client.send(
        new BatchCreatePartitionCommand({
          DatabaseName: database,
          TableName: table,
          PartitionInputList: batch.map((p) => ({
            Values: [...p.values],
            StorageDescriptor: { ...storage, Location: p.location },
          })),
        }),
      );
      const refused = (answer.Errors ?? []).filter(
        (e) => e.ErrorDetail?.ErrorCode !== 'AlreadyExistsException',
      );
      if (refused.length > 0)
        throw new CatalogPartitionError(
          `Glue refused ${refused.length} partition(s) of ${database}.${table}: ` +
            refused
              .map(
                (e) =>
                  `${JSON.stringify(e.PartitionValues ?? [])}: ${e.ErrorDetail?.ErrorCode ?? 'error'}: ` +
                  `${e.ErrorDetail?.ErrorMessage ?? 'no message'}`,
              )
              .join('; '),
        );
    }
  }

  private async getTable(database: string, name: string): Promise<Table | undefined> {
    try {
      return (await this.client.send(new GetTableCommand({ DatabaseName: database, Name: name }))).Table;
    } catch (error) {
      if ((error as Error).name === 'EntityNotFoundException') return undefined;
      throw error;
    }
  }

  /** The storage a partition inherits: the definition put in this run, else Glue's. */
  private async storageOf(database: string, table: string): Promise<StorageDescriptor> {
    const put = this.tables.get(`${database}.${table}`);
    const storage = put
      ? toSdk(put).StorageDescriptor
      : (await this.getTable(database, table))?.StorageDescriptor;
    if (!storage)
      throw new Error(`table ${database}.${table} has no storage descriptor to give its partitions`);
    return storage;
  }
}

/** Our definition as the SDK's (mutable) TableInput. */
function toSdk(table: TableInput) {
  const sd = table.StorageDescriptor;
  return {
    Name: table.Name,
    Description: table.Description,
    TableType: table.TableType,
    Parameters: { ...table.Parameters },
    PartitionKeys: table.PartitionKeys.map((k) => ({ ...k })),
    StorageDescriptor: {
      Columns: sd.Columns.map((c) => ({ ...c })),
      Location: sd.Location,
      InputFormat: sd.InputFormat,
      OutputFormat: sd.OutputFormat,
      SerdeInfo: {
        SerializationLibrary: sd.SerdeInfo.SerializationLibrary,
        ...(sd.SerdeInfo.Parameters && { Parameters: { ...sd.SerdeInfo.Parameters } }),
      },
      ...(sd.Compressed !== undefined && { Compressed: sd.Compressed }),
    },
  };
}

type Columns = readonly { readonly Name?: string; readonly Type?: string; readonly Comment?: string }[];

function sameColumns(a: Columns | undefined, b: Columns): boolean {
  const list = a ?? [];
  return (
    list.length === b.length &&
    list.every((c, i) => c.Name === b[i]!.Name && c.Type === b[i]!.Type && c.Comment === b[i]!.Comment)
  );
}

/** Whether every parameter we set has our value (Glue and Athena add their own, which we leave alone). */
function hasParameters(
  actual: Record<string, string> | undefined,
  wanted: Readonly<Record<string, string>> = {},
) {
  return Object.entries(wanted).every(([k, v]) => actual?.[k] === v);
}

/** Whether Glue's table already says what `table` says, so that no update (no new table version) is needed. */
function sameDefinition(existing: Table, table: TableInput): boolean {
  const sd = existing.StorageDescriptor;
  const want = table.StorageDescriptor;
  return (
    existing.TableType === table.TableType &&
    existing.Description === table.Description &&
    hasParameters(existing.Parameters, table.Parameters) &&
    sameColumns(existing.PartitionKeys, table.PartitionKeys) &&
    sd !== undefined &&
    sameColumns(sd.Columns, want.Columns) &&
    sd.Location === want.Location &&
    sd.InputFormat === want.InputFormat &&
    sd.OutputFormat === want.OutputFormat &&
    sd.SerdeInfo?.SerializationLibrary === want.SerdeInfo.SerializationLibrary &&
    hasParameters(sd.SerdeInfo?.Parameters, want.SerdeInfo.Parameters)
  );
}
