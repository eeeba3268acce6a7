/*
 * The reconcile step (lambdas/ranges/reconcile.ts), pure: from the records of a file's ranges, what comes
 * next. Records are made by real range conversions of an awkward CSV (quoted line breaks, CRLF, multi-byte
 * text) whose `amount` widens from int64 to double in its last range; the steps are followed as the loop
 * (inline, or through the state machine) follows them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passOptions } from '../../../lambdas/core/run/pass-options';
import { readFileHead, type FileHead } from '../../../lambdas/ranges/file-head';
import { RangeDataError } from '../../../lambdas/ranges/join-parts';
import { convertRange, type RangeJob } from '../../../lambdas/ranges/part-pass';
import type { PartRecord } from '../../../lambdas/ranges/part-record';
import { folderParts, partName } from '../../../lambdas/ranges/part-store';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import { bufferReader } from '../../../lambdas/ranges/range-reader';
import {
  latestRecords,
  reconcile,
  type RangeVerdict,
  type ReconcileStep,
} from '../../../lambdas/ranges/reconcile';

const csv = (late: string) =>
  [
    'id,amount,note',
    ...Array.from({ length: 40_000 }, (_, i) =>
      i === 39_000
        ? late
        : `${i},${i * 3},"a ""quoted""\nnote ${'é'.repeat(i % 5)} ${i}"${i % 3 ? '' : '\r'}`,
    ),
    '',
  ].join('\n');
const widened = Buffer.from(csv('39000,12.5,late'));
const pass = passOptions({ formats: ['parquet'] });
const COUNT = 4;

async function setup(bytes: Buffer) {
  const reader = bufferReader('t.csv', bytes);
  const head = (await readFileHead(reader, pass)) as FileHead;
  const parts = folderParts(mkdtempSync(join(tmpdir(), 'reconcile-')));
  const ranges = cutEvenly(bytes.length, COUNT);
  const convert = (job: RangeJob) =>
    convertRange(
      {
        reader,
        head,
        pass,
        format: 'parquet',
        writer: {},
        sink: () => parts.sink(partName('parquet', job)),
      },
      job,
    );
  const first = await Promise.all(
    ranges.map((r) => convert({ index: r.index, start: r.start, end: r.end, exactStart: false })),
  );
  return { head, ranges, convert, first };
}

/** Follows the steps until one that is not a misplaced start (the loop converts those first). */
async function settleStarts(
  s: Awaited<ReturnType<typeof setup>>,
  records: (PartRecord | undefined)[],
  verdict?: RangeVerdict,
): Promise<ReconcileStep> {
  for (;;) {
    const step = reconcile({ name: 't.csv', head: s.head, pass, ranges: s.ranges, records, verdict });
    if (step.kind !== 'convert' || step.why !== 'misplaced') return step;
    for (const job of step.jobs) records[job.index] = await s.convert(job);
  }
}

test('a value widening a column in the last range: round 2 over every range with the verdict, then the join', async () => {
  // prepare
  const s = await setup(widened);
  const records: (PartRecord | undefined)[] = [...s.first];
  // act
  const step = await settleStarts(s, records);
  if (step.kind !== 'convert') throw new Error(`expected round 2, got ${step.kind}`);
  for (const job of step.jobs) records[job.index] = await s.convert(job);
  const after = reconcile({
    name: 't.csv',
    head: s.head,
    pass,
    ranges: s.ranges,
    records,
    verdict: step.verdict,
  });
  // assert
  expect(step).toMatchObject({ why: 'widened', round: 2 });
  expect(step.jobs.map((j) => [j.index, j.round, j.exactStart])).toEqual(
    s.ranges.map((r) => [r.index, 2, true]),
  );
  expect(step.verdict?.types).toEqual(['int64', 'double', 'string']);
  expect(step.message).toBe('round 2: 4 of 4 ranges convert again: column amount widened int64 → double');
  expect(step.verdict?.starts[0]).toBe(0);
  expect(after).toMatchObject({ kind: 'join', rounds: 2, types: ['int64', 'double', 'string'] });
});

test('no widening: the join, with the head types and round 1 parts', async () => {
  // prepare
  const s = await setup(Buffer.from(csv('39000,12,late')));
  // act
  const step = await settleStarts(s, [...s.first]);
  // assert
  expect(step).toMatchObject({ kind: 'join', rounds: 1, types: ['int64', 'int64', 'string'] });
  if (step.kind === 'join') expect(step.records.every((r) => r.round === 1 && r.held)).toBe(true);
});

test('a range without a record is converted as planned (speculative start), alone', async () => {
  // prepare
  const s = await setup(widened);
  const records = [...s.first] as (PartRecord | undefined)[];
  records[2] = undefined;
  // act
  const step = reconcile({ name: 't.csv', head: s.head, pass, ranges: s.ranges, records });
  // assert
  expect(step).toMatchObject({ kind: 'convert', why: 'missing', round: 1 });
  if (step.kind === 'convert') {
    expect(step.jobs).toEqual([
      { index: 2, start: s.ranges[2]!.start, end: s.ranges[2]!.end, exactStart: false },
    ]);
    expect(step.message).toContain('1 of 4 ranges have no part yet');
  }
});

test('round 2 under way: only the ranges without a round-2 record convert, from the verdict starts', async () => {
  // prepare
  const s = await setup(widened);
  const records: (PartRecord | undefined)[] = [...s.first];
  const step = await settleStarts(s, records);
  if (step.kind !== 'convert' || !step.verdict) throw new Error('expected round 2');
  for (const job of step.jobs.filter((j) => j.index !== 1)) records[job.index] = await s.convert(job);
  // act
  const next = reconcile({
    name: 't.csv',
    head: s.head,
    pass,
    ranges: s.ranges,
    records,
    verdict: step.verdict,
  });
  // assert
  expect(next).toMatchObject({ kind: 'convert', why: 'widened', round: 2 });
  if (next.kind === 'convert') {
    expect(next.jobs).toEqual([
      {
        index: 1,
        start: step.verdict.starts[1],
        end: s.ranges[1]!.end,
        exactStart: true,
        round: 2,
        types: step.verdict.types,
      },
    ]);
    expect(next.message).toBe('round 2: 1 of 4 ranges convert again: column amount widened int64 → double');
    expect(next.verdict).toBeUndefined();
  }
});

test('a round-2 part that ends elsewhere than round 1 fails the file', async () => {
  // prepare
  const s = await setup(widened);
  const records: (PartRecord | undefined)[] = [...s.first];
  const step = await settleStarts(s, records);
  if (step.kind !== 'convert' || !step.verdict) throw new Error('expected round 2');
  for (const job of step.jobs) records[job.index] = await s.convert(job);
  const verdict = { ...step.verdict, ends: step.verdict.ends.map((e, i) => (i === 1 ? e + 1 : e)) };
  // act
  const next = reconcile({ name: 't.csv', head: s.head, pass, ranges: s.ranges, records, verdict });
  // assert
  expect(next.kind).toBe('fail');
  if (next.kind === 'fail') expect(next.error.message).toContain('round 2 of range 1 did not reproduce');
});

test("a data error in a range whose start is right fails the file, saying where the range's lines start", async () => {
  // prepare
  const s = await setup(widened);
  const records: (PartRecord | undefined)[] = [...s.first];
  await settleStarts(s, records);
  const bad = { ...records[2]!, error: { name: 'MalformedCsvError', message: 'unterminated quote' } };
  records[2] = bad;
  // act
  const step = reconcile({ name: 't.csv', head: s.head, pass, ranges: s.ranges, records });
  // assert
  expect(step.kind).toBe('fail');
  if (step.kind === 'fail') {
    expect(step.error).toBeInstanceOf(RangeDataError);
    expect(step.error.name).toBe('MalformedCsvError');
    expect(step.error.message).toContain(`in the range from byte ${bad.start} of t.csv`);
  }
});

test('latestRecords: a round-2 record over a round-1 one, whatever the order; none where none', () => {
  // prepare
  const r = (index: number, round: 1 | 2) =>
    ({ index, round, format: 'parquet', start: index, exactStart: true }) as PartRecord;
  // act
  const latest = latestRecords([r(0, 2), r(0, 1), r(2, 1), r(2, 2), r(1, 1), r(9, 1)], 4);
  // assert
  expect(latest.map((x) => x && [x.index, x.round])).toEqual([[0, 2], [1, 1], [2, 2], undefined]);
});

test("parts written before the dataset's schema gained a column (their floor) cannot share the join's footer: round 2", async () => {
  // prepare: the parts were converted with no stored schema; the join's floor has one more column.
  const s = await setup(Buffer.from(csv('39000,12,late')));
  const records: (PartRecord | undefined)[] = [...s.first];
  await settleStarts(s, records);
  const floor = passOptions({
    formats: ['parquet'],
    table: {
      recordName: 't',
      columns: [
        { name: 'id', type: 'int64' },
        { name: 'amount', type: 'int64' },
        { name: 'note', type: 'string' },
        { name: 'extra', type: 'string' },
      ],
    },
  });
  // act
  const step = reconcile({ name: 't.csv', head: s.head, pass: floor, ranges: s.ranges, records });
  // assert
  expect(step).toMatchObject({ kind: 'convert', why: 'widened', round: 2 });
  if (step.kind === 'convert')
    expect(step.message).toBe(
      "round 2: 4 of 4 ranges convert again: the dataset's schema changed while the ranges converted",
    );
});
