import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { convertFile } from '../../lambdas/io/convert-file';
import type { CliCommand } from './command';

/** A small, deterministic sample dataset: several files, one with rows that get rejected. */
export function sampleFiles(): Record<string, string> {
  const orders = ['order_id,customer,amount,currency,paid,ordered_at,ship_date'];
  for (let i = 1; i <= 500; i++) {
    orders.push(
      [
        1000 + i,
        i % 11 === 0 ? '"Müller, Anna"' : `customer-${i % 37}`,
        ((i * 7919) % 100000) / 100,
        ['EUR', 'USD', 'GBP'][i % 3],
        i % 4 === 0 ? 'false' : 'true',
        new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + i * 3600_000).toISOString(),
        i % 9 === 0 ? '' : new Date(Date.UTC(2026, 0, 3) + i * 86400_000).toISOString().slice(0, 10),
      ].join(','),
    );
  }
  const sensors = ['sensor;reading;unit;taken_at'];
  for (let i = 0; i < 300; i++)
    sensors.push(
      `s-${String(i % 12).padStart(3, '0')};${(20 + Math.sin(i) * 5).toFixed(3)};°C;2026-03-01 ${String(i % 24).padStart(2, '0')}:15:00`,
    );
  const crm = [
    'id,name,email,zip,notes',
    '1,Ada Lovelace,ada@example.com,00501,"likes ""engines"", and maths"',
    '2,Grace Hopper,grace@example.com,02134,',
    '3,Broken Row,missing-fields',
    '4,"Quote"d,x@example.com,10001,bad quoting',
    '5,Alan Turing,alan@example.com,94103,"multi',
    'line note"',
  ];
  return {
    'orders/2026-11-24.csv': orders.join('\n') + '\n',
    'sensors/readings.csv': sensors.join('\r\n') + '\r\n',
    'crm/contacts.csv': crm.join('\n') + '\n',
  };
}

/** `csv2lake demo`: what `npm start` runs. */
export const command: CliCommand = {
  summary: 'convert a small sample dataset and show where the outputs are (what `npm start` runs)',
  usage: `Usage: csv2lake demo [--dir <folder>]

Writes a small sample dataset (orders, sensor readings with ';' delimiters, CRM contacts with rows that
are rejected) under <folder>/input (default .csv2lake/demo) and converts every file to Parquet and Avro
under <folder>/output.`,
  async run(args) {
    const at = args.indexOf('--dir');
    const root = resolve(at >= 0 && args[at + 1] ? args[at + 1]! : '.csv2lake/demo');
    const files = sampleFiles();
    const lines: string[] = [];
    let rows = 0;
    let rejected = 0;
    for (const [key, text] of Object.entries(files)) {
      const input = join(root, 'input', key);
      await mkdir(join(input, '..'), { recursive: true });
      await writeFile(input, text);
      const result = await convertFile(input, join(root, 'output', key, '..'));
      rows += result.rows;
      rejected += result.rejectedRows;
      lines.push(
        `  ${key.padEnd(24)} ${String(result.rows).padStart(5)} rows  ${String(result.rejectedRows).padStart(3)} rejected  ` +
          result.columns.map((c) => `${c.name}:${c.type}`).join(' '),
      );
      if (result.outputs.rejects) lines.push(`  ${''.padEnd(24)} rejects → ${result.outputs.rejects}`);
    }
    process.stdout.write(
      [
        `csv2lake demo: converted ${Object.keys(files).length} files, ${rows} rows, ${rejected} rows rejected`,
        ...lines,
        `Inputs:  ${join(root, 'input')}`,
        `Outputs: ${join(root, 'output')} (<name>.parquet, <name>.avro, <name>.rejects.csv)`,
      ].join('\n') + '\n',
    );
    return 0;
  },
};
