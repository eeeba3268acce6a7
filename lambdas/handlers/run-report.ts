import type { OutputFormat } from '../core/convert';
import { printable } from '../core/errors';
import type { ObjectStore } from '../io/object-store';
import { readText, writeStreaming } from '../io/object-text';
import type {
  ConvertItem,
  ConvertResult,
  MapResultLocation,
  ReduceResult,
  RunContext,
} from '../shared/payloads';

/**
 * Unit prices for the cost estimate (us-east-1, on-demand, as published by AWS in 2026). Override them
 * through {@link ReportOptions.prices}.
 */
export const DEFAULT_PRICES = {
  /** Step Functions standard, per state transition. */
  stateTransition: 0.000025,
  /** Lambda x86_64, per GB-second. */
  lambdaGbSecond: 0.0000166667,
  /** Lambda, per request. */
  lambdaRequest: 0.0000002,
  /** S3 Standard PUT, COPY, POST, LIST, per request. */
  s3Write: 0.000005,
  /** S3 Standard GET, HEAD, per request. */
  s3Read: 0.0000004,
};

/** Transitions per child execution: Choice, Parallel, two Tasks, their branch ends, the child's end. */
const TRANSITIONS_PER_ITEM = 7;

export interface ReportOptions {
  readonly lambdaMemoryMb: number;
  readonly prices?: Partial<typeof DEFAULT_PRICES>;
}

/** One input key's account, over both formats. */
export interface ItemAccount {
  key: string;
  status: 'converted' | 'skipped' | 'failed';
  rows: number;
  rejectedRows: number;
  bytesIn: number;
  bytesOut: Partial<Record<OutputFormat, number>>;
  durationMs: number;
  errors: { format: OutputFormat | 'workflow'; type: string; message: string }[];
  columns?: readonly { name: string; type: string }[];
}

/** The run report (report.json). */
export interface RunReport {
  runId: string;
  status: 'SUCCEEDED' | 'FAILED';
  generatedAt: string;
  input: { bucket: string; prefix: string };
  items: { total: number; converted: number; skipped: number; failed: number; ignored: number };
  rows: number;
  rejectedRows: number;
  bytesIn: number;
  bytesOut: Partial<Record<OutputFormat, number>>;
  durationMs: number;
  drift: { folder: string; differences: string[] }[];
  /** Input keys that map to the same output key (e.g. `a.csv` and `a.csv.gz`): only one output survives. */
  collisions: OutputCollision[];
  cost: {
    stateTransitions: number;
    lambdaGbSeconds: number;
    s3Requests: number;
    usd: number;
    prices: typeof DEFAULT_PRICES;
  };
  failures: { key: string; errors: ItemAccount['errors'] }[];
  /** The failed items as the Map gave them to their children (for the retry map). */
  failedItems: ConvertItem[];
  files: ItemAccount[];
  ignoredKeys: string[];
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Every key under a prefix, page by page. */
async function listAll(store: ObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.list(bucket, prefix, token ? { token } : {});
    for (const o of page.objects) keys.push(o.key);
    token = page.nextToken;
  } while (token);
  return keys;
}

/** One child execution in a Distributed Map result file (the fields the report reads). */
export interface MapResultEntry {
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
  Status?: string;
  StopDate?: string | number;
}

/**
 * Cuts a JSON array of objects, given as text in pieces, into the text of each element, so that a result
 * file of any size is parsed one entry at a time (the service's files reach hundreds of MB).
 */
export class JsonArraySplitter {
  private started = false;
  private ended = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];

  /** The elements completed by this piece of text. */
  push(text: string): string[] {
    const out: string[] = [];
    let from = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.depth === 0) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (!this.started && c === 0x5b /* [ */) this.started = true;
        else if (this.started && !this.ended && c === 0x2c /* , */) continue;
        else if (this.started && !this.ended && c === 0x5d /* ] */) this.ended = true;
        else if (this.started && !this.ended && c === 0x7b /* { */) {
          this.depth = 1;
          from = i;
        } else throw new Error(`not a JSON array of objects: unexpected ${JSON.stringify(text[i])}`);
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if ((c === 0x7d || c === 0x5d) && --this.depth === 0) {
        this.parts.push(text.slice(from, i + 1));
        out.push(this.parts.join(''));
        this.parts = [];
        from = -1;
      }
    }
    if (this.depth > 0 && from >= 0) this.parts.push(text.slice(from));
    return out;
  }

  /** @throws Error when the array was not closed. */
  end(): void {
    if (!this.ended) throw new Error('not a JSON array of objects: it ends before its closing ]');
  }
}

/**
 * A result file's entries, one at a time as its body streams: a JSON array, or JSON Lines (ResultWriter
 * `OutputType: JSONL`). Memory is one entry and one chunk, whatever the file's size.
 */
export async function* resultEntries(body: AsyncIterable<Uint8Array>): AsyncGenerator<MapResultEntry> {
  const decoder = new TextDecoder();
  let mode: 'array' | 'lines' | undefined;
  const splitter = new JsonArraySplitter();
  let line = '';
  const feed = function* (text: string): Generator<MapResultEntry> {
    if (mode === undefined) {
      const first = /\S/.exec(text)?.[0];
      if (first === undefined) return;
      mode = first === '[' ? 'array' : 'lines';
    }
    if (mode === 'array') {
      for (const element of splitter.push(text)) yield JSON.parse(element) as MapResultEntry;
      return;
    }
    const lines = (line + text).split('\n');
    line = lines.pop()!;
    for (const l of lines) if (l.trim() !== '') yield JSON.parse(l) as MapResultEntry;
  };
  for await (const chunk of body) yield* feed(decoder.decode(chunk, { stream: true }));
  yield* feed(decoder.decode());
  if (mode === 'array') splitter.end();
  else if (line.trim() !== '') yield JSON.parse(line) as MapResultEntry;
}

/** A result file's entries from its whole text (see {@link resultEntries}). */
export function parseResultFile(text: string): MapResultEntry[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as MapResultEntry[];
  return trimmed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MapResultEntry);
}

/** The input keys of one child: one item, or an ItemBatcher batch `{Items: [...]}`. */
function itemsOf(input: string | undefined): Partial<ConvertItem>[] {
  if (!input) return [];
  const parsed = JSON.parse(input) as Partial<ConvertItem> & { Items?: Partial<ConvertItem>[] };
  if (Array.isArray(parsed.Items)) return parsed.Items;
  return [parsed];
}

/** What the Distributed Maps said about one key, the last map (in `mapResults` order) that had it. */
interface MapVerdict {
  status: string;
  error?: string;
  cause?: string;
  stoppedAt?: number;
  input: ConvertItem;
}

/** Two input keys that wrote the same output object: the later one replaced the other's output. */
export interface OutputCollision {
  readonly outputKey: string;
  readonly inputKeys: string[];
}

/**
 * Builds the run report from the per-item records (`_runs/<runId>/items/`, one per key and format,
 * overwritten by every attempt, so retries and redrives are counted once) and the Distributed Map result
 * files (for children that failed without a record: throttled, timed out before starting, crashed; and for
 * the keys the map ignored). A key is:
 * - failed when its latest record of some format failed, or when the last map that ran it reports the child
 *   failed and no record was written after that failure (a redrive that succeeded writes newer records);
 * - otherwise converted when a format converted it, skipped when every format found it unchanged.
 */
export async function buildRunReport(
  store: ObjectStore,
  run: RunContext,
  mapResults: readonly MapResultLocation[],
  options: ReportOptions,
  now: Date,
): Promise<RunReport> {
  const accounts = new Map<string, ItemAccount>();
  const account = (key: string): ItemAccount => {
    let a = accounts.get(key);
    if (!a) {
      a = {
        key,
        status: 'converted',
        rows: 0,
        rejectedRows: 0,
        bytesIn: 0,
        bytesOut: {},
        durationMs: 0,
        errors: [],
      };
      accounts.set(key, a);
    }
    return a;
  };
  const recordKeys = await listAll(store, run.outputBucket, `_runs/${run.runId}/items/`);
  const statuses = new Map<string, Set<string>>();
  /** Per key, per format: when its latest record was written and whether it failed. */
  const latest = new Map<string, Map<OutputFormat, { failed: boolean; at: number; sourceEtag?: string }>>();
  // The run's formats: a file converted only when every one of them has a good record.
  const runFormats = Object.keys(run.outputPrefixes) as OutputFormat[];
  const outputs = new Map<string, Set<string>>();
  let lambdaMs = 0;
  await eachLimit(recordKeys, 32, async (recordKey) => {
    const r = JSON.parse(await readText(store, run.outputBucket, recordKey)) as ConvertResult;
    const a = account(r.key);
    lambdaMs += r.durationMs;
    (statuses.get(r.key) ?? statuses.set(r.key, new Set()).get(r.key)!).add(r.status);
    const at = Date.parse(r.at);
    (latest.get(r.key) ?? latest.set(r.key, new Map()).get(r.key)!).set(r.format, {
      failed: r.status === 'failed',
      at: Number.isNaN(at) ? 0 : at,
      ...(r.sourceEtag !== undefined ? { sourceEtag: r.sourceEtag } : {}),
    });
    if (r.status !== 'failed' && r.outputKey)
      (outputs.get(r.outputKey) ?? outputs.set(r.outputKey, new Set()).get(r.outputKey)!).add(r.key);
    if (r.status === 'failed') {
      a.errors.push({ format: r.format, type: r.error?.type ?? 'Error', message: r.error?.message ?? '' });
      return;
    }
    if (r.status === 'converted') {
      a.rows = r.rows ?? 0;
      a.rejectedRows = r.rejectedRows ?? 0;
      a.bytesIn = r.bytesIn ?? 0;
      a.bytesOut[r.format] = r.bytesOut ?? 0;
      a.durationMs = Math.max(a.durationMs, r.durationMs);
      if (r.columns) a.columns = r.columns;
    }
  });

  // One result file at a time, streamed one entry at a time; later maps (the retry map) override what earlier ones said about a key.
  const verdicts = new Map<string, MapVerdict>();
  for (const location of mapResults) {
    const details = location.ResultWriterDetails;
    if (!details) continue;
    const manifest = JSON.parse(await readText(store, details.Bucket, details.Key)) as {
      DestinationBucket?: string;
      ResultFiles?: Record<string, { Key: string }[]>;
    };
    const bucket = manifest.DestinationBucket ?? details.Bucket;
    for (const [kind, files] of Object.entries(manifest.ResultFiles ?? {})) {
      for (const file of files) {
        for await (const entry of resultEntries(await store.get(bucket, file.Key))) {
          const ignored =
            kind === 'SUCCEEDED' && entry.Output
              ? Boolean((JSON.parse(entry.Output) as { ignored?: boolean }).ignored)
              : false;
          for (const input of itemsOf(entry.Input)) {
            if (!input.key) continue;
            const stoppedAt =
              entry.StopDate === undefined ? NaN : new Date(entry.StopDate as string | number).getTime();
            verdicts.set(input.key, {
              status: ignored ? 'IGNORED' : (entry.Status ?? kind),
              ...(entry.Error !== undefined ? { error: entry.Error } : {}),
              ...(entry.Cause !== undefined ? { cause: entry.Cause } : {}),
              ...(Number.isNaN(stoppedAt) ? {} : { stoppedAt }),
              input: input as ConvertItem,
            });
          }
        }
      }
    }
  }
  const ignoredKeys: string[] = [];
  const failedInputs = new Map<string, ConvertItem>();
  for (const [key, verdict] of verdicts) {
    if (verdict.status === 'IGNORED') {
      if (!statuses.has(key)) ignoredKeys.push(key);
      continue;
    }
    if (verdict.status === 'SUCCEEDED') continue;
    const set = statuses.get(key);
    // The child failed. A later attempt (a redrive) made it good only if EVERY format of the run has a good
    // record, one of them written after the child stopped (a redrive re-runs only the failed branch of the
    // Parallel). One good format proves nothing: the child fails when one branch does, and a function
    // killed before it wrote anything (out of memory, an invocation error) leaves no record of its format.
    const records = latest.get(key);
    const good = runFormats.map((format) => records?.get(format));
    // Nor do good records of two versions of the file: that is why such a child failed (SameVersion).
    const versions = new Set(good.map((r) => r?.sourceEtag).filter((e) => e !== undefined));
    const superseded =
      good.length > 0 &&
      good.every((r) => r !== undefined && !r.failed) &&
      versions.size <= 1 &&
      (verdict.stoppedAt === undefined || good.some((r) => r!.at > verdict.stoppedAt!));
    if (superseded) continue;
    failedInputs.set(key, verdict.input);
    if (!set?.has('failed')) {
      account(key).errors.push({
        format: 'workflow',
        type: verdict.error ?? verdict.status,
        message: verdict.cause ?? '',
      });
      statuses.set(key, new Set([...(set ?? []), 'failed']));
    }
  }
  for (const [key, set] of statuses) {
    const a = account(key);
    // The latest record per format is the only one kept, so any failed record is a current failure.
    a.status = set.has('failed') ? 'failed' : set.has('converted') ? 'converted' : 'skipped';
    if (a.status !== 'failed') a.errors = [];
  }
  const collisions: OutputCollision[] = [...outputs]
    .filter(([, keys]) => keys.size > 1)
    .map(([outputKey, keys]) => ({ outputKey, inputKeys: [...keys].sort() }))
    .sort((x, y) => (x.outputKey < y.outputKey ? -1 : 1));

  const files = [...accounts.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const count = (s: ItemAccount['status']) => files.filter((f) => f.status === s).length;
  const failed = count('failed');
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  const formats = runFormats.length;
  const lambdaGbSeconds = (lambdaMs / 1000) * (options.lambdaMemoryMb / 1024);
  const stateTransitions = 10 + (files.length + ignoredKeys.length) * TRANSITIONS_PER_ITEM;
  const s3Requests =
    files.length * formats * 5 +
    recordKeys.length * 2 +
    Math.ceil((files.length + ignoredKeys.length) / 1000);
  const usd =
    stateTransitions * prices.stateTransition +
    lambdaGbSeconds * prices.lambdaGbSecond +
    files.length * formats * prices.lambdaRequest +
    s3Requests * prices.s3Write;
  const bytesOut: Partial<Record<OutputFormat, number>> = {};
  for (const f of files)
    for (const [format, n] of Object.entries(f.bytesOut))
      bytesOut[format as OutputFormat] = (bytesOut[format as OutputFormat] ?? 0) + n;

  return {
    runId: run.runId,
    status: failed > 0 ? 'FAILED' : 'SUCCEEDED',
    generatedAt: now.toISOString(),
    input: { bucket: run.inputBucket, prefix: run.inputPrefix },
    items: {
      total: files.length + ignoredKeys.length,
      converted: count('converted'),
      skipped: count('skipped'),
      failed,
      ignored: ignoredKeys.length,
    },
    rows: files.reduce((n, f) => n + f.rows, 0),
    rejectedRows: files.reduce((n, f) => n + f.rejectedRows, 0),
    bytesIn: files.reduce((n, f) => n + f.bytesIn, 0),
    bytesOut,
    durationMs: files.reduce((n, f) => n + f.durationMs, 0),
    drift: schemaDrift(files),
    collisions,
    cost: {
      stateTransitions,
      lambdaGbSeconds: Math.round(lambdaGbSeconds * 1000) / 1000,
      s3Requests,
      usd: Math.round(usd * 1e6) / 1e6,
      prices,
    },
    failures: files.filter((f) => f.status === 'failed').map((f) => ({ key: f.key, errors: f.errors })),
    // Retried with the version the file has then, not the one listed (see ConvertItem.current).
    failedItems: files
      .filter((f) => f.status === 'failed' && failedInputs.has(f.key))
      .map((f) => ({ ...failedInputs.get(f.key)!, current: true })),
    files,
    ignoredKeys: ignoredKeys.sort(),
  };
}

/** Files of one folder whose columns or types differ from the folder's first file. */
export function schemaDrift(files: readonly ItemAccount[]): { folder: string; differences: string[] }[] {
  const byFolder = new Map<string, ItemAccount[]>();
  for (const f of files) {
    if (!f.columns) continue;
    const folder = f.key.includes('/') ? f.key.slice(0, f.key.lastIndexOf('/') + 1) : '';
    (byFolder.get(folder) ?? byFolder.set(folder, []).get(folder)!).push(f);
  }
  const drift: { folder: string; differences: string[] }[] = [];
  for (const [folder, group] of byFolder) {
    const [base, ...rest] = group;
    const baseTypes = new Map(base!.columns!.map((c) => [c.name, c.type]));
    const differences: string[] = [];
    for (const f of rest) {
      const types = new Map(f.columns!.map((c) => [c.name, c.type]));
      for (const [name, type] of types) {
        if (!baseTypes.has(name))
          differences.push(`${f.key}: column "${name}" (${type}) is not in ${base!.key}`);
        else if (baseTypes.get(name) !== type)
          differences.push(`${f.key}: column "${name}" is ${type}, ${baseTypes.get(name)} in ${base!.key}`);
      }
      for (const name of baseTypes.keys())
        if (!types.has(name)) differences.push(`${f.key}: column "${name}" of ${base!.key} is missing`);
    }
    if (differences.length > 0) drift.push({ folder, differences });
  }
  return drift;
}

/**
 * A key as Markdown code: on one line whatever it holds (see printable), in a backtick fence longer than
 * any run of backticks in it.
 */
function code(key: string): string {
  const text = printable(key);
  const fence = '`'.repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return `${fence}${text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text}${fence}`;
}

/** The report as a person reads it (report.md). */
export function renderReport(report: RunReport): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const lines = [
    `# csv2lake run ${report.runId}: ${report.status}`,
    '',
    `Input: s3://${report.input.bucket}/${report.input.prefix} — generated ${report.generatedAt}`,
    '',
    '| files | converted | skipped (unchanged) | failed | not CSV | rows | rejected rows | in | out |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${report.items.total} | ${report.items.converted} | ${report.items.skipped} | ${report.items.failed} | ${report.items.ignored} | ${report.rows} | ${report.rejectedRows} | ${mb(report.bytesIn)} | ${Object.entries(
      report.bytesOut,
    )
      .map(([f, n]) => `${f} ${mb(n)}`)
      .join(', ')} |`,
    '',
    `Estimated AWS cost: $${report.cost.usd.toFixed(4)} (${report.cost.stateTransitions} state transitions, ${report.cost.lambdaGbSeconds} Lambda GB-s, ${report.cost.s3Requests} S3 requests).`,
  ];
  if (report.failures.length > 0) {
    lines.push(
      '',
      '## Failed files',
      '',
      'Fix or remove them, then Redrive the execution in the Step Functions console (only these run again).',
      '',
    );
    for (const f of report.failures.slice(0, 200)) {
      lines.push(
        `- ${code(f.key)}: ${printable(f.errors.map((e) => `${e.format} ${e.type}: ${e.message}`).join('; '))}`,
      );
    }
    if (report.failures.length > 200)
      lines.push(`- … and ${report.failures.length - 200} more in report.json`);
  }
  if (report.drift.length > 0) {
    lines.push('', '## Schema drift', '');
    for (const d of report.drift)
      for (const line of d.differences.slice(0, 50)) lines.push(`- ${d.folder || '(top level)'}: ${line}`);
  }
  if (report.collisions.length > 0) {
    lines.push(
      '',
      '## Output collisions',
      '',
      'These input files map to the same output object; only the last one written is there. Rename one of them.',
      '',
    );
    for (const c of report.collisions.slice(0, 50))
      lines.push(`- ${code(c.outputKey)} ← ${c.inputKeys.map(code).join(', ')}`);
  }
  const rejected = report.files.filter((f) => f.rejectedRows > 0);
  if (rejected.length > 0) {
    lines.push('', '## Files with rejected rows', '');
    for (const f of rejected.slice(0, 200))
      lines.push(`- ${code(f.key)}: ${f.rejectedRows} rows (see its .rejects.csv beside the outputs)`);
  }
  return lines.join('\n') + '\n';
}

/** The JSON text of an array, one element per line, piece by piece. */
function* arrayJson(elements: readonly unknown[], indent = ''): Generator<string> {
  if (elements.length === 0) {
    yield '[]';
    return;
  }
  for (const [i, element] of elements.entries())
    yield `${i === 0 ? '[' : ','}\n${indent}  ${JSON.stringify(element)}`;
  yield `\n${indent}]`;
}

/** The JSON text of an object, piece by piece: the `streamed` array fields element by element. */
function* objectJson(value: object, streamed: readonly string[]): Generator<string> {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  for (const [i, [name, field]] of entries.entries()) {
    yield `${i === 0 ? '{' : ','}\n  ${JSON.stringify(name)}: `;
    if (streamed.includes(name) && Array.isArray(field)) yield* arrayJson(field, '  ');
    else yield JSON.stringify(field);
  }
  yield entries.length === 0 ? '{}\n' : '\n}\n';
}

/** Writes report.json, report.md and (when items failed) failed-items.json; returns the small summary. */
export async function writeRunReport(
  store: ObjectStore,
  run: RunContext,
  report: RunReport,
): Promise<ReduceResult> {
  const { failedItems } = report;
  const base = `_runs/${run.runId}/`;
  await writeStreaming(
    store,
    run.outputBucket,
    `${base}report.json`,
    objectJson(report, ['files', 'failures', 'failedItems', 'ignoredKeys']),
  );
  await store.put(run.outputBucket, `${base}report.md`, renderReport(report), {
    contentType: 'text/markdown',
  });
  let failedItemsKey: string | undefined;
  if (failedItems.length > 0) {
    failedItemsKey = `${base}failed-items.json`;
    // A JSON array: the retry map's ItemReader reads it.
    await writeStreaming(store, run.outputBucket, failedItemsKey, arrayJson(failedItems));
  }
  return {
    runId: run.runId,
    status: report.status,
    items: {
      total: report.items.total,
      converted: report.items.converted,
      skipped: report.items.skipped,
      failed: report.items.failed,
    },
    rejectedRows: report.rejectedRows,
    reportKey: `${base}report.json`,
    ...(failedItemsKey ? { failedItemsKey } : {}),
  };
}
