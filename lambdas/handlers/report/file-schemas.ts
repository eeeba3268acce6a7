/*
 * The columns of each converted file, interned (the files of a folder share one list), and what the report
 * says of them: drift between the files of a folder (report.json) and, per dataset, the type most of its
 * files give each column with the files that differ (report.md), bounded whatever the number of files.
 */

/** One column of a converted file, as its record gives it. */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
}

/** Files named per exception in {@link ColumnTypes}; the others are counted. */
const NAMED_FILES = 3;

/** One column of a dataset over the files of the run: the type most of them give it, and the exceptions. */
export interface ColumnTypes {
  readonly name: string;
  /** The type most files that have the column give it (the first file's, in key order, on a tie). */
  readonly type: string;
  /** Files that have the column. */
  readonly files: number;
  /** Files that give it another type, by type: how many, and the first few of them (key order). */
  readonly otherTypes: readonly { readonly type: string; readonly files: number; readonly keys: string[] }[];
}

/** The column types of a dataset's files converted in the run. */
export interface DatasetColumnTypes {
  readonly dataset: string;
  /** Files of the dataset with columns recorded (the converted ones). */
  readonly files: number;
  /** Its columns in the order the files give them (the first file's first). */
  readonly columns: readonly ColumnTypes[];
  /** Files that lack a column, the first few of them, per column name (only columns some files lack). */
  readonly missing: ReadonlyMap<string, { readonly files: number; readonly keys: string[] }>;
}

/** Per key id (the account's), grown as ids come. */
export class FileSchemas {
  private capacity = 0;
  /** The schema index of each key; -1: none recorded. */
  private of = new Int32Array(0);
  private readonly schemas: (readonly ColumnInfo[])[] = [];
  private readonly ids = new Map<string, number>();

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n <= id) n *= 2;
    const next = new Int32Array(n).fill(-1);
    next.set(this.of);
    this.of = next;
    this.capacity = n;
  }

  /** The columns of key `id`. */
  set(id: number, columns: readonly ColumnInfo[]): void {
    this.ensure(id);
    const text = JSON.stringify(columns);
    let schema = this.ids.get(text);
    if (schema === undefined) {
      schema = this.schemas.length;
      this.schemas.push(columns.map((c) => ({ name: c.name, type: c.type })));
      this.ids.set(text, schema);
    }
    this.of[id] = schema;
  }

  /** The columns of key `id`, when recorded. */
  get(id: number): readonly ColumnInfo[] | undefined {
    const schema = id < this.capacity ? this.of[id]! : -1;
    return schema >= 0 ? this.schemas[schema] : undefined;
  }

  private schemaOf(id: number): number {
    return id < this.capacity ? this.of[id]! : -1;
  }

  /**
   * Files of one folder whose columns or types differ from the folder's first file, folders in the order of
   * their first file. `files`: the files' ids and keys, in key order.
   */
  drift(files: Iterable<readonly [number, string]>): { folder: string; differences: string[] }[] {
    const folders = new Map<string, { base: number; baseKey: string; differences: string[] }>();
    const typesOf = new Map<number, Map<string, string>>();
    const types = (schema: number) => {
      let map = typesOf.get(schema);
      if (!map) typesOf.set(schema, (map = new Map(this.schemas[schema]!.map((c) => [c.name, c.type]))));
      return map;
    };
    for (const [id, key] of files) {
      const schema = this.schemaOf(id);
      if (schema < 0) continue;
      const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
      const group = folders.get(folder);
      if (!group) {
        folders.set(folder, { base: schema, baseKey: key, differences: [] });
        continue;
      }
      if (group.base === schema) continue;
      const { baseKey } = group;
      const baseTypes = types(group.base);
      const own = types(schema);
      for (const [name, type] of own) {
        if (!baseTypes.has(name))
          group.differences.push(`${key}: column "${name}" (${type}) is not in ${baseKey}`);
        else if (baseTypes.get(name) !== type)
          group.differences.push(`${key}: column "${name}" is ${type}, ${baseTypes.get(name)} in ${baseKey}`);
      }
      for (const name of baseTypes.keys())
        if (!own.has(name)) group.differences.push(`${key}: column "${name}" of ${baseKey} is missing`);
    }
    return [...folders]
      .filter(([, g]) => g.differences.length > 0)
      .map(([folder, g]) => ({ folder, differences: g.differences }));
  }

  /**
   * Per dataset (`datasetOf` a key; datasets in the order of their first file), the type of each column
   * that most of its files give it and the files that differ. Memory: a count and a few keys per distinct
   * column list of a dataset, whatever its number of files. `files`: ids and keys, in key order.
   */
  columnTypes(
    files: Iterable<readonly [number, string]>,
    datasetOf: (key: string) => string,
  ): DatasetColumnTypes[] {
    type Use = { files: number; keys: string[] };
    const datasets = new Map<string, { files: number; schemas: Map<number, Use> }>();
    for (const [id, key] of files) {
      const schema = this.schemaOf(id);
      if (schema < 0) continue;
      const name = datasetOf(key);
      const dataset =
        datasets.get(name) ?? datasets.set(name, { files: 0, schemas: new Map() }).get(name)!;
      dataset.files++;
      const use = dataset.schemas.get(schema) ?? dataset.schemas.set(schema, { files: 0, keys: [] }).get(schema)!;
      use.files++;
      if (use.keys.length < NAMED_FILES) use.keys.push(key);
    }
    const merge = (into: Use, from: Use) => {
      into.files += from.files;
      for (const k of from.keys) if (into.keys.length < NAMED_FILES) into.keys.push(k);
    };
    return [...datasets].map(([dataset, { files, schemas }]) => {
      // Column → type → files; Maps keep the order of first appearance, i.e. key order of the files.
      const byColumn = new Map<string, Map<string, Use>>();
      for (const [schema, use] of schemas)
        for (const { name, type } of this.schemas[schema]!) {
          const types = byColumn.get(name) ?? byColumn.set(name, new Map()).get(name)!;
          merge(types.get(type) ?? types.set(type, { files: 0, keys: [] }).get(type)!, use);
        }
      const columns: ColumnTypes[] = [];
      const missing = new Map<string, Use>();
      for (const [name, types] of byColumn) {
        let main: [string, Use] | undefined;
        let present = 0;
        for (const entry of types) {
          present += entry[1].files;
          if (!main || entry[1].files > main[1].files) main = entry;
        }
        columns.push({
          name,
          type: main![0],
          files: present,
          otherTypes: [...types]
            .filter(([type]) => type !== main![0])
            .map(([type, use]) => ({ type, files: use.files, keys: use.keys })),
        });
        if (present < files) {
          const lacking: Use = { files: 0, keys: [] };
          for (const [schema, use] of schemas)
            if (!this.schemas[schema]!.some((c) => c.name === name)) merge(lacking, use);
          missing.set(name, lacking);
        }
      }
      return { dataset, files, columns, missing };
    });
  }
}
