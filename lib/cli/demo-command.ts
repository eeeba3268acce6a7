import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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
  summary: 'run the whole workflow over a small sample dataset (what `npm start` runs)',
  usage: `Usage: csv2lake demo [--dir <folder>]

Writes a small sample dataset (orders, sensor readings with ';' delimiters, CRM contacts with rows that
are rejected) under <folder>/input (default .csv2lake/demo) and runs the csv2lake workflow over it
locally — the state machine \`cdk synth\` produces — writing Parquet, Avro, rejects and the run report
under <folder>/output. Run it twice: the second run skips every unchanged file.`,
  async run(args) {
    const at = args.indexOf('--dir');
    const root = resolve(at >= 0 && args[at + 1] ? args[at + 1]! : '.csv2lake/demo');
    for (const [key, text] of Object.entries(sampleFiles())) {
      const input = join(root, 'input', key);
      await mkdir(join(input, '..'), { recursive: true });
      // Left untouched when unchanged, so that a second run shows skip-unchanged at work.
      const existing = await readFile(input, 'utf8').catch(() => undefined);
      if (existing !== text) await writeFile(input, text);
    }
    const { run } = await import('./run-command');
    return run.run(['--input', join(root, 'input'), '--output', join(root, 'output')]);
  },
};
