import { readFileSync } from 'node:fs';
import { CsvTokenizer } from '../../lambdas/core/csv/tokenizer';
import type { ColumnType } from '../../lambdas/core/model/schema';
import { tableSchema } from '../../lambdas/core/model/table-layout';
import { typeBit } from '../../lambdas/core/model/type-lattice';
import { AvroRowWriter } from '../../lambdas/core/rows/avro-rows';
import { batchRows } from '../../lambdas/core/rows/column-sink';
import type { RowSink } from '../../lambdas/core/rows/value-rules';

/*
 * The value rules' hot loop alone: tokenize a CSV held in memory and append every row to a row sink as
 * the speculative first pass does (each value checked against its column's type, int64 columns tracked),
 * with nothing written (the column sink's batches are dropped; the Avro rows' container writes to a sink
 * that keeps nothing). Prints CPU milliseconds. Bundle it and run it under callgrind for instruction counts
 * that the noisy VM cannot move:
 *
 *   npx esbuild test/bench/value-rules-bench.ts --bundle --platform=node --outfile=/tmp/vr.cjs
 *   (a CSV with generate-csv.ts's columns: generateCsv('/tmp/bench.csv', 40000))
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out node /tmp/vr.cjs /tmp/bench.csv columns
 *
 * Arguments: <csv file> <columns|avro>.
 */

const TYPES: ColumnType[] = [
  'int64',
  'int64',
  'double',
  'int64',
  'boolean',
  'timestamp',
  'date',
  'string',
  'string',
  'string',
  'string',
  'double',
  'int64',
  'string',
  'string',
  'string',
];

async function main(): Promise<void> {
  const [path, mode = 'columns'] = process.argv.slice(2);
  const bytes = readFileSync(path!);
  const headers = TYPES.map((_, c) => `c${c}`);
  const schema = tableSchema(headers, TYPES);
  const sink: RowSink =
    mode === 'avro'
      ? new AvroRowWriter(schema, { write: () => {} }, { codec: 'null' })
      : batchRows(schema, async () => {});
  const check = Uint8Array.from(TYPES, (t) => (t === 'string' ? 0 : typeBit(t)));
  const track = Uint8Array.from(TYPES, (t) => (t === 'int64' ? 1 : 0));
  const masks = new Uint8Array(TYPES.length).fill(255);
  const seen = new Uint8Array(TYPES.length);
  const rules = { tokens: [], locale: undefined };
  let rows = 0;
  let bad = 0;
  const start = process.cpuUsage();
  const tokenizer = new CsvTokenizer({ delimiter: 0x2c, keepBlankLines: true }, (t) => {
    for (let r = 0; r < t.rowCount; r++) {
      if (t.rowLine[r] === 1 || t.rowFieldCount[r] !== TYPES.length) continue;
      if (sink.append(t, t.rowFirstField[r]!, rules, check, track, masks, seen) >= 0) bad++;
      rows++;
    }
  });
  for (let at = 0; at < bytes.length; at += 1 << 20) {
    tokenizer.push(bytes.subarray(at, Math.min(bytes.length, at + (1 << 20))));
    await sink.flush(false);
  }
  tokenizer.end();
  const cpu = process.cpuUsage(start);
  console.log(JSON.stringify({ mode, rows, bad, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }));
}

void main();
