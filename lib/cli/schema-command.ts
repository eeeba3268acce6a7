import { convert } from '../../lambdas/core/convert';
import type { TableColumn } from '../../lambdas/core/model/schema';
import { isCsvKey } from '../../lambdas/io/object-key';
import { mergeColumns, recordNameFor } from '../../lambdas/lake/dataset-schema';
import { DEFAULT_DATASET_PATTERN, locateKey, parseKeyPattern } from '../../lambdas/lake/layout';
import { AWS_FLAGS, AWS_FLAGS_USAGE, awsFlagOptions } from './aws-flags';
import { type CliCommand, parseFlags, UsageError } from './command';
import { CSV_FLAGS, CSV_FLAGS_USAGE, csvFlagOptions } from './csv-flags';

const USAGE = `Usage: csv2lake schema --input <dir | s3://bucket/prefix> [--dataset <name>] [options]

Prints the schema csv2lake infers for each dataset under the input, as \`run\` would store it (every file
read, types widened along the lattice, lake column names), in the form \`run --schema\` and the
construct's schemaLocation take: edit it and pass it to pin the types.

Options:
  -i, --input <dir | s3://bucket/prefix>    the CSV files (required)
  --dataset <name>                   only this dataset
  --pattern <pattern>                default '${DEFAULT_DATASET_PATTERN}' (see csv2lake run --help)
${AWS_FLAGS_USAGE}
${CSV_FLAGS_USAGE}`;

/** A sink that keeps nothing: the files are read for their types only. */
const NOWHERE = { write() {}, reset() {} };

/** `csv2lake schema`: the inferred schema of each dataset, as a schema file. */
export const command: CliCommand = {
  summary: 'print the schema inferred for each dataset, as a schema file to pin it',
  usage: USAGE,
  async run(args) {
    const parsed = parseFlags(args, {
      input: { type: 'string', short: 'i' },
      dataset: { type: 'string' },
      pattern: { type: 'string' },
      ...AWS_FLAGS,
      ...CSV_FLAGS,
    });
    const v = parsed.values;
    if (!v.input) throw new UsageError(`--input is required. Run 'csv2lake schema --help'`);
    const pattern = v.pattern ?? DEFAULT_DATASET_PATTERN;
    parseKeyPattern(pattern);
    const { csv, nullTokens } = csvFlagOptions(v);
    const { bucketOf, INPUT_BUCKET, parseLocation, storesFor } = await import('../local/stores');
    const input = parseLocation(v.input);
    const store = storesFor({ input, output: input }, awsFlagOptions(v).endpoint);
    const bucket = bucketOf(input, INPUT_BUCKET);
    const root = input.kind === 's3' ? input.prefix : '';
    const datasets = new Map<string, readonly TableColumn[]>();
    let token: string | undefined;
    do {
      const page = await store.list(bucket, root, token ? { token } : {});
      for (const object of page.objects) {
        if (!isCsvKey(object.key)) continue;
        const dataset = locateKey(object.key, { root, pattern }).dataset;
        if (v.dataset !== undefined && dataset !== v.dataset) continue;
        const floor = datasets.get(dataset) ?? [];
        const summary = await convert(
          {
            name: store.localFile?.(bucket, object.key) ?? `s3://${bucket}/${object.key}`,
            async *open() {
              yield* await store.get(bucket, object.key);
            },
          },
          { parquet: NOWHERE, rejects: () => NOWHERE },
          {
            ...csv,
            ...(nullTokens ? { nullTokens } : {}),
            formats: ['parquet'],
            table: { recordName: recordNameFor(dataset), columns: floor },
          },
        );
        const columns = summary.columns.map((c) => ({ name: c.name, type: c.type }));
        datasets.set(dataset, mergeColumns(floor, columns).columns);
      }
      token = page.nextToken;
    } while (token);
    if (datasets.size === 0)
      throw new UsageError(
        `no CSV file${v.dataset !== undefined ? ` of dataset ${v.dataset}` : ''} under ${v.input} (pattern ${pattern})`,
      );
    const doc = {
      datasets: Object.fromEntries(
        [...datasets].map(([name, columns]) => [
          name,
          { columns: Object.fromEntries(columns.map((c) => [c.name, c.type])) },
        ]),
      ),
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  },
};
