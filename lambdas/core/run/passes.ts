import { RejectSink } from '../csv/rejects';
import { isBlank } from '../csv/fields';
import type { InputInfo } from '../csv/input';
import { CsvTokenizer } from '../csv/tokenizer';
import { MalformedCsvError } from '../model/errors';
import type { ColumnType, TableSchema } from '../model/schema';
import { fileColumns } from '../model/table-layout';
import type { RowSink } from '../rows/value-rules';
import { resolveDialect, type ResolvedDialect } from './dialect-resolution';
import { InferenceState, speculate } from './inference';
import { fieldRules, tokenizerOptions, type PassOptions } from './pass-options';
import { scan } from './scan';
import type { Speculation, SpeculativeOutput } from './speculation';
import type { SplitHooks } from './split-hooks';

/** What the first pass learns about a file. */
export interface FilePlan {
  readonly delimiter: string;
  readonly dialect: ResolvedDialect;
  readonly headers: readonly string[];
  readonly types: readonly ColumnType[];
  /** Lines (1-based, where the row starts) of the rows rejected by the first pass. */
  readonly rejectedLines: ReadonlySet<number>;
  readonly rows: number;
  readonly info: InputInfo;
}

/** What the first pass did. */
export interface FirstPassResult extends FilePlan {
  /** Rows accepted. */
  readonly rows: number;
  /** True when the rows were converted with the final types: the writers opened hold the whole output. */
  readonly converted: boolean;
  /** True when writers were opened (and must be discarded unless `converted`). */
  readonly opened: boolean;
  /**
   * When most rows were rejected (more than half, and more than 10): what to try, since the dialect read
   * with is then most likely not the file's.
   */
  readonly advice?: string;
  /** What the user should know: columns kept as text because their numbers are ambiguous, and why. */
  readonly warnings: readonly string[];
}

/**
 * The first pass. It sniffs the dialect, reads the header, rejects malformed rows (and rows that do not fit
 * an explicit schema) and infers each column's type from every value.
 *
 * With `output`, it also converts as it reads: the types are guessed from the first MiB, each value is
 * checked against its column's guess while it is converted, and the batches go to the writers. Since a
 * column's final type can only be wider than the guess, the guess is final when every value fits it (and
 * the columns the sample had no value for stayed text): then the file is read ONCE. At the first value that
 * does not fit, conversion stops, inference goes on alone, and the caller runs {@link writePass} with the
 * final types.
 *
 * @throws MalformedCsvError when more rows are rejected than `maxRejects`, or the header is unusable.
 */
export async function firstPass(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  rejects: RejectSink,
  output?: SpeculativeOutput,
  split?: SplitHooks,
): Promise<FirstPassResult> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const state = new InferenceState(name, options, rejects);
  let spec: Speculation | undefined;
  let opened = false;

  // With no decimal or thousands separator given, the sample is read for numbers whose locale is ambiguous.
  const sniffSpelling =
    options.values?.decimalSeparator === undefined && options.values?.thousandsSeparator === undefined;
  const onStart = (sample: Uint8Array, complete: boolean, dialect: ResolvedDialect): void => {
    state.layout = dialect;
    if (!output && !sniffSpelling) return;
    const guess = new InferenceState(name, options, undefined);
    guess.layout = dialect;
    if (sniffSpelling) guess.sniffSpelling();
    // With the limits too: a header past them fails here, before the guess starts anything.
    const tokenizer = new CsvTokenizer(
      tokenizerOptions(name, dialect, options, (i) => guess.headers?.[i]),
      (t) => guess.onRows(t, undefined),
    );
    tokenizer.push(sample);
    if (complete) tokenizer.end();
    if (guess.headers === undefined) return;
    const ambiguous = guess.ambiguousColumns();
    guess.keepAsText(ambiguous, guess.headers);
    state.keepAsText(ambiguous, guess.headers);
    if (!output) return;
    spec = speculate(guess, output, () => (opened = true));
    // A zstd file cannot be cut: the cut would fall at an offset of the compressed bytes (split-pass.ts
    // looks for gzip's magic bytes only). Its other thread then idles until the conversion ends.
    if (info.zstd === true) return;
    split?.start({
      delimiter: dialect.delimiter,
      comment: dialect.comment,
      headers: [...spec.headers],
      types: spec.types,
      track: [...spec.track],
    });
  };

  const dialect = await scan(
    name,
    chunks,
    options,
    info,
    (sample, complete) => resolveDialect(sample, complete, options),
    (t) => state.onRows(t, spec),
    async () => {
      await rejects.flush();
      if (spec?.active) await spec.flush(false);
    },
    (i) => state.headers?.[i],
    onStart,
    split?.holder,
  );
  if (state.headers === undefined) {
    throw new MalformedCsvError(
      dialect.skipRows > 0
        ? `${name} has no rows after the ${dialect.skipRows} line(s) skipped above the header; nothing to convert`
        : `${name} has no rows (only blank lines or a byte order mark); nothing to convert`,
    );
  }
  if (spec?.active) state.adoptGuess(spec);
  // The file's other parts were read elsewhere: their rejects follow ours, their types join ours.
  for (const rest of (await split?.finish()) ?? []) {
    state.merge(rest.result, rest.lineOffset);
    await rejects.flush();
    info.bytesIn += rest.result.bytesIn;
    if (spec && !rest.result.held) spec.active = false;
  }
  const types = state.finalTypes();
  let converted = false;
  if (spec?.active && spec.holds(types)) {
    await spec.flush(true);
    converted = true;
  }
  return {
    delimiter: dialect.delimiter,
    dialect,
    headers: state.headers,
    types,
    rejectedLines: state.rejectedLines,
    rows: state.rows,
    info,
    converted,
    opened,
    ...(state.misread() ? { advice: state.advice() } : {}),
    warnings: state.warnings,
  };
}

/**
 * The second pass, when the first could not convert: reads the input again and hands every accepted row to
 * `sink` with the final types (the schema's), flushing it after each chunk and at the end.
 */
export async function writePass(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  plan: FilePlan,
  schema: TableSchema,
  sink: RowSink,
): Promise<{ rows: number; info: InputInfo }> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const none = new Uint8Array(0);
  const rules = fieldRules(options);
  const rejected = plan.rejectedLines;
  const checkRejected = rejected.size > 0;
  const { skipRows, header } = plan.dialect;
  // Rows hold the file's columns, in file order, whatever order the output has.
  const columns = plan.headers.length;
  const names = fileColumns(schema).map((c) => c.name);
  let started = false;
  let rows = 0;

  const onRows = (t: CsvTokenizer): void => {
    for (let r = 0; r < t.rowCount; r++) {
      if (!started) {
        // As the first pass: the preamble's lines and blank lines, then the header.
        if (t.rowLine[r]! <= skipRows || isBlank(t, r)) continue;
        started = true;
        if (header) continue;
      }
      // Rows of another width are rejects (in `rejected`) or the blank lines of a wider file.
      if (t.rowFieldCount[r] !== columns) continue;
      if (checkRejected && rejected.has(t.rowLine[r]!)) continue;
      const bad = sink.append(t, t.rowFirstField[r]!, rules, undefined, undefined, none, none);
      if (bad >= 0) {
        // The first pass saw every value, so this means the two passes read different data.
        throw new Error(
          `${name} changed while it was being converted (line ${t.rowLine[r]}, column ${bad + 1})`,
        );
      }
      rows++;
    }
  };

  await scan(
    name,
    chunks,
    options,
    info,
    plan.dialect,
    onRows,
    () => sink.flush(false),
    (i) => names[i],
  );
  await sink.flush(true);
  return { rows, info };
}
