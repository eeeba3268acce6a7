import { CsvTokenizer } from './tokenizer';

/** The delimiters csv2lake recognises without being told, in order of preference on a tie. */
export const SNIFFED_DELIMITERS = [',', '\t', ';', '|'] as const;

const SAMPLE_ROWS = 100;

/**
 * Picks the delimiter of a CSV sample: the candidate whose rows most consistently have the same number of
 * fields (more than one), preferring more fields, then the order of {@link SNIFFED_DELIMITERS}. Quoting is
 * honoured, so delimiters inside quoted fields do not count. Falls back to `,` (a one-column file).
 *
 * @param sample the first bytes of the decoded input
 * @param complete whether the sample is the whole input (else its last, possibly cut, line is ignored)
 */
export function sniffDelimiter(sample: Uint8Array, complete: boolean): string {
  let best: string = ',';
  let bestScore = 0;
  for (const candidate of SNIFFED_DELIMITERS) {
    const counts: number[] = [];
    const tokenizer = new CsvTokenizer({ delimiter: candidate.charCodeAt(0) }, (t) => {
      for (let r = 0; r < t.rowCount && counts.length < SAMPLE_ROWS; r++) {
        if (t.rowBroken[r] === 0) counts.push(t.rowFieldCount[r]!);
      }
    });
    tokenizer.push(sample);
    if (complete) tokenizer.end();
    if (counts.length === 0) continue;
    const frequency = new Map<number, number>();
    for (const c of counts) frequency.set(c, (frequency.get(c) ?? 0) + 1);
    let mode = 0;
    let modeCount = 0;
    for (const [fields, n] of frequency) {
      if (n > modeCount || (n === modeCount && fields > mode)) {
        mode = fields;
        modeCount = n;
      }
    }
    if (mode < 2) continue;
    // Consistency first (share of rows with the modal field count), then width.
    const score = (modeCount / counts.length) * 1e6 + Math.min(mode, 1e5);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
