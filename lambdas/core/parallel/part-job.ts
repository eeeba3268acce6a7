import { closeSync, openSync, writeSync } from 'node:fs';
import { readFileChunks } from '../bytes/file-chunks';
import type { CsvTokenizer } from '../csv/tokenizer';
import type { TableSchema } from '../model/schema';
import { outputSchema } from '../model/table-layout';
import { createParquetWriter } from '../parquet/parquet-writer';
import { AvroRowWriter } from '../rows/avro-rows';
import { batchRows } from '../rows/column-sink';
import type { RowSink } from '../rows/value-rules';
import { avroOptions, parquetOptions } from '../run/local-writers';
import { claimedChunks, type Claims } from './claims';
import type { PartOutput, RangeJob, RangeOutcome } from './messages';
import { rangePass } from './range-pass';

/**
 * Converts a part of a file, from `job.start` to the end, to Avro blocks or Parquet row groups in the
 * job's `outPath`: on the second thread, or on the first once it has taken the end of the file off the
 * second (see split-run.ts). With `claims`, the part ends where the other thread stops it (see
 * `claimedChunks`), and the outcome says whether it ended at a row boundary there.
 */
export async function convertPart(job: RangeJob, claims?: Claims): Promise<RangeOutcome> {
  const fd = openSync(job.outPath, 'w');
  let written = 0;
  const sink = {
    write(chunk: Uint8Array) {
      for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at, chunk.length - at, written + at);
      written += chunk.length;
    },
  };
  try {
    let finish: (() => Promise<PartOutput>) | undefined;
    const open = (schema: TableSchema): RowSink => {
      if (job.format === 'avro') {
        const avro = new AvroRowWriter(schema, sink, { ...avroOptions(job.writer), headerless: true });
        finish = async () => ({ format: 'avro', avro: (await avro.close()).avro });
        return avro;
      }
      const parquet = createParquetWriter(schema, sink, { ...parquetOptions(job.writer), part: true });
      finish = async () => ({ format: 'parquet', parquet: await parquet.closePart() });
      return batchRows(schema, (batch) => parquet.write(batch));
    };
    const holder: { tokenizer?: CsvTokenizer } = {};
    let stop: RangeOutcome['stop'];
    const whole = readFileChunks(job.path, { start: job.start, reuse: true });
    const chunks = claims
      ? claimedChunks(whole, job.start, claims, () => {
          const t = holder.tokenizer;
          stop = { atRowStart: t?.atRowStart === true, lines: (t?.currentLine ?? 1) - 1 };
        })
      : whole;
    const result = await rangePass(
      job.name,
      chunks,
      job.pass,
      job.context,
      {
        // The same output schema as the first part's: with the file's table, in the table's order.
        schemaFor: (headers, types) => outputSchema(headers, types, job.pass.table),
        open,
      },
      holder,
    );
    const tail = result.held && finish ? await finish() : undefined;
    return { result, tail, ...(stop ? { stop } : {}) };
  } finally {
    closeSync(fd);
  }
}
