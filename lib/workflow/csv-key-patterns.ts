import { COMPRESSION_SUFFIXES } from '../../lambdas/io/object-key';

/** The most `StringMatches` patterns the `IsCsv` Choice may have (a long suffix doubles them per letter). */
export const MAX_CSV_KEY_PATTERNS = 1024;

/**
 * The `StringMatches` patterns of the `IsCsv` Choice: every case mix of each suffix, alone and followed by
 * every case mix of a compression suffix, `.gz` or `.zst` (`*.csv`, `*.Csv`, `*.CSV.GZ`, `*.csv.Zst`, …),
 * since `StringMatches` has no case-insensitive mode. The key set they accept is exactly `isCsvKey`'s
 * (lambdas/io/object-key.ts), which the converters apply to batched items: the two paths agree (tested on
 * generated keys). Three letters make 8 mixes, with `.gz` and `.zst` 8 × (1 + 4 + 8) = 104 patterns per
 * suffix, 312 for the defaults (about 10 KB of definition per map). `*` and `\` in a suffix are escaped.
 * @throws Error for a suffix with a non-ASCII letter (whose case folding a pattern cannot spell) or when the
 *   suffixes need more than {@link MAX_CSV_KEY_PATTERNS} patterns
 */
export function csvKeyPatterns(suffixes: readonly string[]): string[] {
  const mixes = (text: string): string[] =>
    [...text].reduce<string[]>(
      (out, c) => {
        const cases = [...new Set([c.toLowerCase(), c.toUpperCase()])];
        return out.flatMap((head) => cases.map((x) => head + x));
      },
      [''],
    );
  const escape = (text: string) => text.replace(/[\\*]/g, (c) => `\\${c}`);
  const compressed = COMPRESSION_SUFFIXES.flatMap(mixes);
  const patterns = new Set<string>();
  for (const suffix of suffixes) {
    if ([...suffix].some((c) => c.charCodeAt(0) > 0x7f))
      throw new Error(`suffix ${JSON.stringify(suffix)}: only ASCII suffixes can be matched in every case`);
    for (const mix of mixes(suffix.toLowerCase())) {
      patterns.add(`*${escape(mix)}`);
      for (const c of compressed) patterns.add(`*${escape(mix)}${c}`);
    }
  }
  if (patterns.size > MAX_CSV_KEY_PATTERNS)
    throw new Error(
      `the suffixes ${suffixes.join(' ')} need ${patterns.size} case patterns in the IsCsv Choice, over ` +
        `${MAX_CSV_KEY_PATTERNS}: use fewer or shorter suffixes`,
    );
  return [...patterns];
}
