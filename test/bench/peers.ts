/*
 * The parts of `npm run bench` (convert-bench.ts) that are not csv2lake's: where the Python peers are
 * found, how a child conversion is run and measured, and the one table of figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** What a child reports about its one conversion. */
export interface ChildReport {
  seconds: number;
  /** CPU seconds (user + system, every thread) spent in the conversion. */
  cpuSeconds: number;
  /** Peak RSS of the whole child process. */
  rssBytes: number;
  outBytes: number;
  rows: number;
}

/** A conversion as measured from the parent. */
export interface Measure extends ChildReport {
  wallSeconds: number;
}

/** One line of the table: a tool at a thread count, and its best run so far. */
export interface BenchRow {
  /** What `--only` matches. */
  readonly key: string;
  readonly tool: string;
  readonly threads: number;
  readonly run: () => Measure;
  /** Its Parquet output (a file, or a folder of them), whose column types are compared with csv2lake's. */
  readonly output?: string;
  best?: Measure;
  /**
   * Columns whose type differs in kind from csv2lake's Parquet output (e.g. `created_at VARCHAR`);
   * empty when every column matches; undefined when not compared. A peer that differs did another
   * conversion: it is shown, but not counted as "the fastest peer".
   */
  typeDifferences?: string[];
  /** Why a run failed (the row then shows it instead of figures, unless another run succeeded). */
  failure?: string;
}

export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Runs one child conversion (its stdout is its JSON report). */
export function spawnChild(root: string, command: string, childArgs: string[]): Measure {
  const env = {
    ...process.env,
    PATH: [dirname(process.execPath), join(root, 'node_modules/.bin'), process.env.PATH].join(delimiter),
  };
  const started = process.hrtime.bigint();
  const result = spawnSync(command, childArgs, { cwd: root, encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`child ${childArgs.join(' ')} failed: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  return { ...(JSON.parse(lines[lines.length - 1]!) as ChildReport), wallSeconds };
}

/** A Python that imports pyarrow and polars, with their versions. */
export interface PeerPython {
  readonly path: string;
  readonly pyarrow: string;
  readonly polars: string;
}

/**
 * The Python of the peers: `$CSV2LAKE_BENCH_PYTHON`, else the venv `v` or `.venv` in the repository or
 * beside it (`python3 -m venv v && v/bin/pip install pyarrow polars`); undefined when none imports both.
 */
export function findPython(root: string): PeerPython | undefined {
  const candidates = [
    process.env.CSV2LAKE_BENCH_PYTHON,
    ...['v', '.venv', '../v', '../.venv'].map((venv) => join(root, venv, 'bin/python')),
  ];
  for (const path of candidates) {
    if (!path || !existsSync(path)) continue;
    const check = spawnSync(path, [join(root, 'test/bench/peer-convert.py'), '--check'], {
      encoding: 'utf8',
    });
    const found = /pyarrow (\S+), polars (\S+)/u.exec(check.stdout);
    if (check.status === 0 && found) return { path, pyarrow: found[1]!, polars: found[2]! };
  }
  return undefined;
}

const MiB = 2 ** 20;

/** The kind of a DuckDB type name: integer widths alike, float and decimal alike, every timestamp alike. */
export function typeKind(duckdbType: string): string {
  if (/^(TINY|SMALL|BIG|HUGE|U?)INT|^INTEGER|^UBIGINT|^USMALLINT|^UTINYINT|^UINTEGER/u.test(duckdbType))
    return 'integer';
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL)/u.test(duckdbType)) return 'number';
  if (duckdbType.startsWith('TIMESTAMP')) return 'timestamp';
  if (duckdbType === 'VARCHAR' || duckdbType === 'BLOB') return 'text';
  return duckdbType; // BOOLEAN, DATE, TIME…
}

/** The columns of `other` whose kind differs from `reference`'s (name and DuckDB type), in its order. */
export function typeDifferences(reference: Map<string, string>, other: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const [name, type] of other) {
    const expected = reference.get(name);
    if (expected === undefined || typeKind(expected) !== typeKind(type))
      differences.push(`${name} ${type} (csv2lake ${expected ?? 'none'})`);
  }
  for (const name of reference.keys()) if (!other.has(name)) differences.push(`${name} missing`);
  return differences;
}
/**
 * Prints the table (markdown) of the rows' best runs, then csv2lake against issue 15's targets: Parquet
 * at least as fast as the fastest peer at its thread count and no larger than DuckDB's, Avro 1.5× DuckDB
 * at the same thread count, peak RSS ≤ 256 MB.
 */
export function printTable(rows: readonly BenchRow[], mb: number, expectRows: number | undefined): void {
  const duck1 = rows.find((r) => r.key === 'duckdb' && r.threads === 1)!.best!;
  const ok = rows.filter((r) => r.best);
  console.log('| tool | threads | s | MB/s | × DuckDB 1t | peak RSS | output | CPU s | column types |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const m = r.best;
    if (!m) {
      console.log(`| ${r.tool} | ${r.threads} | failed: ${r.failure ?? 'not run'} |`);
      continue;
    }
    const wrong = expectRows !== undefined && m.rows !== expectRows ? ` (ROWS ${m.rows})` : '';
    console.log(
      `| ${r.tool}${wrong} | ${r.threads} | ${m.seconds.toFixed(2)} | ${(mb / m.seconds).toFixed(1)} | ` +
        `${(duck1.seconds / m.seconds).toFixed(2)} | ${(m.rssBytes / MiB).toFixed(0)} MB | ` +
        `${(m.outBytes / 1e6).toFixed(1)} MB | ${m.cpuSeconds.toFixed(2)} | ${typesCell(r)} |`,
    );
  }
  const verdicts: string[] = [];
  for (const threads of [1, 2]) {
    const at = ok.filter((r) => r.threads === threads);
    const parquet = at.find((r) => r.key === 'csv2lake-parquet')?.best;
    const avro = at.find((r) => r.key === 'csv2lake-avro')?.best;
    const duck = at.find((r) => r.key === 'duckdb')!.best!;
    // The same conversion only: a peer that leaves a column csv2lake types as text is not a rival.
    const peers = at.filter(
      (r) => !r.key.startsWith('csv2lake') && !r.key.endsWith('avro') && r.typeDifferences?.length === 0,
    );
    const fastest = Math.min(...peers.map((r) => r.best!.seconds));
    const meets = (ok: boolean) => (ok ? 'meets' : 'MISSES');
    if (parquet)
      verdicts.push(
        `${threads}t Parquet ${(fastest / parquet.seconds).toFixed(2)}× the fastest Parquet peer ` +
          `(${meets(parquet.seconds <= fastest)} ≥ 1.0), ${(parquet.outBytes / duck.outBytes).toFixed(3)}× ` +
          `DuckDB's size (${meets(parquet.outBytes <= duck.outBytes)} ≤ 1.0)`,
      );
    if (avro)
      verdicts.push(
        `${threads}t Avro ${(duck.seconds / avro.seconds).toFixed(2)}× DuckDB ${threads}t ` +
          `(${meets(duck.seconds / avro.seconds >= 1.5)} ≥ 1.5)`,
      );
  }
  const rss = ok
    .filter((r) => r.key === 'csv2lake-parquet' || r.key === 'csv2lake-avro')
    .map((r) => r.best!.rssBytes);
  if (rss.length > 0)
    verdicts.push(
      `csv2lake peak RSS ≤ ${(Math.max(...rss) / MiB).toFixed(0)} MB (${Math.max(...rss) <= 256 * MiB ? 'meets' : 'MISSES'} ≤ 256 MB)`,
    );
  console.log(`\nTargets (issue 15): ${verdicts.join('; ')}`);
  const others = ok.filter((r) => (r.typeDifferences?.length ?? 0) > 0);
  if (others.length > 0)
    console.log(
      `Not counted as peers (another conversion: column types differ from csv2lake's): ` +
        others.map((r) => `${r.tool} ${r.threads}t: ${r.typeDifferences!.join(', ')}`).join('; '),
    );
}

/** The table's last cell: whether the row's Parquet columns have csv2lake's kinds of type. */
function typesCell(row: BenchRow): string {
  if (row.typeDifferences === undefined) return '';
  return row.typeDifferences.length === 0 ? 'as csv2lake' : `${row.typeDifferences.length} differ`;
}
