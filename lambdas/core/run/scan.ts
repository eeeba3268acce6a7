import { fillerByte, PreambleBlanker } from '../csv/dialect';
import { fieldText } from '../csv/fields';
import { decodeInput, InvalidUtf8Error, type InputInfo } from '../csv/input';
import { CsvTokenizer } from '../csv/tokenizer';
import { quoted, UnsupportedEncodingError } from '../model/errors';
import type { ResolvedDialect } from './dialect-resolution';
import { tokenizerOptions, type PassOptions } from './pass-options';

/**
 * Reads the whole input once through decoding and tokenizing, handing complete rows to `onRows` and
 * awaiting `afterPush` after each chunk (where callers flush what they buffered). The dialect is known,
 * or `dialect` resolves it from the first `sampleBytes` of decoded input, which `onStart` then sees too
 * (its preamble blanked). Returns the dialect read with.
 */
export async function scan(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  info: InputInfo,
  dialect: ResolvedDialect | ((sample: Uint8Array, complete: boolean) => ResolvedDialect),
  onRows: (t: CsvTokenizer) => void,
  afterPush: () => Promise<void>,
  columnName: (index: number) => string | undefined,
  onStart?: (sample: Uint8Array, complete: boolean, dialect: ResolvedDialect) => void,
  holder?: { tokenizer?: CsvTokenizer },
  decode: typeof decodeInput = decodeInput,
): Promise<ResolvedDialect> {
  let tokenizer: CsvTokenizer | undefined;
  let resolved = typeof dialect === 'function' ? undefined : dialect;
  let blanker: PreambleBlanker | undefined;
  const sample: Uint8Array[] = [];
  let sampled = 0;
  const wanted = resolved ? 0 : options.sampleBytes;
  const start = (complete: boolean): CsvTokenizer => {
    // A copy (Buffer.concat always copies): the preamble is blanked in place.
    const head = Buffer.concat(sample, sampled);
    const d = (resolved ??= (dialect as (s: Uint8Array, c: boolean) => ResolvedDialect)(head, complete));
    blanker = new PreambleBlanker(d.skipRows, fillerByte(d.delimiter.charCodeAt(0), { ...options, ...d }));
    blanker.apply(head, true);
    onStart?.(head, complete, d);
    const t = new CsvTokenizer(tokenizerOptions(name, d, options, columnName), onRows);
    if (holder) holder.tokenizer = t;
    t.push(head);
    return t;
  };
  try {
    for await (const chunk of decode(chunks, options.encoding, info, name)) {
      if (tokenizer) {
        tokenizer.push(blanker!.done ? chunk : blanker!.apply(chunk));
      } else {
        sample.push(chunk);
        sampled += chunk.length;
        if (sampled < wanted) continue;
        tokenizer = start(false);
      }
      await afterPush();
    }
    tokenizer ??= start(true);
    tokenizer.end();
    await afterPush();
  } catch (error) {
    if (error instanceof InvalidUtf8Error)
      throw invalidUtf8(name, error, tokenizer, sample, resolved, dialect, options, columnName);
    throw error;
  }
  return resolved!;
}

/** The error for invalid UTF-8, with its line and, when known, its column. */
function invalidUtf8(
  name: string,
  error: InvalidUtf8Error,
  tokenizer: CsvTokenizer | undefined,
  sample: readonly Uint8Array[],
  resolved: ResolvedDialect | undefined,
  dialect: ResolvedDialect | ((sample: Uint8Array, complete: boolean) => ResolvedDialect),
  options: PassOptions,
  columnName: (index: number) => string | undefined,
): UnsupportedEncodingError {
  let line: number;
  let column: string | undefined;
  if (tokenizer) {
    line = tokenizer.currentLine;
    column = columnName(tokenizer.partialFieldIndex);
  } else {
    // The bad byte is in the sample: the dialect from the valid bytes before it, and the place in them.
    const head = Buffer.concat(sample);
    const d = resolved ?? (typeof dialect === 'function' ? dialect(head, false) : dialect);
    let names: string[] | undefined;
    const quoting = { quote: options.quote, escape: options.escape, comment: d.comment };
    const t = new CsvTokenizer({ delimiter: d.delimiter.charCodeAt(0), ...quoting }, (p) => {
      for (let r = 0; r < p.rowCount && names === undefined; r++) {
        if (p.rowLine[r]! <= d.skipRows) continue;
        names = [];
        for (let f = p.rowFirstField[r]!; f < p.rowFirstField[r]! + p.rowFieldCount[r]!; f++)
          names.push(d.header ? fieldText(p, f) : `column_${names.length + 1}`);
      }
    });
    t.push(
      new PreambleBlanker(d.skipRows, fillerByte(d.delimiter.charCodeAt(0), { ...options, ...d })).apply(
        head,
      ),
    );
    line = t.currentLine;
    column = names?.[t.partialFieldIndex];
  }
  return new UnsupportedEncodingError(
    `${name}: invalid UTF-8 at line ${line}, byte offset ${error.byteOffset}` +
      `${column !== undefined ? `, column ${quoted(column)}` : ''}; ` +
      `if the file is not UTF-8, pass --encoding latin1 or --encoding windows-1252`,
    { line, byteOffset: error.byteOffset, ...(column !== undefined ? { column } : {}) },
  );
}
