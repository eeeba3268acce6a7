/* A run report as the reducer builds it, for the tests of what is written from it (report.md, report.json). */
import type { ItemAccount } from '../../../../lambdas/handlers/report/accounting';
import {
  asyncReportList,
  reportList,
  type RunReport,
} from '../../../../lambdas/handlers/report/report-types';
import type { PartFigures } from '../../../../lambdas/shared/payloads';

/** A failed run of three files (one failed) on AWS, its fields overridden by `overrides`. */
export function runReport(overrides: Partial<RunReport> = {}): RunReport {
  const failures = [
    {
      key: 'orders/bad.csv',
      errors: [{ format: 'parquet' as const, type: 'MalformedCsvError', message: 'line 3' }],
    },
  ];
  return {
    runId: 'run-20261207-abc123',
    status: 'FAILED',
    generatedAt: '2026-12-07T11:00:00.000Z',
    // What a folder run's RunContext says: the local bucket name, which no user knows.
    input: { bucket: 'csv2lake-input', prefix: '' },
    items: { total: 3, converted: 2, skipped: 0, failed: 1, ignored: 0 },
    rows: 42,
    rejectedRows: 0,
    bytesIn: 2048,
    bytesOut: { parquet: 1536, avro: 1_250_000 },
    durationMs: 4200,
    drift: [],
    columnTypes: [],
    collisions: [],
    cost: {
      stateTransitions: 31,
      lambdaRequests: 7,
      lambdaGbSeconds: 0.5,
      s3Requests: 20,
      s3Reads: 12,
      s3Writes: 8,
      usd: 0.001,
      prices: { stateTransition: 0, lambdaGbSecond: 0, lambdaRequest: 0, s3Write: 0, s3Read: 0 },
    },
    failures: reportList(failures.length, () => failures[Symbol.iterator]()),
    failedItems: reportList(0, () => [][Symbol.iterator]()),
    files: asyncReportList(0, () => []),
    rejectedFiles: [],
    ignoredKeys: asyncReportList(0, () => []),
    datasets: [],
    staleItems: [],
    partitions: new Map(),
    schemas: new Map(),
    ...overrides,
  };
}

/**
 * The account of a file converted in `count` byte ranges of 1.07 GB (1 GiB): range i holds 1,000 + i rows,
 * took 20 s + i × 100 ms, round 1; `part` overrides some ranges' figures.
 */
export function splitFile(
  key: string,
  count: number,
  part: (p: PartFigures) => Partial<PartFigures> = () => ({}),
): ItemAccount {
  const parts = Array.from({ length: count }, (_, index): PartFigures => {
    const p: PartFigures = {
      index,
      rows: 1000 + index,
      rejectedRows: 0,
      bytesIn: 2 ** 30,
      durationMs: 20_000 + index * 100,
      round: 1,
    };
    return { ...p, ...part(p) };
  });
  const sum = (of: (p: PartFigures) => number) => parts.reduce((t, p) => t + of(p), 0);
  return {
    key,
    status: 'converted',
    rows: sum((p) => p.rows),
    rejectedRows: sum((p) => p.rejectedRows),
    bytesIn: sum((p) => p.bytesIn),
    bytesOut: { parquet: 1000 },
    durationMs: 3000,
    errors: [],
    parts,
  };
}
