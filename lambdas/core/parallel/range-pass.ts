import { decodeRange, type InputInfo } from '../csv/input';
import { RejectList } from '../csv/rejects';
import type { CsvTokenizer } from '../csv/tokenizer';
import { InferenceState } from '../run/inference';
import type { PassOptions } from '../run/pass-options';
import { scan } from '../run/scan';
import { Speculation, type SpeculativeOutput } from '../run/speculation';
import type { RangeContext, RangeResult } from '../run/split-hooks';

/**
 * The first pass over the second part of a file, from a row boundary on (`chunks` decoded already, see
 * `decodeRange`): with the column names and the type guess of the first part, it rejects malformed rows,
 * infers from every value and converts into `output` while the guess holds. Its tokenizer is put in
 * `holder` (for a check where the part ends).
 *
 * @throws MalformedCsvError when the part alone has more rejected rows than `maxRejects`
 */
export async function rangePass(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  context: RangeContext,
  output: SpeculativeOutput,
  holder?: { tokenizer?: CsvTokenizer },
): Promise<RangeResult> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const rejects = new RejectList();
  const state = new InferenceState(name, options, rejects);
  state.begin([...context.headers]);
  const spec = new Speculation(
    context.headers,
    context.types,
    Uint8Array.from(context.track),
    output,
    () => {},
  );
  await scan(
    name,
    chunks,
    options,
    info,
    // From a row boundary past the header: no preamble, and every row is data.
    { delimiter: context.delimiter, comment: context.comment, header: false, skipRows: 0 },
    (t) => state.onRows(t, spec),
    async () => {
      if (spec.active) await spec.flush(false);
    },
    (i) => context.headers[i],
    undefined,
    holder,
    (source, encoding, counts) => decodeRange(source, encoding, counts),
  );
  if (spec.active) {
    state.adoptGuess(spec);
    await spec.flush(true);
  }
  return {
    rows: state.rows,
    rejects: rejects.rows,
    masks: [...state.masks],
    seen: [...state.seen],
    held: spec.active,
    bytesIn: info.bytesIn,
  };
}
