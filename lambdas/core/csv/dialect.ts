import { CONVERT_DEFAULTS } from '../model/defaults';
import type { CsvDialectOptions } from '../model/options';

/*
 * A dialect's characters as the tokenizer takes them (bytes, -1 for none), and the preamble: the lines
 * above the header, blanked before tokenizing.
 */

const LF = 0x0a;
const CR = 0x0d;

/** The quoting and comment bytes of a conversion (-1: none), as the tokenizer takes them. */
export interface QuotingBytes {
  readonly quote: number;
  readonly escape: number;
  readonly comment: number;
}

/** The quote, escape and comment characters of a conversion as bytes, defaults applied. */
export function dialectBytes(
  options: Pick<CsvDialectOptions, 'quote' | 'escape' | 'comment'>,
): QuotingBytes {
  const byte = (c: string | undefined, none: number): number => (c ? c.charCodeAt(0) : none);
  const quote = byte(options.quote ?? CONVERT_DEFAULTS.quote, -1);
  return { quote, escape: byte(options.escape, quote), comment: byte(options.comment, -1) };
}

/**
 * Replaces the content of a file's first `lines` physical lines with a filler byte, keeping every line
 * terminator: the tokenizer then sees one plain field per skipped line, so no quote or delimiter in a
 * title line can reach the table, while the line numbers and byte offsets it reports stay those of the
 * file. Lines end as the tokenizer ends them: LF, CRLF or CR.
 */
export class PreambleBlanker {
  private left: number;
  private afterCr = false;

  /** @param filler a byte that is none of the delimiter, quote, escape or comment bytes */
  constructor(
    lines: number,
    private readonly filler: number,
  ) {
    this.left = lines;
  }

  /** Whether every line to skip has been blanked (chunks then pass through untouched). */
  get done(): boolean {
    return this.left === 0;
  }

  /** The chunk with the preamble's bytes replaced (a copy when anything changed; `inPlace` to write into it). */
  apply(chunk: Uint8Array, inPlace = false): Uint8Array {
    if (this.left === 0 || chunk.length === 0) return chunk;
    const out = inPlace ? chunk : Uint8Array.prototype.slice.call(chunk);
    let i = 0;
    for (; i < out.length && this.left > 0; i++) {
      const c = out[i]!;
      if (c === CR) {
        this.left--;
        this.afterCr = true;
        continue;
      }
      if (c === LF) {
        if (!this.afterCr) this.left--;
        this.afterCr = false;
        continue;
      }
      this.afterCr = false;
      out[i] = this.filler;
    }
    return out;
  }
}

/** A byte to blank skipped lines with: a space unless the dialect uses it, else `_` or `.`. */
export function fillerByte(delimiter: number, quoting: QuotingBytes): number {
  const used = [delimiter, quoting.quote, quoting.escape, quoting.comment];
  return [0x20, 0x5f, 0x2e].find((b) => !used.includes(b))!;
}
