import type { InputInfo } from '../core/csv/input';
import { CsvTokenizer } from '../core/csv/tokenizer';
import type { ColumnType } from '../core/model/schema';
import { resolveDialect, type ResolvedDialect } from '../core/run/dialect-resolution';
import { InferenceState, speculate } from '../core/run/inference';
import { tokenizerOptions, type PassOptions } from '../core/run/pass-options';
import { scan } from '../core/run/scan';
import type { CutDialect } from '../core/parallel/cut';
import type { RangeReader } from './range-reader';

/**
 * What every range of a file converts with, taken once from the head of the file exactly as `convert()`'s
 * first pass takes it: the dialect, the column names and the type guess (with the columns whose values are
 * classified as they are converted). Plain data: it travels to other threads and into records.
 */
export interface FileHead {
  readonly dialect: ResolvedDialect;
  readonly headers: readonly string[];
  readonly types: readonly ColumnType[];
  readonly track: readonly number[];
  /** gzip or zstd: no byte range of it can be decoded alone, so the file is one range. */
  readonly compressed: boolean;
}

/** Thrown inside the scan once the head is known: it stops reading. */
class HeadFound extends Error {}

/**
 * Reads the head of a file (its first `sampleBytes` of decoded text, 1 MiB) and returns {@link FileHead};
 * undefined when the file has no header row to read within it (then it is one range, converted as today).
 * The sample's dialect and guess are the first pass's: `resolveDialect` on the sample, then a dry run of
 * the inference over it and `speculate` (as `firstPass`'s `onStart` does: lambdas/core/run/passes.ts).
 *
 * @throws the first pass's errors on the head (EmptyInputError, UnsupportedEncodingError, …)
 */
export async function readFileHead(reader: RangeReader, pass: PassOptions): Promise<FileHead | undefined> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  let head: FileHead | undefined;
  const name = reader.name;
  try {
    await scan(
      name,
      reader.read(0, { hint: pass.sampleBytes * 2 }),
      pass,
      info,
      (sample, complete) => resolveDialect(sample, complete, pass),
      () => {},
      async () => {},
      () => undefined,
      (sample, complete, dialect) => {
        const guess = new InferenceState(name, pass, undefined);
        guess.layout = dialect;
        const tokenizer = new CsvTokenizer(
          tokenizerOptions(name, dialect, pass, (i) => guess.headers?.[i]),
          (t) => guess.onRows(t, undefined),
        );
        tokenizer.push(sample);
        if (complete) tokenizer.end();
        if (guess.headers !== undefined) {
          const spec = speculate(
            guess,
            { schemaFor: () => undefined as never, open: () => undefined as never },
            () => {},
          );
          head = {
            dialect,
            headers: [...spec.headers],
            types: [...spec.types],
            track: [...spec.track],
            compressed: info.gzip || info.zstd === true,
          };
        }
        throw new HeadFound();
      },
    );
  } catch (error) {
    if (!(error instanceof HeadFound)) throw error;
  }
  return head;
}

/** What the row-start scan needs of a file: its dialect and width. */
export function cutDialect(head: FileHead, pass: PassOptions): CutDialect {
  return {
    delimiter: head.dialect.delimiter.charCodeAt(0),
    quote: pass.quote,
    escape: pass.escape,
    comment: head.dialect.comment,
    columns: head.headers.length,
  };
}
